//! The checker: a rule's fields, functions and types, against the documented context (docs/rules.md).

use std::collections::HashMap;

use cel::common::ast::{Expr, IdedExpr, LiteralValue};

use super::{Needs, RuleError};

/// A field of the maps a rule sees, with its type for the checker.
pub(super) struct FieldDef {
    pub(super) name: &'static str,
    pub(super) ty: Ty,
}

const REGISTRANT_FIELDS: &[FieldDef] = &[
    FieldDef { name: "reference", ty: Ty::String },
    FieldDef { name: "kind", ty: Ty::String },
    FieldDef { name: "given_name", ty: Ty::String },
    FieldDef { name: "family_name", ty: Ty::String },
    FieldDef { name: "group_name", ty: Ty::String },
    FieldDef { name: "sex", ty: Ty::String },
    FieldDef { name: "birth_date", ty: Ty::String },
    FieldDef { name: "birth_date_approx", ty: Ty::Bool },
    FieldDef { name: "age", ty: Ty::Int },
    FieldDef { name: "area", ty: Ty::String },
    FieldDef { name: "tags", ty: Ty::List },
    FieldDef { name: "status", ty: Ty::String },
    FieldDef { name: "registered_on", ty: Ty::String },
    FieldDef { name: "has_phone", ty: Ty::Bool },
    FieldDef { name: "id_types", ty: Ty::List },
    FieldDef { name: "size", ty: Ty::Int },
    FieldDef { name: "custom", ty: Ty::Map },
];

/// Only members have these: their relationship to the household and whether they head it.
const MEMBER_FIELDS: &[FieldDef] =
    &[FieldDef { name: "relationship", ty: Ty::String }, FieldDef { name: "is_head", ty: Ty::Bool }];

const VARIABLES: &[&str] = &["me", "household", "members", "programs"];
/// `min` and `max` cap and floor entitlement amounts: `min(10000 + 2500 * household.size, 20000)`.
pub(super) const OUR_FUNCTIONS: &[&str] = &["age", "min", "max"];
/// The standard functions and macros a rule may use.
pub(super) const CEL_FUNCTIONS: &[&str] = &[
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "int",
    "uint",
    "double",
    "string",
    "bool",
    "has",
    "exists",
    "all",
    "exists_one",
    "map",
    "filter",
    "type",
    "dyn",
];

/// The fields of a registrant, and of a member when `member`.
pub(super) fn fields(member: bool) -> impl Iterator<Item = &'static FieldDef> {
    REGISTRANT_FIELDS.iter().chain(if member { MEMBER_FIELDS } else { &[] })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ty {
    Int,
    Double,
    String,
    Bool,
    List,
    Map,
    Null,
    Any,
}

impl Ty {
    pub(super) fn name(self) -> &'static str {
        match self {
            Ty::Int => "int",
            Ty::Double => "double",
            Ty::String => "string",
            Ty::Bool => "bool",
            Ty::List => "list",
            Ty::Map => "map",
            Ty::Null => "null",
            Ty::Any => "any",
        }
    }
    pub(super) fn numeric(self) -> bool {
        matches!(self, Ty::Int | Ty::Double)
    }
    pub(super) fn known(self) -> bool {
        !matches!(self, Ty::Any | Ty::Null)
    }
}

pub(super) struct Checker<'a> {
    /// Where each node's text starts and ends, its operands included.
    pub(super) span: HashMap<u64, (u32, u32)>,
    pub(super) custom: &'a [String],
    pub(super) needs: Needs,
    /// Comprehension variables in scope, with whether they range over `members`.
    pub(super) scope: Vec<(String, bool)>,
}

impl Checker<'_> {
    fn error(&self, id: u64, message: String, known: Vec<String>) -> RuleError {
        let (start, end) = match self.span.get(&id) {
            Some(&(s, e)) => (Some(s), Some(e.max(s + 1))),
            None => (None, None),
        };
        RuleError { message, start, end, known, hint: None }
    }

    fn scoped(&self, name: &str) -> Option<bool> {
        self.scope.iter().rev().find(|(n, _)| n == name).map(|(_, m)| *m)
    }

    /// Infers the type of `e`, recording the fields it reads and refusing unknown names and mismatched
    /// operands.
    pub(super) fn ty(&mut self, e: &IdedExpr) -> Result<Ty, RuleError> {
        match &e.expr {
            Expr::Literal(l) => Ok(match l {
                LiteralValue::Boolean(_) => Ty::Bool,
                LiteralValue::Int(_) | LiteralValue::UInt(_) => Ty::Int,
                LiteralValue::Double(_) => Ty::Double,
                LiteralValue::String(_) => Ty::String,
                LiteralValue::Bytes(_) => Ty::Any,
                LiteralValue::Null => Ty::Null,
            }),
            Expr::Ident(name) => {
                // Reached for a name used on its own: a field's owner is handled with the field below.
                if let Some(over_members) = self.scoped(name) {
                    self.needs.whole_maps |= over_members;
                    return Ok(if over_members { Ty::Map } else { Ty::Any });
                }
                match name.as_str() {
                    "me" | "household" => {
                        self.needs.whole_maps = true;
                        Ok(Ty::Map)
                    }
                    "members" => {
                        self.needs.uses_members = true;
                        Ok(Ty::List)
                    }
                    "programs" => {
                        self.needs.uses_programs = true;
                        Ok(Ty::List)
                    }
                    _ => Err(self.error(
                        e.id,
                        format!("unknown name '{name}'"),
                        VARIABLES.iter().map(|s| s.to_string()).collect(),
                    )),
                }
            }
            Expr::Select(sel) => {
                // `me.custom.x`: a custom field.
                if let Expr::Select(inner) = &sel.operand.expr {
                    if inner.field == "custom" {
                        self.ty(&sel.operand)?;
                        if !self.custom.iter().any(|c| c == &sel.field) {
                            return Err(self.error(
                                e.id,
                                format!("unknown custom field '{}'", sel.field),
                                self.custom.to_vec(),
                            ));
                        }
                        return Ok(Ty::Any);
                    }
                }
                let owner = match &sel.operand.expr {
                    Expr::Ident(n) if self.scoped(n) == Some(true) => Some(2),
                    Expr::Ident(n) if self.scoped(n).is_some() => None,
                    Expr::Ident(n) if n == "me" => Some(0),
                    Expr::Ident(n) if n == "household" => Some(1),
                    _ => None,
                };
                let Some(owner) = owner else {
                    self.ty(&sel.operand)?;
                    return Ok(Ty::Any);
                };
                let member = owner == 2;
                let Some(&FieldDef { name, ty }) = fields(member).find(|f| f.name == sel.field) else {
                    let whose = ["me", "household", "a member"][owner];
                    return Err(self.error(
                        e.id,
                        format!("unknown field '{}' of {whose}", sel.field),
                        fields(member).map(|f| f.name.to_string()).collect(),
                    ));
                };
                match owner {
                    0 => self.needs.me.insert(name),
                    1 => {
                        self.needs.uses_household = true;
                        self.needs.household.insert(name)
                    }
                    _ => self.needs.members.insert(name),
                };
                Ok(if sel.test { Ty::Bool } else { ty })
            }
            Expr::List(l) => {
                for x in &l.elements {
                    self.ty(x)?;
                }
                Ok(Ty::List)
            }
            Expr::Map(m) => {
                for entry in &m.entries {
                    if let cel::common::ast::EntryExpr::MapEntry(me) = &entry.expr {
                        self.ty(&me.key)?;
                        self.ty(&me.value)?;
                    }
                }
                Ok(Ty::Map)
            }
            Expr::Comprehension(c) => {
                let range_is_members = matches!(&c.iter_range.expr, Expr::Ident(n) if n == "members");
                self.ty(&c.iter_range)?;
                self.ty(&c.accu_init)?;
                self.scope.push((c.accu_var.clone(), false));
                self.scope.push((c.iter_var.clone(), range_is_members));
                if let Some(v2) = &c.iter_var2 {
                    self.scope.push((v2.clone(), false));
                }
                self.ty(&c.loop_cond)?;
                self.ty(&c.loop_step)?;
                self.scope.truncate(self.scope.len() - 1 - usize::from(c.iter_var2.is_some()));
                let result = self.ty(&c.result)?;
                self.scope.pop();
                Ok(result)
            }
            Expr::Call(call) => self.call_ty(e.id, call),
            Expr::Struct(_) | Expr::Unspecified => Ok(Ty::Any),
        }
    }

    fn call_ty(&mut self, id: u64, call: &cel::common::ast::CallExpr) -> Result<Ty, RuleError> {
        let target = match &call.target {
            Some(t) => Some(self.ty(t)?),
            None => None,
        };
        let mut args = Vec::with_capacity(call.args.len());
        for a in &call.args {
            args.push(self.ty(a)?);
        }
        let f = call.func_name.as_str();
        let mismatch = |this: &Self, what: &str| {
            Err(this.error(
                id,
                format!(
                    "type error: {what} cannot take {}",
                    args.iter().map(|t| t.name()).collect::<Vec<_>>().join(" and ")
                ),
                vec![],
            ))
        };
        match f {
            "_&&_" | "_||_" | "!_" | "@not_strictly_false" => {
                if args.iter().any(|t| t.known() && *t != Ty::Bool) {
                    return mismatch(self, "a logical operator");
                }
                Ok(Ty::Bool)
            }
            "_==_" | "_!=_" => {
                let (a, b) = (args[0], args[1]);
                if a.known() && b.known() && a != b && !(a.numeric() && b.numeric()) {
                    return mismatch(self, "a comparison");
                }
                Ok(Ty::Bool)
            }
            "_<_" | "_<=_" | "_>_" | "_>=_" => {
                let (a, b) = (args[0], args[1]);
                let ordered = |t: Ty| t.numeric() || t == Ty::String || !t.known();
                if a == Ty::Null
                    || b == Ty::Null
                    || !ordered(a)
                    || !ordered(b)
                    || (a.known() && b.known() && a.numeric() != b.numeric())
                {
                    return mismatch(self, "an ordering comparison");
                }
                Ok(Ty::Bool)
            }
            "_+_" | "_-_" | "_*_" | "_/_" | "_%_" => {
                let (a, b) = (args[0], args[1]);
                if a.known() && b.known() {
                    // CEL converts nothing implicitly: int * double is an error, double(x) * 2.5 is not.
                    if a.numeric() && a == b {
                        return Ok(a);
                    }
                    if f == "_+_" && a == b && matches!(a, Ty::String | Ty::List) {
                        return Ok(a);
                    }
                    return mismatch(self, "arithmetic");
                }
                Ok(if a.known() { a } else { b })
            }
            "-_" => Ok(args[0]),
            "@in" => {
                if args[1].known() && !matches!(args[1], Ty::List | Ty::Map) {
                    return mismatch(self, "'in'");
                }
                Ok(Ty::Bool)
            }
            "_?_:_" => {
                if args[0].known() && args[0] != Ty::Bool {
                    return mismatch(self, "a condition");
                }
                Ok(if args[1] == args[2] { args[1] } else { Ty::Any })
            }
            "_[_]" => Ok(Ty::Any),
            "age" => {
                if target.is_some() || args.len() != 1 || (args[0] != Ty::String && args[0].known()) {
                    return Err(self.error(id, "age() takes one date, e.g. age(me.birth_date)".into(), vec![]));
                }
                Ok(Ty::Int)
            }
            "min" | "max" => {
                if args.is_empty() || args.iter().any(|a| a.known() && !a.numeric() && *a != Ty::List) {
                    return Err(self.error(
                        id,
                        format!("{f}() takes numbers, e.g. {f}(me.size * 5000, 20000)"),
                        vec![],
                    ));
                }
                let first = args[0];
                Ok(if args.iter().all(|a| *a == first) && first.numeric() { first } else { Ty::Any })
            }
            "size" => Ok(Ty::Int),
            "contains" | "startsWith" | "endsWith" | "matches" | "exists" | "all" | "exists_one" => Ok(Ty::Bool),
            "int" => Ok(Ty::Int),
            "double" => Ok(Ty::Double),
            "string" => Ok(Ty::String),
            "map" | "filter" => Ok(Ty::List),
            _ => Ok(Ty::Any),
        }
    }
}

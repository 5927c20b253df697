//! Eligibility rules and proxy-means-test scores in CEL (design §7): checking a rule when it is saved, the
//! documented context a rule sees, and the part of a rule that becomes SQL so a million registrants are not
//! all evaluated one by one.
//!
//! The context (documented in `docs/rules.md`):
//! - `me`: the registrant; `household`: an individual's current household (the group itself for a group;
//!   `null` when the individual has none); `members`: the household's current members; `programs`: codes of
//!   the programs the registrant is enrolled in or paused in.
//! - Functions: `age(date)` in whole years today.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use cel::common::ast::{Expr, IdedExpr, LiteralValue};
use cel::objects::{Key, Map};
use cel::{Context, Env, ExecutionError, Value};
use serde::Serialize;
use ts_rs::TS;

use crate::registry::model::RegistrantKind;
use crate::registry::settings::parse_date;

/// A field of the maps a rule sees, with its type for the checker.
struct FieldDef {
    name: &'static str,
    ty: Ty,
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
const OUR_FUNCTIONS: &[&str] = &["age", "min", "max"];
/// The standard functions and macros a rule may use.
const CEL_FUNCTIONS: &[&str] = &[
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
fn fields(member: bool) -> impl Iterator<Item = &'static FieldDef> {
    REGISTRANT_FIELDS.iter().chain(if member { MEMBER_FIELDS } else { &[] })
}

/// A rule that cannot be saved, with where in the source it went wrong.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RuleError {
    pub message: String,
    /// Character offsets into the rule (start inclusive, end exclusive), when the error has a place.
    pub start: Option<u32>,
    pub end: Option<u32>,
    /// For an unknown name: the names that exist there.
    pub known: Vec<String>,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.start {
            Some(s) => write!(f, "{} (at character {})", self.message, s + 1)?,
            None => write!(f, "{}", self.message)?,
        }
        if !self.known.is_empty() {
            write!(f, "; known: {}", self.known.join(", "))?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
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
    fn name(self) -> &'static str {
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
    fn numeric(self) -> bool {
        matches!(self, Ty::Int | Ty::Double)
    }
    fn known(self) -> bool {
        !matches!(self, Ty::Any | Ty::Null)
    }
}

/// The fields a rule reads, so evaluation builds only those.
#[derive(Debug, Default, Clone)]
pub struct Needs {
    pub me: BTreeSet<&'static str>,
    pub household: BTreeSet<&'static str>,
    pub members: BTreeSet<&'static str>,
    pub uses_members: bool,
    pub uses_household: bool,
    pub uses_programs: bool,
}

impl Needs {
    pub fn id_types(&self) -> bool {
        self.me.contains("id_types") || self.members.contains("id_types") || self.household.contains("id_types")
    }
}

/// A rule's SQL part: conditions on the registrant's own columns that every match must meet.
#[derive(Debug, Default, Clone)]
pub struct Prefilter {
    pub sql: Vec<String>,
    pub params: Vec<rusqlite::types::Value>,
}

/// A checked rule, ready to evaluate.
pub struct CompiledRule {
    pub source: String,
    program: cel::Program,
    pub needs: Needs,
    pub prefilter: Prefilter,
}

impl CompiledRule {
    /// The checked syntax tree.
    pub(crate) fn expression(&self) -> &IdedExpr {
        self.program.expression()
    }
}

impl std::fmt::Debug for CompiledRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledRule").field("source", &self.source).finish()
    }
}

fn env() -> Arc<Env> {
    Arc::new(Env::stdlib())
}

/// Whole years from `birth` to `today`: the same answer as the SQL bound `birth <= years_before(today, n)`
/// (29 February counts from the 28th in other years), so the SQL part and CEL never disagree.
pub fn age_on(birth: time::Date, today: time::Date) -> i64 {
    let mut years = (today.year() - birth.year()) as i64;
    let anniversary = crate::clock::years_before(today, years.max(0) as u32);
    if birth > anniversary {
        years -= 1;
    }
    years
}

fn cel_age(today: time::Date) -> impl Fn(Value) -> Result<Value, ExecutionError> + Send + Sync + 'static {
    move |v: Value| match v {
        Value::String(s) => {
            let d = parse_date(&s).ok_or_else(|| ExecutionError::function_error("age", "not a date (YYYY-MM-DD)"))?;
            Ok(Value::Int(age_on(d, today)))
        }
        Value::Null => Err(ExecutionError::function_error("age", "no birth date")),
        _ => Err(ExecutionError::function_error("age", "expects a date (YYYY-MM-DD)")),
    }
}

/// What a rule must produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// An eligibility rule: true or false.
    Condition,
    /// A proxy-means-test score: a number.
    Score,
}

struct Checker<'a> {
    /// Where each node's text starts and ends, its operands included.
    span: HashMap<u64, (u32, u32)>,
    custom: &'a [String],
    needs: Needs,
    /// Comprehension variables in scope, with whether they range over `members`.
    scope: Vec<(String, bool)>,
}

impl Checker<'_> {
    fn error(&self, id: u64, message: String, known: Vec<String>) -> RuleError {
        let (start, end) = match self.span.get(&id) {
            Some(&(s, e)) => (Some(s), Some(e.max(s + 1))),
            None => (None, None),
        };
        RuleError { message, start, end, known }
    }

    fn scoped(&self, name: &str) -> Option<bool> {
        self.scope.iter().rev().find(|(n, _)| n == name).map(|(_, m)| *m)
    }

    /// Infers the type of `e`, recording the fields it reads and refusing unknown names and mismatched
    /// operands.
    fn ty(&mut self, e: &IdedExpr) -> Result<Ty, RuleError> {
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
                if let Some(over_members) = self.scoped(name) {
                    return Ok(if over_members { Ty::Map } else { Ty::Any });
                }
                match name.as_str() {
                    "me" | "household" => Ok(Ty::Map),
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

/// The longest rule: a proxy-means test of fifty weighted terms fits in a tenth of it.
pub const MAX_RULE_CHARS: usize = 4_000;
/// Operators and nesting a rule may have. The parser, our checker and the evaluator all recurse over the
/// rule's tree, so a rule of ten thousand `+` (a 20 KB request) overflowed the stack and killed the process.
pub const MAX_RULE_OPERATORS: usize = 300;
pub const MAX_RULE_NESTING: usize = 32;

const OPERATOR_CHARS: &str = "+-*/%<>=!&|?:.,";

/// Refuses, before anything parses it, a rule too long or too deep to be a person's rule.
fn check_size(source: &str) -> Result<(), RuleError> {
    let too = |message: String| Err(RuleError { message, start: None, end: None, known: vec![] });
    if source.chars().count() > MAX_RULE_CHARS {
        return too(format!("a rule has at most {MAX_RULE_CHARS} characters"));
    }
    let (mut depth, mut deepest, mut operators) = (0usize, 0usize, 0usize);
    let mut in_string: Option<char> = None;
    let mut previous = ' ';
    for c in source.chars() {
        match in_string {
            Some(quote) => {
                if c == quote && previous != '\\' {
                    in_string = None;
                }
            }
            None => match c {
                '"' | '\'' => in_string = Some(c),
                '(' | '[' | '{' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                ')' | ']' | '}' => depth = depth.saturating_sub(1),
                // Each run of operator characters (`&&`, `>=`, `+`) is one operator; `.` and `,` join
                // calls and arguments, which deepen the tree as well.
                c if OPERATOR_CHARS.contains(c) && !OPERATOR_CHARS.contains(previous) => operators += 1,
                _ => {}
            },
        }
        previous = c;
    }
    if deepest > MAX_RULE_NESTING {
        return too(format!("a rule nests at most {MAX_RULE_NESTING} brackets deep"));
    }
    if operators > MAX_RULE_OPERATORS {
        return too(format!("a rule has at most {MAX_RULE_OPERATORS} operators; split it or simplify it"));
    }
    Ok(())
}

/// Checks and compiles a rule. `custom` lists the registry's custom fields.
pub fn compile(
    source: &str,
    kind: RuleKind,
    target: RegistrantKind,
    custom: &[String],
) -> Result<CompiledRule, RuleError> {
    let source_trimmed = source.trim();
    check_size(source_trimmed)?;
    let effective = if source_trimmed.is_empty() && kind == RuleKind::Condition { "true" } else { source_trimmed };
    let program = env().compile(effective).map_err(|errs| {
        let first = errs.errors.first();
        let (line, col) = first.map(|e| e.pos).unwrap_or((1, 0));
        let start = offset_of(effective, line, col);
        RuleError {
            message: format!("syntax error: {}", first.map(|e| e.msg.as_str()).unwrap_or("invalid expression")),
            start: Some(start),
            end: Some(start + 1),
            known: vec![],
        }
    })?;
    let mut span = HashMap::new();
    spans(program.expression(), program.source_info(), &mut span);
    let mut checker = Checker { span, custom, needs: Needs::default(), scope: Vec::new() };
    let ty = checker.ty(program.expression())?;
    match kind {
        RuleKind::Condition if ty.known() && ty != Ty::Bool => {
            return Err(RuleError {
                message: format!("an eligibility rule must be true or false, this one gives a {}", ty.name()),
                start: Some(0),
                end: Some(effective.chars().count() as u32),
                known: vec![],
            })
        }
        RuleKind::Score if ty.known() && !ty.numeric() => {
            return Err(RuleError {
                message: format!("a score must be a number, this one gives a {}", ty.name()),
                start: Some(0),
                end: Some(effective.chars().count() as u32),
                known: vec![],
            })
        }
        _ => {}
    }
    for f in program.references().functions() {
        // Operators are named `_+_`, `!_`, `@in`, ...
        let operator = f.starts_with('_') || f.starts_with('@') || f.ends_with('_');
        if !operator && !OUR_FUNCTIONS.contains(&f) && !CEL_FUNCTIONS.contains(&f) {
            let names: Vec<String> = OUR_FUNCTIONS.iter().chain(CEL_FUNCTIONS).map(|s| s.to_string()).collect();
            return Err(RuleError { message: format!("unknown function '{f}'"), start: None, end: None, known: names });
        }
    }
    if target == RegistrantKind::Group {
        // A group has no household or members of its own kind beyond its members: `household` is itself.
        checker.needs.uses_household |= !checker.needs.household.is_empty();
    }
    let needs = checker.needs;
    let prefilter =
        if kind == RuleKind::Condition { prefilter(program.expression(), target) } else { Prefilter::default() };
    Ok(CompiledRule { source: source_trimmed.to_string(), program, needs, prefilter })
}

/// The text each node covers: the parser records an operator's own position, and an error reads better
/// underlining the whole `me.age >= '60'`.
fn spans(e: &IdedExpr, info: &cel::common::ast::SourceInfo, out: &mut HashMap<u64, (u32, u32)>) -> Option<(u32, u32)> {
    let mut range = info.offset_for(e.id);
    let mut widen = |child: Option<(u32, u32)>| {
        if let Some((s, end)) = child {
            range = Some(match range {
                Some((rs, re)) => (rs.min(s), re.max(end)),
                None => (s, end),
            });
        }
    };
    match &e.expr {
        Expr::Call(c) => {
            if let Some(t) = &c.target {
                widen(spans(t, info, out));
            }
            for a in &c.args {
                widen(spans(a, info, out));
            }
        }
        Expr::Select(sel) => widen(spans(&sel.operand, info, out)),
        Expr::List(l) => {
            for x in &l.elements {
                widen(spans(x, info, out));
            }
        }
        Expr::Comprehension(c) => {
            for x in [&c.iter_range, &c.accu_init, &c.loop_cond, &c.loop_step, &c.result] {
                widen(spans(x, info, out));
            }
        }
        _ => {}
    }
    if let Some(r) = range {
        out.insert(e.id, r);
    }
    range
}

/// Character offset of the parser's (line, column): lines from 1, columns from 0.
fn offset_of(source: &str, line: isize, col: isize) -> u32 {
    let mut offset = 0u32;
    for (i, l) in source.split('\n').enumerate() {
        if i as isize + 1 == line {
            return offset + col.max(0) as u32;
        }
        offset += l.chars().count() as u32 + 1;
    }
    offset
}

fn flatten_and<'e>(e: &'e IdedExpr, out: &mut Vec<&'e IdedExpr>) {
    if let Expr::Call(c) = &e.expr {
        if c.func_name == "_&&_" && c.target.is_none() {
            for a in &c.args {
                flatten_and(a, out);
            }
            return;
        }
    }
    out.push(e);
}

/// `me.<field>` for a column the SQL part can test directly.
fn me_column(e: &IdedExpr) -> Option<&'static str> {
    if let Expr::Select(s) = &e.expr {
        if !s.test && matches!(&s.operand.expr, Expr::Ident(n) if n == "me") {
            return ["sex", "area", "status", "kind", "reference", "registered_on"].into_iter().find(|c| *c == s.field);
        }
    }
    None
}

fn is_age_of_me(e: &IdedExpr) -> bool {
    match &e.expr {
        Expr::Select(s) => !s.test && s.field == "age" && matches!(&s.operand.expr, Expr::Ident(n) if n == "me"),
        Expr::Call(c) => {
            c.func_name == "age"
                && c.target.is_none()
                && c.args.len() == 1
                && matches!(&c.args[0].expr, Expr::Select(s) if !s.test && s.field == "birth_date" && matches!(&s.operand.expr, Expr::Ident(n) if n == "me"))
        }
        _ => false,
    }
}

fn string_literal(e: &IdedExpr) -> Option<String> {
    match &e.expr {
        Expr::Literal(LiteralValue::String(s)) => Some(s.inner().to_string()),
        _ => None,
    }
}

fn int_literal(e: &IdedExpr) -> Option<i64> {
    match &e.expr {
        Expr::Literal(LiteralValue::Int(i)) => Some(**i),
        _ => None,
    }
}

/// The conditions of a rule's top-level `&&` that SQL can test on the registrant's own columns. Sound
/// because `a && b` is false whenever `a` is: a registrant the SQL part leaves out could not match.
fn prefilter(e: &IdedExpr, target: RegistrantKind) -> Prefilter {
    use rusqlite::types::Value as V;
    let mut conjuncts = Vec::new();
    flatten_and(e, &mut conjuncts);
    let mut p = Prefilter::default();
    let today = crate::clock::today();
    for c in conjuncts {
        let Expr::Call(call) = &c.expr else { continue };
        if call.target.is_some() || call.args.len() != 2 {
            continue;
        }
        let (a, b) = (&call.args[0], &call.args[1]);
        match call.func_name.as_str() {
            "_==_" => {
                let (col, lit) = match (me_column(a), me_column(b)) {
                    (Some(col), None) => (col, string_literal(b)),
                    (None, Some(col)) => (col, string_literal(a)),
                    _ => continue,
                };
                if let Some(lit) = lit {
                    p.sql.push(format!("r.{col} = ?"));
                    p.params.push(V::Text(lit));
                }
            }
            "@in" => {
                let (Some(col), Expr::List(list)) = (me_column(a), &b.expr) else { continue };
                let values: Option<Vec<String>> = list.elements.iter().map(string_literal).collect();
                if let Some(values) = values.filter(|v| !v.is_empty()) {
                    p.sql.push(format!("r.{col} IN ({})", vec!["?"; values.len()].join(", ")));
                    p.params.extend(values.into_iter().map(V::Text));
                }
            }
            op @ ("_>=_" | "_>_" | "_<=_" | "_<_") if target == RegistrantKind::Individual => {
                // Normalise to `age OP n`.
                let (op, n) = if is_age_of_me(a) {
                    match int_literal(b) {
                        Some(n) => (op, n),
                        None => continue,
                    }
                } else if is_age_of_me(b) {
                    let flipped = match op {
                        "_>=_" => "_<=_",
                        "_>_" => "_<_",
                        "_<=_" => "_>=_",
                        _ => "_>_",
                    };
                    match int_literal(a) {
                        Some(n) => (flipped, n),
                        None => continue,
                    }
                } else {
                    continue;
                };
                // age >= n  <=>  birth_date <= years_before(today, n); the others follow.
                let (at_least, bound) = match op {
                    "_>=_" => (true, n),
                    "_>_" => (true, n + 1),
                    "_<=_" => (false, n + 1),
                    _ => (false, n),
                };
                if !(0..=200).contains(&bound) {
                    continue;
                }
                let date = crate::clock::years_before(today, bound as u32).to_string();
                p.sql.push(if at_least { "r.birth_date <= ?".into() } else { "r.birth_date > ?".into() });
                p.params.push(V::Text(date));
            }
            _ => {}
        }
    }
    p
}

/// One registrant's values, as read for a rule.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub reference: String,
    pub kind: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub group_name: Option<String>,
    pub sex: Option<String>,
    pub birth_date: Option<String>,
    pub birth_date_approx: bool,
    pub area: Option<String>,
    pub tags: Vec<String>,
    pub status: String,
    pub registered_on: String,
    pub has_phone: bool,
    pub id_types: Vec<String>,
    pub size: Option<i64>,
    pub custom: Option<serde_json::Value>,
    pub relationship: Option<String>,
    pub is_head: bool,
    /// An individual's current household, when the candidate query read it (`None`: not read).
    pub household: Option<Option<i64>>,
}

/// Builds CEL maps holding only the fields a rule reads, with the keys made once.
pub struct FactsEncoder {
    keys: HashMap<&'static str, Arc<String>>,
    today: time::Date,
}

fn opt_str(v: &Option<String>) -> Value {
    match v {
        Some(s) => Value::String(Arc::new(s.clone())),
        None => Value::Null,
    }
}

fn json_to_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::String(Arc::new(s.clone())),
        serde_json::Value::Array(a) => Value::List(Arc::new(a.iter().map(json_to_value).collect())),
        serde_json::Value::Object(o) => {
            let m: HashMap<Key, Value> =
                o.iter().map(|(k, v)| (Key::String(Arc::new(k.clone())), json_to_value(v))).collect();
            Value::Map(Map { map: Arc::new(m) })
        }
    }
}

impl FactsEncoder {
    pub fn new(today: time::Date) -> Self {
        let keys = fields(true).map(|f| (f.name, Arc::new(f.name.to_string()))).collect();
        FactsEncoder { keys, today }
    }

    pub fn encode(&self, f: &Facts, fields: &BTreeSet<&'static str>) -> Value {
        let mut m = HashMap::with_capacity(fields.len());
        for &name in fields {
            let v = match name {
                "reference" => Value::String(Arc::new(f.reference.clone())),
                "kind" => Value::String(Arc::new(f.kind.clone())),
                "given_name" => opt_str(&f.given_name),
                "family_name" => opt_str(&f.family_name),
                "group_name" => opt_str(&f.group_name),
                "sex" => opt_str(&f.sex),
                "birth_date" => opt_str(&f.birth_date),
                "birth_date_approx" => Value::Bool(f.birth_date_approx),
                "age" => f
                    .birth_date
                    .as_deref()
                    .and_then(parse_date)
                    .map(|d| Value::Int(age_on(d, self.today)))
                    .unwrap_or(Value::Null),
                "area" => opt_str(&f.area),
                "tags" => Value::List(Arc::new(f.tags.iter().map(|t| Value::String(Arc::new(t.clone()))).collect())),
                "status" => Value::String(Arc::new(f.status.clone())),
                "registered_on" => Value::String(Arc::new(f.registered_on.clone())),
                "has_phone" => Value::Bool(f.has_phone),
                "id_types" => {
                    Value::List(Arc::new(f.id_types.iter().map(|t| Value::String(Arc::new(t.clone()))).collect()))
                }
                "size" => f.size.map(Value::Int).unwrap_or(Value::Null),
                "custom" => f
                    .custom
                    .as_ref()
                    .map(json_to_value)
                    .unwrap_or_else(|| Value::Map(Map { map: Arc::new(HashMap::new()) })),
                "relationship" => opt_str(&f.relationship),
                "is_head" => Value::Bool(f.is_head),
                _ => continue,
            };
            m.insert(Key::String(self.keys[name].clone()), v);
        }
        Value::Map(Map { map: Arc::new(m) })
    }
}

/// Everything a rule may read about one registrant.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub me: Facts,
    pub household: Option<Facts>,
    pub members: Vec<Facts>,
    pub programs: Vec<String>,
}

/// Why a registrant could not be evaluated, without any of its values (they may be personal).
fn error_kind(e: &ExecutionError) -> String {
    match e {
        ExecutionError::FunctionError { function, message } => format!("{function}(): {message}"),
        ExecutionError::NoSuchKey(k) => format!("missing field '{k}'"),
        ExecutionError::NoSuchOverload(o) => format!("no operator '{}' for these values", o.function()),
        ExecutionError::ValuesNotComparable(_, _) => "values that cannot be compared (a missing value?)".into(),
        ExecutionError::UnsupportedBinaryOperator(op, _, _) => format!("operator '{op}' on a missing value"),
        ExecutionError::DivisionByZero(_) => "division by zero".into(),
        _ => "the rule could not be evaluated".into(),
    }
}

/// Evaluates compiled rules against subjects. One per thread: CEL contexts are not shared.
pub struct Evaluator<'r> {
    root: Context<'static, 'static>,
    encoder: FactsEncoder,
    rule: &'r CompiledRule,
}

/// The outcome for one registrant.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Match,
    NoMatch,
    /// The rule failed for this registrant (for example a missing birth date); counted as not matching.
    Error(String),
}

impl<'r> Evaluator<'r> {
    pub fn new(rule: &'r CompiledRule) -> Self {
        let today = crate::clock::today();
        let mut root = Context::with_env(env());
        root.add_function("age", cel_age(today)).expect("age is not a standard function");
        root.add_function("min", cel::functions::min).expect("min is registered once");
        root.add_function("max", cel::functions::max).expect("max is registered once");
        Evaluator { root, encoder: FactsEncoder::new(today), rule }
    }

    fn value(&self, s: &Subject) -> Result<Value, ExecutionError> {
        let needs = &self.rule.needs;
        let mut ctx = self.root.new_inner_scope();
        ctx.add_variable_from_value("me", self.encoder.encode(&s.me, &needs.me));
        if needs.uses_household {
            let h = s.household.as_ref().map(|h| self.encoder.encode(h, &needs.household)).unwrap_or(Value::Null);
            ctx.add_variable_from_value("household", h);
        }
        if needs.uses_members {
            let list = s.members.iter().map(|m| self.encoder.encode(m, &needs.members)).collect();
            ctx.add_variable_from_value("members", Value::List(Arc::new(list)));
        }
        if needs.uses_programs {
            let list = s.programs.iter().map(|p| Value::String(Arc::new(p.clone()))).collect();
            ctx.add_variable_from_value("programs", Value::List(Arc::new(list)));
        }
        self.rule.program.execute(&ctx)
    }

    pub fn verdict(&self, s: &Subject) -> Verdict {
        match self.value(s) {
            Ok(Value::Bool(true)) => Verdict::Match,
            Ok(Value::Bool(false)) => Verdict::NoMatch,
            Ok(_) => Verdict::Error("the rule did not give true or false".into()),
            Err(e) => Verdict::Error(error_kind(&e)),
        }
    }

    /// A whole, non-negative number: an entitlement's amount in minor units or its quantity. A fraction or
    /// a negative number is an error, never rounded or clamped.
    pub fn amount(&self, s: &Subject) -> Result<i64, String> {
        match self.value(s) {
            Ok(Value::Int(i)) if i > crate::money::MAX_MINOR => Err("the amount is too large".into()),
            Ok(Value::Int(i)) if i >= 0 => Ok(i),
            Ok(Value::UInt(u)) => i64::try_from(u)
                .ok()
                .filter(|v| *v <= crate::money::MAX_MINOR)
                .ok_or_else(|| "the amount is too large".into()),
            Ok(Value::Float(f)) if f.fract() == 0.0 && (0.0..=crate::money::MAX_MINOR as f64).contains(&f) => {
                Ok(f as i64)
            }
            Ok(Value::Float(f)) if f > crate::money::MAX_MINOR as f64 => Err("the amount is too large".into()),
            Ok(Value::Int(_)) => Err("the amount is negative".into()),
            Ok(Value::Float(f)) if f < 0.0 => Err("the amount is negative".into()),
            Ok(Value::Float(_)) => Err("the amount is not a whole number of minor units".into()),
            Ok(_) => Err("the amount is not a number".into()),
            Err(e) => Err(error_kind(&e)),
        }
    }

    pub fn score(&self, s: &Subject) -> Result<f64, String> {
        match self.value(s) {
            Ok(Value::Int(i)) => Ok(i as f64),
            Ok(Value::UInt(u)) => Ok(u as f64),
            Ok(Value::Float(f)) => Ok(f),
            Ok(_) => Err("the score is not a number".into()),
            Err(e) => Err(error_kind(&e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn check(src: &str) -> Result<CompiledRule, RuleError> {
        compile(src, RuleKind::Condition, RegistrantKind::Individual, &["income".to_string()])
    }

    fn person(birth: &str, sex: &str) -> Subject {
        Subject {
            me: Facts {
                reference: "T-1".into(),
                kind: "individual".into(),
                sex: Some(sex.into()),
                birth_date: Some(birth.into()),
                status: "active".into(),
                area: Some("D01".into()),
                ..Facts::default()
            },
            ..Subject::default()
        }
    }

    #[test]
    fn age_agrees_with_the_sql_bound_on_every_day_of_four_years() {
        let today = date!(2024 - 02 - 29);
        for n in [0u32, 1, 5, 60] {
            let bound = crate::clock::years_before(today, n);
            let mut d = date!(1950 - 01 - 01);
            while d < date!(2024 - 12 - 31) {
                if d.year() >= today.year() - n as i32 - 2 && d.year() <= today.year() - n as i32 + 2 {
                    assert_eq!(age_on(d, today) >= n as i64, d <= bound, "birth {d}, n {n}");
                }
                d = d.next_day().unwrap();
            }
        }
    }

    #[test]
    fn syntax_errors_name_the_position() {
        let e = check("age(me.birth_date) >= 60 &&").unwrap_err();
        assert!(e.message.starts_with("syntax error"), "{e}");
        assert!(e.start.is_some());
    }

    #[test]
    fn unknown_fields_list_the_ones_that_exist() {
        let e = check("me.sex == 'female' && me.birthdate < '2000-01-01'").unwrap_err();
        assert_eq!(e.message, "unknown field 'birthdate' of me");
        assert_eq!(e.start, Some(22));
        assert!(e.known.contains(&"birth_date".to_string()));
        let e = check("members.exists(m, m.relation == 'child')").unwrap_err();
        assert!(e.known.contains(&"relationship".to_string()), "{e}");
        let e = check("me.custom.incom > 3").unwrap_err();
        assert_eq!(e.known, vec!["income".to_string()]);
        let e = check("you.age > 3").unwrap_err();
        assert!(e.message.contains("unknown name 'you'"));
        let e = check("agee(me.birth_date) > 3").unwrap_err();
        assert!(e.message.contains("unknown function 'agee'"), "{e}");
    }

    #[test]
    fn type_errors_name_the_position() {
        let e = check("me.sex == 'female' && me.age >= '60'").unwrap_err();
        assert!(e.message.starts_with("type error"), "{e}");
        assert_eq!(e.start, Some(22));
        assert!(check("me.age + 1").unwrap_err().message.contains("must be true or false"));
        assert!(compile("me.sex", RuleKind::Score, RegistrantKind::Individual, &[]).is_err());
    }

    #[test]
    fn rules_evaluate_against_the_documented_context() {
        let rule = check("age(me.birth_date) >= 60 && me.sex == 'female'").unwrap();
        let ev = Evaluator::new(&rule);
        assert_eq!(ev.verdict(&person("1950-01-01", "female")), Verdict::Match);
        assert_eq!(ev.verdict(&person("1990-01-01", "female")), Verdict::NoMatch);
        let mut no_birth = person("1950-01-01", "female");
        no_birth.me.birth_date = None;
        assert!(matches!(ev.verdict(&no_birth), Verdict::Error(m) if m.contains("no birth date")));

        let rule = check("members.exists(m, m.age < 5) && !('DIS' in programs) && household.size >= 3").unwrap();
        let ev = Evaluator::new(&rule);
        let mut s = person("1980-01-01", "male");
        s.household = Some(Facts { size: Some(3), ..Facts::default() });
        s.members = vec![person("2024-06-01", "female").me, person("1980-01-01", "male").me];
        assert_eq!(ev.verdict(&s), Verdict::Match);
        s.programs = vec!["DIS".into()];
        assert_eq!(ev.verdict(&s), Verdict::NoMatch);
    }

    #[test]
    fn the_sql_part_takes_only_top_level_conditions() {
        let rule = check("age(me.birth_date) >= 65 && me.area in ['D01', 'D02'] && me.sex == 'female'").unwrap();
        assert_eq!(rule.prefilter.sql, vec!["r.birth_date <= ?", "r.area IN (?, ?)", "r.sex = ?"]);
        let rule = check("me.age < 18 || me.sex == 'female'").unwrap();
        assert!(rule.prefilter.sql.is_empty());
        let rule = check("18 > me.age").unwrap();
        assert_eq!(rule.prefilter.sql, vec!["r.birth_date > ?"]);
    }

    #[test]
    fn a_score_is_a_number() {
        let rule =
            compile("double(me.size) * 2.5 + (me.has_phone ? 0.0 : 10.0)", RuleKind::Score, RegistrantKind::Group, &[])
                .unwrap();
        let mut s = person("1980-01-01", "male");
        s.me.size = Some(4);
        assert_eq!(Evaluator::new(&rule).score(&s), Ok(20.0));
    }
}

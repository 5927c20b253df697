//! The part of a rule that becomes SQL, so a million registrants are not all evaluated one by one. The
//! rules themselves (checker, context, evaluator) are br-model's, re-exported here under their old path.

use cel::common::ast::{Expr, IdedExpr, LiteralValue};

pub use br_model::rules::*;

use crate::registry::model::RegistrantKind;

/// A rule's SQL part: conditions on the registrant's own columns that every match must meet.
#[derive(Debug, Default, Clone)]
pub struct Prefilter {
    pub sql: Vec<String>,
    pub params: Vec<rusqlite::types::Value>,
}

impl Prefilter {
    /// The SQL part of an eligibility rule (a score or an amount has none).
    pub fn of(rule: &CompiledRule) -> Prefilter {
        if rule.kind == RuleKind::Condition {
            prefilter(rule.expression(), rule.target)
        } else {
            Prefilter::default()
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(source: &str) -> Vec<String> {
        let rule = compile(source, RuleKind::Condition, RegistrantKind::Individual, &[]).unwrap();
        Prefilter::of(&rule).sql
    }

    #[test]
    fn the_sql_part_takes_only_top_level_conditions() {
        assert_eq!(
            sql("age(me.birth_date) >= 65 && me.area in ['D01', 'D02'] && me.sex == 'female'"),
            vec!["r.birth_date <= ?", "r.area IN (?, ?)", "r.sex = ?"]
        );
        assert!(sql("me.age < 18 || me.sex == 'female'").is_empty());
        assert_eq!(sql("18 > me.age"), vec!["r.birth_date > ?"]);
        let score = compile("double(me.size)", RuleKind::Score, RegistrantKind::Group, &[]).unwrap();
        assert!(Prefilter::of(&score).sql.is_empty(), "a score has no SQL part");
    }
}

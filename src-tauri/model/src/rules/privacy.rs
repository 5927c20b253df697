//! Which personal fields a rule reads exactly. A rule is a question about people: one that compares a
//! name or a birth date with a value, run by someone who may not see them unmasked, answers it anyway
//! (`me.reference == 'X' && me.birth_date == '1990-01-01'` matches or not). Such rules need the reveal
//! permission. `age(me.birth_date)` reads whole years only, as the list's age filter does, and is not
//! counted.

use std::collections::BTreeSet;

use cel::common::ast::{EntryExpr, Expr, IdedExpr};

use super::CompiledRule;

/// The registrant fields that are personal data (masked unless revealed).
const PERSONAL_FIELDS: &[&str] = &["given_name", "family_name", "group_name", "birth_date"];

impl CompiledRule {
    /// The personal fields the rule reads other than through `age()`, and the personal custom fields it
    /// reads (`personal_custom` names them). Empty when the rule may run for anyone who reads the registry.
    pub fn personal_fields(&self, personal_custom: &[String]) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        walk(self.expression(), personal_custom, &mut out);
        out
    }
}

fn walk(e: &IdedExpr, personal_custom: &[String], out: &mut BTreeSet<String>) {
    match &e.expr {
        Expr::Call(c) => {
            // `age(x.birth_date)`: years only.
            let years_only = c.func_name == "age"
                && c.target.is_none()
                && c.args.len() == 1
                && matches!(&c.args[0].expr, Expr::Select(s) if s.field == "birth_date");
            if let Some(t) = &c.target {
                walk(t, personal_custom, out);
            }
            if !years_only {
                for a in &c.args {
                    walk(a, personal_custom, out);
                }
            }
        }
        Expr::Select(sel) => {
            let custom = matches!(&sel.operand.expr, Expr::Select(inner) if inner.field == "custom");
            if custom && personal_custom.iter().any(|f| f == &sel.field) {
                out.insert(format!("custom.{}", sel.field));
            } else if !custom && PERSONAL_FIELDS.contains(&sel.field.as_str()) {
                out.insert(sel.field.clone());
            }
            walk(&sel.operand, personal_custom, out);
        }
        Expr::List(l) => l.elements.iter().for_each(|x| walk(x, personal_custom, out)),
        Expr::Map(m) => {
            for entry in &m.entries {
                if let EntryExpr::MapEntry(me) = &entry.expr {
                    walk(&me.key, personal_custom, out);
                    walk(&me.value, personal_custom, out);
                }
            }
        }
        Expr::Struct(s) => {
            for entry in &s.entries {
                if let EntryExpr::StructField(f) = &entry.expr {
                    walk(&f.value, personal_custom, out);
                }
            }
        }
        Expr::Comprehension(c) => {
            for x in [&c.iter_range, &c.accu_init, &c.loop_cond, &c.loop_step, &c.result] {
                walk(x, personal_custom, out);
            }
        }
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::registry::RegistrantKind;
    use crate::rules::{compile, RuleKind};

    fn personal(rule: &str) -> Vec<String> {
        let custom = vec!["disability".to_string(), "income".to_string()];
        let compiled = compile(rule, RuleKind::Condition, RegistrantKind::Individual, &custom).unwrap();
        compiled.personal_fields(&["disability".to_string()]).into_iter().collect()
    }

    #[test]
    fn an_exact_birth_date_or_name_is_personal_and_an_age_is_not() {
        assert_eq!(personal("me.reference == 'X-1' && me.birth_date == '1990-01-01'"), ["birth_date"]);
        assert_eq!(personal("me.given_name.startsWith('Fa')"), ["given_name"]);
        assert_eq!(personal("members.exists(m, m.family_name == 'Ali')"), ["family_name"]);
        assert!(personal("age(me.birth_date) >= 65 && me.sex == 'female'").is_empty());
        assert!(personal("members.exists(m, age(m.birth_date) < 5)").is_empty());
        assert_eq!(personal("me.custom.disability == true"), ["custom.disability"]);
        assert!(personal("me.custom.income < 100").is_empty());
    }
}

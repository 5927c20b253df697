//! Help in plain words for a rule: for a refused one, what the person most likely meant (`=` for `==`,
//! `and` for `&&`, a field without `me.`, text without quotes); for an accepted one, a value compared with
//! a coded field that is none of its codes (`me.sex == "Female"` selects nobody: the code is `female`).

use cel::common::ast::{Expr, IdedExpr, LiteralValue};

use super::check::fields;
use super::{CompiledRule, RuleError};

/// The text of `source` outside quoted strings, as (offset, char).
fn outside_strings(source: &str) -> Vec<(usize, char)> {
    let mut out = Vec::new();
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (i, c) in source.char_indices() {
        match quote {
            Some(q) if c == q && previous != '\\' => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None => out.push((i, c)),
        }
        previous = c;
    }
    out
}

fn words(source: &str) -> Vec<String> {
    let text: String = outside_strings(source).into_iter().map(|(_, c)| c).collect();
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// What a refused rule most likely meant, when it can be told.
pub fn for_error(source: &str, error: &RuleError) -> Option<String> {
    let plain = outside_strings(source);
    let lone_equals = plain.iter().enumerate().any(|(k, &(_, c))| {
        let before = k.checked_sub(1).map(|j| plain[j].1);
        let after = plain.get(k + 1).map(|p| p.1);
        c == '=' && !matches!(before, Some('=' | '!' | '<' | '>')) && after != Some('=')
    });
    if lone_equals {
        return Some("`=` alone does not compare: write `==`, as in me.sex == \"female\".".into());
    }
    let words = words(source);
    if words.iter().any(|w| matches!(w.to_lowercase().as_str(), "and" | "or" | "not")) {
        return Some("join conditions with && for “and”, || for “or”, and write ! for “not”.".into());
    }
    let name = error.message.strip_prefix("unknown name '").and_then(|rest| rest.strip_suffix('\''))?;
    if name == "size" {
        return Some("a household's size is household.size.".into());
    }
    if fields(true).any(|f| f.name == name) {
        return Some(format!("a person's fields are read through me: write me.{name}."));
    }
    Some(format!("text is written in quotes: \"{name}\"."))
}

/// The coded fields a rule may compare, and the list their codes come from.
const CODED: [(&str, &str); 5] =
    [("sex", "sex"), ("area", "area"), ("relationship", "membership_kind"), ("status", "status"), ("kind", "kind")];

/// For an accepted rule: each text compared with a coded field (or looked for in `tags`) that is none of
/// that field's codes. `codes` gives a list's codes (None: any value is allowed, as for an unlisted area).
pub fn for_values(rule: &CompiledRule, codes: &dyn Fn(&str) -> Option<Vec<String>>) -> Vec<String> {
    let mut out = Vec::new();
    walk(rule.expression(), &mut |e| {
        let Expr::Call(call) = &e.expr else { return };
        let (field, texts) = match (call.func_name.as_str(), call.args.as_slice()) {
            ("_==_" | "_!=_", [a, b]) => match (field_of(a), text_of(b), field_of(b), text_of(a)) {
                (Some(f), Some(t), _, _) | (_, _, Some(f), Some(t)) => (f, vec![t]),
                _ => return,
            },
            ("@in", [value, list]) => match (field_of(value), &list.expr, text_of(value), field_of(list)) {
                (Some(f), Expr::List(l), _, _) => (f, l.elements.iter().filter_map(text_of).collect()),
                (_, _, Some(t), Some(f)) if f == "tags" => ("tags".to_string(), vec![t]),
                _ => return,
            },
            _ => return,
        };
        let list = if field == "tags" { Some("tag") } else { CODED.iter().find(|(f, _)| *f == field).map(|(_, l)| *l) };
        let Some(list) = list else { return };
        let Some(known) = codes(list) else { return };
        for text in texts {
            if !known.contains(&text) {
                let shown: Vec<&str> = known.iter().take(12).map(String::as_str).collect();
                out.push(format!(
                    "\"{text}\" is not a {field} code, so it selects nobody; the codes are: {}",
                    shown.join(", ")
                ));
            }
        }
    });
    out
}

/// `me.sex`, `household.area`, `m.relationship`: the field a selection reads.
fn field_of(e: &IdedExpr) -> Option<String> {
    match &e.expr {
        Expr::Select(s) if matches!(s.operand.expr, Expr::Ident(_)) => Some(s.field.clone()),
        _ => None,
    }
}

fn text_of(e: &IdedExpr) -> Option<String> {
    match &e.expr {
        Expr::Literal(LiteralValue::String(s)) => Some(s.inner().to_string()),
        _ => None,
    }
}

fn walk(e: &IdedExpr, visit: &mut dyn FnMut(&IdedExpr)) {
    visit(e);
    match &e.expr {
        Expr::Call(c) => {
            if let Some(t) = &c.target {
                walk(t, visit);
            }
            for a in &c.args {
                walk(a, visit);
            }
        }
        Expr::Select(s) => walk(&s.operand, visit),
        Expr::List(l) => l.elements.iter().for_each(|x| walk(x, visit)),
        Expr::Comprehension(c) => {
            for part in [&c.iter_range, &c.accu_init, &c.loop_cond, &c.loop_step, &c.result] {
                walk(part, visit);
            }
        }
        _ => {}
    }
}

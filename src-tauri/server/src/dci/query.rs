//! A DCI search's `predicate` query as SQL over the registry view: a closed list of attributes, each
//! compared with parameters (never formatted into the text), at most a handful of expressions.

use uuid::Uuid;

use super::envelope::Rejection;

const MAX_EXPRESSIONS: usize = 10;
const MAX_IN_VALUES: usize = 100;

/// A WHERE clause over `registry_registrants r` and the parameters it binds, all text.
#[derive(Debug, Default)]
pub struct Filter {
    pub sql: String,
    pub params: Vec<Param>,
}

#[derive(Debug, Clone)]
pub enum Param {
    Text(String),
    List(Vec<String>),
}

/// The attributes a predicate may name; `personal` ones need the `ibr.names` scope.
fn column(attribute: &str) -> Option<(&'static str, bool)> {
    Some(match attribute {
        "programme_identifier" => ("EXISTS (SELECT 1 FROM registry_memberships m JOIN registry_programs p ON p.id = m.program WHERE m.registrant = r.id AND p.code {op})", false),
        "enrolment_status" => ("EXISTS (SELECT 1 FROM registry_memberships m WHERE m.registrant = r.id AND m.state {op})", false),
        "area" => ("(r.fields ->> 'area') {op}", false),
        "registration_date" => ("r.registered_on {op}", false),
        "registrant_type" => ("r.kind {op}", false),
        "sex" => ("(r.fields ->> 'sex') {op}", true),
        "birth_date" => ("(r.fields ->> 'birth_date') {op}", true),
        _ => return None,
    })
}

fn invalid(message: impl Into<String>) -> Rejection {
    Rejection::new("rjct.search_criteria.invalid", message)
}

fn value_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if s.len() <= 200 => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn expression(e: &serde_json::Value, names: bool, params: &mut Vec<Param>) -> Result<String, Rejection> {
    let attribute = e
        .get("attribute_name")
        .and_then(|v| v.as_str())
        .ok_or_else(|| invalid("an expression names no attribute_name"))?;
    let (template, personal) =
        column(attribute).ok_or_else(|| invalid(format!("`{attribute}` cannot be searched here")))?;
    if personal && !names {
        return Err(Rejection::new(
            "rjct.search_criteria.invalid",
            format!("searching by `{attribute}` needs the ibr.names scope"),
        ));
    }
    let operator = e.get("operator").and_then(|v| v.as_str()).unwrap_or("eq");
    let value = e.get("attribute_value").ok_or_else(|| invalid("an expression has no attribute_value"))?;
    let n = params.len() + 1;
    let op = match operator {
        "in" => {
            let list: Option<Vec<String>> = value.as_array().and_then(|a| a.iter().map(value_text).collect());
            let list = list
                .filter(|l| !l.is_empty() && l.len() <= MAX_IN_VALUES)
                .ok_or_else(|| invalid(format!("`in` takes a list of 1 to {MAX_IN_VALUES} values")))?;
            params.push(Param::List(list));
            format!("= ANY(${n}::text[])")
        }
        "eq" | "gt" | "lt" | "ge" | "le" => {
            let text = value_text(value).ok_or_else(|| invalid("attribute_value is a string, number or boolean"))?;
            params.push(Param::Text(text));
            let sign = match operator {
                "eq" => "=",
                "gt" => ">",
                "lt" => "<",
                "ge" => ">=",
                _ => "<=",
            };
            format!("{sign} ${n}::text")
        }
        other => return Err(invalid(format!("unknown operator `{other}`"))),
    };
    Ok(format!("({})", template.replace("{op}", &op)))
}

/// Reads a `predicate` query: a list of `{expression1, condition, expression2}`, all of which must hold.
pub fn predicate(query: &serde_json::Value, names: bool) -> Result<Filter, Rejection> {
    let items = query.as_array().ok_or_else(|| invalid("a predicate query is a list of expressions"))?;
    if items.is_empty() || items.len() > MAX_EXPRESSIONS {
        return Err(invalid(format!("a predicate holds 1 to {MAX_EXPRESSIONS} expressions")));
    }
    let mut filter = Filter::default();
    let mut parts = Vec::new();
    for item in items {
        let first = item.get("expression1").ok_or_else(|| invalid("a predicate item has no expression1"))?;
        let left = expression(first, names, &mut filter.params)?;
        let part = match (item.get("condition").and_then(|c| c.as_str()), item.get("expression2")) {
            (None, None) => left,
            (Some(condition), Some(second)) => {
                let right = expression(second, names, &mut filter.params)?;
                match condition {
                    "and" => format!("({left} AND {right})"),
                    "or" => format!("({left} OR {right})"),
                    "not" => format!("({left} AND NOT {right})"),
                    other => return Err(invalid(format!("unknown condition `{other}`"))),
                }
            }
            _ => return Err(invalid("a condition needs expression2, and expression2 a condition")),
        };
        parts.push(part);
    }
    filter.sql = parts.join(" AND ");
    Ok(filter)
}

/// Binds a filter's parameters for tokio-postgres.
pub fn bind(params: &[Param]) -> Vec<Box<dyn tokio_postgres::types::ToSql + Sync + Send>> {
    params
        .iter()
        .map(|p| -> Box<dyn tokio_postgres::types::ToSql + Sync + Send> {
            match p {
                Param::Text(t) => Box::new(t.clone()),
                Param::List(l) => Box::new(l.clone()),
            }
        })
        .collect()
}

/// The page asked for: `page_size` 1 to `max`, `page_number` from 1.
pub fn pagination(value: Option<&serde_json::Value>, max: i64) -> Result<(i64, i64), Rejection> {
    let Some(p) = value else { return Ok((100.min(max), 1)) };
    let number = |k: &str| -> Option<i64> {
        match p.get(k)? {
            serde_json::Value::Number(n) => n.as_i64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    };
    let size = number("page_size").unwrap_or(100);
    let page = number("page_number").unwrap_or(1);
    if !(1..=max).contains(&size) || !(1..=1_000_000).contains(&page) {
        return Err(Rejection::new(
            "rjct.pagination.invalid",
            format!("page_size is 1 to {max} and page_number counts from 1"),
        ));
    }
    Ok((size, page))
}

/// Registrants matching a filter, a page of them by id, and how many match in all.
pub async fn search(
    client: &impl deadpool_postgres::GenericClient,
    filter: &Filter,
    size: i64,
    page: i64,
) -> crate::error::Result<(Vec<Uuid>, i64)> {
    let params = bind(&filter.params);
    let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
        params.iter().map(|p| p.as_ref() as &(dyn tokio_postgres::types::ToSql + Sync)).collect();
    let base = format!("FROM registry_registrants r WHERE r.merged_into IS NULL AND {}", filter.sql);
    let total: i64 = client.query_one(&format!("SELECT count(*) {base}"), &refs).await?.get(0);
    let rows = client
        .query(&format!("SELECT r.id {base} ORDER BY r.id LIMIT {size} OFFSET {}", (page - 1) * size), &refs)
        .await?;
    Ok((rows.iter().map(|r| r.get(0)).collect(), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_bind_values_and_refuse_what_they_do_not_know() {
        let q = serde_json::json!([
            { "expression1": { "attribute_name": "programme_identifier", "operator": "eq", "attribute_value": "OAP'; DROP" },
              "condition": "and",
              "expression2": { "attribute_name": "area", "operator": "in", "attribute_value": ["D01", "D02"] } }
        ]);
        let f = predicate(&q, false).unwrap();
        assert!(!f.sql.contains("DROP"), "values are bound, never formatted in");
        assert_eq!(f.params.len(), 2);
        let code = |q: serde_json::Value, names| predicate(&q, names).unwrap_err().code;
        let sex = serde_json::json!([{ "expression1": { "attribute_name": "sex", "operator": "eq", "attribute_value": "female" } }]);
        assert_eq!(code(sex.clone(), false), "rjct.search_criteria.invalid");
        assert!(predicate(&sex, true).is_ok());
        let phone = serde_json::json!([{ "expression1": { "attribute_name": "phone", "operator": "eq", "attribute_value": "1" } }]);
        assert_eq!(code(phone, true), "rjct.search_criteria.invalid");
        assert_eq!(code(serde_json::json!([]), true), "rjct.search_criteria.invalid");
    }

    #[test]
    fn pages_are_bounded() {
        assert_eq!(pagination(None, 1000).unwrap(), (100, 1));
        assert_eq!(
            pagination(Some(&serde_json::json!({ "page_size": "10", "page_number": 2 })), 1000).unwrap(),
            (10, 2)
        );
        assert!(pagination(Some(&serde_json::json!({ "page_size": 0 })), 1000).is_err());
        assert!(pagination(Some(&serde_json::json!({ "page_size": 5000 })), 1000).is_err());
        assert!(pagination(Some(&serde_json::json!({ "page_size": 5, "page_number": 0 })), 1000).is_err());
    }
}

//! One registrant's values as a rule reads them, and what both ways of evaluating share.

use std::collections::HashMap;
use std::sync::Arc;

use cel::objects::{Key, Map};
use cel::Value;

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

pub(super) fn json_to_value(v: &serde_json::Value) -> Value {
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

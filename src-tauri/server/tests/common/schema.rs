//! The DCI messages we send, checked against `schemas/dci.schema.json` (written from the published
//! specification).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Value};

fn validator(definition: &str) -> Arc<jsonschema::Validator> {
    static ROOT: OnceLock<Value> = OnceLock::new();
    static BUILT: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let root = ROOT.get_or_init(|| {
        serde_json::from_str(include_str!("../../schemas/dci.schema.json")).expect("the schema is JSON")
    });
    let mut built = BUILT.get_or_init(Mutex::default).lock().unwrap();
    built
        .entry(definition.to_string())
        .or_insert_with(|| {
            let mut schema = root.clone();
            assert!(schema["$defs"].get(definition).is_some(), "no schema definition {definition}");
            schema["$ref"] = json!(format!("#/$defs/{definition}"));
            Arc::new(jsonschema::options().should_validate_formats(true).build(&schema).expect("the schema compiles"))
        })
        .clone()
}

/// What is wrong with `value` as the schema's `definition`; empty when nothing is.
pub fn violations(definition: &str, value: &Value) -> Vec<String> {
    validator(definition).iter_errors(value).map(|e| format!("{definition}: {e}")).collect()
}

/// Panics with every violation.
pub fn check(definition: &str, value: &Value) {
    let found = violations(definition, value);
    assert!(found.is_empty(), "{found:#?}\n{value}");
}

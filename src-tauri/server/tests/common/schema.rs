//! The DCI messages we send, checked against `schemas/dci.schema.json` (written from the published
//! specification).

use std::sync::OnceLock;

use serde_json::{json, Value};

fn root() -> &'static Value {
    static ROOT: OnceLock<Value> = OnceLock::new();
    ROOT.get_or_init(|| {
        serde_json::from_str(include_str!("../../schemas/dci.schema.json")).expect("the schema is JSON")
    })
}

/// What is wrong with `value` as the schema's `definition`; empty when nothing is.
pub fn violations(definition: &str, value: &Value) -> Vec<String> {
    let mut schema = root().clone();
    assert!(schema["$defs"].get(definition).is_some(), "no schema definition {definition}");
    schema["$ref"] = json!(format!("#/$defs/{definition}"));
    let validator = jsonschema::options().should_validate_formats(true).build(&schema).expect("the schema compiles");
    validator.iter_errors(value).map(|e| format!("{definition}: {e}")).collect()
}

/// Panics with every violation.
pub fn check(definition: &str, value: &Value) {
    let found = violations(definition, value);
    assert!(found.is_empty(), "{found:#?}\n{value}");
}

//! The committed TypeScript bindings must match the Rust types: this fails when they are stale.

use std::path::PathBuf;

#[test]
fn committed_typescript_bindings_are_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/api/bindings.ts");
    let fresh = br_api::typescript::bindings();
    if std::env::var_os("BR_UPDATE_BINDINGS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "ui/src/api/bindings.ts is stale; regenerate it with BR_UPDATE_BINDINGS=1 cargo test -p br-api --test bindings"
    );
}

#[test]
fn bindings_declare_every_operation_and_error_code() {
    let b = br_api::typescript::bindings();
    for op in ["\"registrants.search\"", "\"import.run\"", "\"audit.verify\"", "\"backup.create\""] {
        assert!(b.contains(op), "missing operation {op}");
    }
    assert!(b.contains("export type ApiError"));
    assert!(b.contains("\"permission_denied\""));
    assert!(b.contains("export type SearchRequest"));
    assert!(!b.contains("bigint"), "64-bit integers travel as JSON numbers");
}

#[test]
fn every_error_code_is_documented() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/error-codes.md");
    let doc = std::fs::read_to_string(path).unwrap();
    for code in br_api::ErrorCode::ALL {
        assert!(doc.contains(&format!("| `{}` |", code.as_str())), "docs/error-codes.md lacks {}", code.as_str());
    }
}

/// Every type an operation names is declared: a response such as `Vec<SyncConflict>` names its element's
/// type, which must be generated too.
#[test]
fn every_type_the_operations_name_is_declared() {
    let b = br_api::typescript::bindings();
    let table = b.split("export type Operations = {").nth(1).unwrap().split("};").next().unwrap();
    let builtin = ["Array", "Record", "string", "number", "boolean", "null", "never", "unknown"];
    let mut missing = Vec::new();
    for line in table.lines() {
        let Some(types) = line.split(": [").nth(1) else { continue };
        for word in types.split(|c: char| !c.is_alphanumeric() && c != '_').filter(|w| !w.is_empty()) {
            let declared = b.contains(&format!("export type {word} ")) || b.contains(&format!("export type {word}<"));
            if !builtin.contains(&word) && !declared {
                missing.push(word.to_string());
            }
        }
    }
    assert!(missing.is_empty(), "operations name types that are not declared: {missing:?}");
}

//! Every operation's request, fuzzed (proptest): a working request with one field replaced by generated
//! JSON (wrong types, nulls, huge numbers, long or odd strings, deep nesting), a field removed, or the
//! whole request replaced. Nothing may panic and every answer is a result or a coded error other than
//! `internal`. Fields that name files on this computer are kept inside the test's folder.
//!
//! `BR_FUZZ_CASES` cases (default 300 across all operations, as CI runs it); the longer run:
//! `BR_FUZZ_CASES=20000 cargo test --release -p br-api --test fuzz_payloads -- --nocapture`.

mod common;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use serde_json::Value;

const FILE_FIELDS: &[&str] = &["path", "destination", "rejects_path"];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,24}".prop_map(Value::from),
        Just(Value::from("x".repeat(100_000))),
        Just(Value::from("0190f0f0-0000-7000-8000-000000000000")),
        Just(Value::from(-1)),
        Just(Value::from(u32::MAX)),
    ];
    leaf.prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, Value),
    Remove(usize),
    Whole(Value),
    Deep(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        6 => (any::<usize>(), json_value()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        2 => any::<usize>().prop_map(Mutation::Remove),
        1 => json_value().prop_map(Mutation::Whole),
        1 => (1usize..5000).prop_map(Mutation::Deep),
    ]
}

fn apply(payload: &Value, m: &Mutation, safe_file: &str) -> Value {
    let mut p = payload.clone();
    let keys: Vec<String> = p.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    let pick = |i: usize| keys.get(i % keys.len().max(1)).cloned();
    match m {
        Mutation::Replace(i, v) => {
            if let Some(key) = pick(*i) {
                p[&key] = if FILE_FIELDS.contains(&key.as_str()) { Value::from(safe_file) } else { v.clone() };
            }
        }
        Mutation::Remove(i) => {
            if let Some(key) = pick(*i) {
                p.as_object_mut().unwrap().remove(&key);
            }
        }
        Mutation::Whole(v) => {
            let names_a_file = v.as_object().is_some_and(|o| FILE_FIELDS.iter().any(|f| o.contains_key(*f)));
            if !names_a_file {
                p = v.clone();
            }
        }
        Mutation::Deep(depth) => {
            if let Some(key) = pick(0).filter(|k| !FILE_FIELDS.contains(&k.as_str())) {
                let mut v = Value::Null;
                for _ in 0..*depth {
                    v = Value::Array(vec![v]);
                }
                p[&key] = v;
            }
        }
    }
    p
}

#[test]
fn every_request_fuzzed_answers_a_coded_error_and_never_panics() {
    let o = common::office();
    let cases: u32 = std::env::var("BR_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
    let n = o.payloads.len();
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let admin = std::sync::Mutex::new(o.admin.clone());
    runner
        .run(&(0..n, mutation()), |(which, m)| {
            let (op, payload) = &o.payloads[which];
            let k = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let safe = o.tmp.path().join(format!("fuzz-{k}")).display().to_string();
            let request = apply(payload, &m, &safe);
            let token = admin.lock().unwrap().clone();
            match common::call(&o.app, &token, op, request) {
                Err(e) if e.code == br_api::ErrorCode::Internal => {
                    Err(TestCaseError::fail(format!("{op}: internal error: {}", e.message)))
                }
                Err(e) if e.code == br_api::ErrorCode::SessionInvalid => {
                    // A fuzzed change to the admin's own account ends the session: log in again.
                    let login = common::request(
                        &o.app,
                        serde_json::json!({"action": "login", "username": "admin", "password": "admin-password-1"}),
                    )
                    .map_err(|e| TestCaseError::fail(format!("{op} locked the admin out: {e:?}")))?;
                    *admin.lock().unwrap() = login["token"].as_str().unwrap().to_string();
                    Ok(())
                }
                _ => Ok(()),
            }
        })
        .unwrap();
    println!("fuzz API payloads: {cases} cases over {n} operations, no panic, no internal error");
}

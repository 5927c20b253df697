//! Fuzzing on stable Rust (proptest): every file and expression the registry takes from outside, fed
//! generated input against a real encrypted registry. Nothing may panic, and every failure is a coded
//! error other than `internal` (an `internal` is a panic or a bug caught on its way out).
//!
//! Cases per target: `BR_FUZZ_CASES` (64 by default, as CI runs it), from a fixed seed; `BR_FUZZ_SEED`
//! picks another. The longer run:
//!
//! ```sh
//! BR_FUZZ_CASES=5000 cargo test --release -p br-core --test fuzz -- --nocapture
//! ```

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use br_core::disbursement::cycle::{self, CreateCycle, MembersFrom};
use br_core::disbursement::entitlement;
use br_core::disbursement::model::{DisbursementSettings, EntitlementKind, EntitlementRule};
use br_core::disbursement::{payment, settings};
use br_core::io::import::{import_file, ImportOptions};
use br_core::io::mapping::ColumnMapping;
use br_core::io::preview::{preview_file, PreviewOptions};
use br_core::program::rules::RuleKind;
use br_core::program::service::{self as programs, PreviewRequest, ProgramKey};
use br_core::registry::model::RegistrantKind;
use br_core::store::keys::KeyFile;
use br_core::{ErrorCode, Registry};
use common::Fixture;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

const PEOPLE: &str = "external_id,given_name,family_name,sex,birth_date,phone,household_ref,relationship,id:national_id
P1,Amina,Diallo,female,1950-01-02,+221770000001,H1,head,NID1
P2,Moussa,Diallo,male,1948-05-06,,H1,spouse,
P3,Ousmane,Ba,male,1990-01-01,+221770000009,,,NID3
";

/// The import format's columns, and prefixed ones (IDs, custom fields) and words that are not columns.
fn columns() -> Vec<&'static str> {
    let mut all: Vec<&str> = br_core::io::mapping::FIXED_COLUMNS.iter().map(|(name, _)| *name).collect();
    all.extend(["id:national_id", "id:passport", "custom:income", "status", "disabled_reason"]);
    all
}

fn cases() -> u32 {
    std::env::var("BR_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
}

fn runner() -> TestRunner {
    let seed: u64 = std::env::var("BR_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(2026);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config { cases: cases(), failure_persistence: None, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

/// Any answer but a panic or an `internal` error.
fn coded<T>(what: &str, r: br_core::Result<T>) -> Result<Option<T>, TestCaseError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.code() == ErrorCode::Internal => Err(TestCaseError::fail(format!("{what}: internal error: {e}"))),
        Err(_) => Ok(None),
    }
}

fn run<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    runner().run(&strategy, test).unwrap_or_else(|e| panic!("{name}: {e}"));
    println!("fuzz {name}: {} cases, no panic, no internal error", cases());
}

fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[ -~]{0,24}",
        "\\PC{0,12}",
        "-?[0-9]{1,25}(\\.[0-9]{0,5})?",
        "[0-9]{1,5}-[0-9]{1,3}-[0-9]{1,3}",
        "\"[^\"]{0,8}\"?[a-z,\n\r]{0,4}",
        Just("=cmd|' /C calc'!A0".to_string()),
    ]
}

fn csv_text(columns: impl Strategy<Value = String> + Clone + 'static) -> impl Strategy<Value = Vec<u8>> {
    (prop::collection::vec(columns, 1..10), 0usize..12)
        .prop_flat_map(|(header, rows)| {
            let width = header.len();
            (Just(header), prop::collection::vec(prop::collection::vec(cell(), 0..width + 2), rows))
        })
        .prop_map(|(header, rows)| {
            let mut out = header.join(",");
            for row in rows {
                out.push('\n');
                out.push_str(&row.join(","));
            }
            out.into_bytes()
        })
}

fn import_files() -> impl Strategy<Value = Vec<u8>> {
    let column = prop_oneof![4 => prop::sample::select(columns()).prop_map(str::to_string), 1 => "[a-z:_ ]{0,12}"];
    prop_oneof![3 => csv_text(column), 1 => prop::collection::vec(any::<u8>(), 0..600)]
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        "\\PC{0,16}".prop_map(serde_json::Value::from),
        prop::sample::select(columns()).prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map("[a-z_]{0,10}|columns|values|date_format", inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn import_files_and_their_previews() {
    let fx = Fixture::new();
    let work = tempfile::tempdir().unwrap();
    let store = fx.registry.store();
    run("import CSV", import_files(), |bytes| {
        let file = write(work.path(), "in.csv", &bytes);
        coded("preview", preview_file(store, &fx.admin, &file, &PreviewOptions::default()))?;
        let options = ImportOptions {
            rejects_path: Some(work.path().join("rejects.csv").display().to_string()),
            ..Default::default()
        };
        let _ = std::fs::remove_file(work.path().join("rejects.csv"));
        coded("import", import_file(store, &fx.admin, &file, &options, &|_| {}, &AtomicBool::new(false)))?;
        Ok(())
    });
}

#[test]
fn mapping_files() {
    let fx = Fixture::new();
    let work = tempfile::tempdir().unwrap();
    let store = fx.registry.store();
    let file = write(work.path(), "people.csv", PEOPLE.as_bytes());
    run("mapping file", json_value(), |value| {
        let Ok(mapping) = serde_json::from_value::<ColumnMapping>(value) else { return Ok(()) };
        let preview = PreviewOptions { mapping: Some(mapping.clone()), ..Default::default() };
        coded("preview", preview_file(store, &fx.admin, &file, &preview))?;
        let options = ImportOptions {
            mapping: Some(mapping),
            rejects_path: Some(work.path().join("r.csv").display().to_string()),
            ..Default::default()
        };
        let _ = std::fs::remove_file(work.path().join("r.csv"));
        coded("import", import_file(store, &fx.admin, &file, &options, &|_| {}, &AtomicBool::new(false)))?;
        Ok(())
    });
}

fn rule_text() -> impl Strategy<Value = String> {
    const TOKENS: &[&str] = &[
        "me.age",
        "me.sex",
        "me.birth_date",
        "me.area",
        "me.given_name",
        "me.custom.income",
        "household.size",
        "size(members)",
        "members",
        "==",
        "!=",
        ">=",
        "<",
        "&&",
        "||",
        "!",
        "+",
        "-",
        "*",
        "/",
        "%",
        "(",
        ")",
        "[",
        "]",
        ",",
        "in",
        "'female'",
        "\"x\"",
        "60",
        "0",
        "-1",
        "1e308",
        "9223372036854775807",
        "-9223372036854775808",
        "true",
        "null",
        "double(",
        "int(",
        "string(",
        "timestamp('2020-01-01T00:00:00Z')",
        ".",
        "?",
        ":",
        "'",
        "me.tags",
        "exists",
        "all",
        "m",
        "m.age",
        "=>",
        "has(me.phone)",
    ];
    prop_oneof![
        3 => numbers(),
        3 => conditions(),
        2 => prop::collection::vec(prop::sample::select(TOKENS), 0..40).prop_map(|t| t.join(" ")),
        1 => "\\PC{0,80}",
    ]
}

/// Well-formed numeric expressions: sums, products and quotients of ages, sizes and extreme literals,
/// which is where overflow and division by zero live.
fn numbers() -> BoxedStrategy<String> {
    let atom = prop_oneof![
        prop::sample::select(vec![
            "me.age",
            "size(members)",
            "household.size",
            "0",
            "1",
            "-1",
            "2500",
            "9223372036854775807",
            "-9223372036854775808",
            "1.5",
            "1e308",
            "0.0"
        ])
        .prop_map(str::to_string),
        any::<i64>().prop_map(|n| n.to_string()),
    ];
    atom.prop_recursive(5, 24, 2, |inner| {
        (inner.clone(), prop::sample::select(vec!["+", "-", "*", "/", "%"]), inner.clone()).prop_flat_map(
            |(a, op, b)| {
                prop_oneof![Just(format!("({a} {op} {b})")), Just(format!("min({a}, {b})")), Just(format!("int({a})"))]
            },
        )
    })
    .boxed()
}

fn conditions() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        (numbers(), prop::sample::select(vec!["<", "<=", "==", "!=", ">=", ">"]), numbers())
            .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
        prop::sample::select(vec![
            "me.sex == 'female'",
            "me.area == 'D01'",
            "true",
            "false",
            "members.exists(m, m.age < 5)",
            "me.birth_date < '1960-01-01'"
        ])
        .prop_map(str::to_string),
    ];
    atom.prop_recursive(4, 16, 2, |inner| {
        (inner.clone(), prop::sample::select(vec!["&&", "||"]), inner)
            .prop_map(|(a, op, b)| format!("({a} {op} !({b}))"))
    })
}

/// A registry with people in a household, an active program and a cycle to generate entitlements for.
fn program_office() -> (Fixture, uuid::Uuid) {
    let fx = Fixture::new();
    let store = fx.registry.store();
    fx.import(&fx.admin, &fx.file("people.csv", PEOPLE.as_bytes()), &ImportOptions::default()).unwrap();
    common::active_cash_program(&fx, "CASH", "Cash");
    let key = ProgramKey::Code("CASH".into());
    settings::set(store, &fx.admin, &key, amount_settings("1000")).unwrap();
    let c = cycle::create_next(
        store,
        &fx.admin,
        &CreateCycle { program: key, name: None, members_from: MembersFrom::Program },
    )
    .unwrap();
    (fx, c.cycle.id)
}

fn amount_settings(expression: &str) -> DisbursementSettings {
    let rule = EntitlementRule {
        kind: EntitlementKind::Cash,
        expression: expression.into(),
        fee: None,
        product: None,
        unit: None,
        validity_days: 0,
    };
    DisbursementSettings { entitlement: Some(rule), stages: vec![], recurrence: None }
}

#[test]
fn eligibility_rules_scores_and_entitlement_expressions() {
    let (fx, cycle) = program_office();
    let store = fx.registry.store();
    let key = ProgramKey::Code("CASH".into());
    let never = AtomicBool::new(false);
    let targets = prop::sample::select(vec![RegistrantKind::Individual, RegistrantKind::Group]);
    let kinds = prop::sample::select(vec![RuleKind::Condition, RuleKind::Score]);
    let (valid_rules, generated) = (AtomicU32::new(0), AtomicU32::new(0));
    run("rules and expressions", (rule_text(), kinds, targets), |(text, kind, target)| {
        let checked = coded("check", programs::check_rule(store, &fx.admin, &text, kind, target))?;
        let valid = checked.is_some_and(|c| c.ok);
        valid_rules.fetch_add(u32::from(valid), Ordering::Relaxed);
        if valid && kind == RuleKind::Condition {
            let req = PreviewRequest {
                program: None,
                rule: Some(text.clone()),
                target: Some(target),
                pmt_expression: None,
                pmt_threshold: None,
            };
            coded("preview", programs::preview(store, &fx.admin, &req, &never))?;
        }
        if coded("entitlement rule", settings::set(store, &fx.admin, &key, amount_settings(&text)))?.is_some() {
            let g = coded("generate", entitlement::generate(store, &fx.admin, cycle, &|_| {}, &never))?;
            generated.fetch_add(u32::from(g.is_some()), Ordering::Relaxed);
        }
        Ok(())
    });
    println!(
        "  of which valid rules: {}, entitlement expressions that generated: {}",
        valid_rules.into_inner(),
        generated.into_inner()
    );
}

#[test]
fn reconciliation_files() {
    let (fx, _) = program_office();
    let work = tempfile::tempdir().unwrap();
    let store = fx.registry.store();
    let column = prop::sample::select(vec!["payment_id", "status", "external_ref", "reason", "amount", ""])
        .prop_map(str::to_string);
    let files = prop_oneof![
        3 => csv_text(column),
        1 => prop::collection::vec((any::<u128>(), prop::sample::select(vec!["paid", "failed", "success", "rejected", "reversed", "PAID", ""])), 0..10)
            .prop_map(|rows| {
                let mut out = "payment_id,status,external_ref,reason\n".to_string();
                for (id, status) in rows {
                    out.push_str(&format!("{},{status},x,y\n", uuid::Uuid::from_u128(id)));
                }
                out.into_bytes()
            }),
        1 => prop::collection::vec(any::<u8>(), 0..400),
    ];
    run("reconciliation file", files, |bytes| {
        let file = write(work.path(), "report.csv", &bytes);
        coded("reconcile", payment::reconcile(store, &fx.admin, &file, &|_| {}, &AtomicBool::new(false)))?;
        Ok(())
    });
}

#[test]
fn key_files() {
    let fx = Fixture::new();
    let real: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fx.reg_dir().join("registry.key")).unwrap()).unwrap();
    let work = tempfile::tempdir().unwrap();
    let mutated = (
        prop::sample::select(vec![
            "format",
            "kdf",
            "iterations",
            "salt",
            "nonce",
            "wrapped_key",
            "key_check",
            "registry_id",
        ]),
        json_value(),
    )
        .prop_map(move |(field, value)| {
            let mut v = real.clone();
            v[field] = value;
            serde_json::to_vec(&v).unwrap()
        });
    let files = prop_oneof![3 => mutated, 1 => prop::collection::vec(any::<u8>(), 0..300)];
    run("key file", files, |bytes| {
        let file = write(work.path(), "registry.key", &bytes);
        if let Some(kf) = coded("read", KeyFile::read(&file))? {
            coded("unwrap", kf.unwrap_key(&br_core::secret::Secret::new(common::PASSPHRASE)))?;
        }
        Ok(())
    });
}

#[test]
fn backup_manifests() {
    let fx = Fixture::new();
    let work = tempfile::tempdir().unwrap();
    let backup = work.path().join("backup");
    br_core::backup::create(&fx.registry, &fx.admin, &backup).unwrap();
    let real: serde_json::Value =
        serde_json::from_slice(&std::fs::read(backup.join("manifest.json")).unwrap()).unwrap();
    let fields = vec![
        "format",
        "created_at",
        "registry_id",
        "schema_version",
        "database_sha256",
        "key_file_sha256",
        "audit_head",
    ];
    let mutated = (prop::sample::select(fields), json_value()).prop_map(move |(field, value)| {
        let mut v = real.clone();
        v[field] = value;
        serde_json::to_vec(&v).unwrap()
    });
    let manifests = prop_oneof![3 => mutated, 1 => prop::collection::vec(any::<u8>(), 0..300)];
    let n = AtomicU32::new(0);
    run("backup manifest", manifests, |bytes| {
        write(&backup, "manifest.json", &bytes);
        let target = work.path().join(format!("restored-{}", n.fetch_add(1, Ordering::Relaxed)));
        let restored: Option<Registry> =
            coded("restore", br_core::backup::restore(&backup, &target, &common::unlock_with(common::PASSPHRASE)))?;
        drop(restored);
        Ok(())
    });
}

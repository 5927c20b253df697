//! Regression tests for the findings of the hardening review (issue 11), each named after what it found.

mod common;

use std::sync::atomic::AtomicBool;

use br_core::auth::{self, Role, UserChange};
use br_core::io::export::{export_csv, ExportOptions};
use br_core::program::rules::RuleKind;
use br_core::program::service::{self as programs, PreviewRequest};
use br_core::registry::model::RegistrantKind;
use br_core::search::{search, Filters, SearchRequest};
use br_core::secret::Secret;
use br_core::store::keys::KeyFile;
use br_core::{CoreError, ErrorCode};
use common::Fixture;

fn audit_count(f: &Fixture, action: &str, outcome: &str) -> i64 {
    f.registry
        .store()
        .read(|c| {
            Ok(c.query_row(
                "SELECT count(*) FROM audit_log WHERE action = ?1 AND outcome = ?2",
                [action, outcome],
                |r| r.get(0),
            )?)
        })
        .unwrap()
}

#[test]
fn a_panic_inside_a_write_rolls_back_and_leaves_the_registry_writable() {
    let f = Fixture::new();
    let store = f.registry.store();
    let before = f.fingerprint();
    let e = store
        .write(|tx| -> br_core::Result<()> {
            tx.conn().execute("UPDATE office SET name = 'half-written'", [])?;
            panic!("a bug reached by some input");
        })
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Internal);
    assert!(!e.to_string().contains("some input"), "the panic's message stays in the log");
    assert_eq!(f.fingerprint(), before);
    // Logging in writes an audit entry: it works, as does every later write.
    f.registry.login("admin", &Secret::new("admin-password-1")).unwrap();
    let name: String = store.read(|c| Ok(c.query_row("SELECT name FROM office", [], |r| r.get(0))?)).unwrap();
    assert_ne!(name, "half-written");
    let e = store.read(|_| -> br_core::Result<()> { panic!("and in a read") }).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Internal);
    store.read(|c| Ok(c.query_row("SELECT count(*) FROM users", [], |r| r.get::<_, i64>(0))?)).unwrap();
}

#[test]
fn a_rule_of_ten_thousand_terms_is_refused_instead_of_overflowing_the_stack() {
    let f = Fixture::new();
    let rule = format!("me.size == {}", vec!["1"; 10_000].join(" + "));
    let check =
        programs::check_rule(f.registry.store(), &f.admin, &rule, RuleKind::Condition, RegistrantKind::Individual)
            .unwrap();
    assert!(!check.ok);
    assert!(check.error.unwrap().message.contains("at most"));
    let deep = format!("{}true{}", "(".repeat(200), ")".repeat(200));
    let check =
        programs::check_rule(f.registry.store(), &f.admin, &deep, RuleKind::Condition, RegistrantKind::Individual)
            .unwrap();
    assert!(!check.ok);
    let req = PreviewRequest { rule: Some(rule), ..Default::default() };
    let e = programs::preview(f.registry.store(), &f.admin, &req, &AtomicBool::new(false)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::RuleInvalid);
    // Just under the limits, the parser, checker and evaluator have stack to spare (test threads have 2 MiB).
    let near = format!("me.size == {}", vec!["1"; 280].join(" + "));
    let req = PreviewRequest { rule: Some(near), ..Default::default() };
    programs::preview(f.registry.store(), &f.admin, &req, &AtomicBool::new(false)).unwrap();
    let nested = format!("{}true{}", "(".repeat(30), ")".repeat(30));
    let req = PreviewRequest { rule: Some(nested), ..Default::default() };
    programs::preview(f.registry.store(), &f.admin, &req, &AtomicBool::new(false)).unwrap();
    // A long but reasonable proxy-means test still compiles.
    let pmt = (0..40).map(|i| format!("{i}.5 * double(me.size)")).collect::<Vec<_>>().join(" + ");
    let check =
        programs::check_rule(f.registry.store(), &f.admin, &pmt, RuleKind::Score, RegistrantKind::Individual).unwrap();
    assert!(check.ok, "{:?}", check.error);
}

#[test]
fn search_age_min_20000_is_refused_instead_of_panicking() {
    let f = Fixture::new();
    let req = SearchRequest { filters: Filters { age_min: Some(20_000), ..Default::default() }, ..Default::default() };
    let e = search(f.registry.store(), &f.admin, &req).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput);
    let req = SearchRequest { filters: Filters { age_max: Some(150), ..Default::default() }, ..Default::default() };
    search(f.registry.store(), &f.admin, &req).unwrap();
}

#[test]
fn a_one_column_truth_file_is_refused_instead_of_panicking() {
    let f = Fixture::new();
    let truth = f.file("truth.csv", b"a\nP1\nP2\n");
    let e = br_core::dedup::quality::quality(f.registry.store(), &truth, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput);
    assert!(e.to_string().contains("line 2"), "{e}");
}

#[test]
fn a_key_file_with_zero_or_billions_of_iterations_is_refused() {
    let f = Fixture::new();
    let key_file = f.reg_dir().join("registry.key");
    let text = std::fs::read_to_string(&key_file).unwrap();
    for iterations in ["0", "4000000000"] {
        let forged = f.file(
            "forged.key",
            text.replace("\"iterations\": 600000", &format!("\"iterations\": {iterations}")).as_bytes(),
        );
        let e = KeyFile::read(&forged).unwrap_err();
        assert_eq!(e.code(), ErrorCode::KeyFileInvalid, "{iterations}");
    }
    let huge = f.file("huge.key", &vec![b' '; 1 << 20]);
    assert_eq!(KeyFile::read(&huge).unwrap_err().code(), ErrorCode::KeyFileInvalid);
}

#[test]
fn an_auditor_cannot_learn_a_masked_birth_date_through_a_rule_preview() {
    let f = Fixture::new();
    let auditor = f.user("visiting-auditor", Role::Auditor);
    let approver = f.user("district-approver", Role::Approver);
    let probe = PreviewRequest {
        rule: Some("me.reference == 'TST-0000001' && me.birth_date == '1990-01-01'".into()),
        ..Default::default()
    };
    for who in [&auditor, &approver] {
        let e = programs::preview(f.registry.store(), who, &probe, &AtomicBool::new(false)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::PermissionDenied);
    }
    assert_eq!(audit_count(&f, "program.preview", "denied"), 2);
    // Ages in whole years are what the list's filter shows anyway.
    let by_age = PreviewRequest { rule: Some("age(me.birth_date) >= 65".into()), ..Default::default() };
    programs::preview(f.registry.store(), &auditor, &by_age, &AtomicBool::new(false)).unwrap();
    // Someone who may reveal may run it, and it is audited.
    programs::preview(f.registry.store(), &f.admin, &probe, &AtomicBool::new(false)).unwrap();
    assert_eq!(audit_count(&f, "program.preview", "ok"), 1);
}

#[test]
fn an_export_onto_the_registry_key_is_refused_and_the_registry_still_opens() {
    let f = Fixture::new();
    let auditor = f.user("visiting-auditor", Role::Auditor);
    let key_file = f.reg_dir().join("registry.key");
    let before = std::fs::read(&key_file).unwrap();
    for overwrite in [false, true] {
        let e = export_csv(f.registry.store(), &auditor, &key_file, overwrite, &ExportOptions::default()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidInput, "{e}");
    }
    assert_eq!(std::fs::read(&key_file).unwrap(), before);
    // An existing file elsewhere is kept unless the person confirmed the overwrite.
    let mine = f.file("mine.csv", b"my own notes");
    let e = export_csv(f.registry.store(), &auditor, &mine, false, &ExportOptions::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AlreadyExists);
    assert_eq!(std::fs::read(&mine).unwrap(), b"my own notes");
    export_csv(f.registry.store(), &auditor, &mine, true, &ExportOptions::default()).unwrap();
    let dir = f.reg_dir();
    drop(f.registry);
    br_core::Registry::open(&dir, &common::unlock_with(common::PASSPHRASE)).unwrap();
}

#[test]
fn a_disabled_account_or_a_changed_role_ends_its_open_sessions() {
    let f = Fixture::new();
    let store = f.registry.store();
    let registrar = f.user("departed-clerk", Role::Registrar);
    auth::refresh(store, &registrar).unwrap();
    let demote = UserChange { role: Some(Role::Auditor), ..Default::default() };
    auth::update_user(store, &f.admin, "departed-clerk", &demote).unwrap();
    assert_eq!(auth::refresh(store, &registrar).unwrap_err().code(), ErrorCode::SessionInvalid);
    let relogged = f.registry.login("departed-clerk", &Secret::new("user-password-1")).unwrap();
    assert_eq!(auth::refresh(store, &relogged).unwrap().role(), Role::Auditor);
    let disable = UserChange { disabled: Some(true), ..Default::default() };
    auth::update_user(store, &f.admin, "departed-clerk", &disable).unwrap();
    assert_eq!(auth::refresh(store, &relogged).unwrap_err().code(), ErrorCode::SessionInvalid);
    let e = f.registry.login("departed-clerk", &Secret::new("user-password-1")).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AuthenticationFailed);
    // A new password set by an administrator works, and ends sessions too.
    let enable =
        UserChange { disabled: Some(false), password: Some(Secret::new("a new password 2")), ..Default::default() };
    auth::update_user(store, &f.admin, "departed-clerk", &enable).unwrap();
    f.registry.login("departed-clerk", &Secret::new("a new password 2")).unwrap();
    // The last administrator cannot lock everyone out.
    let e = auth::update_user(store, &f.admin, "admin", &disable).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput);
    // Only an administrator changes accounts; the refusal is audited.
    let clerk = f.registry.login("departed-clerk", &Secret::new("a new password 2")).unwrap();
    let e = auth::update_user(store, &clerk, "admin", &demote).unwrap_err();
    assert_eq!(e.code(), ErrorCode::PermissionDenied);
    assert_eq!(audit_count(&f, "user.update", "denied"), 1);
    assert_eq!(audit_count(&f, "user.update", "ok"), 3);
}

#[test]
fn a_two_megabyte_username_is_refused_without_being_stored() {
    let f = Fixture::new();
    let huge = "u".repeat(2 << 20);
    let e = f.registry.login(&huge, &Secret::new("whatever it is")).unwrap_err();
    assert!(matches!(e, CoreError::AuthenticationFailed));
    let longest: i64 = f
        .registry
        .store()
        .read(|c| Ok(c.query_row("SELECT max(length(ifnull(entity_id, ''))) FROM audit_log", [], |r| r.get(0))?))
        .unwrap();
    assert!(longest < 100, "{longest}");
}

#[test]
fn an_import_of_another_kind_of_file_does_not_repeat_its_first_line_in_its_error() {
    let f = Fixture::new();
    let passwd =
        f.file("passwd", b"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n");
    let e = f.import(&f.admin, &passwd, &Default::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ImportFileInvalid);
    assert!(!e.to_string().contains("root"), "{e}");
}

#[test]
fn a_registry_is_created_whole_or_not_at_all() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("reg");
    let request = || br_core::CreateRegistry {
        office_code: "TST".into(),
        office_name: "Test office".into(),
        admin_username: "admin".into(),
        admin_display_name: "Admin".into(),
        admin_password: Secret::new(common::ADMIN_PASSWORD),
        recovery_passphrase: Secret::new(common::PASSPHRASE),
        use_credential_store: false,
        privacy: Default::default(),
    };
    // What a creation killed half-way leaves: its staging folder beside the target, a database without an
    // office in it. It is not a registry, it does not block the next creation, and it is cleared by it.
    let stale = tmp.path().join(".reg.creating");
    std::fs::create_dir_all(&stale).unwrap();
    std::fs::write(stale.join("registry.db"), b"half").unwrap();
    assert_eq!(
        br_core::Registry::open(&target, &common::unlock_with(common::PASSPHRASE)).err().map(|e| e.code()),
        Some(ErrorCode::RegistryNotFound)
    );
    let (reg, admin) = br_core::Registry::create(&target, request()).unwrap();
    assert!(!stale.exists(), "the unfinished staging folder is removed");
    assert!(br_core::check::run(reg.store(), &admin).unwrap().ok);
    drop(reg);
    // A folder with someone's files in it is refused, and they are left alone.
    let busy = tmp.path().join("busy");
    std::fs::create_dir_all(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), b"mine").unwrap();
    let e = br_core::Registry::create(&busy, request()).err().unwrap();
    assert_eq!(e.code(), ErrorCode::InvalidInput, "{e}");
    assert_eq!(std::fs::read(busy.join("notes.txt")).unwrap(), b"mine");
    assert_eq!(br_core::Registry::create(&target, request()).err().map(|e| e.code()), Some(ErrorCode::RegistryExists));
}

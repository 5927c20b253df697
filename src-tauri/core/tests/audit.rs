//! The audit chain detects edits, deletions and a cut-off tail, and never holds personal values.

mod common;

use br_core::audit::verify;
use br_core::secret::Secret;
use common::*;

/// A raw connection to the fixture's database, as an attacker with the key would have.
fn raw(f: &Fixture) -> rusqlite::Connection {
    let key_file = br_core::store::keys::KeyFile::read(&f.reg_dir().join("registry.key")).unwrap();
    let key = key_file.unwrap_key(&Secret::new(PASSPHRASE)).unwrap();
    let conn = rusqlite::Connection::open(f.reg_dir().join("registry.db")).unwrap();
    conn.pragma_update(None, "key", format!("x'{}'", hex::encode(key.as_bytes()))).unwrap();
    conn.execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;").unwrap();
    conn
}

fn with_activity() -> Fixture {
    let f = Fixture::new();
    let p = f.file("a.csv", b"external_id,given_name,family_name,phone\nA1,Zebulonia,Quix,+251911000777\n");
    f.import(&f.admin, &p, &Default::default()).unwrap();
    for _ in 0..3 {
        f.registry.login("admin", &Secret::new(ADMIN_PASSWORD)).unwrap();
    }
    f
}

#[test]
fn an_untouched_chain_verifies() {
    let f = with_activity();
    let r = verify(f.registry.store()).unwrap();
    assert!(r.ok, "{r:?}");
    assert!(r.entries_checked >= 5);
}

#[test]
fn the_log_refuses_updates_and_deletes_through_sql() {
    let f = with_activity();
    let before = verify(f.registry.store()).unwrap();
    for sql in ["DELETE FROM audit_log WHERE seq = 1", "UPDATE audit_log SET username = 'someone-else' WHERE seq = 1"] {
        let err = f.registry.store().write(|tx| Ok(tx.conn().execute(sql, [])?)).unwrap_err();
        // The trigger's abort: a constraint the application never breaks, so an internal error.
        assert!(err.to_string().contains("ConstraintViolation"), "{sql}: {err}");
    }
    let after = verify(f.registry.store()).unwrap();
    assert!(after.ok && after.entries_checked == before.entries_checked, "{after:?}");
}

#[test]
fn an_edited_entry_is_the_first_broken_link() {
    let f = with_activity();
    raw(&f).execute("UPDATE audit_log SET username = 'someone-else' WHERE seq = 3", []).unwrap();
    let r = verify(f.registry.store()).unwrap();
    assert!(!r.ok);
    assert_eq!(r.first_broken_seq, Some(3));
    assert_eq!(r.entries_checked, 2);
}

#[test]
fn a_deleted_entry_is_found() {
    let f = with_activity();
    raw(&f).execute("DELETE FROM audit_log WHERE seq = 2", []).unwrap();
    let r = verify(f.registry.store()).unwrap();
    assert_eq!(r.first_broken_seq, Some(2));
    assert!(r.reason.unwrap().contains("missing"));
}

#[test]
fn a_cut_off_tail_is_found() {
    let f = with_activity();
    let conn = raw(&f);
    let last: i64 = conn.query_row("SELECT max(seq) FROM audit_log", [], |r| r.get(0)).unwrap();
    conn.execute("DELETE FROM audit_log WHERE seq = ?1", [last]).unwrap();
    let r = verify(f.registry.store()).unwrap();
    assert!(!r.ok);
    assert_eq!(r.first_broken_seq, Some(last));
}

#[test]
fn audit_details_hold_no_personal_values() {
    let f = Fixture::new();
    let s = br_core::beneficiary::create(
        f.registry.store(),
        &f.admin,
        br_core::registry::model::RegistrantKind::Individual,
        br_core::registry::model::RegistrantFields {
            given_name: Some("Zebulonia".into()),
            family_name: Some("Quixotebury".into()),
            phone: Some("+251911000777".into()),
            birth_date: Some("1981-04-05".into()),
            ids: vec![br_core::registry::model::IdDocument {
                id_type: "national_id".into(),
                value: "NIDSECRET4455".into(),
                expiry: None,
            }],
            ..Default::default()
        },
        None,
    )
    .unwrap();
    let all: String = f
        .registry
        .store()
        .read(|c| Ok(c.query_row("SELECT group_concat(details, ' ') FROM audit_log", [], |r| r.get(0))?))
        .unwrap();
    for needle in ["Zebulonia", "Quixotebury", "911000777", "NIDSECRET4455", "1981-04-05"] {
        assert!(!all.contains(needle), "{needle} in the audit log");
    }
    assert!(all.contains(&s.reference));
}

#[test]
fn an_anchor_kept_elsewhere_finds_a_cut_tail_and_an_older_database_that_the_chain_alone_cannot() {
    use br_core::audit_anchor::{head, verify_against};
    let f = with_activity();
    let store = f.registry.store();
    let older = f.dir.path().join("older-backup");
    br_core::backup::create(&f.registry, &f.admin, &older).unwrap();
    for _ in 0..3 {
        f.registry.login("admin", &Secret::new(ADMIN_PASSWORD)).unwrap();
    }
    let anchor = head(store, &f.admin).unwrap();
    assert!(verify_against(store, &f.admin, &anchor).unwrap().ok);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(older.join("manifest.json")).unwrap()).unwrap();
    let from_backup: br_core::audit_anchor::SignedHead =
        serde_json::from_value(manifest["audit_head"].clone()).unwrap();
    assert!(verify_against(store, &f.admin, &from_backup).unwrap().ok, "the backup's manifest is an anchor too");

    let mut altered = anchor.clone();
    altered.seq -= 1;
    let r = verify_against(store, &f.admin, &altered).unwrap();
    assert!(!r.ok && r.reason.unwrap().contains("altered"));
    let other = Fixture::new();
    let foreign = head(other.registry.store(), &other.admin).unwrap();
    let r = verify_against(store, &f.admin, &foreign).unwrap();
    assert!(!r.ok && r.reason.unwrap().contains("another registry"));

    // Someone with the key cuts the last entries and moves the head back: the chain still verifies.
    let cut = anchor.seq - 2;
    raw(&f)
        .execute_batch(&format!(
            "DELETE FROM audit_log WHERE seq > {cut};
             UPDATE office SET audit_head_seq = {cut}, audit_head_mac = (SELECT mac FROM audit_log WHERE seq = {cut});"
        ))
        .unwrap();
    assert!(verify(store).unwrap().ok, "a clean cut is invisible to the chain alone");
    let r = verify_against(store, &f.admin, &anchor).unwrap();
    assert!(!r.ok, "{r:?}");
    assert!(r.reason.unwrap().contains("entries were cut or an older database was restored"));

    // An older database put back in place of the current one.
    let restored_dir = f.dir.path().join("restored");
    let restored = br_core::backup::restore(&older, &restored_dir, &unlock_with(PASSPHRASE)).unwrap();
    let admin = restored.login("admin", &Secret::new(ADMIN_PASSWORD)).unwrap();
    assert!(verify(restored.store()).unwrap().ok);
    let r = verify_against(restored.store(), &admin, &anchor).unwrap();
    assert!(!r.ok && r.entries_now < anchor.seq, "{r:?}");
    let auditor = f.user("auditor", br_core::auth::Role::Auditor);
    let registrar = f.user("registrar", br_core::auth::Role::Registrar);
    assert!(head(store, &auditor).is_ok());
    assert_eq!(head(store, &registrar).unwrap_err().code(), br_core::ErrorCode::PermissionDenied);
}

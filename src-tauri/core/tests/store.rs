//! Opening a registry: every way it can go wrong gives a clear error and leaves the files as they were.

mod common;

use br_core::secret::Secret;
use br_core::store::keys::Unlock;
use br_core::{CoreError, ErrorCode, Registry};
use common::*;

fn reopen_ok(dir: &std::path::Path) {
    Registry::open(dir, &unlock_with(PASSPHRASE)).expect("the registry still opens");
}

/// Closes the fixture's connections (checkpointing the WAL) and returns the registry folder.
fn closed() -> (tempfile::TempDir, std::path::PathBuf) {
    let f = Fixture::new();
    let dir = f.reg_dir();
    let Fixture { dir: tmp, registry, .. } = f;
    drop(registry);
    (tmp, dir)
}

#[test]
fn wrong_passphrase_is_refused_and_nothing_changes() {
    let (_tmp, dir) = closed();
    let before = file_bytes(&dir);
    let err = Registry::open(&dir, &unlock_with("not the passphrase at all")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::WrongPassphrase);
    assert_eq!(file_bytes(&dir), before);
    reopen_ok(&dir);
}

#[test]
fn missing_key_file_is_named() {
    let (_tmp, dir) = closed();
    std::fs::rename(dir.join("registry.key"), dir.join("elsewhere.key")).unwrap();
    let err = Registry::open(&dir, &unlock_with(PASSPHRASE)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeyFileMissing);
    assert!(err.to_string().contains("registry.key"));
    std::fs::rename(dir.join("elsewhere.key"), dir.join("registry.key")).unwrap();
    reopen_ok(&dir);
}

#[test]
fn key_in_neither_place_says_how_to_give_it() {
    let (_tmp, dir) = closed();
    let before = file_bytes(&dir);
    let unlock = Unlock { use_credential_store: false, passphrase: None, prompt: None };
    let err = Registry::open(&dir, &unlock).unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeyUnavailable);
    assert!(err.to_string().contains("BR_PASSPHRASE"));
    assert_eq!(file_bytes(&dir), before);
}

#[test]
fn a_truncated_database_is_reported_not_emptied() {
    let (_tmp, dir) = closed();
    let db = dir.join("registry.db");
    let full = std::fs::read(&db).unwrap();
    for cut in [full.len() / 2, full.len() - 4096, 5000] {
        std::fs::write(&db, &full[..cut]).unwrap();
        let before = file_bytes(&dir);
        let err = Registry::open(&dir, &unlock_with(PASSPHRASE)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::DatabaseCorrupt, "cut at {cut}: {err}");
        assert_eq!(file_bytes(&dir), before, "the damaged file is left untouched for recovery");
    }
    std::fs::write(&db, &full).unwrap();
    reopen_ok(&dir);
}

#[test]
fn a_corrupted_first_page_is_reported() {
    let (_tmp, dir) = closed();
    let db = dir.join("registry.db");
    let mut bytes = std::fs::read(&db).unwrap();
    for b in &mut bytes[100..200] {
        *b ^= 0x5a;
    }
    std::fs::write(&db, &bytes).unwrap();
    let err = Registry::open(&dir, &unlock_with(PASSPHRASE)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::DatabaseCorrupt);
    assert_eq!(std::fs::read(&db).unwrap(), bytes);
}

#[test]
fn a_database_from_a_newer_version_is_refused_untouched() {
    let (_tmp, dir) = closed();
    {
        // Stamp the file as a future schema version, as a newer release would leave it.
        let reg = Registry::open(&dir, &unlock_with(PASSPHRASE)).unwrap();
        drop(reg);
        let key_file = br_core::store::keys::KeyFile::read(&dir.join("registry.key")).unwrap();
        let key = key_file.unwrap_key(&Secret::new(PASSPHRASE)).unwrap();
        let conn = rusqlite::Connection::open(dir.join("registry.db")).unwrap();
        conn.pragma_update(None, "key", format!("x'{}'", hex::encode(key.as_bytes()))).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let before = file_bytes(&dir);
    let err = Registry::open(&dir, &unlock_with(PASSPHRASE)).unwrap_err();
    assert!(matches!(err, CoreError::SchemaTooNew { found: 99, .. }), "{err}");
    assert_eq!(file_bytes(&dir), before);
}

#[test]
fn no_registry_and_existing_registry_are_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let err = Registry::open(&tmp.path().join("nothing"), &unlock_with(PASSPHRASE)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::RegistryNotFound);
    let f = Fixture::new();
    let err = Registry::create(
        &f.reg_dir(),
        br_core::CreateRegistry {
            office_code: "TST".into(),
            office_name: "Again".into(),
            admin_username: "admin".into(),
            admin_display_name: "Admin".into(),
            admin_password: Secret::new(ADMIN_PASSWORD),
            recovery_passphrase: Secret::new(PASSPHRASE),
            use_credential_store: false,
            privacy: Default::default(),
        },
    )
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::RegistryExists);
}

#[test]
fn the_file_on_disk_is_encrypted_and_holds_no_imported_value() {
    let f = Fixture::new();
    let csv = "external_id,given_name,family_name,phone,id:national_id\n\
               X-1,Zebulonia,Quixotebury,+251911000777,NIDUNIQUE998877\n\
               X-2,فاطمة,ሙሉጌታ,0911000888,NIDUNIQUE112233\n";
    let path = f.file("people.csv", csv.as_bytes());
    let s = f.import(&f.admin, &path, &Default::default()).unwrap();
    assert_eq!(s.inserted, 2);
    let dir = f.reg_dir();
    let mut raw = Vec::new();
    for name in ["registry.db", "registry.db-wal"] {
        if let Ok(b) = std::fs::read(dir.join(name)) {
            raw.extend(b);
        }
    }
    assert!(!raw.starts_with(b"SQLite format 3"), "the header must not be plaintext");
    for needle in ["Zebulonia", "Quixotebury", "911000777", "NIDUNIQUE998877", "فاطمة", "ሙሉጌታ", "NIDUNIQUE112233"]
    {
        let n = needle.as_bytes();
        assert!(!raw.windows(n.len()).any(|w| w == n), "{needle} found in the raw file");
    }
}

/// libsqlite3-sys compiles SQLCipher with SQLITE_ENABLE_MEMORY_MANAGEMENT, which pools every connection's
/// page cache behind one process-wide mutex; `.cargo/config.toml` undefines it. With it, generating a
/// cycle's entitlements (a reader thread beside the writer) took 1.5-2 times as long, and a reconciliation
/// in a long-running process almost five times (docs/architecture.md). Fails if a build loses the setting.
#[test]
fn each_connection_keeps_its_own_page_cache() {
    let f = Fixture::new();
    let options: Vec<String> = f
        .registry
        .store()
        .read(|c| {
            let mut st = c.prepare("PRAGMA compile_options")?;
            let rows = st.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .unwrap();
    assert!(options.iter().any(|o| o == "HAS_CODEC"), "the options read are SQLCipher's: {options:?}");
    assert!(
        !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
        "SQLCipher was built with one page cache for all connections: is LIBSQLITE3_FLAGS in .cargo/config.toml?"
    );
}

/// SQLite checks `x IN ('a', 'b', 'c')` by building a temporary B-tree of the list, once for every statement
/// that checks it; migration 0013 writes the CHECK constraints as ORs. No insert into any table, and no
/// update of a state, may build one (a reconciliation built two per row).
#[test]
fn no_write_builds_a_temporary_table_to_check_a_constraint() {
    let f = Fixture::new();
    // On the writer: a read-only connection compiles writes without their constraint checks.
    let ephemeral = f.registry.store().write(|tx| Ok(writes_building_a_temporary_table(tx.conn()))).unwrap();
    assert!(ephemeral.is_empty(), "these writes build a temporary table: {ephemeral:#?}");
}

fn writes_building_a_temporary_table(c: &rusqlite::Connection) -> Vec<String> {
    let strings = |sql: &str, column: usize| -> Vec<String> {
        let mut st = c.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let nulls = std::iter::repeat_n(rusqlite::types::Null, st.parameter_count());
        let rows =
            st.query_map(rusqlite::params_from_iter(nulls), |r| r.get(column)).unwrap_or_else(|e| panic!("{sql}: {e}"));
        rows.collect::<rusqlite::Result<_>>().unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    let tables = strings(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
         AND sql NOT LIKE 'CREATE VIRTUAL%'",
        0,
    );
    let mut writes: Vec<String> = tables
        .iter()
        .map(|t| {
            let columns = strings(&format!("SELECT name FROM pragma_table_info('{t}')"), 0);
            let marks = vec!["?"; columns.len()].join(", ");
            format!("INSERT INTO {t} ({}) VALUES ({marks})", columns.join(", "))
        })
        .collect();
    // A state changed on one row, found by its key, as the writers change it.
    for t in ["payments", "entitlements", "program_memberships", "cycles", "funds", "programs"] {
        let key = strings(&format!("SELECT name FROM pragma_table_info('{t}') WHERE pk > 0"), 0);
        let row = key.iter().map(|k| format!("{k} = ?")).collect::<Vec<_>>().join(" AND ");
        writes.push(format!("UPDATE {t} SET state = ? WHERE {row}"));
    }
    assert!(writes.len() > 20, "the schema's tables were read: {tables:?}");
    writes
        .into_iter()
        .filter(|sql| strings(&format!("EXPLAIN {sql}"), 1).iter().any(|o| o == "OpenEphemeral"))
        .collect()
}

#[test]
fn list_index_definitions_match_the_schema() {
    let f = Fixture::new();
    for (name, sql) in br_core::store::list_indexes::LIST_INDEXES {
        let stored: String = f
            .registry
            .store()
            .read(|c| Ok(c.query_row("SELECT sql FROM sqlite_master WHERE name = ?1", [name], |r| r.get(0))?))
            .unwrap();
        assert_eq!(stored, sql, "the migrations and list_indexes.rs disagree on {name}");
    }
}

#[test]
fn list_indexes_lost_in_a_crash_are_rebuilt_at_open() {
    let (_tmp, dir) = closed();
    {
        let key_file = br_core::store::keys::KeyFile::read(&dir.join("registry.key")).unwrap();
        let key = key_file.unwrap_key(&Secret::new(PASSPHRASE)).unwrap();
        let conn = rusqlite::Connection::open(dir.join("registry.db")).unwrap();
        conn.pragma_update(None, "key", format!("x'{}'", hex::encode(key.as_bytes()))).unwrap();
        br_core::store::list_indexes::drop_all(&conn).unwrap();
    }
    let reg = Registry::open(&dir, &unlock_with(PASSPHRASE)).unwrap();
    for (name, _) in br_core::store::list_indexes::LIST_INDEXES {
        let there: bool = reg
            .store()
            .read(|c| {
                Ok(c.query_row(
                    "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?1)",
                    [name],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert!(there, "{name} was not rebuilt");
    }
}

#[test]
fn closing_a_registry_leaves_one_self_contained_file() {
    let f = Fixture::new();
    let p = f.file("a.csv", b"external_id,given_name\nA1,Amina\nA2,Moussa\n");
    f.import(&f.admin, &p, &Default::default()).unwrap();
    // Use the reader pool, as every search does.
    br_core::search::search(f.registry.store(), &f.admin, &Default::default()).unwrap();
    let dir = f.reg_dir();
    let Fixture { dir: _tmp, registry, .. } = f;
    drop(registry);
    assert!(!dir.join("registry.db-wal").exists(), "the write-ahead log was checkpointed into the file and removed");
    // The database file alone (as a person copying it would take it) holds everything.
    let copy = _tmp.path().join("copy");
    std::fs::create_dir_all(&copy).unwrap();
    for name in ["registry.db", "registry.key"] {
        std::fs::copy(dir.join(name), copy.join(name)).unwrap();
    }
    let reg = Registry::open(&copy, &unlock_with(PASSPHRASE)).unwrap();
    let n: i64 = reg.store().read(|c| Ok(c.query_row("SELECT count(*) FROM registrants", [], |r| r.get(0))?)).unwrap();
    assert_eq!(n, 2);
}

#[test]
fn a_writer_held_up_by_another_longer_than_the_busy_timeout_answers_busy_and_writes_nothing() {
    let f = Fixture::new();
    // Another program with the key holds the write lock (as a second `br` would in its transaction).
    let key_file = br_core::store::keys::KeyFile::read(&f.reg_dir().join("registry.key")).unwrap();
    let key = key_file.unwrap_key(&Secret::new(PASSPHRASE)).unwrap();
    let other = rusqlite::Connection::open(f.reg_dir().join("registry.db")).unwrap();
    other.pragma_update(None, "key", format!("x'{}'", hex::encode(key.as_bytes()))).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let before = f.fingerprint();
    let started = std::time::Instant::now();
    let e = br_core::registry::service::upsert_list_item(
        f.registry.store(),
        &f.admin,
        br_core::registry::model::ListName::Area,
        br_core::registry::model::ListItem { code: "D01".into(), label: "North".into(), parent: None, active: true },
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Busy, "{e}");
    assert!(started.elapsed().as_millis() as u64 >= br_core::store::pragmas::BUSY_TIMEOUT_MS, "it waited first");
    other.execute_batch("ROLLBACK").unwrap();
    assert_eq!(f.fingerprint(), before);
}

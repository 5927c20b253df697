//! Every schema version this binary knows must open registries written by older versions, data intact.
//! Add a frozen copy of each released schema version to tests/fixtures/ and a test here.

mod common;

use br_core::search::{search, SearchRequest};
use br_core::secret::Secret;
use br_core::store::migrations::{schema_version, SCHEMA_VERSION};
use br_core::Registry;

#[test]
fn a_version_1_registry_upgrades_with_its_data_chain_and_change_log_intact() {
    let tmp = tempfile::tempdir().unwrap();
    let frozen = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema-v1");
    let dir = tmp.path().join("reg");
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["registry.db", "registry.key"] {
        std::fs::copy(frozen.join(f), dir.join(f)).unwrap();
    }
    let reg = Registry::open(&dir, &common::unlock_with("frozen schema v1 passphrase")).unwrap();
    let version = reg.store().read(schema_version).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let admin = reg.login("admin", &Secret::new("frozen-admin-password")).unwrap();
    reg.login("officer", &Secret::new("frozen-officer-pass")).unwrap();
    let (individuals, groups, ops, max_seq): (i64, i64, i64, i64) = reg
        .store()
        .read(|c| {
            Ok(c.query_row(
                "SELECT (SELECT count(*) FROM registrants WHERE kind = 'individual'),
                        (SELECT count(*) FROM registrants WHERE kind = 'group'),
                        (SELECT count(*) FROM outbox), (SELECT max(seq) FROM outbox)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?)
        })
        .unwrap();
    assert_eq!((individuals, groups), (40, 10));
    assert_eq!(ops, max_seq, "the change log is still gapless");
    assert!(br_core::audit::verify(reg.store()).unwrap().ok, "the audit chain still verifies");
    let r = search(reg.store(), &admin, &SearchRequest { query: Some("FRZ-0000002".into()), ..Default::default() })
        .unwrap();
    assert_eq!(r.items.len(), 1);
    // The name index was made anew by a later version and refilled from the registrants: a name found in
    // the list is found by search.
    let listed =
        search(reg.store(), &admin, &SearchRequest { limit: Some(1), reveal: true, ..Default::default() }).unwrap();
    let name = listed.items[0].display_name.clone();
    let found =
        search(reg.store(), &admin, &SearchRequest { query: Some(name.clone()), reveal: true, ..Default::default() })
            .unwrap();
    assert_eq!(found.items[0].display_name, name);
}

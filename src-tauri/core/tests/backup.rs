//! Backup and restore: a consistent copy that opens elsewhere with the passphrase; a damaged backup or an
//! occupied target is refused and nothing is half-restored.

mod common;

use br_core::backup;
use br_core::search::{search, SearchRequest};
use br_core::{ErrorCode, Registry};
use common::*;

#[test]
fn a_backup_restores_elsewhere_with_the_passphrase() {
    let f = Fixture::new();
    let p = f.file("a.csv", b"external_id,given_name,family_name\nA1,Amina,Diallo\nA2,Moussa,Diallo\n");
    f.import(&f.admin, &p, &Default::default()).unwrap();
    let dest = f.dir.path().join("backup-1");
    let summary = backup::create(&f.registry, &f.admin, &dest).unwrap();
    assert!(summary.database_bytes > 0);
    assert_eq!(backup::create(&f.registry, &f.admin, &dest).unwrap_err().code(), ErrorCode::AlreadyExists);
    let target = f.dir.path().join("restored");
    let err = backup::restore(&dest, &target, &unlock_with("wrong passphrase!")).err().unwrap();
    assert_eq!(err.code(), ErrorCode::WrongPassphrase);
    assert!(!target.join("registry.db").exists(), "nothing is left behind by a failed restore");
    let restored = backup::restore(&dest, &target, &unlock_with(PASSPHRASE)).unwrap();
    let admin = restored.login("admin", &br_core::secret::Secret::new(ADMIN_PASSWORD)).unwrap();
    let r = search(restored.store(), &admin, &SearchRequest { query: Some("diallo".into()), ..Default::default() })
        .unwrap();
    assert_eq!(r.items.len(), 2);
    assert!(br_core::audit::verify(restored.store()).unwrap().ok);
    let err = backup::restore(&dest, &target, &unlock_with(PASSPHRASE)).err().unwrap();
    assert_eq!(err.code(), ErrorCode::RegistryExists, "a restore never overwrites a registry");
    drop(restored);
    Registry::open(&target, &unlock_with(PASSPHRASE)).unwrap();
}

#[test]
fn a_damaged_backup_is_refused() {
    let f = Fixture::new();
    let dest = f.dir.path().join("backup-2");
    backup::create(&f.registry, &f.admin, &dest).unwrap();
    let db = dest.join("registry.db");
    let mut bytes = std::fs::read(&db).unwrap();
    let n = bytes.len();
    bytes[n - 10] ^= 1;
    std::fs::write(&db, bytes).unwrap();
    let err = backup::restore(&dest, &f.dir.path().join("r"), &unlock_with(PASSPHRASE)).err().unwrap();
    assert_eq!(err.code(), ErrorCode::DatabaseCorrupt);
}

#[test]
fn only_the_backup_permission_may_back_up() {
    let f = Fixture::new();
    let registrar = f.user("reg.two", br_core::auth::Role::Registrar);
    let err = backup::create(&f.registry, &registrar, &f.dir.path().join("b")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::PermissionDenied);
    assert!(!f.dir.path().join("b").exists());
}

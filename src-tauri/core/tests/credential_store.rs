//! The OS credential store path. Needs a Secret Service (CI runs the suite inside `dbus-run-session` with
//! an unlocked gnome-keyring and sets BR_TEST_CREDENTIAL_STORE=1, which makes a missing store a failure).

mod common;

use br_core::secret::Secret;
use br_core::store::keys::{CredentialStore, KeySource, Unlock};
use br_core::{CreateRegistry, Registry};

#[test]
fn the_key_is_kept_in_the_credential_store_and_the_passphrase_is_not_needed() {
    let required = std::env::var("BR_TEST_CREDENTIAL_STORE").as_deref() == Ok("1");
    let probe = format!("br-probe-{}", uuid::Uuid::now_v7());
    let available = CredentialStore::save(&probe, &br_core::secret::DbKey::generate()).is_ok();
    let _ = CredentialStore::delete(&probe);
    if !available {
        assert!(!required, "BR_TEST_CREDENTIAL_STORE=1 but no Secret Service is reachable");
        eprintln!(
            "no Secret Service here: credential-store test not run (set BR_TEST_CREDENTIAL_STORE=1 to require it)"
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("reg");
    let (reg, _) = Registry::create(
        &dir,
        CreateRegistry {
            office_code: "KS".into(),
            office_name: "Keyring office".into(),
            admin_username: "admin".into(),
            admin_display_name: "Admin".into(),
            admin_password: Secret::new(common::ADMIN_PASSWORD),
            recovery_passphrase: Secret::new(common::PASSPHRASE),
            use_credential_store: true,
            privacy: Default::default(),
        },
    )
    .unwrap();
    assert_eq!(reg.info().unwrap().key_source, KeySource::CredentialStore);
    let registry_id = reg.store().office().registry_id.clone();
    drop(reg);
    let no_passphrase = Unlock { use_credential_store: true, passphrase: None, prompt: None };
    let reopened = Registry::open(&dir, &no_passphrase).unwrap();
    assert_eq!(reopened.info().unwrap().key_source, KeySource::CredentialStore);
    drop(reopened);
    // Losing the stored key falls back to the passphrase, which puts the key back.
    CredentialStore::delete(&registry_id).unwrap();
    assert_eq!(Registry::open(&dir, &no_passphrase).unwrap_err().code(), br_core::ErrorCode::KeyUnavailable);
    let with_passphrase =
        Unlock { use_credential_store: true, passphrase: Some(Secret::new(common::PASSPHRASE)), prompt: None };
    let r = Registry::open(&dir, &with_passphrase).unwrap();
    assert_eq!(r.info().unwrap().key_source, KeySource::Passphrase);
    drop(r);
    assert_eq!(Registry::open(&dir, &no_passphrase).unwrap().info().unwrap().key_source, KeySource::CredentialStore);
    CredentialStore::delete(&registry_id).unwrap();
}

//! `Registry`: an opened office registry, the handle every transport holds.

use std::path::Path;

use rusqlite::params;
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use crate::audit::AuditEvent;
use crate::auth::{self, Role, Session};
use crate::clock::now_rfc3339;
use crate::error::{CoreError, Result};
use crate::registry::privacy::{self, PrivacyProfile};
use crate::secret::{DbKey, Secret};
use crate::store::keys::{self, CredentialStore, KeyFile, KeySource, Unlock};
use crate::store::Store;

pub struct CreateRegistry {
    pub office_code: String,
    pub office_name: String,
    pub admin_username: String,
    pub admin_display_name: String,
    pub admin_password: Secret,
    pub recovery_passphrase: Secret,
    pub use_credential_store: bool,
    /// Which personal fields the registry keeps (docs/privacy.md); fixed once people are registered.
    pub privacy: PrivacyProfile,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct RegistryInfo {
    pub office_id: Uuid,
    pub office_code: String,
    pub office_name: String,
    pub key_source: KeySource,
    /// Why the credential store was not used to open the registry, if it was not.
    pub credential_store_note: Option<String>,
    pub schema_version: i64,
    /// Which personal fields the registry keeps.
    pub privacy: PrivacyProfile,
}

#[derive(Debug)]
pub struct Registry {
    store: Store,
}

fn validate_office_code(code: &str) -> Result<()> {
    let ok = (2..=8).contains(&code.len()) && code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if !ok {
        return Err(CoreError::InvalidInput("an office code has 2 to 8 upper-case letters or digits".into()));
    }
    Ok(())
}

impl Registry {
    /// Creates a new registry in `dir`: database, key file, office, and the first admin account.
    pub fn create(dir: &Path, req: CreateRegistry) -> Result<(Registry, Session)> {
        validate_office_code(&req.office_code)?;
        if req.office_name.trim().is_empty() {
            return Err(CoreError::InvalidInput("the office needs a name".into()));
        }
        keys::validate_passphrase(&req.recovery_passphrase)?;
        auth::validate_username(&req.admin_username)?;
        auth::validate_new_password(&req.admin_password)?;
        if crate::store::db_path(dir).exists() || crate::store::key_path(dir).exists() {
            return Err(CoreError::RegistryExists { path: dir.display().to_string() });
        }
        crate::files::folder::check_target_free(dir)?;
        let registry_id = Uuid::now_v7().to_string();
        let key = DbKey::generate();
        let key_file = KeyFile::wrap(&key, &req.recovery_passphrase, &registry_id)?;
        let staging = crate::files::folder::staging_beside(dir, "creating")?;
        let built = Self::build(&staging, &req, key.clone(), &key_file, &registry_id);
        let (source, note, session) = match built {
            Ok(b) => b,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&staging);
                return Err(e);
            }
        };
        crate::files::folder::move_into_place(&staging, dir)?;
        let mut store = Store::open_created(dir, key, registry_id, source)?;
        store.set_credential_store_note(note);
        Ok((Registry { store }, session))
    }

    /// Writes the whole registry (database, key file, office, admin, the first audit entry) into `staging`
    /// and closes it, so that moving the folder is all that is left.
    fn build(
        staging: &Path,
        req: &CreateRegistry,
        key: DbKey,
        key_file: &KeyFile,
        registry_id: &str,
    ) -> Result<(KeySource, Option<String>, Session)> {
        let conn = Store::create(staging, key.clone(), key_file)?;
        let office_id = Uuid::now_v7();
        conn.execute(
            "INSERT INTO office (singleton, office_id, code, name, created_at) VALUES (1, ?1, ?2, ?3, ?4)",
            params![office_id, req.office_code, req.office_name.trim(), now_rfc3339()],
        )?;
        let id_key = req.privacy.hashes_ids().then(privacy::new_id_key);
        privacy::save(&conn, req.privacy, id_key.as_deref())?;
        let admin =
            auth::insert_user(&conn, &req.admin_username, &req.admin_display_name, Role::Admin, &req.admin_password)?;
        drop(conn);
        let mut source = KeySource::Passphrase;
        let mut note = None;
        if req.use_credential_store {
            match CredentialStore::save(registry_id, &key) {
                Ok(()) => source = KeySource::CredentialStore,
                Err(e) => note = Some(format!("the credential store is not available ({e}); the recovery passphrase will be needed to open this registry")),
            }
        }
        let store = Store::open_created(staging, key, registry_id.to_string(), source)?;
        let session = Session { user_id: admin.id, username: admin.username.clone(), role: Role::Admin, epoch: 0 };
        store.write_as(session.username(), |tx| {
            tx.audit(AuditEvent::new(&session, "registry.create").details(serde_json::json!({
                "office_code": req.office_code, "admin": admin.username, "privacy": req.privacy.keep_list(),
            })))
        })?;
        Ok((source, note, session))
    }

    pub fn open(dir: &Path, unlock: &Unlock<'_>) -> Result<Registry> {
        Ok(Registry { store: Store::open(dir, unlock)? })
    }

    pub fn login(&self, username: &str, password: &Secret) -> Result<Session> {
        auth::login(&self.store, username, password)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn info(&self) -> Result<RegistryInfo> {
        let o = self.store.office();
        Ok(RegistryInfo {
            office_id: o.office_id,
            office_code: o.code.clone(),
            office_name: o.name.clone(),
            key_source: self.store.key_source(),
            credential_store_note: self.store.credential_store_note().map(str::to_string),
            schema_version: crate::store::migrations::SCHEMA_VERSION,
            privacy: self.store.read(privacy::profile)?,
        })
    }
}

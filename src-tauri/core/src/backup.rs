//! Backups: a consistent online copy of the encrypted database plus the key file, with a manifest of
//! checksums; restore checks them and proves the copy opens before it is put in place.

use std::path::Path;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::clock::now_rfc3339;
use crate::error::{CoreError, Result};
use crate::store::keys::{KeyFile, Unlock};
use crate::store::{db_path, key_path, DB_FILE, KEY_FILE};
use crate::Registry;

const MANIFEST: &str = "manifest.json";
const FORMAT: &str = "br-backup-v1";

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    created_at: String,
    office_code: String,
    registry_id: String,
    schema_version: i64,
    database_sha256: String,
    key_file_sha256: String,
    /// The audit log's signed head when the copy was taken (absent in backups made before anchors):
    /// `br audit verify --against manifest.json` later shows the log was not rewritten or cut before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    audit_head: Option<crate::audit_anchor::SignedHead>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct BackupSummary {
    pub path: String,
    pub database_bytes: u64,
    pub created_at: String,
}

fn sha256_file(path: &Path) -> Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| CoreError::io(format!("reading {}", path.display()), e))?;
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| CoreError::io(format!("reading {}", path.display()), e))?;
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
    }
    Ok(hex::encode(ctx.finish().as_ref()))
}

pub fn create(registry: &Registry, session: &Session, dest: &Path) -> Result<BackupSummary> {
    require(registry.store(), session, Permission::BackupRun, "backup.create")?;
    crate::files::output::check_outside_registry(registry.store().dir(), dest)?;
    if dest.exists() {
        return Err(CoreError::AlreadyExists { what: format!("backup folder {}", dest.display()) });
    }
    // Written beside the destination and moved in whole: a kill never leaves a folder that looks like a
    // backup but is not one, nor one that blocks the next attempt.
    let staging = crate::files::folder::staging_beside(dest, "backing-up")?;
    let result = (|| {
        let store = registry.store();
        // Taken before the copy, so the copy holds the anchored entry.
        let audit_head = crate::audit_anchor::signed_head(store)?;
        store.backup_database_to(&staging.join(DB_FILE))?;
        std::fs::copy(key_path(store.dir()), staging.join(KEY_FILE))
            .map_err(|e| CoreError::io("copying the key file", e))?;
        let created_at = now_rfc3339();
        let manifest = Manifest {
            format: FORMAT.into(),
            created_at: created_at.clone(),
            office_code: store.office().code.clone(),
            registry_id: store.office().registry_id.clone(),
            schema_version: crate::store::migrations::SCHEMA_VERSION,
            database_sha256: sha256_file(&staging.join(DB_FILE))?,
            key_file_sha256: sha256_file(&staging.join(KEY_FILE))?,
            audit_head: Some(audit_head),
        };
        let text = serde_json::to_string_pretty(&manifest).map_err(|e| CoreError::Internal(e.to_string()))?;
        crate::files::output::write_small(&staging.join(MANIFEST), text.as_bytes(), false)?;
        crate::files::folder::move_into_place(&staging, dest)?;
        let database_bytes = std::fs::metadata(dest.join(DB_FILE)).map(|m| m.len()).unwrap_or(0);
        Ok(BackupSummary { path: dest.display().to_string(), database_bytes, created_at })
    })();
    match result {
        Ok(summary) => {
            registry.store().write(|tx| {
                tx.audit(AuditEvent::new(session, "backup.create").details(serde_json::json!({
                    "path": summary.path, "database_bytes": summary.database_bytes
                })))
            })?;
            Ok(summary)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}

/// Restores the backup in `from` into `target`, which must not hold a registry. The copy is verified
/// against the manifest and opened with the recovery passphrase before it is moved into place.
pub fn restore(from: &Path, target: &Path, unlock: &Unlock<'_>) -> Result<Registry> {
    let text = std::fs::read_to_string(from.join(MANIFEST))
        .map_err(|e| CoreError::io(format!("reading the backup manifest in {}", from.display()), e))?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| CoreError::InvalidInput(format!("the backup manifest is invalid: {e}")))?;
    if manifest.format != FORMAT {
        return Err(CoreError::InvalidInput(format!("unknown backup format {}", manifest.format)));
    }
    if sha256_file(&from.join(DB_FILE))? != manifest.database_sha256 {
        return Err(CoreError::DatabaseCorrupt {
            path: from.join(DB_FILE).display().to_string(),
            reason: "the backup's database does not match its checksum".into(),
        });
    }
    if sha256_file(&from.join(KEY_FILE))? != manifest.key_file_sha256 {
        return Err(CoreError::KeyFileInvalid {
            path: from.join(KEY_FILE).display().to_string(),
            reason: "the backup's key file does not match its checksum".into(),
        });
    }
    if db_path(target).exists() || key_path(target).exists() {
        return Err(CoreError::RegistryExists { path: target.display().to_string() });
    }
    // Prove the passphrase before copying anything.
    KeyFile::read(&from.join(KEY_FILE))?;
    crate::files::folder::check_target_free(target)?;
    let staging = crate::files::folder::staging_beside(target, "restoring")?;
    let staged = (|| {
        for f in [DB_FILE, KEY_FILE] {
            std::fs::copy(from.join(f), staging.join(f)).map_err(|e| CoreError::io(format!("copying {f}"), e))?;
        }
        // Proves the copy opens; `move_into_place` flushes it after this connection has closed.
        drop(Registry::open(&staging, unlock)?);
        Ok(())
    })();
    if let Err(e) = staged {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    // One rename puts the whole registry in place: a kill leaves either no registry or all of it.
    crate::files::folder::move_into_place(&staging, target)?;
    Registry::open(target, unlock)
}

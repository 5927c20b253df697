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

fn sync_file(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| CoreError::io(format!("flushing {}", path.display()), e))
}

pub fn create(registry: &Registry, session: &Session, dest: &Path) -> Result<BackupSummary> {
    require(registry.store(), session, Permission::BackupRun, "backup.create")?;
    crate::io::output::check_outside_registry(registry.store().dir(), dest)?;
    if dest.exists() {
        return Err(CoreError::AlreadyExists { what: format!("backup folder {}", dest.display()) });
    }
    std::fs::create_dir_all(dest).map_err(|e| CoreError::io(format!("creating {}", dest.display()), e))?;
    let result = (|| {
        let store = registry.store();
        store.backup_database_to(&dest.join(DB_FILE))?;
        std::fs::copy(key_path(store.dir()), dest.join(KEY_FILE))
            .map_err(|e| CoreError::io("copying the key file", e))?;
        let created_at = now_rfc3339();
        let manifest = Manifest {
            format: FORMAT.into(),
            created_at: created_at.clone(),
            office_code: store.office().code.clone(),
            registry_id: store.office().registry_id.clone(),
            schema_version: crate::store::migrations::SCHEMA_VERSION,
            database_sha256: sha256_file(&dest.join(DB_FILE))?,
            key_file_sha256: sha256_file(&dest.join(KEY_FILE))?,
        };
        let text = serde_json::to_string_pretty(&manifest).map_err(|e| CoreError::Internal(e.to_string()))?;
        // The copies are flushed to disk before the manifest that vouches for them is written.
        for f in [DB_FILE, KEY_FILE] {
            sync_file(&dest.join(f))?;
        }
        crate::io::output::write_small(&dest.join(MANIFEST), text.as_bytes(), false)?;
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
            // A half-written backup must not look like a backup.
            let _ = std::fs::remove_dir_all(dest);
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
    let staging = target.with_file_name(format!(
        ".{}.restoring",
        target.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "registry".into())
    ));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| CoreError::io(format!("creating {}", staging.display()), e))?;
    let staged = (|| {
        for f in [DB_FILE, KEY_FILE] {
            std::fs::copy(from.join(f), staging.join(f)).map_err(|e| CoreError::io(format!("copying {f}"), e))?;
            sync_file(&staging.join(f))?;
        }
        drop(Registry::open(&staging, unlock)?);
        crate::io::output::sync_folder(&staging);
        Ok(())
    })();
    if let Err(e) = staged {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    // One rename puts the whole registry in place: a kill leaves either no registry or all of it. An empty
    // target folder (the app makes its data folder) is removed first; one with anything in it is kept.
    if target.exists() {
        std::fs::remove_dir(target)
            .map_err(|e| CoreError::io(format!("{} must be empty to restore into it", target.display()), e))?;
    }
    std::fs::rename(&staging, target).map_err(|e| CoreError::io("moving the restored registry into place", e))?;
    if let Some(parent) = target.parent() {
        crate::io::output::sync_folder(parent);
    }
    Registry::open(target, unlock)
}

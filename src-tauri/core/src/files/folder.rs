//! A registry folder appears whole or not at all. Creating and restoring build the registry in a hidden
//! folder beside the target and move it in with one rename, so a kill at any moment leaves either no
//! registry (and the target can be used again) or a complete one — never a database without its office or
//! admin, which would neither open nor let a registry be created again.

use std::path::{Path, PathBuf};

use super::output::sync_folder;
use crate::error::{CoreError, Result};

/// A fresh, empty staging folder beside `target` for `purpose` (`creating`, `restoring`). A staging folder
/// left by a killed run is ours by its name and is removed first.
pub fn staging_beside(target: &Path, purpose: &str) -> Result<PathBuf> {
    let name = target.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "registry".into());
    let staging = target.with_file_name(format!(".{name}.{purpose}"));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)
            .map_err(|e| CoreError::io(format!("removing the unfinished {}", staging.display()), e))?;
    }
    std::fs::create_dir_all(&staging).map_err(|e| CoreError::io(format!("creating {}", staging.display()), e))?;
    Ok(staging)
}

/// Refuses a target that holds anything: a registry goes into a new or empty folder.
pub fn check_target_free(target: &Path) -> Result<()> {
    let Ok(mut entries) = std::fs::read_dir(target) else {
        return Ok(());
    };
    if entries.next().is_some() {
        return Err(CoreError::InvalidInput(format!(
            "{} is not empty: a registry goes into a new or empty folder",
            target.display()
        )));
    }
    Ok(())
}

/// Moves the finished, closed staging folder onto `target` (absent or empty) with one rename, its files
/// and the move flushed to disk first and after.
pub fn move_into_place(staging: &Path, target: &Path) -> Result<()> {
    for entry in std::fs::read_dir(staging).map_err(|e| CoreError::io(format!("reading {}", staging.display()), e))? {
        let path = entry.map_err(|e| CoreError::io(format!("reading {}", staging.display()), e))?.path();
        std::fs::File::open(&path)
            .and_then(|f| f.sync_all())
            .map_err(|e| CoreError::io(format!("flushing {}", path.display()), e))?;
    }
    sync_folder(staging);
    check_target_free(target)?;
    if target.exists() {
        std::fs::remove_dir(target)
            .map_err(|e| CoreError::io(format!("replacing the empty {}", target.display()), e))?;
    }
    std::fs::rename(staging, target)
        .map_err(|e| CoreError::io(format!("moving the registry into {}", target.display()), e))?;
    if let Some(parent) = target.parent() {
        sync_folder(parent);
    }
    Ok(())
}

//! Files the registry writes for people (exports, payment files, rejects, backups): complete or absent,
//! never over a file of the registry itself, and never over an existing file unless the person said so.
//!
//! Each output is written to a hidden temporary file beside its target (readable by its owner only),
//! flushed to disk, then moved into place: with `overwrite` off the move refuses an existing target
//! (`renameat2(RENAME_NOREPLACE)` or a hard link, through `tempfile`), so two exports racing for one name
//! cannot replace each other either.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{CoreError, Result};

/// An output being written. Dropped without `finish`, it leaves nothing behind.
pub struct OutputFile {
    tmp: tempfile::NamedTempFile,
    target: PathBuf,
    overwrite: bool,
}

/// Refuses a target inside the registry folder: an export written onto `registry.key` or `registry.db`
/// loses every record, even with the recovery passphrase.
pub fn check_outside_registry(registry_dir: &Path, target: &Path) -> Result<()> {
    let refuse = || {
        CoreError::InvalidInput("files cannot be written into the registry's own folder; choose another folder".into())
    };
    let parent = parent_of(target);
    let (Ok(folder), Ok(registry)) = (parent.canonicalize(), registry_dir.canonicalize()) else {
        // A folder that does not exist cannot be the registry's; the write itself will say it is missing.
        return Ok(());
    };
    if folder.starts_with(&registry) {
        return Err(refuse());
    }
    Ok(())
}

/// Whether an output could go to `target`, without creating anything: long work checks this before it
/// starts rather than failing at its end.
pub fn check_target(registry_dir: &Path, target: &Path, overwrite: bool) -> Result<()> {
    check_outside_registry(registry_dir, target)?;
    check_free(target, overwrite)
}

fn check_free(target: &Path, overwrite: bool) -> Result<()> {
    if target.is_dir() {
        return Err(CoreError::InvalidInput(format!("{} is a folder; give a file name", target.display())));
    }
    if !overwrite && target.symlink_metadata().is_ok() {
        return Err(exists_error(target));
    }
    Ok(())
}

fn parent_of(target: &Path) -> &Path {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn exists_error(target: &Path) -> CoreError {
    CoreError::AlreadyExists { what: format!("the file {}", target.display()) }
}

impl OutputFile {
    /// Starts an output to `target`. Refused at once when the target is in the registry folder, or exists
    /// and `overwrite` is off.
    pub fn create(registry_dir: &Path, target: &Path, overwrite: bool) -> Result<OutputFile> {
        check_target(registry_dir, target, overwrite)?;
        Self::create_anywhere(target, overwrite)
    }

    /// The registry's own files (its key file, a backup's manifest) are written the same way.
    pub(crate) fn create_anywhere(target: &Path, overwrite: bool) -> Result<OutputFile> {
        check_free(target, overwrite)?;
        let tmp = tempfile::Builder::new()
            .prefix(".br-")
            .suffix(".partial")
            .tempfile_in(parent_of(target))
            .map_err(|e| CoreError::io(format!("creating a file in {}", parent_of(target).display()), e))?;
        Ok(OutputFile { tmp, target: target.to_path_buf(), overwrite })
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The file to write to.
    pub fn file(&mut self) -> &mut std::fs::File {
        self.tmp.as_file_mut()
    }

    /// A second handle on the file, for a writer that must own one; drop it before `finish`.
    pub fn file_handle(&self) -> std::io::Result<std::fs::File> {
        self.tmp.as_file().try_clone()
    }

    /// Flushes the file to disk and moves it into place; answers its size.
    pub fn finish(mut self) -> Result<u64> {
        let io = |e: std::io::Error| CoreError::io(format!("writing {}", self.target.display()), e);
        self.tmp.as_file_mut().flush().map_err(io)?;
        self.tmp.as_file().sync_all().map_err(io)?;
        let bytes = self.tmp.as_file().metadata().map_err(io)?.len();
        let target = self.target.clone();
        let persisted = if self.overwrite { self.tmp.persist(&target) } else { self.tmp.persist_noclobber(&target) };
        persisted.map_err(|e| match e.error.kind() {
            std::io::ErrorKind::AlreadyExists => exists_error(&target),
            _ => CoreError::io(format!("writing {}", target.display()), e.error),
        })?;
        sync_folder(parent_of(&target));
        Ok(bytes)
    }
}

/// Makes a rename in `folder` durable. Best effort: some file systems (and Windows) cannot open a folder.
pub fn sync_folder(folder: &Path) {
    if let Ok(dir) = std::fs::File::open(folder) {
        let _ = dir.sync_all();
    }
}

/// Writes a small file of the registry's own (a key file, a manifest) whole, durably, readable by its
/// owner only.
pub(crate) fn write_small(target: &Path, contents: &[u8], overwrite: bool) -> Result<()> {
    let mut out = OutputFile::create_anywhere(target, overwrite)?;
    out.file().write_all(contents).map_err(|e| CoreError::io(format!("writing {}", target.display()), e))?;
    out.finish().map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_onto_the_registry_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let registry = dir.path().join("reg");
        std::fs::create_dir(&registry).unwrap();
        std::fs::write(registry.join("registry.key"), "the key").unwrap();
        for target in [registry.join("registry.key"), registry.join("new.csv"), registry.join("../reg/x.csv")] {
            let e = OutputFile::create(&registry, &target, true).err().unwrap();
            assert!(matches!(e, CoreError::InvalidInput(_)), "{target:?}: {e}");
        }
        assert_eq!(std::fs::read_to_string(registry.join("registry.key")).unwrap(), "the key");
    }

    #[test]
    fn an_existing_file_is_kept_unless_overwrite_was_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let registry = dir.path().join("reg");
        std::fs::create_dir(&registry).unwrap();
        let target = dir.path().join("out.csv");
        std::fs::write(&target, "mine").unwrap();
        assert!(matches!(OutputFile::create(&registry, &target, false), Err(CoreError::AlreadyExists { .. })));
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "mine");
        // A file that appears while the output is being written is not replaced either.
        let other = dir.path().join("race.csv");
        let mut out = OutputFile::create(&registry, &other, false).unwrap();
        out.file().write_all(b"export").unwrap();
        std::fs::write(&other, "arrived first").unwrap();
        assert!(matches!(out.finish(), Err(CoreError::AlreadyExists { .. })));
        assert_eq!(std::fs::read_to_string(&other).unwrap(), "arrived first");
        write_small(&target, b"replaced", true).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "replaced");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn outputs_are_readable_by_their_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("registry.key");
        write_small(&target, b"x", false).unwrap();
        assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

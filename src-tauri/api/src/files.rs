//! How an operation reaches the files it reads and writes. On the desktop and in `br`, files are paths on
//! this computer, chosen in the system's file dialog or typed in a terminal. Through `br serve` a browser
//! sends files up (`POST /api/upload`) and takes them down (`GET /api/download/ID`); a path on the serving
//! computer is refused there, so no request from a browser names a file on the server's disk.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use br_core::CoreError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A file an operation reads.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(untagged)]
pub enum InputFile {
    /// A file sent up through `POST /api/upload` (a browser on `br serve`).
    Upload { upload: String },
    /// A path on the computer that runs the registry (the desktop app, `br`).
    Path { path: String },
}

/// Where an operation's output goes.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(untagged)]
pub enum OutputFile {
    /// Offered for download once written (a browser on `br serve`).
    Download { download: bool },
    /// A path on the computer that runs the registry; an existing file is replaced only with `overwrite`.
    Path {
        path: String,
        #[serde(default)]
        overwrite: bool,
    },
}

/// A written file waiting to be fetched once from `GET /api/download/{id}`.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Download {
    pub id: String,
    pub name: String,
    pub bytes: u64,
}

/// An operation's answer and the files it wrote for download.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Delivered<T> {
    pub result: T,
    pub downloads: Vec<Download>,
}

/// The files of one request.
pub trait FileAccess: Sync {
    /// The path to read an input from.
    fn input(&self, file: &InputFile) -> Result<PathBuf, CoreError>;
    /// The path to write an output named `name` to, and whether an existing file there may be replaced.
    fn output(&self, file: &OutputFile, name: &str) -> Result<(PathBuf, bool), CoreError>;
    /// A folder on this computer (backups); refused where files travel over HTTP.
    fn folder(&self, path: &str) -> Result<PathBuf, CoreError>;
    /// Offers a written output for download, when it was asked for as one.
    fn deliver(&self, file: &OutputFile, written: &Path) -> Result<Option<Download>, CoreError>;
}

fn refused_path() -> CoreError {
    CoreError::InvalidInput(
        "a browser cannot name files on the computer that serves the registry; upload the file instead".into(),
    )
}

fn no_transfers() -> CoreError {
    CoreError::InvalidInput("uploads and downloads are for a browser on br serve; give a path".into())
}

/// Paths on this computer: the desktop app and `br`.
pub struct LocalFiles;

impl FileAccess for LocalFiles {
    fn input(&self, file: &InputFile) -> Result<PathBuf, CoreError> {
        match file {
            InputFile::Path { path } => Ok(PathBuf::from(path)),
            InputFile::Upload { .. } => Err(no_transfers()),
        }
    }

    fn output(&self, file: &OutputFile, _name: &str) -> Result<(PathBuf, bool), CoreError> {
        match file {
            OutputFile::Path { path, overwrite } => Ok((PathBuf::from(path), *overwrite)),
            OutputFile::Download { .. } => Err(no_transfers()),
        }
    }

    fn folder(&self, path: &str) -> Result<PathBuf, CoreError> {
        Ok(PathBuf::from(path))
    }

    fn deliver(&self, _file: &OutputFile, _written: &Path) -> Result<Option<Download>, CoreError> {
        Ok(None)
    }
}

/// An upload is kept this long after it arrives, a download this long after it was written.
const UPLOAD_LIFETIME: Duration = Duration::from_secs(60 * 60);
const DOWNLOAD_LIFETIME: Duration = Duration::from_secs(15 * 60);

struct Staged {
    path: PathBuf,
    name: String,
    /// The public id of the session it belongs to: nobody else reads it.
    session: String,
    created: Instant,
}

/// Files sent up and waiting to be taken down, in a private temporary folder that is removed with it.
pub struct Transfers {
    folder: tempfile::TempDir,
    uploads: Mutex<HashMap<String, Staged>>,
    downloads: Mutex<HashMap<String, Staged>>,
}

fn random_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A file name as a person would see it: the last part of what was given, without path separators or
/// control characters, at most 100 characters.
pub fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control() && !matches!(c, '"' | ':')).take(100).collect();
    let clean = clean.trim().trim_start_matches('.').to_string();
    if clean.is_empty() {
        "file".into()
    } else {
        clean
    }
}

impl Transfers {
    pub fn new() -> std::io::Result<Transfers> {
        Ok(Transfers {
            folder: tempfile::Builder::new().prefix("br-transfers-").tempdir()?,
            uploads: Mutex::default(),
            downloads: Mutex::default(),
        })
    }

    fn prune(map: &mut HashMap<String, Staged>, lifetime: Duration) {
        map.retain(|_, s| {
            let keep = s.created.elapsed() < lifetime;
            if !keep {
                let _ = std::fs::remove_dir_all(s.path.parent().unwrap_or(&s.path));
            }
            keep
        });
    }

    /// A new file for an upload by `session`: its id and where to write it.
    pub fn new_upload(&self, session: &str, name: &str) -> std::io::Result<(String, PathBuf)> {
        let id = random_id();
        let dir = self.folder.path().join(format!("up-{id}"));
        std::fs::create_dir(&dir)?;
        let name = clean_name(name);
        let path = dir.join(&name);
        let mut uploads = crate::lock(&self.uploads);
        Self::prune(&mut uploads, UPLOAD_LIFETIME);
        uploads
            .insert(id.clone(), Staged { path: path.clone(), name, session: session.into(), created: Instant::now() });
        Ok((id, path))
    }

    /// Forgets an upload that did not arrive whole.
    pub fn discard_upload(&self, id: &str) {
        if let Some(s) = crate::lock(&self.uploads).remove(id) {
            let _ = std::fs::remove_dir_all(s.path.parent().unwrap_or(&s.path));
        }
    }

    /// Takes a download (once): its file and name, while the session that made it lives. The id is the
    /// capability (256 random bits, one use, minutes long): a browser's link cannot carry a header.
    pub fn take_download(&self, id: &str, session_lives: impl Fn(&str) -> bool) -> Option<(PathBuf, String)> {
        let mut downloads = crate::lock(&self.downloads);
        Self::prune(&mut downloads, DOWNLOAD_LIFETIME);
        match downloads.get(id) {
            Some(s) if session_lives(&s.session) => downloads.remove(id).map(|s| (s.path, s.name)),
            _ => None,
        }
    }

    /// The files of one session's request.
    pub fn for_session<'a>(&'a self, session: &'a str) -> SessionFiles<'a> {
        SessionFiles { transfers: self, session }
    }
}

pub struct SessionFiles<'a> {
    transfers: &'a Transfers,
    session: &'a str,
}

impl FileAccess for SessionFiles<'_> {
    fn input(&self, file: &InputFile) -> Result<PathBuf, CoreError> {
        match file {
            InputFile::Upload { upload } => {
                let uploads = crate::lock(&self.transfers.uploads);
                match uploads.get(upload) {
                    Some(s) if s.session == self.session => Ok(s.path.clone()),
                    _ => Err(CoreError::not_found("upload (it expires an hour after it arrives)")),
                }
            }
            InputFile::Path { .. } => Err(refused_path()),
        }
    }

    fn output(&self, file: &OutputFile, name: &str) -> Result<(PathBuf, bool), CoreError> {
        match file {
            OutputFile::Download { .. } => {
                let dir = self.transfers.folder.path().join(format!("down-{}", random_id()));
                std::fs::create_dir(&dir).map_err(|e| CoreError::io("preparing a download", e))?;
                Ok((dir.join(clean_name(name)), false))
            }
            OutputFile::Path { .. } => Err(refused_path()),
        }
    }

    fn folder(&self, _path: &str) -> Result<PathBuf, CoreError> {
        Err(CoreError::InvalidInput(
            "backups are made and restored on the computer that holds the registry (the desktop app or br)".into(),
        ))
    }

    fn deliver(&self, file: &OutputFile, written: &Path) -> Result<Option<Download>, CoreError> {
        if !matches!(file, OutputFile::Download { .. }) {
            return Ok(None);
        }
        let bytes = std::fs::metadata(written).map_err(|e| CoreError::io("preparing a download", e))?.len();
        let id = random_id();
        let name = written.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "file".into());
        let mut downloads = crate::lock(&self.transfers.downloads);
        Transfers::prune(&mut downloads, DOWNLOAD_LIFETIME);
        let staged = Staged {
            path: written.to_path_buf(),
            name: name.clone(),
            session: self.session.into(),
            created: Instant::now(),
        };
        downloads.insert(id.clone(), staged);
        Ok(Some(Download { id, name, bytes }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_cannot_name_a_server_path_and_uploads_belong_to_their_session() {
        let t = Transfers::new().unwrap();
        let files = t.for_session("s1");
        let etc = InputFile::Path { path: "/etc/passwd".into() };
        assert!(matches!(files.input(&etc), Err(CoreError::InvalidInput(_))));
        let key = OutputFile::Path { path: "/reg/registry.key".into(), overwrite: true };
        assert!(files.output(&key, "x.csv").is_err());
        assert!(files.folder("/media/usb").is_err());
        let (id, path) = t.new_upload("s1", "../../etc/people.csv").unwrap();
        assert!(path.starts_with(t.folder.path()));
        assert_eq!(path.file_name().unwrap(), "people.csv");
        assert_eq!(files.input(&InputFile::Upload { upload: id.clone() }).unwrap(), path);
        assert!(t.for_session("s2").input(&InputFile::Upload { upload: id }).is_err());
        let (out, overwrite) = files.output(&OutputFile::Download { download: true }, "payments.csv").unwrap();
        assert!(!overwrite && out.starts_with(t.folder.path()));
        std::fs::write(&out, "a,b\n").unwrap();
        let d = files.deliver(&OutputFile::Download { download: true }, &out).unwrap().unwrap();
        assert_eq!((d.name.as_str(), d.bytes), ("payments.csv", 4));
        assert!(t.take_download(&d.id, |s| s == "s2").is_none(), "its session has ended");
        assert_eq!(t.take_download(&d.id, |s| s == "s1").unwrap().0, out);
        assert!(t.take_download(&d.id, |s| s == "s1").is_none(), "once");
    }

    #[test]
    fn names_lose_their_folders_and_control_characters() {
        assert_eq!(clean_name(r"C:\Users\me\report.csv"), "report.csv");
        assert_eq!(clean_name(".."), "file");
        assert_eq!(clean_name("a\u{0}b\"c.csv"), "abc.csv");
    }
}

//! Settings: a TOML file (`--config`, `BR_SERVER_CONFIG`) gives defaults; `BR_SERVER_*` variables and flags
//! override it. Nothing here is state: every process given the same settings serves the same desks.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Result, ServerError};

/// The file's keys (all optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub allow_plain_http: Option<bool>,
    pub pool_size: Option<usize>,
    pub enrolment_code_hours: Option<u32>,
    pub snapshot_chunk_ops: Option<usize>,
    /// Social Registry sources by name: each a mapping file (docs/interop.md).
    pub sr_sources: Option<std::collections::BTreeMap<String, PathBuf>>,
    /// The disbursement engine's settings file (docs/interop.md).
    pub disbursement_engine: Option<PathBuf>,
}

impl FileConfig {
    pub fn read(path: Option<&Path>) -> Result<FileConfig> {
        let Some(path) = path else { return Ok(FileConfig::default()) };
        let text = std::fs::read_to_string(path)
            .map_err(|e| ServerError::Config(format!("cannot read {}: {e}", path.display())))?;
        toml::from_str(&text).map_err(|e| ServerError::Config(format!("{}: {e}", path.display())))
    }
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8750";
pub const DEFAULT_POOL_SIZE: usize = 16;
pub const DEFAULT_CODE_HOURS: u32 = 72;

/// Where to listen and how.
#[derive(Debug, Clone)]
pub struct Listen {
    pub addr: SocketAddr,
    pub tls: Option<(PathBuf, PathBuf)>,
}

impl Listen {
    /// Plain HTTP is allowed only on loopback unless the operator says otherwise: beyond this computer,
    /// requests and their personal data travel over TLS.
    pub fn resolve(
        addr: Option<String>,
        cert: Option<PathBuf>,
        key: Option<PathBuf>,
        allow_plain_http: bool,
    ) -> Result<Listen> {
        let text = addr.unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let addr: SocketAddr =
            text.parse().map_err(|_| ServerError::Config(format!("listen address `{text}` is not host:port")))?;
        let tls = match (cert, key) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            _ => return Err(ServerError::Config("TLS needs both a certificate and a key".into())),
        };
        if tls.is_none() && !addr.ip().is_loopback() && !allow_plain_http {
            return Err(ServerError::Config(format!(
                "{addr} is reachable beyond this computer: give --tls-cert and --tls-key, or --allow-plain-http \
                 behind a TLS-terminating proxy"
            )));
        }
        Ok(Listen { addr, tls })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_beyond_loopback_is_refused_unless_allowed() {
        assert!(Listen::resolve(Some("0.0.0.0:8750".into()), None, None, false).is_err());
        assert!(Listen::resolve(Some("0.0.0.0:8750".into()), None, None, true).is_ok());
        assert!(Listen::resolve(Some("127.0.0.1:1".into()), None, None, false).is_ok());
        assert!(Listen::resolve(Some("[::1]:1".into()), None, None, false).is_ok());
        assert!(Listen::resolve(Some("127.0.0.1:1".into()), Some("c".into()), None, false).is_err());
        assert!(Listen::resolve(Some("nowhere".into()), None, None, false).is_err());
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.toml");
        std::fs::write(&path, "database_url = \"postgres://x\"\nlisten_on = \"1\"\n").unwrap();
        assert!(FileConfig::read(Some(&path)).is_err());
        std::fs::write(&path, "database_url = \"postgres://x\"\npool_size = 4\n").unwrap();
        assert_eq!(FileConfig::read(Some(&path)).unwrap().pool_size, Some(4));
    }
}

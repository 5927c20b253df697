//! TLS for `br serve` beyond this computer: the operator's certificate and key (PEM), served with rustls.
//! Sessions, passwords and personal data never cross a network in clear text, so an address beyond
//! loopback without a certificate is refused.

use std::path::PathBuf;
use std::sync::Arc;

use br_api::ApiError;

/// A certificate chain and its private key, both PEM files on the serving computer.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub certificate: PathBuf,
    pub key: PathBuf,
}

/// The server's TLS settings: TLS 1.2 and 1.3 with rustls' safe defaults, on the ring provider.
pub fn server_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, ApiError> {
    br_protocol::tls::server_config(&files.certificate, &files.key).map_err(ApiError::invalid)
}

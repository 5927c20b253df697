//! TLS for `br serve` beyond this computer: the operator's certificate and key (PEM), served with rustls.
//! Sessions, passwords and personal data never cross a network in clear text, so an address beyond
//! loopback without a certificate is refused.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use br_api::ApiError;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A certificate chain and its private key, both PEM files on the serving computer.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub certificate: PathBuf,
    pub key: PathBuf,
}

fn unreadable(what: &str, path: &Path, e: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(format!("cannot use the TLS {what} {}: {e}", path.display()))
}

/// The server's TLS settings: TLS 1.2 and 1.3 with rustls' safe defaults, on the ring provider.
pub fn server_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, ApiError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.certificate)
        .map_err(|e| unreadable("certificate", &files.certificate, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| unreadable("certificate", &files.certificate, e))?;
    if chain.is_empty() {
        return Err(unreadable("certificate", &files.certificate, "no CERTIFICATE block in it"));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| unreadable("key", &files.key, e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ApiError::invalid(format!("TLS settings: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| ApiError::invalid(format!("the TLS certificate and key do not go together: {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

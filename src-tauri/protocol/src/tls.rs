//! The TLS settings both servers (`br serve` and `br-server`) use: the operator's PEM certificate chain and
//! key, TLS 1.2 and 1.3 with rustls' safe defaults on the ring provider.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

fn unreadable(what: &str, path: &Path, e: impl std::fmt::Display) -> String {
    format!("cannot use the TLS {what} {}: {e}", path.display())
}

pub fn server_config(certificate: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(certificate)
        .map_err(|e| unreadable("certificate", certificate, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| unreadable("certificate", certificate, e))?;
    if chain.is_empty() {
        return Err(unreadable("certificate", certificate, "no CERTIFICATE block in it"));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| unreadable("key", key, e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS settings: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|e| format!("the TLS certificate and key do not go together: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

//! `br serve` over TLS: with the operator's certificate it serves HTTPS (also beyond loopback), answers
//! nothing in clear text on that port, and tells browsers to keep to HTTPS.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

// The same throwaway authority the sync server's TLS test uses.
#[path = "../../server/tests/common/certs.rs"]
mod certs;
use certs::certificate;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ui(dir: &Path) -> PathBuf {
    let ui = dir.join("ui");
    std::fs::create_dir_all(&ui).unwrap();
    std::fs::write(ui.join("index.html"), "<!doctype html><title>Registry</title>").unwrap();
    ui
}

/// Starts `br serve` with TLS on `listen`; returns the server and the port it took.
fn serve_tls(dir: &Path, listen: &str, cert: &Path, key: &Path) -> (Server, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_br"))
        .args([
            "--registry",
            dir.join("reg").to_str().unwrap(),
            "serve",
            "--listen",
            listen,
            "--server-name",
            "localhost",
        ])
        .arg("--tls-cert")
        .arg(cert)
        .arg("--tls-key")
        .arg(key)
        .arg("--ui")
        .arg(ui(dir))
        .env("BR_KEYRING", "off")
        .env_remove("BR_PASSPHRASE")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.contains("https://"), "{line}");
    let port = line.rsplit(':').next().unwrap().split('/').next().unwrap().parse().unwrap();
    (Server(child), port)
}

/// One HTTPS request to 127.0.0.1:`port` for `localhost`, trusting only the authority `cert`; returns the response head
/// (lower-cased) and body.
fn https(port: u16, cert: &Path, body: &str) -> (String, String) {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(cert).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connection =
        rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap()).unwrap();
    let mut tls = rustls::StreamOwned::new(connection, TcpStream::connect(("127.0.0.1", port)).unwrap());
    write!(
        tls,
        "POST /api/app HTTP/1.1\r\nHost: localhost:{port}\r\nOrigin: https://localhost:{port}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = Vec::new();
    // A server may close without TLS's close_notify once the response is sent.
    let _ = tls.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (head.to_ascii_lowercase(), body.to_string())
}

#[test]
fn with_a_certificate_it_serves_https_only_and_beyond_loopback() {
    let tmp = tempfile::tempdir().unwrap();
    let (authority, cert, key) = certificate(tmp.path());
    let (_server, port) = serve_tls(tmp.path(), "127.0.0.1:0", &cert, &key);
    let (head, body) = https(port, &authority, r#"{"action":"status"}"#);
    assert!(head.starts_with("http/1.1 200"), "{head}\n{body}");
    assert!(head.contains("strict-transport-security: max-age=31536000"), "{head}");
    assert!(body.contains("\"state\""), "{body}");

    // The same port in clear text answers no HTTP at all (the server may hang up before the request is
    // even written: that is an answer too).
    let mut plain = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let _ = write!(plain, "POST /api/app HTTP/1.1\r\nHost: localhost:{port}\r\nContent-Length: 2\r\n\r\n{{}}");
    let mut out = Vec::new();
    let _ = plain.read_to_end(&mut out);
    assert!(!String::from_utf8_lossy(&out).contains("HTTP/1.1 200"));

    // Beyond loopback with a certificate it starts, and serves the names it was given.
    let (_wide, wide_port) = serve_tls(tmp.path(), "0.0.0.0:0", &cert, &key);
    let (head, _) = https(wide_port, &authority, r#"{"action":"status"}"#);
    assert!(head.starts_with("http/1.1 200"), "{head}");
}

#[test]
fn a_certificate_that_is_not_one_is_refused_with_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let bogus = tmp.path().join("bogus.pem");
    std::fs::write(&bogus, "not a certificate").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_br"))
        .args(["--registry", tmp.path().join("reg").to_str().unwrap(), "serve", "--listen", "0.0.0.0:0"])
        .arg("--tls-cert")
        .arg(&bogus)
        .arg("--tls-key")
        .arg(&bogus)
        .arg("--ui")
        .arg(ui(tmp.path()))
        .env("BR_KEYRING", "off")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("TLS certificate"), "{err}");
}

//! Test certificates made with `openssl`: a throwaway authority and a certificate it signed for
//! `localhost` and 127.0.0.1. Shared by the TLS tests of `br serve` and of `br-server serve`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn openssl(args: &[&str], dir: &Path) {
    let out =
        Command::new("openssl").args(args).current_dir(dir).output().expect("openssl makes the test certificates");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A throwaway authority and a certificate it signed for `localhost` and 127.0.0.1 (a self-signed
/// certificate is refused as a server's own by the client, rightly). Returns (authority, certificate, key).
pub fn certificate(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2"];
    openssl(
        &[&["req", "-x509"], &ec[..], &["-subj", "/CN=Test authority", "-keyout", "ca.key", "-out", "ca.pem"]].concat(),
        dir,
    );
    let leaf = [
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-addext",
        "basicConstraints=CA:FALSE",
    ];
    openssl(
        &[
            &["req", "-x509", "-CA", "ca.pem", "-CAkey", "ca.key"],
            &ec[..],
            &leaf[..],
            &["-keyout", "key.pem", "-out", "cert.pem"],
        ]
        .concat(),
        dir,
    );
    (dir.join("ca.pem"), dir.join("cert.pem"), dir.join("key.pem"))
}

//! `br-server serve` over TLS: a desk that trusts the server's authority (`br sync enrol --ca`) enrols and
//! syncs; a desk that does not is refused before anything is sent, and its code stays unspent; a desk
//! cannot be pointed at a plain-HTTP server beyond loopback.

mod common;

use br_core::error::ErrorCode;
use common::certs::certificate;
use common::{people, Central, Desk, Server};

#[test]
fn a_desk_syncs_over_tls_only_with_the_servers_authority() {
    let central = Central::new(&[("HQ", true)]);
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificate(dir.path());
    let server = Server::start_with(
        &central.pg.url,
        0,
        &["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()],
    );
    assert!(server.url.starts_with("https://"), "{}", server.url);
    let url = server.url.replace("127.0.0.1", "localhost");
    let code = central.code("HQ");

    let desk = Desk::new("HQ");
    let untrusted = desk.enrol(&url, &code).unwrap_err();
    assert_eq!(untrusted.code(), ErrorCode::ServerUnreachable, "{untrusted}");
    assert_eq!(central.count("SELECT count(*) FROM devices"), 0, "nothing reached the server");

    let status = desk.enrol_trusting(&url, &code, Some(std::fs::read_to_string(&ca).unwrap())).unwrap();
    assert!(status.enrolled, "the unspent code enrols the desk once it trusts the authority");
    desk.import(&people("T-", 20));
    let summary = desk.sync();
    assert_eq!(summary.pushed, desk.count("SELECT count(*) FROM outbox WHERE format > 0") as u64);
    assert_eq!(central.count("SELECT count(*) FROM ops"), summary.pushed as i64);

    // Plain HTTP to the TLS port gets no answer a desk could take for the server's.
    let plain = Desk::new("HQ");
    let refused = plain.enrol(&server.url.replace("https://", "http://"), &central.code("HQ")).unwrap_err();
    assert_eq!(refused.code(), ErrorCode::ServerUnreachable, "{refused}");
    let beyond = plain.enrol("http://192.0.2.1:8750", "code").unwrap_err();
    assert_eq!(beyond.code(), ErrorCode::InvalidInput, "{beyond}");
}

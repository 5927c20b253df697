//! A desk's first sync comes as a snapshot: chunks checked against the manifest, a broken download resumed
//! at the first chunk not yet verified, a damaged or vanished snapshot replaced, a server killed while it
//! builds one, and a snapshot asked for by another office refused. Each ends with the desk holding what
//! the desk that wrote the data holds.

mod common;

use br_protocol::wire::SnapshotManifest;
use common::proxy::Proxy;
use common::raw::enrol_raw;
use common::{assert_same, nothing_twice, people, Central, Desk, Server};

/// Small chunks, so a registry of a few thousand people comes in many.
const CHUNKS: [&str; 2] = ["--snapshot-chunk-ops", "200"];

fn manifest(desk: &Desk) -> Option<SnapshotManifest> {
    let text = desk.column::<Option<String>>("SELECT snapshot_manifest FROM sync_server")[0].clone();
    text.map(|t| serde_json::from_str(&t).unwrap())
}

/// The desk applied exactly the chunks before its bookmark, and nothing past them.
fn applied_up_to_bookmark(desk: &Desk) -> i64 {
    let next = desk.count("SELECT snapshot_next FROM sync_server");
    if let Some(manifest) = manifest(desk) {
        let ops: u32 = manifest.chunks[..next as usize].iter().map(|c| c.ops).sum();
        assert_eq!(desk.count("SELECT count(*) FROM applied_ops"), ops as i64, "applied = chunks before {next}");
    }
    next
}

#[test]
fn a_broken_download_resumes_at_the_first_chunk_not_verified() {
    let central = Central::new(&[("HQ", true), ("NTH", false)]);
    let server = Server::start_with(&central.pg.url, 0, &CHUNKS);
    let source = Desk::new("HQ");
    source.enrol(&server.url, &central.code("HQ")).unwrap();
    source.import(&people("S-", 1_500));
    source.sync();

    // The answer cut after a number of bytes, again and again: each sync gets further and never goes back.
    let proxy = Proxy::start(&server.url);
    let fresh = Desk::new("HQ");
    fresh.enrol(&proxy.url, &central.code("HQ")).unwrap();
    // The office's first desk pulled the few ops of others instead of taking a snapshot of its own.
    assert_eq!(central.count("SELECT count(*) FROM snapshots"), 0);
    // Cut first in the manifest's answer, then each time after about two and a half chunks more.
    proxy.cut(0, 300);
    assert!(fresh.try_sync().is_err(), "a sync cut in the manifest's answer fails");
    assert!(manifest(&fresh).is_none(), "a manifest that did not arrive whole is not kept");
    let chunks = central.count("SELECT count(*) FROM snapshot_chunks");
    let average = central.count("SELECT (sum(length(body)) / count(*))::bigint FROM snapshot_chunks") as usize;
    assert!(chunks >= 6, "{chunks} chunks");
    let (mut last, mut stops) = (0, 0);
    for attempt in 0.. {
        assert!(attempt <= chunks, "every cut sync gets further");
        proxy.cut(0, 600 + average * 5 / 2);
        let result = fresh.try_sync();
        let next = applied_up_to_bookmark(&fresh);
        if result.is_ok() || manifest(&fresh).is_none() {
            break;
        }
        assert!(next > last, "each sync applies at least one more chunk and never goes back ({last}, then {next})");
        stops += 1;
        last = next;
    }
    assert!(stops >= 2, "cuts stopped the snapshot between its chunks {stops} times");
    proxy.cut(0, 0);
    fresh.sync();
    assert_eq!(fresh.count("SELECT pull_cursor FROM sync_server"), central.count("SELECT max(cursor) FROM ops"));
    assert!(manifest(&fresh).is_none(), "the finished snapshot is forgotten; pull carries on");
    nothing_twice(&central, &fresh);
    assert_same(&source, &fresh, "after a download broken five times");

    // Later changes come by pull, not by another snapshot.
    let snapshots = central.count("SELECT count(*) FROM snapshots");
    source.import(&people("T-", 50));
    source.sync();
    fresh.sync();
    assert_eq!(central.count("SELECT count(*) FROM snapshots"), snapshots);
    assert_same(&source, &fresh, "after a pull");
}

/// The id of the one snapshot the server keeps.
fn manifest_of_office(central: &Central) -> String {
    central.text("SELECT id::text FROM snapshots")
}

#[test]
fn a_damaged_chunk_is_never_applied_and_a_vanished_snapshot_is_asked_for_again() {
    let central = Central::new(&[("HQ", true), ("NTH", false)]);
    let server = Server::start_with(&central.pg.url, 0, &CHUNKS);
    let source = Desk::new("NTH");
    source.enrol(&server.url, &central.code("NTH")).unwrap();
    source.import(&people("N-", 1_200));
    source.sync();
    let fresh = Desk::new("NTH");
    fresh.enrol(&server.url, &central.code("NTH")).unwrap();
    // The office's snapshot, made for another desk a moment ago, with one byte of its third chunk changed.
    let (_, _, other) = enrol_raw(&server.url, &central.code("NTH"), br_protocol::PROTOCOL_VERSION);
    let other = other.unwrap();
    let (status, made) = other.post_json("/sync/v1/snapshot", b"{}");
    assert_eq!(status, 200, "{made}");
    let made: SnapshotManifest = serde_json::from_value(made).unwrap();
    assert!(made.chunks.len() >= 5, "{} chunks", made.chunks.len());
    central.execute("UPDATE snapshot_chunks SET body = set_byte(body, 40, get_byte(body, 40) # 255) WHERE n = 2");

    let failed = fresh.try_sync().unwrap_err();
    assert_eq!(failed.code(), br_core::error::ErrorCode::ServerUnreachable, "{failed}");
    assert!(failed.to_string().contains("chunk 2"), "{failed}");
    assert_eq!(manifest(&fresh).unwrap().id, made.id, "the desk took the office's recent snapshot");
    assert_eq!(applied_up_to_bookmark(&fresh), 2, "chunks 0 and 1 applied, the damaged one not");

    // The snapshot is gone (an operator cleared it, or it expired): the desk asks for a new one and applies
    // only what it does not hold yet.
    central.execute("DELETE FROM snapshots");
    let summary = fresh.sync();
    assert!(summary.unchanged > 0 || summary.applied > 0);
    assert_same(&source, &fresh, "after a damaged chunk and a vanished snapshot");
    assert_eq!(central.count("SELECT count(*) FROM snapshots"), 1);

    // Another office's desk cannot read this office's chunks, and a malformed name is refused.
    let (_, _, hq) = enrol_raw(&server.url, &central.code("HQ"), br_protocol::PROTOCOL_VERSION);
    let hq = hq.unwrap();
    let (status, answer) = hq.get_json(&format!("/sync/v1/snapshot/{}/0", manifest_of_office(&central)));
    assert_eq!((status, answer["code"].as_str()), (410, Some("snapshot_gone")), "{answer}");
    let (status, answer) = hq.get_json("/sync/v1/snapshot/not-an-id/0");
    assert_eq!((status, answer["code"].as_str()), (400, Some("invalid_request")), "{answer}");
    let refused = format!(
        "SELECT count(*) FROM audit WHERE outcome = 'refused:snapshot_gone' AND actor = 'device:{}'",
        hq.device
    );
    assert_eq!(central.count(&refused), 1, "the refusal is audited");
}

#[test]
fn a_server_killed_while_it_builds_a_snapshot_leaves_nothing_half_made() {
    let central = Central::new(&[("HQ", true)]);
    let mut server = Server::start_with(&central.pg.url, 0, &CHUNKS);
    let source = Desk::new("HQ");
    source.enrol(&server.url, &central.code("HQ")).unwrap();
    source.import(&people("K-", 1_500));
    source.sync();
    let fresh = Desk::new("HQ");
    fresh.enrol(&server.url, &central.code("HQ")).unwrap();

    // The build waits to write its first chunk; the server dies there.
    let held = central.hold("LOCK TABLE snapshot_chunks IN SHARE MODE");
    let port = server.port();
    let interrupted = std::thread::scope(|s| {
        let running = s.spawn(|| fresh.try_sync());
        central.wait_for(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
             WHERE c.relname = 'snapshot_chunks' AND NOT l.granted",
        );
        server.kill();
        running.join().unwrap()
    });
    drop(held);
    assert!(interrupted.is_err(), "the first sync was cut by the kill");
    assert_eq!(central.count("SELECT count(*) FROM snapshots"), 0, "no half-built snapshot is kept");
    assert!(manifest(&fresh).is_none());

    let _server = Server::start_with(&central.pg.url, port, &CHUNKS);
    fresh.sync();
    assert_eq!(central.count("SELECT count(*) FROM snapshots"), 1);
    nothing_twice(&central, &fresh);
    assert_same(&source, &fresh, "after the server was killed mid-snapshot");
}

//! Paying through a disbursement engine (a G2P Bridge 1.x fake): a cycle of 5,000 payments sent in pages,
//! polled and reconciled. The engine leaves one page unanswered after taking it, answers 500 to another,
//! fails three payments and reverses one: every payment is with the engine exactly once, the results on
//! headquarters' desk are the engine's, sending again sends nothing, and the retry batch pays only what
//! failed.

mod common;

use std::process::Command;
use std::time::Duration;

use br_core::disbursement::payment::{self, PreparePayments};
use br_protocol::disburse::{DisburseAction, DisburseStatus};
use common::fake_connect::{ConnectFaults, FakeConnect};
use common::fake_engine::{FakeEngine, Faults};
use common::{Central, Server};
use uuid::Uuid;

const PEOPLE: usize = 5_000;

fn disburse(central: &Central, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_br-server"))
        .arg("disburse")
        .args(args)
        .env("BR_SERVER_DATABASE_URL", &central.pg.url)
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[test]
fn a_batch_is_paid_once_through_faults_and_its_results_reach_the_desks() {
    let central = Central::new(&[("HQ", true), ("NTH", false)]);
    let server = Server::start(&central.pg.url);
    let story = common::story::prepared_cycle(&central, &server, PEOPLE, false);
    let hq = &story.hq;
    let payments: Vec<uuid::Uuid> = hq.column("SELECT id FROM payments ORDER BY rowid");
    assert_eq!(payments.len(), PEOPLE);
    let pick = |n: usize| payments[n].to_string();
    let engine = FakeEngine::start(Faults {
        unanswered_call: Some(3),
        unanswered_delay: Duration::from_secs(4),
        error_call: Some(6),
        fail: [pick(10), pick(2_000), pick(4_999)].into_iter().collect(),
        reverse: [pick(77)].into_iter().collect(),
    });
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("engine.toml");
    std::fs::write(&settings, engine.settings(500, 2)).unwrap();
    let settings = settings.to_str().unwrap();
    let batch = story.batch.to_string();

    // Sent through both faults: the unanswered page was taken, so its envelope is cancelled and the batch
    // goes again in a new one; the 500 page is sent again once the engine says it holds none of it.
    let (ok, out) = disburse(&central, &["send", &batch, "--engine", settings]);
    assert!(ok, "{out}");
    assert!(out.contains(&format!("{PEOPLE} payments sent")), "{out}");
    assert!(out.contains("1 restarts"), "{out}");
    let live = engine.engine.live();
    assert_eq!(live.len(), PEOPLE, "every payment is with the engine");
    assert!(live.values().all(|n| *n == 1), "no payment is with the engine twice");
    assert_eq!(
        central.count("SELECT count(*) FROM disbursement_payments WHERE state = 'sent' AND engine_id IS NOT NULL"),
        PEOPLE as i64
    );
    assert_eq!(central.count("SELECT count(*) FROM disbursement_envelopes WHERE state = 'cancelled'"), 1);

    // Sending again sends nothing.
    let calls = engine.engine.create_calls.load(std::sync::atomic::Ordering::Relaxed);
    let (ok, out) = disburse(&central, &["send", &batch, "--engine", settings]);
    assert!(ok && out.contains(&format!("0 payments sent in 0 pages, {PEOPLE} already with the engine")), "{out}");
    assert_eq!(engine.engine.create_calls.load(std::sync::atomic::Ordering::Relaxed), calls);

    // The results, passed on as payment results; headquarters' desk holds exactly the engine's.
    let (ok, out) = disburse(&central, &["status", &batch, "--engine", settings]);
    assert!(ok, "{out}");
    assert!(out.contains(&format!("engine: {} paid, 3 failed, 1 reversed, 0 pending", PEOPLE - 4)), "{out}");
    hq.sync();
    let state = |s: &str| hq.count(&format!("SELECT count(*) FROM payments WHERE state = '{s}'"));
    assert_eq!((state("paid"), state("failed"), state("reversed")), (PEOPLE as i64 - 4, 3, 1));
    assert_eq!(
        hq.count("SELECT count(*) FROM payments WHERE state = 'failed' AND reason = 'invalid_account_details'"),
        3
    );
    assert_eq!(
        hq.count("SELECT count(*) FROM payments WHERE state = 'paid' AND external_ref LIKE 'RD%'"),
        PEOPLE as i64 - 4
    );
    assert_eq!(hq.count("SELECT count(*) FROM payment_batches WHERE state = 'sent'"), 1);
    // Polling again passes nothing on twice.
    let before = central.count("SELECT count(*) FROM ops WHERE kind = 'payment_results'");
    disburse(&central, &["status", &batch, "--engine", settings]);
    assert_eq!(central.count("SELECT count(*) FROM ops WHERE kind = 'payment_results'"), before);
    // The district desk sees its people's results too.
    story.north.sync();
    assert_eq!(story.north.count("SELECT count(*) FROM payments WHERE state = 'failed'"), 3);

    // The retry batch holds the three failed payments only, and the engine pays only those.
    let retry = payment::prepare(
        hq.registry.store(),
        &story.finance,
        &PreparePayments { cycle: story.cycle, batch_size: None },
        &|_| {},
    )
    .unwrap();
    assert_eq!(retry.batches.len(), 1);
    hq.sync();
    let (ok, out) = disburse(&central, &["send", &retry.batches[0].id.to_string(), "--engine", settings]);
    assert!(ok && out.contains("3 payments sent"), "{out}");
    assert_eq!(engine.engine.live().len(), PEOPLE + 3);
    hq.check();
    let broken = engine.engine.violations.lock().unwrap().clone();
    assert!(broken.is_empty(), "every request we sent follows the published schema: {broken:#?}");
}

/// The headquarters desk's cycle page, as its operations: the batch's status until the server stops
/// working on it.
fn engine(desk: &common::Desk, who: &br_core::auth::Session, batch: Uuid, action: DisburseAction) -> DisburseStatus {
    let ask = |action| br_core::sync::engine_batch(desk.registry.store(), who, batch, action);
    let mut status = ask(action).unwrap();
    let started = std::time::Instant::now();
    while status.running.is_some() {
        assert!(started.elapsed() < Duration::from_secs(120), "the server still works on the batch: {status:?}");
        std::thread::sleep(Duration::from_millis(200));
        status = ask(DisburseAction::Status).unwrap();
    }
    status
}

#[test]
fn headquarters_sends_a_batch_from_its_cycle_page_and_sees_it_paid() {
    const FEW: usize = 300;
    let central = Central::new(&[("HQ", true), ("NTH", false)]);
    let mut server = Server::start(&central.pg.url);
    let story = common::story::prepared_cycle(&central, &server, FEW, false);
    let (hq, finance) = (&story.hq, &story.finance);
    let on_desk = |desk: &common::Desk, who: &br_core::auth::Session, action| {
        br_core::sync::engine_batch(desk.registry.store(), who, story.batch, action)
    };

    // A server without an engine says so; a district desk is told it is headquarters' work.
    let e = on_desk(hq, finance, DisburseAction::Status).unwrap_err();
    assert!(matches!(&e, br_core::CoreError::ServerRefused { code, .. } if code == "not_configured"), "{e:?}");
    let e = on_desk(&story.north, &story.north.admin, DisburseAction::Send).unwrap_err();
    assert_eq!(e.code(), br_core::ErrorCode::InvalidInput);

    // The same server with an engine, on the same address.
    let engine_fake = FakeEngine::start(Faults { error_call: Some(2), ..Faults::default() });
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("engine.toml");
    std::fs::write(&settings, engine_fake.settings(100, 2)).unwrap();
    let config = dir.path().join("server.toml");
    std::fs::write(&config, format!("disbursement_engine = {:?}\n", settings.to_str().unwrap())).unwrap();
    let port = server.port();
    server.kill();
    let server = Server::start_with(&central.pg.url, port, &["--config", config.to_str().unwrap()]);

    // The server itself refuses a district desk, and a batch it does not hold; both are audited.
    let (_, _, district) = common::raw::enrol_raw(&server.url, &central.code("NTH"), br_protocol::PROTOCOL_VERSION);
    let ask = |batch: Uuid| {
        serde_json::to_vec(&serde_json::json!({ "batch": batch, "action": "status", "user": "someone" })).unwrap()
    };
    let (code, body) = district.unwrap().post_json("/sync/v1/disburse", &ask(story.batch));
    assert_eq!((code, body["code"].as_str()), (403, Some("forbidden")), "{body}");
    let (_, _, head_office) = common::raw::enrol_raw(&server.url, &central.code("HQ"), br_protocol::PROTOCOL_VERSION);
    let (code, body) = head_office.unwrap().post_json("/sync/v1/disburse", &ask(Uuid::now_v7()));
    assert_eq!((code, body["code"].as_str()), (404, Some("not_found")), "{body}");
    assert_eq!(
        central.count(
            "SELECT count(*) FROM audit WHERE action = 'sync.disburse' AND outcome IN ('refused:forbidden', 'refused:not_found')"
        ),
        2
    );

    // Sent from the desk, through an engine error on the second page: every payment with the engine once.
    let sent = engine(hq, finance, story.batch, DisburseAction::Send);
    assert_eq!(sent.engine, "g2p-bridge");
    assert_eq!(sent.counts.get("sent"), Some(&(FEW as i64)), "{sent:?}");
    assert!(sent.events.iter().any(|e| e.message == "HTTP 500"), "the 500 is in the batch's history: {sent:?}");
    assert!(sent.events.last().is_some_and(|e| e.kind == "sent" && e.at.ends_with('Z')), "{sent:?}");
    let live = engine_fake.engine.live();
    assert_eq!((live.len(), live.values().all(|n| *n == 1)), (FEW, true));

    // The results, asked for from the desk, arrive at its next sync as the payments' states.
    let polled = engine(hq, finance, story.batch, DisburseAction::Poll);
    assert_eq!(polled.counts.get("paid"), Some(&(FEW as i64)), "{polled:?}");
    hq.sync();
    assert_eq!(hq.count("SELECT count(*) FROM payments WHERE state = 'paid'"), FEW as i64);
    assert_eq!(hq.count("SELECT count(*) FROM payment_batches WHERE state = 'sent'"), 1);
    // A batch the engine has is not sent again from the desk.
    let e = on_desk(hq, finance, DisburseAction::Send).unwrap_err();
    assert_eq!(e.code(), br_core::ErrorCode::TransitionNotAllowed);
    assert_eq!(
        hq.count("SELECT count(*) FROM audit_log WHERE action IN ('payment.engine_send', 'payment.engine_poll')"),
        2
    );
    assert_eq!(
        central.count("SELECT count(*) FROM audit WHERE action IN ('disburse.send', 'disburse.poll') AND details ->> 'user' = 'finance'"),
        2
    );
    hq.check();
}

#[test]
fn a_batch_is_paid_once_through_a_g2p_connect_engine() {
    const SOME: usize = 1_000;
    let central = Central::new(&[("HQ", true), ("NTH", false)]);
    let server = Server::start(&central.pg.url);
    let story = common::story::prepared_cycle(&central, &server, SOME, false);
    let hq = &story.hq;
    let payments: Vec<Uuid> = hq.column("SELECT id FROM payments ORDER BY rowid");
    let failing: std::collections::HashSet<String> = [payments[5].to_string(), payments[999].to_string()].into();
    let connect = FakeConnect::start(ConnectFaults {
        unanswered_call: Some(2),
        unanswered_delay: Duration::from_secs(4),
        fail: failing.clone(),
    });
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("connect.toml");
    std::fs::write(&settings, connect.settings(250, 2)).unwrap();
    let settings = settings.to_str().unwrap();
    let batch = story.batch.to_string();

    // The second page is taken but its answer never comes: the server asks what the engine holds, finds
    // the page, and goes on without sending it again.
    let (ok, out) = disburse(&central, &["send", &batch, "--engine", settings]);
    assert!(ok, "{out}");
    assert_eq!(connect.engine.taken.lock().unwrap().len(), SOME, "{out}");
    assert_eq!(connect.engine.duplicates.load(std::sync::atomic::Ordering::Relaxed), 0, "nothing sent twice: {out}");
    assert_eq!(connect.engine.disburse_calls.load(std::sync::atomic::Ordering::Relaxed), 4, "{out}");

    // Results in upper case, in both shapes of txn_status; the rejected ones fail with the engine's code.
    let (ok, out) = disburse(&central, &["status", &batch, "--engine", settings]);
    assert!(ok && out.contains(&format!("engine: {} paid, 2 failed, 0 reversed, 0 pending", SOME - 2)), "{out}");
    hq.sync();
    let state = |s: &str| hq.count(&format!("SELECT count(*) FROM payments WHERE state = '{s}'"));
    assert_eq!((state("paid"), state("failed")), (SOME as i64 - 2, 2));
    let failed: Vec<Uuid> =
        hq.column("SELECT id FROM payments WHERE state = 'failed' AND reason = 'rjct.payee_fa.invalid'");
    assert_eq!(failed.iter().map(Uuid::to_string).collect::<std::collections::HashSet<_>>(), failing);
    assert_eq!(hq.count("SELECT count(*) FROM payment_batches WHERE state = 'sent'"), 1);
    hq.check();
    let broken = connect.engine.violations.lock().unwrap().clone();
    assert!(broken.is_empty(), "every request we sent follows the published schema: {broken:#?}");
}

//! The DCI benchmark (docs/interop.md): on a throwaway PostgreSQL, with the release `br-server`,
//! - a Social Registry pull of `--persons` people (households of four) from the test registry over
//!   loopback;
//! - IBR `enrolled` lookups by national ID against a registry view of `--registrants` people, through a
//!   serving `br-server` with a real token;
//! - a disbursement of `--payments` payments to the test bridge, sent and then polled for results.
//!
//! The people beyond the pull and the payment batch are written straight into the registry view (what the
//! lookups and the engine read), not through desks: this measures the DCI parts, not sync. Prints one JSON
//! object. `cargo build --release -p br-server --bins --examples && target/release/examples/dci_bench`.

#[path = "../tests/common/fake_engine.rs"]
#[allow(dead_code)]
mod fake_engine;
#[path = "../tests/common/fake_http.rs"]
mod fake_http;
#[path = "../tests/common/fake_sr.rs"]
#[allow(dead_code)]
mod fake_sr;
#[path = "../tests/common/postgres.rs"]
#[allow(dead_code)]
mod postgres;
#[path = "../tests/common/schema.rs"]
#[allow(dead_code)]
mod schema;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn server_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("br-server")
}

fn run(db: &str, args: &[&str]) -> String {
    let out = Command::new(server_bin())
        .args(args)
        .env("BR_SERVER_DATABASE_URL", db)
        .env("TEST_SR_SECRET", fake_sr::SECRET)
        .stderr(Stdio::inherit())
        .output()
        .expect("br-server runs");
    assert!(out.status.success(), "br-server {args:?} failed (its error is above)");
    String::from_utf8(out.stdout).unwrap()
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn sql(db: &str, text: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(db, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        client.batch_execute(text).await.unwrap();
    });
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let persons = arg("--persons", 100_000);
    let registrants = arg("--registrants", 1_000_000);
    let payments = arg("--payments", 100_000);
    let lookups = arg("--lookups", 2_000);
    let pg = postgres::Postgres::start();
    let db = pg.url.clone();
    run(&db, &["migrate"]);
    run(&db, &["office", "add", "HQ", "--name", "Headquarters", "--headquarters"]);
    run(&db, &["office", "add", "NTH", "--name", "North"]);
    run(&db, &["office", "add", "STH", "--name", "South"]);
    let dir = tempfile::tempdir().unwrap();

    // The Social Registry pull.
    let households = persons / 4;
    let sr =
        fake_sr::FakeSr::start((0..households).map(|n| fake_sr::household(n, 4, "2026-01-01T00:00:00Z")).collect());
    let mapping = dir.path().join("sr.toml");
    std::fs::write(&mapping, sr.mapping(1_000)).unwrap();
    let started = Instant::now();
    let out = run(&db, &["sr", "pull", "--source", mapping.to_str().unwrap()]);
    let sr_pull_s = started.elapsed().as_secs_f64();
    eprintln!("sr pull: {persons} persons in {sr_pull_s:.1} s");
    assert!(out.contains(&format!("{} created", households * 5)), "{out}");
    drop(sr);

    // The view at `registrants` people, all enrolled; the payment batch.
    let more = registrants.saturating_sub(persons + households);
    sql(
        &db,
        &format!(
            "INSERT INTO registry_programs VALUES ('00000000-0000-7000-8000-00000000b001', 'BENCH', 'Bench', 'XOF', 'active', false);
             INSERT INTO registry_registrants (id, office, kind, reference, registered_on, fields)
               SELECT gen_random_uuid(), (SELECT id FROM offices WHERE code = 'NTH'), 'individual', 'B-' || g, '2026-01-01',
                      jsonb_build_object('external_id', 'B' || g, 'given_name', 'G' || g, 'area', 'D01')
               FROM generate_series(1, {more}) g;
             INSERT INTO registry_ids (id_type, value, registrant)
               SELECT 'national_id', 'BN' || substr(fields ->> 'external_id', 2), id FROM registry_registrants
               WHERE fields ->> 'external_id' LIKE 'B%';
             INSERT INTO registry_memberships (id, program, registrant, state, enrolled_on, changed_at_cursor, changed_at)
               SELECT gen_random_uuid(), '00000000-0000-7000-8000-00000000b001', id, 'enrolled', '2026-01-01', 0, '2026-01-01'
               FROM registry_registrants WHERE kind = 'individual';
             INSERT INTO registry_cycles VALUES ('00000000-0000-7000-8000-00000000c001', '00000000-0000-7000-8000-00000000b001',
               1, 'Cycle 1', '2026-01-01', '2026-01-31', 'approved', '[]');
             INSERT INTO registry_entitlements (id, cycle, registrant, kind, amount, fee, currency, valid_from, valid_until, state, changed_at)
               SELECT gen_random_uuid(), '00000000-0000-7000-8000-00000000c001', id, 'cash', 10000, 0, 'XOF', '2026-01-01', '2026-12-31',
                      'in_payment', '2026-01-01'
               FROM registry_registrants WHERE fields ->> 'external_id' LIKE 'B%' LIMIT {payments};
             INSERT INTO registry_payment_batches VALUES ('00000000-0000-7000-8000-00000000d001', '00000000-0000-7000-8000-00000000c001', 1, 'XOF', 'prepared');
             INSERT INTO registry_payments (id, batch, entitlement, account, amount, currency, state, changed_at)
               SELECT gen_random_uuid(), '00000000-0000-7000-8000-00000000d001', id, 'msisdn:221770000000@orange', 10000, 'XOF', 'queued', '2026-01-01'
               FROM registry_entitlements WHERE cycle = '00000000-0000-7000-8000-00000000c001';
             INSERT INTO owners SELECT '00000000-0000-7000-8000-00000000d001', id FROM offices WHERE code = 'HQ';
             INSERT INTO owners SELECT p.id, o.id FROM registry_payments p, offices o WHERE o.code = 'HQ';
             ANALYZE;"
        ),
    );

    // IBR lookups through a serving br-server.
    let mut server = Command::new(server_bin())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("BR_SERVER_DATABASE_URL", &db)
        .env("BR_SERVER_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.trim().strip_prefix("br-server listening at ").unwrap().trim_end_matches('/').to_string();
    let made = run(&db, &["client", "add", "bench", "--scope", "ibr"]);
    let field = |k: &str| made.lines().find_map(|l| l.strip_prefix(k)).unwrap().trim().to_string();
    let (id, secret) = (field("client_id"), field("client_secret"));
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let token = fake_http::client_token(&agent, &format!("{base}/oauth2/token"), &id, &secret);
    assert!(!token.is_empty(), "the bench's client got no token");
    let mut times = Vec::with_capacity(lookups);
    let mut found = 0;
    for n in 0..lookups {
        let who = 1 + (n * 7_919) % more.max(1);
        let body = json!({ "signature": "", "header": { "version": "1.0.0", "message_id": format!("b{n}"),
            "message_ts": "2026-01-01T00:00:00Z", "action": "enrolled", "sender_id": id, "total_count": 1 },
            "message": { "transaction_id": format!("t{n}"), "enrolled_request": [{ "reference_id": "r", "timestamp": "2026-01-01T00:00:00Z",
                "identifier": { "identifier_type": "national_id", "identifier_value": format!("BN{who}") } }] } });
        let started = Instant::now();
        let answer: Value = agent
            .post(format!("{base}/ibr/sync/enrolled"))
            .header("authorization", &format!("Bearer {token}"))
            .send_json(&body)
            .unwrap()
            .body_mut()
            .read_json()
            .unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        found += usize::from(answer["message"]["enrolled_response"][0]["person_found"] == true);
    }
    let _ = server.kill();
    let _ = server.wait();
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    eprintln!("ibr enrolled: p50 {:.2} ms, p95 {:.2} ms", percentile(&times, 0.5), percentile(&times, 0.95));

    // The disbursement.
    let engine = fake_engine::FakeEngine::start(fake_engine::Faults::default());
    let settings = dir.path().join("engine.toml");
    std::fs::write(&settings, engine.settings(1_000, 120)).unwrap();
    let batch = "00000000-0000-7000-8000-00000000d001";
    let started = Instant::now();
    run(&db, &["disburse", "send", batch, "--engine", settings.to_str().unwrap()]);
    let send_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let polled = run(&db, &["disburse", "status", batch, "--engine", settings.to_str().unwrap()]);
    let poll_s = started.elapsed().as_secs_f64();
    assert!(polled.contains(&format!("engine: {payments} paid")), "{polled}");
    assert_eq!(engine.engine.live().len(), payments);
    std::thread::sleep(Duration::from_millis(10));

    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "sr_pull_persons": persons,
            "sr_pull_households": households,
            "sr_pull_s": (sr_pull_s * 10.0).round() / 10.0,
            "sr_pull_persons_per_s": (persons as f64 / sr_pull_s).round(),
            "ibr_registrants": registrants,
            "ibr_enrolled_lookups": lookups,
            "ibr_enrolled_found": found,
            "ibr_enrolled_p50_ms": (percentile(&times, 0.50) * 100.0).round() / 100.0,
            "ibr_enrolled_p95_ms": (percentile(&times, 0.95) * 100.0).round() / 100.0,
            "ibr_enrolled_p99_ms": (percentile(&times, 0.99) * 100.0).round() / 100.0,
            "disburse_payments": payments,
            "disburse_send_s": (send_s * 10.0).round() / 10.0,
            "disburse_results_s": (poll_s * 10.0).round() / 10.0,
            "disburse_send_and_results_s": ((send_s + poll_s) * 10.0).round() / 10.0,
        }))
        .unwrap()
    );
}

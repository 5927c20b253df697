//! The sync benchmark (docs/sync.md): one server, a desk that registers a generated population and pushes
//! it, and a fresh desk that pulls it all (its first sync), on a throwaway PostgreSQL. Prints one JSON
//! object; `scripts/bench-sync.sh` builds and runs it in release.
//!
//! `sync_bench [--individuals N]` (default 40,000: about 100,000 ops with households and their members).
//! The pulling desk runs in its own process (`sync_bench pull URL CODE`) so its peak memory is its own.

// The same throwaway cluster the tests use; the bench restarts nothing.
#[path = "../tests/common/postgres.rs"]
#[allow(dead_code)]
mod postgres;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use br_core::secret::Secret;
use br_core::sync::SyncEnrolRequest;
use br_core::{CreateRegistry, Registry};

fn desk(dir: &Path, office: &str) -> (Registry, br_core::auth::Session) {
    Registry::create(
        &dir.join("reg"),
        CreateRegistry {
            office_code: office.into(),
            office_name: format!("Office {office}"),
            admin_username: "admin".into(),
            admin_display_name: "Admin".into(),
            admin_password: Secret::new("bench-admin-password"),
            recovery_passphrase: Secret::new("bench recovery passphrase"),
            use_credential_store: false,
        },
    )
    .expect("a registry")
}

/// Peak resident memory of a process, in MB (`VmHWM`).
fn peak_mb(pid: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn server_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("br-server")
}

fn admin(db: &str, args: &[&str]) -> String {
    let out = Command::new(server_bin()).args(args).env("BR_SERVER_DATABASE_URL", db).output().expect("br-server");
    assert!(out.status.success(), "br-server {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The pulling desk, in its own process: prints `{ops, seconds, peak_mb}`.
fn pull(url: &str, code: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (registry, admin) = desk(dir.path(), "HQ");
    let store = registry.store();
    let request = SyncEnrolRequest { url: url.into(), code: code.into(), ca_pem: None, desk_name: None };
    br_core::sync::enrol(store, &admin, &request).unwrap();
    let started = Instant::now();
    let summary = br_core::sync::run(store, &admin, &|_| {}, &AtomicBool::new(false)).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let registrants: i64 =
        store.read(|c| Ok(c.query_row("SELECT count(*) FROM registrants", [], |r| r.get(0))?)).unwrap();
    println!(
        "{}",
        serde_json::json!({ "ops": summary.pulled, "registrants": registrants, "seconds": seconds, "peak_mb": peak_mb("self") })
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("pull") {
        return pull(&args[2], &args[3]);
    }
    let individuals: u64 = args
        .iter()
        .position(|a| a == "--individuals")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(40_000);
    let pg = postgres::Postgres::start();
    admin(&pg.url, &["migrate"]);
    admin(&pg.url, &["office", "add", "HQ", "--name", "Headquarters", "--headquarters"]);
    let mut server = Command::new(server_bin())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("BR_SERVER_DATABASE_URL", &pg.url)
        .env("BR_SERVER_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().trim_start_matches("br-server listening at ").trim_end_matches('/').to_string();

    // The working desk: a generated population with households, registered, then pushed.
    let dir = tempfile::tempdir().unwrap();
    let (registry, session) = desk(dir.path(), "HQ");
    let store = registry.store();
    let options = br_core::synth::GenOptions { individuals, duplicate_rate: 0.0, seed: 7, id_prefix: None };
    let generated = br_core::synth::generate(&dir.path().join("gen"), &options).unwrap();
    for (code, label) in br_core::synth::AREAS {
        let item = br_core::registry::model::ListItem {
            code: code.to_string(),
            label: label.to_string(),
            parent: None,
            active: true,
        };
        br_core::registry::service::upsert_list_item(store, &session, br_core::registry::model::ListName::Area, item)
            .unwrap();
    }
    let import = br_core::io::import::import_csv(
        store,
        &session,
        Path::new(&generated.registrants_file),
        &br_core::io::import::ImportOptions::default(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    let request = SyncEnrolRequest {
        url: url.clone(),
        code: admin(&pg.url, &["device", "code", "HQ"]),
        ca_pem: None,
        desk_name: None,
    };
    br_core::sync::enrol(store, &session, &request).unwrap();
    let started = Instant::now();
    let pushed = br_core::sync::run(store, &session, &|_| {}, &AtomicBool::new(false)).unwrap();
    let push_seconds = started.elapsed().as_secs_f64();

    // A fresh desk of the office: its first sync pulls everything.
    let code = admin(&pg.url, &["device", "code", "HQ"]);
    let out = Command::new(std::env::current_exe().unwrap()).args(["pull", &url, &code]).output().unwrap();
    assert!(out.status.success(), "the pulling desk: {}", String::from_utf8_lossy(&out.stderr));
    let pulled: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let server_mb = peak_mb(&server.id().to_string());
    let _ = server.kill();
    let _ = server.wait();
    let pull_seconds = pulled["seconds"].as_f64().unwrap();
    let pull_ops = pulled["ops"].as_f64().unwrap();
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "sync_individuals": individuals,
            "sync_registrants": import.inserted,
            "sync_push_ops": pushed.pushed,
            "sync_push_s": push_seconds,
            "sync_push_ops_per_s": pushed.pushed as f64 / push_seconds,
            "sync_pull_ops": pull_ops,
            "sync_pull_s": pull_seconds,
            "sync_pull_ops_per_s": pull_ops / pull_seconds,
            "sync_first_sync_registrants": pulled["registrants"],
            "sync_server_peak_mb": server_mb,
            "sync_desk_pull_peak_mb": pulled["peak_mb"],
        }))
        .unwrap()
    );
}

//! The sync benchmark (docs/sync.md): one server, a desk that registers a generated population and pushes
//! it, and a fresh desk that pulls it all (its first sync), on a throwaway PostgreSQL. Prints one JSON
//! object; `scripts/bench-sync.sh` builds and runs it in release.
//!
//! `sync_bench [--individuals N] [--more M]`: the working desk registers N individuals (default 40,000:
//! about 100,000 ops with households and their members) and pushes them; a fresh desk's first sync takes
//! the snapshot; then the working desk registers M more (default 40,000) and the fresh desk pulls them.
//! The fresh desk runs in its own process (`sync_bench first URL CODE DIR`, `sync_bench again DIR`) so its
//! peak memory is its own.

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

const PASSWORD: &str = "bench-admin-password";
const RECOVERY: &str = "bench recovery passphrase";

fn desk(dir: &Path, office: &str) -> (Registry, br_core::auth::Session) {
    Registry::create(
        &dir.join("reg"),
        CreateRegistry {
            office_code: office.into(),
            office_name: format!("Office {office}"),
            admin_username: "admin".into(),
            admin_display_name: "Admin".into(),
            admin_password: Secret::new(PASSWORD),
            recovery_passphrase: Secret::new(RECOVERY),
            use_credential_store: false,
            privacy: Default::default(),
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

/// The fresh desk, in its own process: `first` enrols it in `dir` and runs its first sync, `again` reopens
/// it and syncs. Prints `{ops, registrants, seconds, manifest_s, snapshot_s, peak_mb}`.
fn fresh_desk(args: &[String]) {
    let dir = Path::new(args.last().unwrap());
    let (registry, admin) = if args[0] == "first" {
        let (registry, admin) = desk(dir, "HQ");
        let request = SyncEnrolRequest { url: args[1].clone(), code: args[2].clone(), ca_pem: None, desk_name: None };
        br_core::sync::enrol(registry.store(), &admin, &request).unwrap();
        (registry, admin)
    } else {
        let unlock = br_core::store::keys::Unlock::with_passphrase(Secret::new(RECOVERY));
        let registry = Registry::open(&dir.join("reg"), &unlock).unwrap();
        let admin = registry.login("admin", &Secret::new(PASSWORD)).unwrap();
        (registry, admin)
    };
    let store = registry.store();
    let started = Instant::now();
    // When the manifest came (the server built or found the snapshot) and when the last chunk was applied.
    let marks = std::cell::RefCell::new((None::<f64>, None::<f64>));
    let progress = |p: &br_core::sync::SyncProgress| {
        if p.phase == br_core::sync::SyncPhase::Snapshot {
            let mut m = marks.borrow_mut();
            m.0.get_or_insert(started.elapsed().as_secs_f64());
            m.1 = Some(started.elapsed().as_secs_f64());
        }
    };
    let summary = br_core::sync::run(store, &admin, &progress, &AtomicBool::new(false)).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let registrants: i64 =
        store.read(|c| Ok(c.query_row("SELECT count(*) FROM registrants", [], |r| r.get(0))?)).unwrap();
    let (manifest_s, snapshot_s) = *marks.borrow();
    println!(
        "{}",
        serde_json::json!({ "ops": summary.pulled, "registrants": registrants, "seconds": seconds,
            "manifest_s": manifest_s, "snapshot_s": snapshot_s, "peak_mb": peak_mb("self") })
    );
}

/// Runs the fresh desk's process and reads its line.
fn run_fresh(args: &[&str]) -> serde_json::Value {
    let out = Command::new(std::env::current_exe().unwrap()).args(args).output().unwrap();
    assert!(out.status.success(), "the fresh desk: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Registers `individuals` generated people (with households) on the working desk.
fn register(
    store: &br_core::store::Store,
    session: &br_core::auth::Session,
    dir: &Path,
    individuals: u64,
    seed: u64,
) -> u64 {
    let options =
        br_core::synth::GenOptions { individuals, duplicate_rate: 0.0, seed, id_prefix: Some(format!("S{seed}")) };
    let generated = br_core::synth::generate(&dir.join(format!("gen{seed}")), &options).unwrap();
    let import = br_core::io::import::import_file(
        store,
        session,
        Path::new(&generated.registrants_file),
        &br_core::io::import::ImportOptions::default(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    import.inserted
}

fn flag(args: &[String], name: &str, default: u64) -> u64 {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|n| n.parse().ok()).unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if matches!(args.get(1).map(String::as_str), Some("first" | "again")) {
        return fresh_desk(&args[1..]);
    }
    let individuals = flag(&args, "--individuals", 40_000);
    let more = flag(&args, "--more", 40_000);
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
    let registered = register(store, &session, dir.path(), individuals, 7);
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

    // A fresh desk of the office: its first sync takes the snapshot.
    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh_path = fresh_dir.path().to_str().unwrap();
    let code = admin(&pg.url, &["device", "code", "HQ"]);
    let first = run_fresh(&["first", &url, &code, fresh_path]);

    // More people on the working desk, pushed; the fresh desk pulls them.
    register(store, &session, dir.path(), more, 8);
    let pushed_more = br_core::sync::run(store, &session, &|_| {}, &AtomicBool::new(false)).unwrap();
    let again = run_fresh(&["again", fresh_path]);
    let server_mb = peak_mb(&server.id().to_string());
    let _ = server.kill();
    let _ = server.wait();
    let first_s = first["seconds"].as_f64().unwrap();
    let pull_s = again["seconds"].as_f64().unwrap();
    let pull_ops = again["ops"].as_f64().unwrap();
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "sync_individuals": individuals,
            "sync_registrants": registered,
            "sync_push_ops": pushed.pushed,
            "sync_push_s": push_seconds,
            "sync_push_ops_per_s": pushed.pushed as f64 / push_seconds,
            "sync_first_sync_registrants": first["registrants"],
            "sync_first_sync_ops": first["ops"],
            "sync_first_sync_s": first_s,
            "sync_snapshot_manifest_s": first["manifest_s"],
            "sync_snapshot_applied_s": first["snapshot_s"],
            "sync_first_sync_ops_per_s": first["ops"].as_f64().unwrap() / first_s,
            "sync_desk_first_sync_peak_mb": first["peak_mb"],
            "sync_pull_ops": pull_ops,
            "sync_pull_pushed_ops": pushed_more.pushed,
            "sync_pull_s": pull_s,
            "sync_pull_ops_per_s": pull_ops / pull_s,
            "sync_desk_pull_peak_mb": again["peak_mb"],
            "sync_server_peak_mb": server_mb,
        }))
        .unwrap()
    );
}

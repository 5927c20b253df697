//! The real parts of a sync test: PostgreSQL, `br-server` processes, and desks that are real encrypted
//! registries driven through br-core.
#![allow(dead_code)]

pub mod certs;
pub mod fake_connect;
pub mod fake_engine;
pub mod fake_http;
pub mod fake_sr;
pub mod ibr_client;
mod postgres;
pub mod proxy;
pub mod raw;
pub mod schema;
pub mod story;
pub mod view;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicBool;

use br_core::auth::Session;
use br_core::replay::{fingerprint, TableFingerprint};
use br_core::secret::Secret;
use br_core::sync::{SyncEnrolRequest, SyncStatus, SyncSummary};
use br_core::{CreateRegistry, Registry};

pub use postgres::Postgres;

const BIN: &str = env!("CARGO_BIN_EXE_br-server");

/// Runs a `br-server` command to its end and returns what it printed.
pub fn admin(db: &str, args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).env("BR_SERVER_DATABASE_URL", db).output().unwrap();
    assert!(out.status.success(), "br-server {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a `br-server` command that should fail and returns its error output.
pub fn admin_fails(db: &str, args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).env("BR_SERVER_DATABASE_URL", db).output().unwrap();
    assert!(!out.status.success(), "br-server {args:?} should have failed");
    String::from_utf8(out.stderr).unwrap()
}

/// A `br-server serve` process on a free loopback port, killed when dropped.
pub struct Server {
    pub child: Child,
    pub url: String,
}

impl Server {
    pub fn start(db: &str) -> Server {
        Server::start_on(db, 0)
    }

    /// A server on `port` (0: any free one), as a restarted server comes back where desks knew it.
    pub fn start_on(db: &str, port: u16) -> Server {
        Server::start_with(db, port, &[])
    }

    /// A server given extra `serve` flags (small snapshot chunks, so a small registry has many).
    pub fn start_with(db: &str, port: u16, flags: &[&str]) -> Server {
        let listen = format!("127.0.0.1:{port}");
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", &listen])
            .args(flags)
            .env("BR_SERVER_DATABASE_URL", db)
            .env("BR_SERVER_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line
            .trim()
            .strip_prefix("br-server listening at ")
            .unwrap_or_else(|| panic!("br-server did not start: {line:?}"))
            .trim_end_matches('/')
            .to_string();
        Server { child, url }
    }

    pub fn port(&self) -> u16 {
        self.url.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// SIGKILL: no clean shutdown, as a crash or the OOM killer would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One server database with offices, ready for desks.
pub struct Central {
    pub pg: Postgres,
}

impl Central {
    pub fn new(offices: &[(&str, bool)]) -> Central {
        let pg = Postgres::start();
        admin(&pg.url, &["migrate"]);
        for (code, hq) in offices {
            let mut args = vec!["office", "add", code, "--name"];
            let name = format!("Office {code}");
            args.push(&name);
            if *hq {
                args.push("--headquarters");
            }
            admin(&pg.url, &args);
        }
        Central { pg }
    }

    pub fn code(&self, office: &str) -> String {
        admin(&self.pg.url, &["device", "code", office]).trim().to_string()
    }

    /// `br-server client add`: the new DCI client's id and secret.
    pub fn api_client(&self, name: &str, scopes: &[&str], callback: Option<&str>) -> (String, String) {
        let mut args = vec!["client", "add", name];
        for s in scopes {
            args.extend(["--scope", s]);
        }
        if let Some(url) = callback {
            args.extend(["--callback", url]);
        }
        let out = admin(&self.pg.url, &args);
        let field = |k: &str| out.lines().find_map(|l| l.strip_prefix(k)).unwrap().trim().to_string();
        (field("client_id"), field("client_secret"))
    }

    /// The first column of the one row `sql` answers, from the server's database.
    pub fn value<T: for<'a> tokio_postgres::types::FromSql<'a>>(&self, sql: &str) -> T {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(&self.pg.url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(conn);
            client.query_one(sql, &[]).await.unwrap().get::<_, T>(0)
        })
    }

    /// One number from the server's database.
    pub fn count(&self, sql: &str) -> i64 {
        self.value(sql)
    }

    /// One text from the server's database.
    pub fn text(&self, sql: &str) -> String {
        self.value(sql)
    }

    pub fn execute(&self, sql: &str) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(&self.pg.url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(conn);
            client.batch_execute(sql).await.unwrap();
        })
    }

    /// Runs `sql` in a transaction that stays open until the guard is dropped: a lock that the server's
    /// work will wait on, so a test can stop the server at a chosen point.
    pub fn hold(&self, sql: &str) -> Held {
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let (ready, started) = std::sync::mpsc::channel();
        let (url, sql) = (self.pg.url.clone(), sql.to_string());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let (mut client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
                tokio::spawn(conn);
                let tx = client.transaction().await.unwrap();
                tx.batch_execute(&sql).await.unwrap();
                ready.send(()).unwrap();
                let _ = tokio::task::spawn_blocking(move || wait.recv()).await;
                tx.commit().await.unwrap();
            })
        });
        started.recv().unwrap();
        Held { release: Some(release), thread: Some(thread) }
    }

    /// Waits (at most a minute) until `sql` counts more than zero.
    pub fn wait_for(&self, sql: &str) {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while self.count(sql) == 0 {
            assert!(std::time::Instant::now() < until, "still nothing after a minute: {sql}");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}

/// An open transaction of [`Central::hold`]; dropping it commits.
pub struct Held {
    release: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Held {
    fn drop(&mut self) {
        drop(self.release.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub const ADMIN_PASSWORD: &str = "admin-password-1";

/// A desk: a real encrypted registry in a temporary folder.
pub struct Desk {
    pub dir: tempfile::TempDir,
    pub registry: Registry,
    pub admin: Session,
}

impl Desk {
    pub fn new(office_code: &str) -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let (registry, admin) = Registry::create(
            &dir.path().join("reg"),
            CreateRegistry {
                office_code: office_code.into(),
                office_name: format!("Office {office_code}"),
                admin_username: "admin".into(),
                admin_display_name: "Admin".into(),
                admin_password: Secret::new(ADMIN_PASSWORD),
                recovery_passphrase: Secret::new("correct horse battery staple"),
                use_credential_store: false,
                privacy: Default::default(),
            },
        )
        .unwrap();
        Desk { dir, registry, admin }
    }

    /// Closes the registry (as a desk's process ending would) and gives back its folder.
    pub fn close(self) -> tempfile::TempDir {
        self.dir
    }

    /// Opens a closed desk's registry again and logs the admin in.
    pub fn reopen(dir: tempfile::TempDir) -> Desk {
        let unlock = br_core::store::keys::Unlock::with_passphrase(Secret::new("correct horse battery staple"));
        let registry = Registry::open(&dir.path().join("reg"), &unlock).unwrap();
        let admin = registry.login("admin", &Secret::new(ADMIN_PASSWORD)).unwrap();
        Desk { dir, registry, admin }
    }

    pub fn user(&self, username: &str, role: br_core::auth::Role) -> Session {
        br_core::auth::add_user(
            self.registry.store(),
            &self.admin,
            username,
            username,
            role,
            &Secret::new("user-password-1"),
        )
        .unwrap();
        self.registry.login(username, &Secret::new("user-password-1")).unwrap()
    }

    pub fn enrol(&self, url: &str, code: &str) -> br_core::Result<SyncStatus> {
        self.enrol_trusting(url, code, None)
    }

    /// Enrols trusting `ca_pem` (what `br sync enrol --ca FILE` reads) besides the usual roots.
    pub fn enrol_trusting(&self, url: &str, code: &str, ca_pem: Option<String>) -> br_core::Result<SyncStatus> {
        let req = SyncEnrolRequest { url: url.into(), code: code.into(), ca_pem, desk_name: None };
        br_core::sync::enrol(self.registry.store(), &self.admin, &req)
    }

    pub fn try_sync(&self) -> br_core::Result<SyncSummary> {
        br_core::sync::run(self.registry.store(), &self.admin, &|_| {}, &AtomicBool::new(false))
    }

    pub fn sync(&self) -> SyncSummary {
        self.try_sync().unwrap()
    }

    pub fn file(&self, name: &str, content: &str) -> std::path::PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        p
    }

    pub fn import(&self, csv: &str) {
        let path = self.file("people.csv", csv);
        let s = br_core::io::import::import_file(
            self.registry.store(),
            &self.admin,
            &path,
            &br_core::io::import::ImportOptions::default(),
            &|_| {},
            &AtomicBool::new(false),
        )
        .unwrap();
        assert_eq!(s.rejected, 0, "{s:?}");
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.registry.store().read(|c| Ok(c.query_row(sql, [], |r| r.get(0))?)).unwrap()
    }

    pub fn column<T: rusqlite::types::FromSql>(&self, sql: &str) -> Vec<T> {
        self.registry
            .store()
            .read(|c| Ok(c.prepare(sql)?.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<T>>>()?))
            .unwrap()
    }

    pub fn prints(&self) -> BTreeMap<String, TableFingerprint> {
        self.registry.store().read(fingerprint).unwrap().into_iter().map(|t| (t.table.clone(), t)).collect()
    }

    /// The registry's invariants hold (`br check`).
    pub fn check(&self) {
        let report = br_core::check::run(self.registry.store(), &self.admin).unwrap();
        let broken: Vec<_> = report.checks.iter().filter(|c| c.problems > 0).map(|c| c.name.clone()).collect();
        assert!(broken.is_empty(), "invariants broken: {broken:?}");
    }
}

/// Asserts two desks hold the same synced data, table by table.
pub fn assert_same(a: &Desk, b: &Desk, what: &str) {
    let (x, y) = (a.prints(), b.prints());
    let differ: Vec<&String> =
        x.keys().filter(|t| x.get(*t).map(|f| &f.sha256) != y.get(*t).map(|f| &f.sha256)).collect();
    assert!(
        differ.is_empty(),
        "{what}: tables differ: {differ:?}\n{:#?}\n{:#?}",
        differ.iter().map(|t| &x[*t]).collect::<Vec<_>>(),
        differ.iter().map(|t| &y[*t]).collect::<Vec<_>>()
    );
}

/// An individual cash program, `OAP`, in XOF, with no rule.
pub fn pension_fields() -> br_core::program::model::ProgramFields {
    br_core::program::model::ProgramFields {
        code: "OAP".into(),
        name: "Old-age pension".into(),
        description: String::new(),
        target: br_core::registry::model::RegistrantKind::Individual,
        currency: "XOF".into(),
        eligibility_rule: String::new(),
        pmt_expression: None,
        pmt_threshold: None,
        auto_enrol: false,
    }
}

/// `n` people of office area D01 as an import file, their external ids starting with `prefix`.
pub fn people(prefix: &str, n: usize) -> String {
    let mut csv = String::from("external_id,given_name,family_name,sex,birth_date,area\n");
    for i in 0..n {
        csv.push_str(&format!("{prefix}{i},Given{i},Family{prefix},female,1950-01-0{},D01\n", 1 + i % 9));
    }
    csv
}

/// Every op this desk wrote is on the server once, and every op the server showed it was applied once (a
/// headquarters desk: it is shown every op).
pub fn nothing_twice(central: &Central, desk: &Desk) {
    let device: uuid::Uuid = desk.column("SELECT device_id FROM office")[0];
    let written = desk.count("SELECT count(*) FROM outbox WHERE format > 0");
    let held = central.count(&format!("SELECT count(*) FROM ops WHERE device = '{device}'"));
    assert_eq!(held, written, "each op of the desk is on the server once");
    let shown =
        central.count(&format!("SELECT count(*) FROM ops WHERE device <> '{device}' AND outcome <> 'rejected'"));
    assert_eq!(desk.count("SELECT count(*) FROM applied_ops"), shown, "each op shown to the desk applied once");
}

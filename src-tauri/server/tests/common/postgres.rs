//! A real PostgreSQL for a test: `DATABASE_URL` when set (a fresh database is made in it), otherwise a
//! throwaway cluster (`initdb` + `pg_ctl` on a free port in a temporary folder, as the `postgres` user when
//! the tests run as root), stopped when the value drops, also when the test fails.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Postgres {
    /// A URL to a fresh, empty database.
    pub url: String,
    cluster: Option<Cluster>,
}

struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    log: String,
    _dir: tempfile::TempDir,
    as_postgres: bool,
}

fn bin_dir() -> PathBuf {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").exists() {
            return dir;
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).filter(|p| p.join("initdb").exists()).collect())
        .unwrap_or_default();
    versions.sort();
    versions.pop().expect("PostgreSQL is not installed: run scripts/test.sh, which installs it")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

fn run(cluster_user: bool, program: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = if cluster_user {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    let out = cmd.args(args).output().unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    assert!(out.status.success(), "{} {args:?}: {}", program.display(), String::from_utf8_lossy(&out.stderr));
    out
}

impl Postgres {
    pub fn start() -> Postgres {
        if let Ok(base) = std::env::var("DATABASE_URL") {
            let name = format!("br_test_{}", uuid::Uuid::now_v7().simple());
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let (client, conn) = tokio_postgres::connect(&base, tokio_postgres::NoTls).await.unwrap();
                tokio::spawn(conn);
                client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
            });
            let url = match base.rfind('/') {
                Some(i) if base[..i].contains("://") && !base[i..].contains('@') => format!("{}/{name}", &base[..i]),
                _ => format!("{base} dbname={name}"),
            };
            return Postgres { url, cluster: None };
        }
        let bin = bin_dir();
        let as_postgres = is_root();
        let dir = tempfile::Builder::new().prefix("br-pg-").tempdir().unwrap();
        let data = dir.path().join("data");
        if as_postgres {
            let status = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status().unwrap();
            assert!(status.success());
        }
        let data_s = data.display().to_string();
        run(
            as_postgres,
            &bin.join("initdb"),
            &["-D", &data_s, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
        );
        let port = free_port();
        let options = format!("-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", dir.path().display());
        let log = dir.path().join("log").display().to_string();
        run(as_postgres, &bin.join("pg_ctl"), &["-D", &data_s, "-o", &options, "-l", &log, "-w", "start"]);
        Postgres {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            cluster: Some(Cluster { bin, data, log, _dir: dir, as_postgres }),
        }
    }

    /// Stops and starts the cluster (a database restart during sync); a `DATABASE_URL` is left alone.
    pub fn restart(&self) {
        if let Some(c) = &self.cluster {
            let data = c.data.display().to_string();
            // With its log in a file, so the server it starts does not hold this process's pipes open.
            run(c.as_postgres, &c.bin.join("pg_ctl"), &["-D", &data, "-l", &c.log, "-m", "fast", "-w", "restart"]);
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(c) = &self.cluster {
            let data = c.data.display().to_string();
            let mut cmd = if c.as_postgres {
                let mut x = Command::new("runuser");
                x.args(["-u", "postgres", "--"]).arg(c.bin.join("pg_ctl"));
                x
            } else {
                Command::new(c.bin.join("pg_ctl"))
            };
            let _ = cmd.args(["-D", &data, "-m", "immediate", "-w", "stop"]).output();
        }
    }
}

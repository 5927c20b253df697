//! Fixtures: a real, migrated, encrypted registry in a temporary folder.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use br_core::auth::{Role, Session};
use br_core::io::import::{import_file, ImportOptions, ImportSummary};
use br_core::secret::Secret;
use br_core::store::keys::Unlock;
use br_core::{CreateRegistry, Registry};

pub const PASSPHRASE: &str = "correct horse battery staple";
pub const ADMIN_PASSWORD: &str = "admin-password-1";

/// The audit chain's head, kept beside the office: it moves with every audited refusal.
const AUDIT_HEAD: &[(&str, &str)] = &[("office", "audit_head_seq"), ("office", "audit_head_mac")];

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub registry: Registry,
    pub admin: Session,
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture::keeping(Default::default())
    }

    /// A registry under the given privacy profile.
    pub fn keeping(privacy: br_core::registry::privacy::PrivacyProfile) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let (registry, admin) = Registry::create(
            &dir.path().join("reg"),
            CreateRegistry {
                office_code: "TST".into(),
                office_name: "Test office".into(),
                admin_username: "admin".into(),
                admin_display_name: "Admin".into(),
                admin_password: Secret::new(ADMIN_PASSWORD),
                recovery_passphrase: Secret::new(PASSPHRASE),
                use_credential_store: false,
                privacy,
            },
        )
        .unwrap();
        Fixture { dir, registry, admin }
    }

    pub fn reg_dir(&self) -> PathBuf {
        self.dir.path().join("reg")
    }

    pub fn user(&self, username: &str, role: Role) -> Session {
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

    pub fn file(&self, name: &str, content: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        p
    }

    pub fn import(&self, session: &Session, path: &Path, options: &ImportOptions) -> br_core::Result<ImportSummary> {
        import_file(self.registry.store(), session, path, options, &|_| {}, &AtomicBool::new(false))
    }

    /// Every row of every table but the audit log and its head (a refusal is audited, by design), one line
    /// per table with its name, row count and a hash of its rows: a refused or previewed operation leaves it
    /// equal, and a difference names the table that changed.
    pub fn fingerprint(&self) -> String {
        self.registry
            .store()
            .read(|c| {
                let tables: Vec<String> = c
                    .prepare(
                        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
                         AND name <> 'audit_log' ORDER BY name",
                    )?
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                let mut out = String::new();
                for table in tables {
                    let mut hash = ring::digest::Context::new(&ring::digest::SHA256);
                    let mut stmt = c.prepare(&format!("SELECT * FROM \"{table}\""))?;
                    let columns = stmt.column_count();
                    let stmt_names: Vec<String> = stmt.column_names().into_iter().map(String::from).collect();
                    let mut rows = stmt.query([])?;
                    let mut n = 0u64;
                    while let Some(row) = rows.next()? {
                        for i in
                            (0..columns).filter(|&i| !AUDIT_HEAD.contains(&(table.as_str(), stmt_names[i].as_str())))
                        {
                            // Debug form keeps the type, so 1 and '1' differ; the length prefix keeps cells apart.
                            let cell = format!("{:?}", row.get_ref(i)?);
                            hash.update(&(cell.len() as u64).to_le_bytes());
                            hash.update(cell.as_bytes());
                        }
                        n += 1;
                    }
                    let digest: String = hash.finish().as_ref().iter().map(|b| format!("{b:02x}")).collect();
                    out.push_str(&format!("{table}: {n} rows {digest}\n"));
                }
                Ok(out)
            })
            .unwrap()
    }

    /// The fingerprint without the named tables: for an operation that rightly writes to them alone.
    pub fn fingerprint_except(&self, tables: &[&str]) -> String {
        except(&self.fingerprint(), tables)
    }

    /// Asserts the change log is gapless from 1.
    pub fn assert_outbox_gapless(&self) -> i64 {
        self.registry
            .store()
            .read(|c| {
                let (n, min, max): (i64, Option<i64>, Option<i64>) =
                    c.query_row("SELECT count(*), min(seq), max(seq) FROM outbox", [], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })?;
                if n > 0 {
                    assert_eq!(min, Some(1), "change log starts at 1");
                    assert_eq!(max, Some(n), "change log has gaps");
                }
                Ok(n)
            })
            .unwrap()
    }
}

/// An active program for individuals, paid in XOF, with no rule and no members yet.
pub fn active_program(fx: &Fixture, code: &str, name: &str) -> br_core::program::service::ProgramKey {
    use br_core::program::model::{ProgramFields, ProgramState};
    use br_core::program::service::{self as programs, ProgramKey};
    let store = fx.registry.store();
    let fields = ProgramFields {
        code: code.into(),
        name: name.into(),
        description: String::new(),
        target: br_core::registry::model::RegistrantKind::Individual,
        currency: "XOF".into(),
        eligibility_rule: String::new(),
        pmt_expression: None,
        pmt_threshold: None,
        auto_enrol: false,
    };
    programs::create(store, &fx.admin, fields).unwrap();
    let key = ProgramKey::Code(code.into());
    programs::set_state(store, &fx.admin, &key, ProgramState::Active).unwrap();
    key
}

/// [`active_program`] with everyone enrolled: where a cycle starts. Returns the number enrolled.
pub fn active_cash_program(fx: &Fixture, code: &str, name: &str) -> u64 {
    let key = active_program(fx, code, name);
    br_core::program::membership::enrol_eligible(fx.registry.store(), &fx.admin, &key, &|_| {}, &AtomicBool::new(false))
        .unwrap()
        .enrolled
}

pub fn unlock_with(passphrase: &str) -> Unlock<'static> {
    Unlock::with_passphrase(Secret::new(passphrase))
}

pub fn file_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| (p.file_name().unwrap().to_string_lossy().to_string(), std::fs::read(&p).unwrap()))
        .filter(|(n, _)| n == "registry.db" || n == "registry.key")
        .collect();
    v.sort();
    v
}

/// Every Rust source file under `dir`.
pub fn rust_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `fingerprint` without the lines of the named tables.
pub fn except(fingerprint: &str, tables: &[&str]) -> String {
    fingerprint
        .lines()
        .filter(|l| !tables.iter().any(|t| l.starts_with(&format!("{t}: "))))
        .collect::<Vec<_>>()
        .join("\n")
}

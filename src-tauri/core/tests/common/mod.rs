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

    /// Counts and content of everything a person would call "the registry": a fingerprint to compare.
    pub fn fingerprint(&self) -> String {
        self.registry
            .store()
            .read(|c| {
                let mut out = String::new();
                for sql in [
                    "SELECT count(*) || ':' || ifnull(sum(length(content_hash)), 0) || ':' || ifnull(group_concat(hex(content_hash)), '') FROM registrants",
                    "SELECT count(*) FROM memberships",
                    "SELECT count(*) FROM id_documents",
                    "SELECT count(*) || ':' || ifnull(max(seq), 0) FROM outbox",
                    "SELECT count(*) FROM users",
                    "SELECT count(*) FROM list_items",
                ] {
                    let v: rusqlite::types::Value = c.query_row(sql, [], |r| r.get(0))?;
                    out.push_str(&format!("{v:?}"));
                    out.push('|');
                }
                Ok(out)
            })
            .unwrap()
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

//! The encrypted store: one SQLCipher file per office registry, one writer, a few readers.

pub(crate) mod counts;
pub mod keys;
pub mod list_indexes;
pub mod migrations;
pub(crate) mod name_index;
pub mod pragmas;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use uuid::Uuid;

use crate::clock::{Hlc, HlcStamp};
use crate::error::{CoreError, Result};
use crate::secret::DbKey;
use keys::{KeyFile, KeySource, Unlock};

pub const DB_FILE: &str = "registry.db";
pub const KEY_FILE: &str = "registry.key";
const MAX_READERS: usize = 4;

pub fn db_path(dir: &Path) -> PathBuf {
    dir.join(DB_FILE)
}

pub fn key_path(dir: &Path) -> PathBuf {
    dir.join(KEY_FILE)
}

/// The office that owns this registry, read at open (and taken from the central server at enrolment).
#[derive(Debug, Clone)]
pub struct OfficeInfo {
    pub office_id: Uuid,
    /// This desk: the origin of the change-log records it writes (an office may run several desks).
    pub device_id: Uuid,
    pub code: String,
    pub name: String,
    /// What this desk's references start with (`code`, or `CODE.N` for an office's later desks).
    pub reference_prefix: String,
    pub registry_id: String,
}

pub struct Store {
    dir: PathBuf,
    key: DbKey,
    key_source: KeySource,
    credential_store_note: Option<String>,
    // Field order is drop order: the read-only connections must close before the writer, so that the
    // writer, closing last, checkpoints the write-ahead log into the file and removes it. (A read-only
    // connection closing last cannot, which left `registry.db-wal` behind holding recent changes.)
    readers: Mutex<Vec<(Connection, u64)>>,
    /// Raised whenever the writer refreshes the planner's statistics (ANALYZE). SQLite loads them when a
    /// connection reads the schema and ANALYZE does not make other connections read it again, so a
    /// pooled reader from before a large import kept planning for an empty registry: generating 5,528
    /// entitlements took 41 s in `br serve` and 0.7 s in `br`. Readers older than this are not reused.
    statistics_epoch: std::sync::atomic::AtomicU64,
    writer: Mutex<Connection>,
    /// Changes once, when the desk enrols with a central server and takes its office's identity.
    office: std::sync::RwLock<OfficeInfo>,
    hlc: Hlc,
    audit_key: ring::hmac::Key,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("dir", &self.dir).field("office", &self.office().code).finish()
    }
}

fn open_connection(path: &Path, flags: OpenFlags) -> Result<Connection> {
    // Each connection is used by one thread at a time (the writer behind its mutex, readers taken from the
    // pool), so SQLite's own per-call locking is pure cost: about a tenth of an import's time.
    Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(|e| CoreError::DatabaseCorrupt {
        path: path.display().to_string(),
        reason: format!("cannot open ({e})"),
    })
}

fn audit_key_from(key: &DbKey) -> ring::hmac::Key {
    // Derived, not stored: the chain can only be extended by someone holding the database key.
    let prk = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"br audit chain").extract(key.as_bytes());
    let okm = prk.expand(&[b"audit-hmac-sha256"], ring::hmac::HMAC_SHA256).expect("fixed output length");
    ring::hmac::Key::from(okm)
}

/// A database shorter than its own header says it is has been truncated. Only meaningful when no
/// write-ahead log holds pages beyond the main file's end.
fn check_not_truncated(conn: &Connection, path: &Path) -> Result<()> {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    if std::fs::metadata(&wal).map(|m| m.len() > 0).unwrap_or(false) {
        return Ok(());
    }
    let file_len = std::fs::metadata(path).map_err(|e| CoreError::io("reading the database file", e))?.len();
    let page_size: i64 =
        conn.query_row("PRAGMA page_size", [], |r| r.get::<_, rusqlite::types::Value>(0)).map(|v| match v {
            // SQLCipher answers this pragma as text.
            rusqlite::types::Value::Integer(i) => i,
            rusqlite::types::Value::Text(t) => t.parse().unwrap_or(4096),
            _ => 4096,
        })?;
    let page_count: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    if file_len % page_size as u64 != 0 || (page_count * page_size) as u64 > file_len {
        return Err(CoreError::DatabaseCorrupt {
            path: path.display().to_string(),
            reason: format!("the file is truncated ({file_len} bytes, its header expects {})", page_count * page_size),
        });
    }
    Ok(())
}

impl Store {
    /// Creates the database file and key file in `dir` (which must not hold a registry yet).
    pub fn create(dir: &Path, key: DbKey, key_file: &KeyFile) -> Result<Connection> {
        std::fs::create_dir_all(dir).map_err(|e| CoreError::io(format!("creating {}", dir.display()), e))?;
        let db = db_path(dir);
        if db.exists() || key_path(dir).exists() {
            return Err(CoreError::RegistryExists { path: dir.display().to_string() });
        }
        let mut conn = open_connection(&db, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE)?;
        pragmas::key_connection(&conn, &key, &db.display().to_string())?;
        pragmas::configure(&conn, pragmas::Role::Writer)?;
        migrations::migrate(&mut conn)?;
        key_file.write(&key_path(dir))?;
        Ok(conn)
    }

    /// Opens an existing registry. Nothing is written to the files until the key is proven, the file
    /// is readable and its schema is not newer than this binary.
    pub fn open(dir: &Path, unlock: &Unlock<'_>) -> Result<Store> {
        let db = db_path(dir);
        if !db.exists() {
            return Err(CoreError::RegistryNotFound { path: dir.display().to_string() });
        }
        let key_file = KeyFile::read(&key_path(dir))?;
        let resolved = keys::resolve_key(&key_file, unlock)?;
        Self::open_with_key(dir, resolved.key, resolved.source, resolved.credential_store_note, key_file.registry_id)
    }

    fn open_with_key(
        dir: &Path,
        key: DbKey,
        key_source: KeySource,
        credential_store_note: Option<String>,
        registry_id: String,
    ) -> Result<Store> {
        let db = db_path(dir);
        let shown = db.display().to_string();
        let mut conn = open_connection(&db, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        pragmas::key_connection(&conn, &key, &shown)?;
        check_not_truncated(&conn, &db)?;
        migrations::check_not_newer(&conn)?;
        pragmas::configure(&conn, pragmas::Role::Writer)?;
        migrations::migrate(&mut conn)?;
        // An import still marked running was killed: the app runs one registry in one process, and an
        // import that is really running in another (a `br import` beside the app) writes its own final
        // status over this when it ends.
        let interrupted = conn.execute(
            "UPDATE import_runs SET status = 'interrupted', finished_at = ?1 WHERE status = 'running'",
            [crate::clock::now_rfc3339()],
        )?;
        if interrupted > 0 {
            tracing::warn!(interrupted, "imports that were cut short are marked interrupted");
        }
        let rebuilt = list_indexes::ensure_all(&conn)?;
        if rebuilt > 0 {
            tracing::warn!(rebuilt, "list indexes were missing (an import was cut short) and have been rebuilt");
        }
        // A registry made before desks had ids gets one the first time it is opened.
        conn.execute("UPDATE office SET device_id = ?1 WHERE device_id IS NULL", [Uuid::now_v7()])?;
        let office = conn
            .query_row(
                "SELECT office_id, device_id, code, name, coalesce(reference_prefix, code) FROM office WHERE singleton = 1",
                [],
                |r| {
                Ok(OfficeInfo {
                    office_id: r.get(0)?,
                    device_id: r.get(1)?,
                    code: r.get(2)?,
                    name: r.get(3)?,
                    reference_prefix: r.get(4)?,
                    registry_id: registry_id.clone(),
                })
            })
            .optional()?
            .ok_or_else(|| CoreError::DatabaseCorrupt { path: shown.clone(), reason: "no office record".into() })?;
        // The clock restarts past every stamp this registry has written or replayed.
        let last_hlc: Option<i64> = conn.query_row(
            "SELECT max(h) FROM (SELECT max(hlc) AS h FROM outbox UNION ALL SELECT max(hlc) FROM applied_ops)",
            [],
            |r| r.get(0),
        )?;
        let last = last_hlc.map(HlcStamp::from_i64).unwrap_or(HlcStamp { wall_ms: 0, counter: 0 });
        Ok(Store {
            dir: dir.to_path_buf(),
            audit_key: audit_key_from(&key),
            key,
            key_source,
            credential_store_note,
            writer: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
            statistics_epoch: std::sync::atomic::AtomicU64::new(0),
            office: std::sync::RwLock::new(office),
            hlc: Hlc::new(last),
        })
    }

    /// Opens a freshly created registry with the key already in hand.
    pub(crate) fn open_created(dir: &Path, key: DbKey, registry_id: String, source: KeySource) -> Result<Store> {
        Self::open_with_key(dir, key, source, None, registry_id)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn office(&self) -> OfficeInfo {
        self.office.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// This desk's id, without copying the rest of the office (replay asks once per op).
    pub fn device_id(&self) -> Uuid {
        self.office.read().unwrap_or_else(|p| p.into_inner()).device_id
    }

    /// Reads the office in place.
    pub(crate) fn with_office<R>(&self, read: impl FnOnce(&OfficeInfo) -> R) -> R {
        read(&self.office.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Takes the office identity written by enrolment (`sync::enrol`), after its transaction committed.
    pub(crate) fn set_office(&self, office: OfficeInfo) {
        *self.office.write().unwrap_or_else(|p| p.into_inner()) = office;
    }

    pub fn key_source(&self) -> KeySource {
        self.key_source
    }

    pub(crate) fn set_credential_store_note(&mut self, note: Option<String>) {
        self.credential_store_note = note;
    }

    pub fn credential_store_note(&self) -> Option<&str> {
        self.credential_store_note.as_deref()
    }

    /// The key that signs the audit log's head for anchors kept outside the file (see `audit_anchor`).
    pub(crate) fn head_signing_key(&self) -> ring::signature::Ed25519KeyPair {
        struct Seed;
        impl ring::hkdf::KeyType for Seed {
            fn len(&self) -> usize {
                32
            }
        }
        let prk = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"br audit chain").extract(self.key.as_bytes());
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        prk.expand(&[b"audit-head-ed25519"], Seed)
            .and_then(|okm| okm.fill(&mut seed[..]))
            .expect("fixed output length");
        ring::signature::Ed25519KeyPair::from_seed_unchecked(&seed[..]).expect("any 32 bytes are an Ed25519 seed")
    }

    pub(crate) fn audit_key(&self) -> &ring::hmac::Key {
        &self.audit_key
    }

    pub(crate) fn hlc(&self) -> &Hlc {
        &self.hlc
    }

    /// The writer connection. A panic while it was held left the lock poisoned, but the transaction it
    /// was in has been rolled back (see `write`), so the connection is sound and the lock is taken back.
    fn lock_writer(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(|poisoned| {
            self.writer.clear_poison();
            poisoned.into_inner()
        })
    }

    fn lock_readers(&self) -> std::sync::MutexGuard<'_, Vec<(Connection, u64)>> {
        // The pool is only pushed to and popped from: a panic elsewhere cannot leave it half-changed.
        self.readers.lock().unwrap_or_else(|poisoned| {
            self.readers.clear_poison();
            poisoned.into_inner()
        })
    }

    /// Runs `f` in one IMMEDIATE transaction on the writer: domain rows, audit entries and change-log
    /// ops commit together or not at all. A panic inside `f` (a bug reached by some input) rolls the
    /// transaction back and becomes an `Internal` error: the registry stays writable for everyone else.
    pub fn write<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        self.write_by(None, f)
    }

    /// [`Store::write`] on behalf of a person: the change-log records it writes name them.
    pub fn write_as<T>(&self, actor: &str, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        self.write_by(Some(actor.to_string()), f)
    }

    fn write_by<T>(&self, actor: Option<String>, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.lock_writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut wtx = Tx {
            tx,
            store: self,
            audit: None,
            outbox_next: None,
            reference_next: None,
            name_index: Vec::new(),
            counts: counts::CountChanges::default(),
            abandoned: false,
            actor,
        };
        // On a panic, `?` returns here and drops `wtx`, and with it the transaction, which rolls it back.
        let value = contain_panic("a write", std::panic::AssertUnwindSafe(|| f(&mut wtx)))?;
        if wtx.abandoned {
            // Dropping the transaction rolls it back.
            return Ok(value);
        }
        wtx.finish()?;
        Ok(value)
    }

    /// Runs `f` on a read-only connection from the pool, in one read transaction (a consistent view).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let (conn, epoch) = self.take_reader()?;
        let result = contain_panic(
            "a read",
            std::panic::AssertUnwindSafe(|| {
                conn.execute_batch("BEGIN")?;
                let out = f(&conn);
                conn.execute_batch("COMMIT")?;
                out
            }),
        );
        // A connection left inside a transaction (a panic or a failed COMMIT), or planning with statistics
        // that have since been refreshed, is dropped, not reused.
        if conn.is_autocommit() && epoch == self.statistics_epoch() {
            let mut pool = self.lock_readers();
            if pool.len() < MAX_READERS {
                pool.push((conn, epoch));
            }
        }
        result
    }

    fn statistics_epoch(&self) -> u64 {
        self.statistics_epoch.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Tells the readers that the planner's statistics changed: they are opened again as they come back.
    fn statistics_changed(&self) {
        self.statistics_epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        self.lock_readers().clear();
    }

    fn take_reader(&self) -> Result<(Connection, u64)> {
        let current = self.statistics_epoch();
        if let Some((c, epoch)) = self.lock_readers().pop() {
            if epoch == current {
                return Ok((c, epoch));
            }
        }
        let db = db_path(&self.dir);
        let conn = open_connection(&db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        pragmas::key_connection(&conn, &self.key, &db.display().to_string())?;
        pragmas::configure(&conn, pragmas::Role::Reader)?;
        Ok((conn, current))
    }

    /// A consistent copy of the encrypted database through SQLite's online backup, keyed like the original.
    pub fn backup_database_to(&self, dest: &Path) -> Result<()> {
        let mut out = open_connection(dest, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE)?;
        out.pragma_update(None, "key", self.key.pragma_value().as_str())?;
        let conn = self.lock_writer();
        let backup = rusqlite::backup::Backup::new(&conn, &mut out)?;
        backup.run_to_completion(1024, std::time::Duration::from_millis(0), None)?;
        Ok(())
    }

    /// Refreshes the query planner's statistics after bulk changes (bounded work, a few milliseconds).
    pub fn optimize(&self) -> Result<()> {
        let conn = self.lock_writer();
        conn.execute_batch("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")?;
        drop(conn);
        self.statistics_changed();
        Ok(())
    }

    /// Checkpoints the write-ahead log into the main file (before a backup or a size measurement).
    pub fn checkpoint(&self) -> Result<()> {
        let conn = self.lock_writer();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }
}

/// Runs `f`, turning a panic into an `Internal` error. The panic's message goes to the log (the hook
/// prints it), never into the error: it may quote input.
fn contain_panic<T>(what: &str, f: impl FnOnce() -> Result<T> + std::panic::UnwindSafe) -> Result<T> {
    std::panic::catch_unwind(f).unwrap_or_else(|_| {
        tracing::error!(what, "a panic was contained; the transaction was rolled back");
        Err(CoreError::Internal(format!("{what} stopped on an unexpected error and changed nothing")))
    })
}

pub(crate) struct Savepoint {
    audit: Option<(i64, Vec<u8>)>,
    outbox_next: Option<i64>,
    reference_next: Option<i64>,
    name_index_len: usize,
    counts: counts::CountChanges,
}

/// A write transaction with the registry's bookkeeping: audit chain position and change-log sequence.
pub struct Tx<'a> {
    tx: rusqlite::Transaction<'a>,
    store: &'a Store,
    /// Next audit seq and the previous mac, loaded on first use.
    pub(crate) audit: Option<(i64, Vec<u8>)>,
    /// Next change-log sequence, loaded on first use.
    pub(crate) outbox_next: Option<i64>,
    /// Next reference number, loaded on first use and stored back at commit.
    pub(crate) reference_next: Option<i64>,
    /// Name-index changes (rowid, the name's new entry or None to remove), applied just before commit: any
    /// statement with a statement journal makes FTS5 flush its pending terms, so writing the index row
    /// by row between other inserts costs a flush per row and fragments the index.
    pub(crate) name_index: Vec<(i64, Option<crate::spelling::NameIndexEntry>)>,
    /// Changes to the dashboard's counts, applied just before commit.
    pub(crate) counts: counts::CountChanges,
    /// Set by `abandon`: the closure's work is rolled back although it returned Ok.
    abandoned: bool,
    /// Who the change-log records of this transaction name; none for the system.
    pub(crate) actor: Option<String>,
}

impl<'a> Tx<'a> {
    pub fn conn(&self) -> &rusqlite::Transaction<'a> {
        &self.tx
    }

    pub fn store(&self) -> &'a Store {
        self.store
    }

    /// Rolls the whole transaction back when the closure returns, even on Ok.
    pub(crate) fn abandon(&mut self) {
        self.abandoned = true;
    }

    /// Checks foreign keys at commit instead of after each statement, for bulk writes. An immediate check
    /// makes SQLite copy every page a statement changes into a statement journal first, in case the
    /// statement must be undone; on a million-row import that copying cost more than the checks.
    /// A violation still fails the whole transaction, at commit.
    pub(crate) fn defer_foreign_keys(&mut self) -> Result<()> {
        self.tx.pragma_update(None, "defer_foreign_keys", "ON")?;
        Ok(())
    }

    /// Marks a point the transaction can return to, with the bookkeeping counters as they are now.
    pub(crate) fn savepoint(&mut self) -> Result<Savepoint> {
        self.tx.execute_batch("SAVEPOINT unit")?;
        Ok(Savepoint {
            audit: self.audit.clone(),
            outbox_next: self.outbox_next,
            reference_next: self.reference_next,
            name_index_len: self.name_index.len(),
            counts: self.counts.clone(),
        })
    }

    pub(crate) fn release(&mut self) -> Result<()> {
        self.tx.execute_batch("RELEASE unit")?;
        Ok(())
    }

    /// Undoes everything since the savepoint, counters included, so the change log stays gapless.
    pub(crate) fn rollback_to(&mut self, sp: Savepoint) -> Result<()> {
        self.tx.execute_batch("ROLLBACK TO unit; RELEASE unit")?;
        self.audit = sp.audit;
        self.outbox_next = sp.outbox_next;
        self.reference_next = sp.reference_next;
        self.name_index.truncate(sp.name_index_len);
        self.counts = sp.counts;
        Ok(())
    }

    fn finish(self) -> Result<()> {
        for (rowid, entry) in &self.name_index {
            match entry {
                Some(entry) => name_index::add(&self.tx, *rowid, entry)?,
                None => name_index::remove(&self.tx, *rowid)?,
            }
        }
        self.counts.apply(&self.tx)?;
        if let Some(next) = self.reference_next {
            self.tx.prepare_cached("UPDATE office SET next_reference = ?1 WHERE singleton = 1")?.execute([next])?;
        }
        if let Some((next_seq, mac)) = &self.audit {
            self.tx.execute(
                "UPDATE office SET audit_head_seq = ?1, audit_head_mac = ?2 WHERE singleton = 1",
                rusqlite::params![next_seq - 1, mac],
            )?;
        }
        self.tx.commit()?;
        Ok(())
    }
}

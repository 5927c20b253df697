//! The change log as a file: one registry's typed ops written out, and replayed into another registry.
//! The seed of file-based sync for offices with no network (docs/sync-ops.md). A header line in JSON (what
//! the file is, whose ops, how many, how its key is derived), then the ops as JSON lines in the writing
//! desk's order, sealed with a passphrase (`sealed.rs`).

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use br_model::op::{OpRecord, OP_FORMAT};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::sealed::{self, Opener, Sealer};
use super::{apply_remote, Outcome};
use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::error::{CoreError, Result};
use crate::files::output::OutputFile;
use crate::outbox::read_records;
use crate::secret::Secret;
use crate::store::keys::{MIN_PASSPHRASE_CHARS, PBKDF2_ITERATIONS};
use crate::store::Store;

/// Ops applied per transaction: a kill loses at most one page of work, and replaying the file again
/// skips what was applied.
const PAGE: usize = 1_000;
/// The header is a few hundred bytes.
const MAX_HEADER: usize = 4096;
/// The key derivations a file may name: ours and anything a future version may raise it to.
const ITERATIONS: std::ops::RangeInclusive<u32> = 100_000..=10_000_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    office: Uuid,
    device: Uuid,
    /// The ops in the file, so a reader knows the file is whole and how far it has come.
    ops: u64,
    kdf: String,
    iterations: u32,
    salt: String,
}

const FORMAT: &str = "br-change-log";
const KDF: &str = "pbkdf2-sha256";

#[derive(Debug, Clone, Serialize, TS)]
pub struct ChangeLogExportSummary {
    pub ops: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct ReplaySummary {
    pub read: u64,
    pub applied: u64,
    pub unchanged: u64,
    pub conflicts: u64,
}

/// How far a replay has come: ops read from the file so far, of those it holds.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ReplayProgress {
    pub done: u64,
    pub total: u64,
}

/// Writes every typed op of this registry, up to the last one when it starts, to `target` (outside the
/// registry's folder; replaced only with `overwrite`), sealed with `passphrase`. The file holds every synced
/// row unmasked, like a backup, and is made by those who make backups.
pub fn export(
    store: &Store,
    session: &Session,
    target: &Path,
    overwrite: bool,
    passphrase: &Secret,
) -> Result<ChangeLogExportSummary> {
    require(store, session, Permission::BackupRun, "outbox.export")?;
    if passphrase.expose().chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(CoreError::InvalidInput(format!(
            "the change log's passphrase needs at least {MIN_PASSPHRASE_CHARS} characters"
        )));
    }
    let (ops, last): (u64, i64) = store.read(|c| {
        Ok(c.query_row("SELECT count(*), ifnull(max(seq), 0) FROM outbox WHERE format > 0", [], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get(1)?))
        })?)
    })?;
    let mut salt = [0u8; 16];
    SystemRandom::new().fill(&mut salt).map_err(|_| CoreError::Internal("no randomness for the salt".into()))?;
    let office = store.office();
    let header = Header {
        format: FORMAT.into(),
        version: OP_FORMAT,
        office: office.office_id,
        device: office.device_id,
        ops,
        kdf: KDF.into(),
        iterations: PBKDF2_ITERATIONS,
        salt: B64.encode(salt),
    };
    let header = serde_json::to_string(&header)?;
    let mut out = OutputFile::create(store.dir(), target, overwrite)?;
    {
        let mut w = BufWriter::new(out.file());
        let io = |e| CoreError::io("writing the change log", e);
        w.write_all(header.as_bytes()).map_err(io)?;
        w.write_all(b"\n").map_err(io)?;
        let mut sealer = Sealer::new(sealed::key(passphrase, &salt, PBKDF2_ITERATIONS), header.as_bytes(), &mut w);
        let mut after = 0;
        while after < last {
            let page = store.read(|c| read_records(c, after, PAGE))?;
            let Some(end) = page.last().map(|r| r.seq) else { break };
            for rec in page.iter().take_while(|r| r.seq <= last) {
                sealer.line(serde_json::to_string(rec)?.as_bytes())?;
            }
            after = end;
        }
        sealer.finish()?;
        w.flush().map_err(io)?;
    }
    let bytes = out.finish()?;
    store.write_as(session.username(), |tx| {
        tx.audit(AuditEvent::new(session, "outbox.export").details(serde_json::json!({ "ops": ops })))
    })?;
    Ok(ChangeLogExportSummary { ops, bytes })
}

/// Replays a change-log file written by another registry into this one, a page per transaction. A cancel
/// stops between pages; replaying the file again goes on where it stopped.
pub fn replay(
    store: &Store,
    session: &Session,
    file: &Path,
    passphrase: &Secret,
    progress: &dyn Fn(&ReplayProgress),
    cancel: &AtomicBool,
) -> Result<ReplaySummary> {
    require(store, session, Permission::BackupRun, "outbox.replay")?;
    let f = std::fs::File::open(file).map_err(|e| CoreError::io("reading the change log", e))?;
    let mut input = BufReader::new(f);
    let (header_text, header) = read_header(&mut input)?;
    let salt = B64.decode(&header.salt).map_err(|_| not_a_change_log())?;
    let key = sealed::key(passphrase, &salt, header.iterations);
    let mut lines = Opener::new(key, header_text.as_bytes(), input);
    let mut summary = ReplaySummary::default();
    let mut page = Vec::with_capacity(PAGE);
    loop {
        let line = lines.next_line()?;
        if let Some(l) = &line {
            let rec: OpRecord = serde_json::from_slice(l).map_err(|e| {
                CoreError::InvalidInput(format!("op {} of the change log: {e}", summary.read + page.len() as u64 + 1))
            })?;
            page.push(rec);
        }
        if page.len() == PAGE || (line.is_none() && !page.is_empty()) {
            let counts = apply_page(store, session, header.device, &page)?;
            summary.read += counts.read;
            summary.applied += counts.applied;
            summary.unchanged += counts.unchanged;
            summary.conflicts += counts.conflicts;
            page.clear();
            progress(&ReplayProgress { done: summary.read, total: header.ops });
            if cancel.load(Ordering::Relaxed) && line.is_some() {
                return Err(CoreError::Cancelled);
            }
        }
        if line.is_none() {
            if summary.read != header.ops {
                return Err(CoreError::InvalidInput(format!(
                    "the change log names {} ops but holds {}",
                    header.ops, summary.read
                )));
            }
            return Ok(summary);
        }
    }
}

fn apply_page(store: &Store, session: &Session, from: Uuid, page: &[OpRecord]) -> Result<ReplaySummary> {
    store.write_as(session.username(), |tx| {
        let mut counts = ReplaySummary::default();
        for rec in page {
            match apply_remote(tx, rec)? {
                Outcome::Applied => counts.applied += 1,
                Outcome::Unchanged => counts.unchanged += 1,
                Outcome::Conflict => counts.conflicts += 1,
            }
        }
        counts.read = page.len() as u64;
        tx.audit(AuditEvent::new(session, "outbox.replay").details(serde_json::json!({
            "from_desk": from, "read": counts.read, "applied": counts.applied,
            "unchanged": counts.unchanged, "conflicts": counts.conflicts,
        })))?;
        Ok(counts)
    })
}

/// The header line, as written (it is part of what the frames are sealed over) and as read.
fn read_header(r: &mut impl BufRead) -> Result<(String, Header)> {
    let mut buf = Vec::new();
    std::io::Read::take(&mut *r, MAX_HEADER as u64 + 1)
        .read_until(b'\n', &mut buf)
        .map_err(|e| CoreError::io("reading the change log", e))?;
    if buf.len() > MAX_HEADER || buf.last() != Some(&b'\n') {
        return Err(not_a_change_log());
    }
    buf.pop();
    let text = String::from_utf8(buf).map_err(|_| not_a_change_log())?;
    let header: Header = serde_json::from_str(&text).map_err(|_| not_a_change_log())?;
    if header.format != FORMAT || header.kdf != KDF || !ITERATIONS.contains(&header.iterations) {
        return Err(not_a_change_log());
    }
    if header.version != OP_FORMAT {
        return Err(CoreError::InvalidInput(format!(
            "the change log is in format {}, and this version reads format {OP_FORMAT}",
            header.version
        )));
    }
    Ok((text, header))
}

fn not_a_change_log() -> CoreError {
    CoreError::InvalidInput("this file is not a change log written by `br outbox export`".into())
}

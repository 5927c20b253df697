//! The change log as a file: one registry's typed ops written out, and replayed into another registry.
//! The seed of file-based sync for offices with no network (docs/sync-ops.md). JSON Lines: a header
//! line, then one `OpRecord` per line, in the writing desk's order.

use std::io::{BufRead, BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use br_model::op::{OpRecord, OP_FORMAT};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::{apply_remote, Outcome};
use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::error::{CoreError, Result};
use crate::files::output::OutputFile;
use crate::outbox::read_records;
use crate::store::Store;

/// Ops applied per transaction: a kill loses at most one page of work, and replaying the file again
/// skips what was applied.
const PAGE: usize = 1_000;
/// The longest line a change-log file may hold (a page of 10,000 entitlements is about 1.5 MB).
const MAX_LINE: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    office: Uuid,
    device: Uuid,
}

const FORMAT: &str = "br-change-log";

#[derive(Debug, Clone, Serialize, TS)]
pub struct ExportSummary {
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

/// Writes every typed op of this registry to `target` (outside the registry's folder; replaced only with
/// `overwrite`). The file holds personal data unmasked, like a backup, and is made by those who make backups.
pub fn export(store: &Store, session: &Session, target: &Path, overwrite: bool) -> Result<ExportSummary> {
    require(store, session, Permission::BackupRun, "outbox.export")?;
    let mut out = OutputFile::create(store.dir(), target, overwrite)?;
    let office = store.office();
    let header =
        Header { format: FORMAT.into(), version: OP_FORMAT, office: office.office_id, device: office.device_id };
    let mut w = BufWriter::new(out.file());
    let mut line = serde_json::to_string(&header)? + "\n";
    w.write_all(line.as_bytes()).map_err(|e| CoreError::io("writing the change log", e))?;
    let mut bytes = line.len() as u64;
    let (mut ops, mut after) = (0u64, 0);
    loop {
        let page = store.read(|c| read_records(c, after, PAGE))?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for rec in &page {
            line = serde_json::to_string(rec)? + "\n";
            w.write_all(line.as_bytes()).map_err(|e| CoreError::io("writing the change log", e))?;
            bytes += line.len() as u64;
            ops += 1;
        }
    }
    w.flush().map_err(|e| CoreError::io("writing the change log", e))?;
    drop(w);
    out.finish()?;
    store.write_as(session.username(), |tx| {
        tx.audit(AuditEvent::new(session, "outbox.export").details(serde_json::json!({ "ops": ops })))
    })?;
    Ok(ExportSummary { ops, bytes })
}

/// How far a replay has come: ops read from the file so far.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ReplayProgress {
    pub done: u64,
    pub total: u64,
}

/// Replays a change-log file written by another registry into this one, a page per transaction. A cancel
/// stops between pages; replaying the file again goes on where it stopped.
pub fn replay(
    store: &Store,
    session: &Session,
    file: &Path,
    progress: &dyn Fn(&ReplayProgress),
    cancel: &AtomicBool,
) -> Result<ReplaySummary> {
    require(store, session, Permission::BackupRun, "outbox.replay")?;
    let total = count_ops(file)?;
    let f = std::fs::File::open(file).map_err(|e| CoreError::io("reading the change log", e))?;
    let mut lines = std::io::BufReader::new(f);
    let header: Header = match next_line(&mut lines)? {
        Some(l) => serde_json::from_str(&l).map_err(|_| not_a_change_log())?,
        None => return Err(not_a_change_log()),
    };
    if header.format != FORMAT {
        return Err(not_a_change_log());
    }
    if header.version != OP_FORMAT {
        return Err(CoreError::InvalidInput(format!(
            "the change log is in format {}, and this version reads format {OP_FORMAT}",
            header.version
        )));
    }
    let mut summary = ReplaySummary::default();
    let mut page = Vec::with_capacity(PAGE);
    let mut line_no = 1u64;
    loop {
        let line = next_line(&mut lines)?;
        if let Some(l) = &line {
            line_no += 1;
            let rec: OpRecord = serde_json::from_str(l)
                .map_err(|e| CoreError::InvalidInput(format!("line {line_no} of the change log: {e}")))?;
            page.push(rec);
        }
        if page.len() == PAGE || (line.is_none() && !page.is_empty()) {
            let counts = store.write_as(session.username(), |tx| {
                let mut counts = ReplaySummary::default();
                for rec in &page {
                    match apply_remote(tx, rec)? {
                        Outcome::Applied => counts.applied += 1,
                        Outcome::Unchanged => counts.unchanged += 1,
                        Outcome::Conflict => counts.conflicts += 1,
                    }
                }
                counts.read = page.len() as u64;
                tx.audit(AuditEvent::new(session, "outbox.replay").details(serde_json::json!({
                    "from_desk": header.device, "read": counts.read, "applied": counts.applied,
                    "unchanged": counts.unchanged, "conflicts": counts.conflicts,
                })))?;
                Ok(counts)
            })?;
            summary.read += counts.read;
            summary.applied += counts.applied;
            summary.unchanged += counts.unchanged;
            summary.conflicts += counts.conflicts;
            page.clear();
            progress(&ReplayProgress { done: summary.read, total });
            if cancel.load(Ordering::Relaxed) && line.is_some() {
                return Err(CoreError::Cancelled);
            }
        }
        if line.is_none() {
            return Ok(summary);
        }
    }
}

/// The ops in the file (its lines after the header), for progress.
fn count_ops(file: &Path) -> Result<u64> {
    let f = std::fs::File::open(file).map_err(|e| CoreError::io("reading the change log", e))?;
    let mut r = std::io::BufReader::with_capacity(1 << 20, f);
    let mut lines = 0u64;
    loop {
        let buf = r.fill_buf().map_err(|e| CoreError::io("reading the change log", e))?;
        if buf.is_empty() {
            return Ok(lines.saturating_sub(1));
        }
        lines += buf.iter().filter(|&&b| b == b'\n').count() as u64;
        let n = buf.len();
        r.consume(n);
    }
}

fn not_a_change_log() -> CoreError {
    CoreError::InvalidInput("this file is not a change log written by `br outbox export`".into())
}

/// The next line, refused if longer than any op can be.
fn next_line<R: BufRead>(r: &mut R) -> Result<Option<String>> {
    let mut buf = Vec::new();
    let n = std::io::Read::take(&mut *r, MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut buf)
        .map_err(|e| CoreError::io("reading the change log", e))?;
    if n == 0 {
        return Ok(None);
    }
    if buf.len() > MAX_LINE {
        return Err(CoreError::InvalidInput("a line of the change log is longer than any op".into()));
    }
    let s = String::from_utf8(buf).map_err(|_| not_a_change_log())?;
    Ok(Some(s.trim_end_matches(['\n', '\r']).to_string()))
}

//! A desk's first sync (docs/sync.md, "Snapshot"): the office's scope up to one cursor, fetched as zstd
//! chunks. Each chunk is checked against the manifest's SHA-256 and applied in one transaction with the
//! number of the next chunk, so a broken download or a killed desk resumes at the first chunk not yet
//! verified and applied. Nothing is written to disk outside the encrypted registry, and memory holds the
//! chunk being applied and the one being fetched, whatever the office's size.

use std::sync::atomic::Ordering;
use std::sync::mpsc::sync_channel;

use br_model::op::OpRecord;
use br_protocol::wire::{SnapshotChunk, SnapshotManifest, SnapshotRequest};
use br_protocol::{MAX_BODY_BYTES, SNAPSHOT_CHUNK_BYTES};
use rusqlite::params;

use super::context::SyncRun;
use super::progress::{SyncPhase, SyncProgress, SyncSummary};
use super::state::enrolment;
use crate::clock::now_rfc3339;
use crate::error::{CoreError, Result};
use crate::io::import::DEFER_INDEXES_MIN_ROWS;
use crate::replay::{apply_pulled, Outcome};
use crate::store::{list_indexes, Store};

/// The most a chunk may hold once decompressed: the server closes a chunk at its size limit, and the op
/// that crossed it is at most one request body.
const MAX_CHUNK_TEXT: usize = SNAPSHOT_CHUNK_BYTES + MAX_BODY_BYTES;

/// Fetches and applies the office's snapshot, then leaves pull to start at its cursor. A snapshot the
/// server no longer keeps is asked for again, once: ops applied from the first are recognised by id.
pub(super) fn first_sync(run: SyncRun<'_>, summary: &mut SyncSummary) -> Result<()> {
    let SyncRun { store, session, transport, .. } = run;
    let mut asked_again = false;
    loop {
        let manifest = match current_manifest(store)? {
            Some(m) => m,
            None => {
                let manifest: SnapshotManifest = transport.post("/sync/v1/snapshot", &SnapshotRequest {})?;
                store.write_as(session.username(), |tx| {
                    tx.conn().execute(
                        "UPDATE sync_server SET snapshot_manifest = ?1, snapshot_next = 0 WHERE singleton = 1",
                        [serde_json::to_string(&manifest)?],
                    )?;
                    Ok(())
                })?;
                manifest
            }
        };
        match apply_chunks(run, &manifest, summary) {
            Err(CoreError::ServerRefused { code, .. }) if code == "snapshot_gone" && !asked_again => {
                asked_again = true;
                store.write_as(session.username(), |tx| {
                    tx.conn().execute(
                        "UPDATE sync_server SET snapshot_manifest = NULL, snapshot_next = 0 WHERE singleton = 1",
                        [],
                    )?;
                    Ok(())
                })?;
            }
            other => return other,
        }
    }
}

fn current_manifest(store: &Store) -> Result<Option<SnapshotManifest>> {
    let Some(text) = store.read(enrolment)?.and_then(|e| e.snapshot_manifest) else { return Ok(None) };
    Ok(Some(serde_json::from_str(&text)?))
}

fn apply_chunks(run: SyncRun<'_>, manifest: &SnapshotManifest, summary: &mut SyncSummary) -> Result<()> {
    let SyncRun { store, session, progress, .. } = run;
    let next = store.read(enrolment)?.map_or(0, |e| e.snapshot_next).max(0) as usize;
    let mut done: u64 = manifest.chunks.iter().take(next).map(|c| c.ops as u64).sum();
    let report = |done| progress(&SyncProgress { phase: SyncPhase::Snapshot, done, total: manifest.ops as u64 });
    report(done);
    // As a large import does: list indexes are built once at the end instead of row by row (a desk
    // killed before that builds them when it next opens the registry).
    let remaining = manifest.ops as u64 - done;
    let existing = store
        .read(|c| Ok(c.query_row("SELECT ifnull(max(rowid), 0) FROM registrants", [], |r| r.get::<_, i64>(0))?))?
        as u64;
    let defer_indexes = remaining >= DEFER_INDEXES_MIN_ROWS && remaining * 2 >= existing;
    if defer_indexes {
        store.write_as(session.username(), |tx| list_indexes::drop_all(tx.conn()))?;
    }
    let fetched = fetch_and_apply(run, manifest, next, &mut done, &report, summary);
    let fetched = if defer_indexes {
        match store.write_as(session.username(), |tx| list_indexes::ensure_all(tx.conn()).map(|_| ())) {
            Err(e) if fetched.is_ok() => Err(e),
            _ => fetched,
        }
    } else {
        fetched
    };
    fetched?;
    let applied = store.read(enrolment)?.map_or(0, |e| e.snapshot_next);
    if applied < manifest.chunks.len() as i64 {
        return Err(CoreError::ServerUnreachable("the snapshot's download stopped before its last chunk".into()));
    }
    store.write_as(session.username(), |tx| {
        tx.conn().execute(
            "UPDATE sync_server SET pull_cursor = max(pull_cursor, ?1), server_head = max(server_head, ?1),
                    snapshot_manifest = NULL, snapshot_next = 0, first_sync_at = ?2 WHERE singleton = 1",
            params![manifest.cursor, now_rfc3339()],
        )?;
        Ok(())
    })?;
    summary.cursor = manifest.cursor;
    Ok(())
}

/// Fetches the chunks from `next` on, one ahead of the one being applied, and applies each verified one in
/// a transaction with the bookmark of the next.
fn fetch_and_apply(
    run: SyncRun<'_>,
    manifest: &SnapshotManifest,
    next: usize,
    done: &mut u64,
    report: &dyn Fn(u64),
    summary: &mut SyncSummary,
) -> Result<()> {
    let SyncRun { store, session, transport, cancel, .. } = run;
    let own_device = store.device_id();
    std::thread::scope(|scope| {
        // The fetching thread also checks and parses, so the writer only writes.
        let (sender, fetched) = sync_channel::<(&SnapshotChunk, Result<Vec<OpRecord>>)>(1);
        scope.spawn(move || {
            for chunk in manifest.chunks.iter().skip(next) {
                if cancel.load(Ordering::Relaxed) {
                    return;
                }
                let ops = transport
                    .get_bytes(&format!("/sync/v1/snapshot/{}/{}", manifest.id, chunk.n))
                    .and_then(|bytes| verified(chunk, &bytes));
                // After a failure the writer stops, and so does the fetching.
                let failed = ops.is_err();
                if sender.send((chunk, ops)).is_err() || failed {
                    return;
                }
            }
        });
        let result = (|| {
            for (chunk, ops) in fetched.iter() {
                if cancel.load(Ordering::Relaxed) {
                    return Err(CoreError::Cancelled);
                }
                let ops = ops?;
                store.write_as(session.username(), |tx| {
                    for op in ops.iter().filter(|op| op.device_id != own_device) {
                        match apply_pulled(tx, op)? {
                            Outcome::Applied => summary.applied += 1,
                            Outcome::Unchanged => summary.unchanged += 1,
                            Outcome::Conflict => summary.conflicts += 1,
                        }
                    }
                    tx.conn()
                        .execute("UPDATE sync_server SET snapshot_next = ?1 WHERE singleton = 1", [chunk.n + 1])?;
                    Ok(())
                })?;
                summary.pulled += ops.len() as u64;
                *done += chunk.ops as u64;
                report(*done);
            }
            if cancel.load(Ordering::Relaxed) {
                return Err(CoreError::Cancelled);
            }
            Ok(())
        })();
        // The fetching thread stops at its next send.
        drop(fetched);
        result
    })
}

/// The chunk's ops, if its bytes are the ones the manifest names.
fn verified(chunk: &SnapshotChunk, bytes: &[u8]) -> Result<Vec<OpRecord>> {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    if bytes.len() as u64 != chunk.bytes || hex::encode(digest.as_ref()) != chunk.sha256 {
        return Err(CoreError::ServerUnreachable(format!(
            "chunk {} of the snapshot did not arrive whole; the next sync fetches it again",
            chunk.n
        )));
    }
    let text = zstd::bulk::decompress(bytes, MAX_CHUNK_TEXT)
        .map_err(|e| CoreError::ServerUnreachable(format!("chunk {} of the snapshot cannot be read: {e}", chunk.n)))?;
    let ops = text
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .map(serde_json::from_slice::<OpRecord>)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| {
            CoreError::ServerUnreachable(format!("chunk {} of the snapshot holds an unreadable op: {e}", chunk.n))
        })?;
    if ops.len() != chunk.ops as usize {
        return Err(CoreError::ServerUnreachable(format!(
            "chunk {} of the snapshot holds other ops than its manifest says",
            chunk.n
        )));
    }
    Ok(ops)
}

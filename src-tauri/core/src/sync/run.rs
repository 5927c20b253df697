//! One sync run: push this desk's ops the server does not hold, then pull what the office may see. Each
//! page is one transaction on this desk, with its bookmark moved in the same transaction: a run killed at
//! any point resumes exactly where the last committed page left it, and a page sent twice changes nothing.

use std::sync::atomic::{AtomicBool, Ordering};

use br_model::op::OpRecord;
use br_protocol::wire::{OpOutcome, PullRequest, PullResponse, PushRequest, PushResponse, WhoAmI};
use br_protocol::{MAX_PAGE_OPS, PUSH_PAGE_BYTES};
use rusqlite::params;

use super::context::SyncRun;
use super::progress::{SyncPhase, SyncProgress, SyncSummary};
use super::state::enrolment;
use super::transport::Transport;
use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::clock::now_rfc3339;
use crate::error::{CoreError, Result};
use crate::outbox::read_records;
use crate::replay::{apply_pulled, keep_conflict, Outcome};
use crate::store::Store;

/// Ops asked for per pull page: the most the server gives, so a long pull commits as few times as it may.
const PULL_PAGE: u32 = MAX_PAGE_OPS as u32;

pub fn run(
    store: &Store,
    session: &Session,
    progress: &dyn Fn(&SyncProgress),
    cancel: &AtomicBool,
) -> Result<SyncSummary> {
    require(store, session, Permission::RegistryRead, "sync.run")?;
    let enrolment = store.read(enrolment)?.ok_or(CoreError::NotEnrolled)?;
    let transport = Transport::signed_for(store, &enrolment)?;
    store.write_as(session.username(), |tx| {
        tx.conn().execute("UPDATE sync_server SET last_attempt_at = ?1 WHERE singleton = 1", [now_rfc3339()])?;
        Ok(())
    })?;
    let mut summary = SyncSummary::default();
    let steps = SyncRun { store, session, transport: &transport, progress, cancel };
    let result = push(steps, &mut summary)
        .and_then(|()| {
            if wants_snapshot(store, &transport)? {
                super::snapshot::first_sync(steps, &mut summary)?;
            }
            Ok(())
        })
        .and_then(|()| pull(steps, &mut summary));
    let error = result.as_ref().err().map(|e| (e.code().as_str(), e.to_string()));
    store.write_as(session.username(), |tx| {
        match &error {
            None => tx.conn().execute(
                "UPDATE sync_server SET last_success_at = ?1, last_error = NULL WHERE singleton = 1",
                [now_rfc3339()],
            )?,
            Some((_, message)) => {
                tx.conn().execute("UPDATE sync_server SET last_error = ?1 WHERE singleton = 1", [message])?
            }
        };
        tx.audit(AuditEvent::new(session, "sync.run").details(serde_json::json!({
            "result": error.as_ref().map_or("ok", |(code, _)| code),
            "pushed": summary.pushed, "rejected": summary.rejected, "pulled": summary.pulled,
            "conflicts": summary.conflicts + summary.push_conflicts,
        })))
    })?;
    result.map(|()| summary)
}

/// A desk that has never pulled takes a snapshot when the server holds at least this many ops of other
/// desks; fewer come sooner by pull than a snapshot is built.
const SNAPSHOT_MIN_OPS: i64 = 1_000;

/// A snapshot is being applied, or this is the desk's first sync and the server holds enough for one.
/// The office's first desk, whose own ops are most of the server's, pulls the few others.
fn wants_snapshot(store: &Store, transport: &Transport) -> Result<bool> {
    let Some(e) = store.read(super::state::enrolment)? else { return Ok(false) };
    if e.snapshot_manifest.is_some() {
        return Ok(true);
    }
    if e.first_sync_done || e.pull_cursor > 0 {
        return Ok(false);
    }
    let me: WhoAmI = transport.get("/sync/v1/whoami")?;
    Ok(me.head - me.acked >= SNAPSHOT_MIN_OPS)
}

fn push(run: SyncRun<'_>, summary: &mut SyncSummary) -> Result<()> {
    let SyncRun { store, session, transport, progress, cancel } = run;
    let mut rewound = false;
    let start = store.read(enrolment)?.map_or(0, |e| e.pushed_seq);
    let total: i64 = store.read(|c| {
        Ok(c.query_row("SELECT count(*) FROM outbox WHERE seq > ?1 AND format > 0", [start], |r| r.get(0))?)
    })?;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(CoreError::Cancelled);
        }
        let after = store.read(enrolment)?.map_or(0, |e| e.pushed_seq);
        let ops = store.read(|conn| read_records(conn, after, MAX_PAGE_OPS))?;
        if ops.is_empty() {
            return Ok(());
        }
        let ops = fill(ops)?;
        let answer: PushResponse = match transport.post("/sync/v1/push", &PushRequest { after, ops: ops.clone() }) {
            Ok(a) => a,
            // The server holds fewer of this desk's ops than this desk thought (its database was restored):
            // push again from where it stands, once.
            Err(CoreError::ServerRefused { code, details, .. }) if code == "ops_missing" && !rewound => {
                let acked = details.get("acked").and_then(|a| a.as_i64()).unwrap_or(0);
                store.write_as(session.username(), |tx| {
                    tx.conn().execute("UPDATE sync_server SET pushed_seq = ?1 WHERE singleton = 1", [acked])?;
                    Ok(())
                })?;
                rewound = true;
                continue;
            }
            Err(e) => return Err(e),
        };
        if answer.acked < ops.last().map_or(after, |o| o.seq) || answer.results.len() != ops.len() {
            return Err(CoreError::ServerUnreachable("the server's answer does not cover the ops sent".into()));
        }
        store.write_as(session.username(), |tx| {
            let now = now_rfc3339();
            for (result, rec) in answer.results.iter().zip(&ops) {
                match &result.outcome {
                    OpOutcome::Applied => summary.pushed += 1,
                    OpOutcome::Duplicate => summary.push_duplicates += 1,
                    OpOutcome::Rejected { code, reason } => {
                        summary.rejected += 1;
                        tx.conn().execute(
                            "INSERT OR IGNORE INTO sync_rejections (op_id, seq, kind, code, reason, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                            params![rec.op_id, rec.seq, rec.op.kind(), code.as_str(), reason, now],
                        )?;
                    }
                    OpOutcome::Conflict { current } => {
                        summary.push_conflicts += 1;
                        let mine = serde_json::to_string(&rec.op)?;
                        keep_conflict(tx, rec.op_id, &rec.op, &mine, &current.to_string(), "push")?;
                    }
                }
            }
            tx.conn().execute("UPDATE sync_server SET pushed_seq = ?1 WHERE singleton = 1", [answer.acked])?;
            Ok(())
        })?;
        progress(&SyncProgress {
            phase: SyncPhase::Push,
            done: summary.pushed + summary.push_duplicates + summary.rejected + summary.push_conflicts,
            total: total as u64,
        });
    }
}

/// Keeps the first ops up to the page's size in bytes (always at least one).
fn fill(ops: Vec<OpRecord>) -> Result<Vec<OpRecord>> {
    let mut bytes = 0;
    let mut kept = Vec::with_capacity(ops.len());
    for op in ops {
        bytes += serde_json::to_vec(&op)?.len();
        if !kept.is_empty() && bytes > PUSH_PAGE_BYTES {
            break;
        }
        kept.push(op);
    }
    Ok(kept)
}

fn pull(run: SyncRun<'_>, summary: &mut SyncSummary) -> Result<()> {
    let SyncRun { store, session, transport, progress, cancel } = run;
    let start = store.read(enrolment)?.map_or(0, |e| e.pull_cursor);
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(CoreError::Cancelled);
        }
        let cursor = store.read(enrolment)?.map_or(0, |e| e.pull_cursor);
        let page: PullResponse = transport.post("/sync/v1/pull", &PullRequest { cursor, limit: PULL_PAGE })?;
        store.write_as(session.username(), |tx| {
            for op in &page.ops {
                match apply_pulled(tx, &op.record)? {
                    Outcome::Applied => summary.applied += 1,
                    Outcome::Unchanged => summary.unchanged += 1,
                    Outcome::Conflict => summary.conflicts += 1,
                }
            }
            tx.conn().execute(
                "UPDATE sync_server SET pull_cursor = ?1, server_head = ?2 WHERE singleton = 1",
                params![page.cursor, page.head],
            )?;
            Ok(())
        })?;
        summary.pulled += page.ops.len() as u64;
        summary.cursor = page.cursor;
        summary.head = page.head;
        progress(&SyncProgress {
            phase: SyncPhase::Pull,
            done: (page.cursor - start).max(0) as u64,
            total: (page.head - start).max(0) as u64,
        });
        if !page.more {
            return Ok(());
        }
    }
}

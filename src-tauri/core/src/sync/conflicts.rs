//! What sync could not apply, for a person to see: conflicts (a stale transition, kept with both sides)
//! and this desk's ops the server refused. Settling a conflict is itself an op, so every desk that kept
//! the same conflict sees it settled.

use br_model::op::Op;
use rusqlite::OptionalExtension;
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::clock::now_rfc3339;
use crate::error::{CoreError, Result};
use crate::store::Store;

#[derive(Debug, Clone, Serialize, TS)]
pub struct SyncConflict {
    pub id: Uuid,
    /// The op that could not be applied.
    pub op_id: Uuid,
    pub entity: String,
    pub entity_id: Uuid,
    pub kind: String,
    /// This desk's side: its state when the op arrived, or its own op the server found stale.
    #[ts(type = "unknown")]
    pub local: serde_json::Value,
    /// The other side: the op from another desk, or the server's state.
    #[ts(type = "unknown")]
    pub remote: serde_json::Value,
    pub found_at: String,
    /// `replay` (found applying another desk's op) or `push` (the server's answer to this desk's op).
    pub source: String,
    pub resolved_at: Option<String>,
    pub resolved_by: Option<String>,
    pub resolution: Option<String>,
}

fn conflict_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SyncConflict> {
    let local: String = r.get(5)?;
    let remote: String = r.get(6)?;
    Ok(SyncConflict {
        id: r.get(0)?,
        op_id: r.get(1)?,
        entity: r.get(2)?,
        entity_id: r.get(3)?,
        kind: r.get(4)?,
        local: serde_json::from_str(&local).unwrap_or(serde_json::Value::String(local)),
        remote: serde_json::from_str(&remote).unwrap_or(serde_json::Value::String(remote)),
        found_at: r.get(7)?,
        source: r.get(8)?,
        resolved_at: r.get(9)?,
        resolved_by: r.get(10)?,
        resolution: r.get(11)?,
    })
}

const COLUMNS: &str =
    "id, op_id, entity, entity_id, kind, local, remote, found_at, source, resolved_at, resolved_by, resolution";

pub fn conflicts(store: &Store, session: &Session, include_resolved: bool) -> Result<Vec<SyncConflict>> {
    require(store, session, Permission::RegistryRead, "sync.conflicts")?;
    store.read(|conn| {
        let filter = if include_resolved { "" } else { "WHERE resolved_at IS NULL" };
        let mut stmt =
            conn.prepare(&format!("SELECT {COLUMNS} FROM sync_conflicts {filter} ORDER BY rowid LIMIT 10000"))?;
        let rows = stmt.query_map([], conflict_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    })
}

/// Settles a conflict: the state stays as it is (states never move backwards), and every desk that kept
/// the same conflict marks it settled when the op reaches it.
pub fn resolve(store: &Store, session: &Session, id: Uuid, note: Option<String>) -> Result<SyncConflict> {
    require(store, session, Permission::ProgramManage, "sync.resolve")?;
    let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        return Err(CoreError::InvalidInput("a note is at most 500 characters".into()));
    }
    store.write_as(session.username(), |tx| {
        let found = tx
            .conn()
            .query_row(&format!("SELECT {COLUMNS} FROM sync_conflicts WHERE id = ?1"), [id], conflict_from_row)
            .optional()?
            .ok_or_else(|| CoreError::NotFound { what: format!("conflict {id}") })?;
        if found.resolved_at.is_some() {
            return Err(CoreError::InvalidInput("this conflict is settled already".into()));
        }
        tx.append_op(&Op::ConflictResolved { op: found.op_id, note: note.clone() }, None)?;
        crate::replay::settle(tx, found.op_id, &now_rfc3339(), Some(session.username()))?;
        tx.audit(
            AuditEvent::new(session, "sync.resolve")
                .on("sync_conflict", id.to_string())
                .details(serde_json::json!({ "op": found.op_id, "kind": found.kind })),
        )?;
        Ok(tx.conn().query_row(
            &format!("SELECT {COLUMNS} FROM sync_conflicts WHERE id = ?1"),
            [id],
            conflict_from_row,
        )?)
    })
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SyncRejection {
    pub op_id: Uuid,
    pub seq: i64,
    pub kind: String,
    pub code: String,
    pub reason: String,
    pub at: String,
}

/// This desk's ops the server refused, newest first.
pub fn rejections(store: &Store, session: &Session) -> Result<Vec<SyncRejection>> {
    require(store, session, Permission::RegistryRead, "sync.rejections")?;
    store.read(|conn| {
        let mut stmt = conn
            .prepare("SELECT op_id, seq, kind, code, reason, at FROM sync_rejections ORDER BY seq DESC LIMIT 10000")?;
        let rows = stmt.query_map([], |r| {
            Ok(SyncRejection {
                op_id: r.get(0)?,
                seq: r.get(1)?,
                kind: r.get(2)?,
                code: r.get(3)?,
                reason: r.get(4)?,
                at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    })
}

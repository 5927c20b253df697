//! Replay: applying ops that came from another desk (docs/sync-ops.md). Each op goes through its entity's
//! writer (the `remote` half of each domain module) under the system: idempotent by op id, in each desk's
//! own order, and never moving a workflow state backwards. A transition that arrives too late is kept
//! as a conflict with both sides instead of being applied.

mod file;
mod fingerprint;
mod sealed;

use br_model::clock::HlcStamp;
use br_model::op::{Op, OpRecord};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use crate::applied::Effect;
use crate::clock::now_rfc3339;
use crate::error::{CoreError, Result};
use crate::store::migrations::SCHEMA_VERSION;
use crate::store::Tx;

pub use file::{export, replay, ChangeLogExportSummary, ReplayProgress, ReplaySummary};
pub use fingerprint::{fingerprint, TableFingerprint};

/// What applying one op did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Applied,
    /// Applied before, or nothing left to change (a later writer already won every field).
    Unchanged,
    /// Kept in `sync_conflicts`, not applied.
    Conflict,
}

/// Applies one op from another desk's change-log file in the caller's transaction: each desk's ops in its
/// own gapless order.
pub fn apply_remote(tx: &mut Tx<'_>, rec: &OpRecord) -> Result<Outcome> {
    apply(tx, rec, true)
}

/// Applies one op pulled from the central server. The server's cursor orders them, and an office sees
/// only part of another desk's log (its scope), so a desk's sequence has gaps here by design.
pub fn apply_pulled(tx: &mut Tx<'_>, rec: &OpRecord) -> Result<Outcome> {
    apply(tx, rec, false)
}

fn apply(tx: &mut Tx<'_>, rec: &OpRecord, gapless: bool) -> Result<Outcome> {
    if rec.device_id == tx.store().device_id() {
        return Err(CoreError::InvalidInput(format!(
            "op {} was written by this desk; a desk does not replay its own change log",
            rec.op_id
        )));
    }
    if rec.schema_version > SCHEMA_VERSION {
        return Err(CoreError::SchemaTooNew { found: rec.schema_version, supported: SCHEMA_VERSION });
    }
    let seen: bool = tx
        .conn()
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM applied_ops WHERE op_id = ?1)")?
        .query_row([rec.op_id], |r| r.get(0))?;
    if seen {
        return Ok(Outcome::Unchanged);
    }
    if gapless {
        check_next(tx, rec)?;
    }
    tx.store().hlc().observe(HlcStamp::from_i64(rec.hlc));
    let outcome = match dispatch(tx, rec)? {
        Effect::Applied => Outcome::Applied,
        Effect::Unchanged => Outcome::Unchanged,
        Effect::Conflict { local } => {
            keep_conflict(tx, rec.op_id, &rec.op, &local.to_string(), &serde_json::to_string(&rec.op)?, "replay")?;
            Outcome::Conflict
        }
    };
    let name = match outcome {
        Outcome::Applied => "applied",
        Outcome::Unchanged => "unchanged",
        Outcome::Conflict => "conflict",
    };
    tx.conn()
        .prepare_cached(
            "INSERT INTO applied_ops (op_id, device_id, seq, hlc, kind, outcome, applied_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![rec.op_id, rec.device_id, rec.seq, rec.hlc, rec.op.kind(), name, now_rfc3339()])?;
    Ok(outcome)
}

/// Each desk's ops apply in its own order: a gap means a page is missing, and nothing after it is safe.
fn check_next(tx: &mut Tx<'_>, rec: &OpRecord) -> Result<()> {
    let last: Option<i64> = tx
        .conn()
        .prepare_cached("SELECT max(seq) FROM applied_ops WHERE device_id = ?1")?
        .query_row([rec.device_id], |r| r.get(0))
        .optional()?
        .flatten();
    if let Some(last) = last {
        if rec.seq != last + 1 {
            return Err(CoreError::InvalidInput(format!(
                "op {} of desk {} is number {}, but the last one applied from that desk is {last}: ops are missing",
                rec.op_id, rec.device_id, rec.seq
            )));
        }
    }
    Ok(())
}

/// Keeps a conflict for a person: the op that could not be applied, this desk's side and the other side.
/// `source` is `replay` (found applying another desk's op) or `push` (the server's answer to this desk's).
pub(crate) fn keep_conflict(
    tx: &mut Tx<'_>,
    op_id: Uuid,
    op: &Op,
    local: &str,
    remote: &str,
    source: &str,
) -> Result<()> {
    let (entity, entity_id) = op.entity();
    tx.conn().execute(
        "INSERT INTO sync_conflicts (id, op_id, entity, entity_id, kind, local, remote, found_at, source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![Uuid::now_v7(), op_id, entity, entity_id, op.kind(), local, remote, now_rfc3339(), source],
    )?;
    Ok(())
}

/// Marks the conflict that `op` raised as settled: the state stays as it is (states never move backwards).
/// A settlement replayed from another desk settles the same conflict here, if this desk kept it.
pub(crate) fn settle(tx: &mut Tx<'_>, op: Uuid, at: &str, by: Option<&str>) -> Result<usize> {
    Ok(tx.conn().execute(
        "UPDATE sync_conflicts SET resolved_at = ?2, resolved_by = ?3, resolution = 'kept_current'
         WHERE op_id = ?1 AND resolved_at IS NULL",
        params![op, at, by],
    )?)
}

fn dispatch(tx: &mut Tx<'_>, rec: &OpRecord) -> Result<Effect> {
    use crate::disbursement::remote as money;
    use crate::program::remote as programs;
    use crate::registry::remote as registry;
    match &rec.op {
        Op::RegistrantCreated { .. }
        | Op::RegistrantUpdated { .. }
        | Op::RegistrantDisabled { .. }
        | Op::RegistrantMerged { .. }
        | Op::IdDocumentMoved { .. }
        | Op::HouseholdMemberJoined { .. }
        | Op::HouseholdMemberChanged { .. }
        | Op::HouseholdMemberLeft { .. }
        | Op::HouseholdMemberReplaced { .. }
        | Op::ListItemSaved { .. }
        | Op::CustomFieldDefined { .. } => registry::apply(tx, rec),
        Op::ProgramCreated { .. }
        | Op::ProgramChanged { .. }
        | Op::ProgramMembershipMoved(_)
        | Op::ProgramMembershipTransferred { .. } => programs::apply(tx, rec),
        Op::DuplicatesDecided(d) => crate::dedup::decision::apply_remote(tx, rec, d),
        Op::CycleCreated { .. }
        | Op::CycleMembersAdded { .. }
        | Op::CycleMembersRemoved { .. }
        | Op::CycleStateSet { .. }
        | Op::CyclePrepared { .. }
        | Op::CycleEntitlementsMoved { .. }
        | Op::CycleDeleted { .. }
        | Op::EntitlementsDiscarded { .. }
        | Op::EntitlementsGenerated(_)
        | Op::EntitlementEdited { .. }
        | Op::EntitlementsDecided(_)
        | Op::EntitlementsExpired { .. }
        | Op::FundCreated { .. }
        | Op::FundStateSet { .. }
        | Op::PaymentsPrepared(_)
        | Op::PaymentBatchSent { .. }
        | Op::PaymentResults { .. } => money::apply(tx, rec),
        Op::ConflictResolved { op, .. } => Ok(Effect::of_rows(settle(tx, *op, &rec.at, rec.actor.as_deref())?)),
    }
}

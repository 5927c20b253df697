//! The remote half of the disbursement writers: cycles, entitlements, approvals, funds and payments as ops
//! from another desk change them (replay rules: docs/sync-ops.md). Workflow states move only along their
//! state machines; an op that would move one backwards is a conflict.

mod payments;

use br_model::disbursement::{ApprovalStage, CycleState};
use br_model::op::{CycleSetAction, Op, OpRecord, StageDecision, StageVerdict};
use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

use super::approval::next_stage_sql;
use crate::applied::{find_rowid, rowid_of, Effect};
use crate::error::{CoreError, Result};
use crate::store::Tx;

pub(crate) fn apply(tx: &mut Tx<'_>, rec: &OpRecord) -> Result<Effect> {
    match &rec.op {
        Op::CycleCreated { id, program, sequence, name, start_date, end_date } => {
            if find_rowid(tx, "cycles", *id)?.is_some() {
                return Ok(Effect::Unchanged);
            }
            let program = rowid_of(tx, "programs", *program)?;
            tx.conn().execute(
                "INSERT INTO cycles (id, program, sequence, name, start_date, end_date, office_id, version, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
                params![id, program, sequence, name, start_date, end_date, rec.owner_office, rec.hlc, rec.at],
            )?;
            Ok(Effect::Applied)
        }
        Op::CycleMembersAdded { cycle, members } => {
            let cycle = rowid_of(tx, "cycles", *cycle)?;
            let mut n = 0;
            for m in members {
                let registrant = rowid_of(tx, "registrants", *m)?;
                n += tx
                    .conn()
                    .prepare_cached("INSERT OR IGNORE INTO cycle_members (cycle, registrant) VALUES (?1, ?2)")?
                    .execute(params![cycle, registrant])?;
            }
            Ok(Effect::of_rows(n))
        }
        Op::CycleMembersRemoved { cycle, members } => {
            let cycle = rowid_of(tx, "cycles", *cycle)?;
            let mut n = 0;
            for m in members {
                let registrant = rowid_of(tx, "registrants", *m)?;
                tx.conn()
                    .prepare_cached(
                        "DELETE FROM entitlements WHERE cycle = ?1 AND registrant = ?2 AND state = 'draft'",
                    )?
                    .execute(params![cycle, registrant])?;
                n += tx
                    .conn()
                    .prepare_cached("DELETE FROM cycle_members WHERE cycle = ?1 AND registrant = ?2")?
                    .execute(params![cycle, registrant])?;
            }
            Ok(Effect::of_rows(n))
        }
        Op::CycleStateSet { id, to, .. } => {
            let (rowid, state) = cycle_state(tx, *id)?;
            if state == *to {
                return Ok(Effect::Unchanged);
            }
            if !state.may_become(*to) {
                return Ok(Effect::Conflict { local: serde_json::json!({ "state": state.as_str() }) });
            }
            tx.conn().execute(
                "UPDATE cycles SET state = ?1, version = ?2, updated_at = ?3 WHERE rowid = ?4",
                params![to.as_str(), rec.hlc, rec.at, rowid],
            )?;
            Ok(Effect::Applied)
        }
        Op::CyclePrepared { id } => {
            let (rowid, state) = cycle_state(tx, *id)?;
            if state != CycleState::Draft {
                return Ok(Effect::Conflict { local: serde_json::json!({ "state": state.as_str() }) });
            }
            tx.conn().execute(
                "UPDATE cycles SET prepared_by = ?1, version = ?2, updated_at = ?3 WHERE rowid = ?4",
                params![rec.actor, rec.hlc, rec.at, rowid],
            )?;
            Ok(Effect::Applied)
        }
        Op::CycleEntitlementsMoved { cycle, action, stages } => moved(tx, rec, *cycle, *action, stages.as_ref()),
        Op::CycleDeleted { id } => {
            let Some(rowid) = find_rowid(tx, "cycles", *id)? else { return Ok(Effect::Unchanged) };
            let (_, state) = cycle_state(tx, *id)?;
            if state != CycleState::Draft {
                return Ok(Effect::Conflict { local: serde_json::json!({ "state": state.as_str() }) });
            }
            tx.conn().execute("DELETE FROM entitlements WHERE cycle = ?1", [rowid])?;
            tx.conn().execute("DELETE FROM cycle_members WHERE cycle = ?1", [rowid])?;
            tx.conn().execute("DELETE FROM cycles WHERE rowid = ?1", [rowid])?;
            Ok(Effect::Applied)
        }
        Op::EntitlementsDiscarded { cycle } => {
            let cycle = rowid_of(tx, "cycles", *cycle)?;
            Ok(Effect::of_rows(tx.conn().execute("DELETE FROM entitlements WHERE cycle = ?1", [cycle])?))
        }
        Op::EntitlementsGenerated(g) => {
            let cycle = rowid_of(tx, "cycles", g.cycle)?;
            let mut n = 0;
            for row in &g.rows {
                let registrant = rowid_of(tx, "registrants", row.1)?;
                n += tx
                    .conn()
                    .prepare_cached(
                        "INSERT INTO entitlements (id, cycle, registrant, kind, amount, fee, currency, product, quantity,
                             unit, voucher_code, valid_from, valid_until, state, version, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'draft', 0, ?14)
                         ON CONFLICT DO NOTHING",
                    )?
                    .execute(params![
                        row.0,
                        cycle,
                        registrant,
                        g.kind.as_str(),
                        row.2,
                        row.3,
                        g.currency,
                        g.product,
                        row.4,
                        g.unit,
                        row.5,
                        g.valid_from,
                        g.valid_until,
                        rec.at
                    ])?;
            }
            Ok(Effect::of_rows(n))
        }
        Op::EntitlementEdited { id, amount, fee, quantity, reason } => {
            let n = tx.conn().execute(
                "UPDATE entitlements SET amount = ?1, fee = ?2, quantity = ?3, reason = ?4, version = ?5, updated_at = ?6,
                     edited_by = ?7
                 WHERE id = ?8 AND state IN ('draft', 'pending')",
                params![amount, fee, quantity, reason, rec.hlc, rec.at, rec.actor, id],
            )?;
            if n == 0 {
                let state: Option<String> = tx
                    .conn()
                    .query_row("SELECT state FROM entitlements WHERE id = ?1", [id], |r| r.get(0))
                    .optional()?;
                return Ok(Effect::Conflict { local: serde_json::json!({ "state": state }) });
            }
            Ok(Effect::Applied)
        }
        Op::EntitlementsDecided(d) => decided(tx, rec, d),
        Op::EntitlementsExpired { cycle, on } => {
            let cycle = rowid_of(tx, "cycles", *cycle)?;
            Ok(Effect::of_rows(tx.conn().execute(
                "UPDATE entitlements SET state = 'expired', updated_at = ?3 WHERE cycle = ?1 AND state = 'approved' AND valid_until < ?2",
                params![cycle, on, rec.at],
            )?))
        }
        Op::FundCreated { .. }
        | Op::FundStateSet { .. }
        | Op::PaymentsPrepared(_)
        | Op::PaymentBatchSent { .. }
        | Op::PaymentResults { .. } => payments::apply(tx, rec),
        other => Err(CoreError::Internal(format!("{} is not a disbursement op", other.kind()))),
    }
}

/// A whole-cycle action's set change to the entitlements, as the other desk made it.
fn moved(
    tx: &mut Tx<'_>,
    rec: &OpRecord,
    cycle: Uuid,
    action: CycleSetAction,
    stages: Option<&serde_json::Value>,
) -> Result<Effect> {
    let rowid = rowid_of(tx, "cycles", cycle)?;
    match action {
        CycleSetAction::Submit => {
            let stages: Vec<ApprovalStage> = stages
                .map(|s| serde_json::from_value(s.clone()))
                .transpose()?
                .ok_or_else(|| CoreError::InvalidInput("a submission op carries no stages".into()))?;
            let next = next_stage_sql(&stages, 0);
            tx.conn().execute(
                &format!(
                    "UPDATE entitlements SET stage = {next},
                         state = CASE WHEN {next} IS NULL THEN 'approved' ELSE 'pending' END, updated_at = ?2
                     WHERE cycle = ?1 AND state = 'draft'"
                ),
                params![rowid, rec.at],
            )?;
            tx.conn().execute(
                "UPDATE cycles SET submitted_by = ?1, stages = ?2 WHERE rowid = ?3",
                params![rec.actor, serde_json::to_string(&stages)?, rowid],
            )?;
        }
        CycleSetAction::SendBack => {
            tx.conn().execute(
                "UPDATE entitlements SET state = 'draft', stage = NULL, updated_at = ?2 WHERE cycle = ?1 AND state = 'pending'",
                params![rowid, rec.at],
            )?;
            tx.conn().execute("UPDATE cycles SET stages = NULL WHERE rowid = ?1", [rowid])?;
        }
        CycleSetAction::Cancel => {
            tx.conn().execute(
                "UPDATE entitlements SET state = 'cancelled', stage = NULL, updated_at = ?2
                 WHERE cycle = ?1 AND state IN ('draft', 'pending', 'approved')",
                params![rowid, rec.at],
            )?;
        }
    }
    Ok(Effect::Applied)
}

/// One stage decided for a set of entitlements. Applied only if exactly the entitlements the other desk
/// decided still await that stage here; otherwise the decision is a conflict.
fn decided(tx: &mut Tx<'_>, rec: &OpRecord, d: &StageDecision) -> Result<Effect> {
    let cycle = rowid_of(tx, "cycles", d.cycle)?;
    let frozen: Option<String> =
        tx.conn().query_row("SELECT stages FROM cycles WHERE rowid = ?1", [cycle], |r| r.get(0))?;
    let stages: Vec<ApprovalStage> = frozen
        .map(|s| serde_json::from_str(&s))
        .transpose()?
        .ok_or_else(|| CoreError::InvalidInput("a stage decision for a cycle that was never submitted".into()))?;
    let k = d.stage as usize;
    let mut target = "cycle = ?1 AND state = 'pending' AND stage = ?2".to_string();
    let mut chosen: Vec<(i64, i64)> = Vec::new();
    if let Some(ids) = &d.entitlements {
        tx.conn().execute_batch("CREATE TEMP TABLE IF NOT EXISTS chosen (rowid INTEGER PRIMARY KEY)")?;
        tx.conn().execute("DELETE FROM temp.chosen", [])?;
        for id in ids {
            let found: Option<(i64, i64)> = tx
                .conn()
                .prepare_cached(
                    "SELECT rowid, amount + fee FROM entitlements WHERE id = ?1 AND cycle = ?2 AND state = 'pending' AND stage = ?3",
                )?
                .query_row(params![id, cycle, k as i64], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((rowid, money)) = found else {
                return Ok(Effect::Conflict { local: serde_json::json!({ "not_awaiting_stage": id }) });
            };
            tx.conn().prepare_cached("INSERT OR IGNORE INTO temp.chosen (rowid) VALUES (?1)")?.execute([rowid])?;
            chosen.push((rowid, money));
        }
        target.push_str(" AND rowid IN (SELECT rowid FROM temp.chosen)");
    }
    let awaiting: i64 = tx.conn().query_row(
        &format!("SELECT count(*) FROM entitlements WHERE {target}"),
        params![cycle, k as i64],
        |r| r.get(0),
    )?;
    if awaiting != d.count {
        return Ok(Effect::Conflict { local: serde_json::json!({ "awaiting": awaiting }) });
    }
    let next = next_stage_sql(&stages, k);
    match d.verdict {
        StageVerdict::Approved => tx.conn().execute(
            &format!(
                "UPDATE entitlements SET stage = {next},
                     state = CASE WHEN {next} IS NULL THEN 'approved' ELSE 'pending' END, updated_at = ?3
                 WHERE {target}"
            ),
            params![cycle, k as i64, rec.at],
        )?,
        StageVerdict::Rejected => tx.conn().execute(
            &format!("UPDATE entitlements SET state = 'rejected', reason = ?3, updated_at = ?4 WHERE {target}"),
            params![cycle, k as i64, d.comment, rec.at],
        )?,
    };
    let decision = match d.verdict {
        StageVerdict::Approved => "approved",
        StageVerdict::Rejected => "rejected",
    };
    let records: Vec<(Option<i64>, i64, i64)> = if chosen.is_empty() {
        vec![(None, d.count, d.total)]
    } else {
        chosen.iter().map(|&(rowid, money)| (Some(rowid), 1, money)).collect()
    };
    for (&id, (entitlement, count, total)) in d.approvals.iter().zip(records) {
        tx.conn()
            .prepare_cached(
                "INSERT INTO approvals (id, cycle, entitlement, stage, decision, actor, role, comment, count, total, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                id,
                cycle,
                entitlement,
                k as i64,
                decision,
                rec.actor.as_deref().unwrap_or("system"),
                d.role.as_str(),
                d.comment,
                count,
                total,
                rec.at
            ])?;
    }
    if !chosen.is_empty() {
        tx.conn().execute("DELETE FROM temp.chosen", [])?;
    }
    Ok(Effect::Applied)
}

fn cycle_state(tx: &Tx<'_>, id: Uuid) -> Result<(i64, CycleState)> {
    let (rowid, state): (i64, String) = tx
        .conn()
        .prepare_cached("SELECT rowid, state FROM cycles WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| CoreError::InvalidInput(format!("an op names cycle {id}, which this registry does not hold")))?;
    Ok((rowid, CycleState::parse(&state).unwrap_or(CycleState::Draft)))
}

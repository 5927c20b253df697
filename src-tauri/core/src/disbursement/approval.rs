//! The cycle workflow: send for approval, approve or reject stage by stage (per entitlement or the whole
//! stage at once), send back, cancel, end. Stages come from the program; a stage may apply only above an
//! amount; whoever generated or submitted a cycle may not decide on it; states never move backwards; an
//! approval that would commit more than the posted funds fails and says by how much.
//!
//! Whole-stage decisions are set-based (one UPDATE, one approval record, one change-log op naming the
//! stage), so approving a million entitlements takes seconds; decisions on chosen entitlements record each.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::cycle::{self, CycleAction, StoredCycle};
use super::funds;
use super::model::{ApprovalStage, CycleState};
use super::settings::effective_stages;
use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::clock::now_rfc3339;
use crate::error::{CoreError, ErrorCode, Result};
use crate::program::service::{resolve as resolve_program, ProgramKey};
use crate::store::{Store, Tx};
use br_model::op::{CycleSetAction, Op, StageDecision, StageVerdict};

/// SQL for "the first stage after `after` that applies to the row's amount, or NULL" (NULL: approved).
pub(crate) fn next_stage_sql(stages: &[ApprovalStage], after: usize) -> String {
    let arms: Vec<String> = stages
        .iter()
        .enumerate()
        .skip(after)
        .map(|(i, s)| format!("WHEN {} THEN {}", condition_sql(s), i + 1))
        .collect();
    if arms.is_empty() {
        "NULL".into()
    } else {
        format!("(CASE {} ELSE NULL END)", arms.join(" "))
    }
}

/// The program's rowid and the stages that decide the cycle: those frozen when it was sent for approval,
/// else (a draft) the program's current ones.
fn stages_of(conn: &Connection, c: &StoredCycle) -> Result<(i64, Vec<ApprovalStage>)> {
    let p = resolve_program(conn, &ProgramKey::Id(c.cycle.program_id))?;
    let frozen: Option<String> =
        conn.query_row("SELECT stages FROM cycles WHERE rowid = ?1", [c.rowid], |r| r.get(0))?;
    let stages = match frozen {
        Some(json) => serde_json::from_str(&json).map_err(|_| CoreError::Internal("a cycle's frozen stages".into()))?,
        None => effective_stages(&p.program.disbursement.stages),
    };
    Ok((p.rowid, stages))
}

/// Separation of duties beyond "not who prepared it": one person decides at one stage of a cycle only (two
/// stages need two people), and nobody approves an entitlement they corrected.
fn check_duties(conn: &Connection, c: &StoredCycle, stage: usize, me: &str, target: &str) -> Result<()> {
    let other_stage: Option<i64> = conn
        .query_row(
            "SELECT stage FROM approvals WHERE cycle = ?1 AND actor = ?2 AND stage <> ?3 LIMIT 1",
            params![c.rowid, me, stage as i64],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(other) = other_stage {
        return Err(CoreError::DutyConflict(format!(
            "{me} already decided stage {other} of this cycle; another person decides stage {stage}"
        )));
    }
    let edited: i64 = conn.query_row(
        &format!("SELECT count(*) FROM entitlements WHERE {target} AND edited_by = ?3"),
        params![c.rowid, stage as i64, me],
        |r| r.get(0),
    )?;
    if edited > 0 {
        return Err(CoreError::DutyConflict(format!(
            "{me} corrected {edited} of these entitlements and may not approve them; another approver decides"
        )));
    }
    Ok(())
}

/// A stage's condition in SQL over an `amount` column (thresholds are validated integers, so inlined).
fn condition_sql(stage: &ApprovalStage) -> String {
    match stage.above_amount {
        None => "1".into(),
        Some(min) => format!("amount > {min}"),
    }
}

/// What a workflow step did.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct WorkflowSummary {
    /// Entitlements the step changed.
    pub changed: u64,
    /// Their amount with fees, minor units.
    pub total: i64,
    /// Of those, how many are now fully approved.
    pub approved: u64,
    /// Still pending, at a later stage.
    pub pending: u64,
    pub cycle_state: Option<CycleState>,
}

fn not_allowed(entity: &str, from: &str, to: &str) -> CoreError {
    CoreError::TransitionNotAllowed { entity: entity.into(), from: from.into(), to: to.into() }
}

/// Moves a cycle whose entitlements are all decided to `approved`.
fn settle(tx: &mut Tx<'_>, session: &Session, c: &StoredCycle) -> Result<CycleState> {
    let pending: i64 = tx.conn().query_row(
        "SELECT count(*) FROM entitlements WHERE cycle = ?1 AND state = 'pending'",
        [c.rowid],
        |r| r.get(0),
    )?;
    if pending > 0 {
        return Ok(c.cycle.state);
    }
    let current = cycle::resolve(tx.conn(), c.cycle.id)?;
    cycle::set_state(tx, &current, CycleState::Approved)?;
    tx.audit(AuditEvent::new(session, "cycle.approved").on("cycle", c.cycle.id.to_string()))?;
    Ok(CycleState::Approved)
}

/// Runs a person's move of a whole cycle.
pub fn act(
    store: &Store,
    session: &Session,
    cycle: Uuid,
    action: CycleAction,
    comment: Option<&str>,
) -> Result<WorkflowSummary> {
    require(store, session, Permission::CycleManage, "cycle.action")?;
    store.write_as(session.username(), |tx| {
        let c = cycle::resolve(tx.conn(), cycle)?;
        let mut out = WorkflowSummary::default();
        let action_name = match action {
            CycleAction::Submit => {
                if c.cycle.state != CycleState::Draft {
                    return Err(not_allowed("cycle", c.cycle.state.as_str(), CycleState::ToApprove.as_str()));
                }
                let (program, stages) = stages_of(tx.conn(), &c)?;
                let next = next_stage_sql(&stages, 0);
                // Those no stage applies to are approved at once, and need their funds now.
                let (count, total, straight, straight_count): (i64, i64, i64, i64) = tx.conn().query_row(
                    &format!(
                        "SELECT count(*), ifnull(sum(amount + fee), 0), ifnull(sum(CASE WHEN {next} IS NULL THEN amount + fee END), 0),
                                count(CASE WHEN {next} IS NULL THEN 1 END)
                         FROM entitlements WHERE cycle = ?1 AND state = 'draft'"
                    ),
                    [c.rowid],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )?;
                if count == 0 {
                    return Err(CoreError::InvalidInput("the cycle has no entitlements; generate them first".into()));
                }
                funds::check(tx.conn(), program, &c.cycle.currency, straight)?;
                tx.conn().execute(
                    &format!(
                        "UPDATE entitlements SET stage = {next},
                             state = CASE WHEN {next} IS NULL THEN 'approved' ELSE 'pending' END, updated_at = ?2
                         WHERE cycle = ?1 AND state = 'draft'"
                    ),
                    params![c.rowid, now_rfc3339()],
                )?;
                // The stages are frozen now: a change to the program's stages while the cycle waits applies
                // to later cycles only.
                let frozen = serde_json::to_string(&stages).map_err(|e| CoreError::Internal(e.to_string()))?;
                tx.conn().execute(
                    "UPDATE cycles SET submitted_by = ?1, stages = ?3 WHERE rowid = ?2",
                    params![session.username(), c.rowid, frozen],
                )?;
                let moved = Op::CycleEntitlementsMoved {
                    cycle: c.cycle.id,
                    action: CycleSetAction::Submit,
                    stages: Some(serde_json::to_value(&stages)?),
                };
                tx.append_op(&moved, None)?;
                let c = cycle::set_state(tx, &c, CycleState::ToApprove)?;
                out.changed = count as u64;
                out.total = total;
                out.approved = straight_count as u64;
                out.pending = (count - straight_count) as u64;
                out.cycle_state = Some(settle(tx, session, &c)?);
                "cycle.submit"
            }
            CycleAction::SendBack => {
                if c.cycle.state != CycleState::ToApprove {
                    return Err(not_allowed("cycle", c.cycle.state.as_str(), CycleState::Draft.as_str()));
                }
                let approved: i64 = tx.conn().query_row(
                    "SELECT count(*) FROM entitlements WHERE cycle = ?1 AND state = 'approved'",
                    [c.rowid],
                    |r| r.get(0),
                )?;
                if approved > 0 {
                    return Err(not_allowed("entitlement", "approved", "draft"));
                }
                out.changed = tx.conn().execute(
                    "UPDATE entitlements SET state = 'draft', stage = NULL, updated_at = ?2 WHERE cycle = ?1 AND state = 'pending'",
                    params![c.rowid, now_rfc3339()],
                )? as u64;
                tx.conn().execute("UPDATE cycles SET stages = NULL WHERE rowid = ?1", [c.rowid])?;
                tx.append_op(
                    &Op::CycleEntitlementsMoved { cycle: c.cycle.id, action: CycleSetAction::SendBack, stages: None },
                    None,
                )?;
                cycle::set_state(tx, &c, CycleState::Draft)?;
                out.cycle_state = Some(CycleState::Draft);
                "cycle.send_back"
            }
            CycleAction::Cancel => {
                cycle::set_state(tx, &c, CycleState::Cancelled)?;
                out.changed = tx.conn().execute(
                    "UPDATE entitlements SET state = 'cancelled', stage = NULL, updated_at = ?2
                     WHERE cycle = ?1 AND state IN ('draft', 'pending', 'approved')",
                    params![c.rowid, now_rfc3339()],
                )? as u64;
                tx.append_op(
                    &Op::CycleEntitlementsMoved { cycle: c.cycle.id, action: CycleSetAction::Cancel, stages: None },
                    None,
                )?;
                out.cycle_state = Some(CycleState::Cancelled);
                "cycle.cancel"
            }
            CycleAction::End => {
                let paying: i64 = tx.conn().query_row(
                    "SELECT count(*) FROM entitlements WHERE cycle = ?1 AND state = 'in_payment'",
                    [c.rowid],
                    |r| r.get(0),
                )?;
                if paying > 0 {
                    return Err(CoreError::InvalidInput(format!(
                        "{paying} entitlements are still being paid; import the provider's report first"
                    )));
                }
                cycle::set_state(tx, &c, CycleState::Ended)?;
                out.cycle_state = Some(CycleState::Ended);
                "cycle.end"
            }
        };
        tx.audit(AuditEvent::new(session, action_name).on("cycle", cycle.to_string()).details(serde_json::json!({
            "program": c.cycle.program_code, "changed": out.changed, "total": out.total, "comment": comment,
        })))?;
        Ok(out)
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Approve,
    Reject,
}

/// Approve or reject at one stage: every entitlement awaiting it, or the chosen ones.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct Decide {
    pub cycle: Uuid,
    /// 1-based.
    pub stage: u32,
    pub decision: DecisionKind,
    /// These entitlements only; every one awaiting the stage when absent.
    #[serde(default)]
    #[ts(optional)]
    pub entitlements: Option<Vec<Uuid>>,
    /// Required for a rejection.
    #[serde(default)]
    #[ts(optional)]
    pub comment: Option<String>,
}

const MOST_CHOSEN: usize = 10_000;

pub fn decide(store: &Store, session: &Session, req: &Decide) -> Result<WorkflowSummary> {
    require(store, session, Permission::EntitlementApprove, "cycle.decide")?;
    let comment = req.comment.as_deref().map(str::trim).filter(|c| !c.is_empty());
    if req.decision == DecisionKind::Reject && comment.is_none() {
        return Err(CoreError::InvalidInput("a rejection needs a comment saying why".into()));
    }
    if req.entitlements.as_ref().is_some_and(|e| e.is_empty() || e.len() > MOST_CHOSEN) {
        return Err(CoreError::InvalidInput(format!("choose between 1 and {MOST_CHOSEN} entitlements")));
    }
    let decided = decide_in(store, session, req, comment);
    if let Err(e) = &decided {
        if matches!(e.code(), ErrorCode::PermissionDenied | ErrorCode::SelfApproval) {
            crate::auth::audit_refusal(store, session, "cycle.decide", e)?;
        }
    }
    decided
}

fn decide_in(store: &Store, session: &Session, req: &Decide, comment: Option<&str>) -> Result<WorkflowSummary> {
    store.write_as(session.username(), |tx| {
        let c = cycle::resolve(tx.conn(), req.cycle)?;
        if c.cycle.state != CycleState::ToApprove {
            return Err(not_allowed("cycle", c.cycle.state.as_str(), "approved"));
        }
        let (program, stages) = stages_of(tx.conn(), &c)?;
        let k = req.stage as usize;
        let Some(stage) = stages.get(k.wrapping_sub(1)) else {
            return Err(CoreError::InvalidInput(format!("the program has {} approval stages", stages.len())));
        };
        if stage.role != session.role() {
            return Err(CoreError::PermissionDenied {
                role: session.role().as_str().into(),
                permission: format!("decide stage {k} ({}), which the {} role approves", stage.name, stage.role.as_str()),
            });
        }
        let me = session.username();
        if c.cycle.prepared_by.as_deref() == Some(me) || c.cycle.submitted_by.as_deref() == Some(me) {
            return Err(CoreError::SelfApproval(me.to_string()));
        }
        let mut target = "cycle = ?1 AND state = 'pending' AND stage = ?2".to_string();
        let mut chosen: Vec<(i64, Uuid, i64)> = Vec::new();
        if let Some(ids) = &req.entitlements {
            tx.conn().execute_batch("CREATE TEMP TABLE IF NOT EXISTS chosen (rowid INTEGER PRIMARY KEY)")?;
            tx.conn().execute("DELETE FROM temp.chosen", [])?;
            let mut find =
                tx.conn().prepare_cached("SELECT rowid, state, stage, amount + fee FROM entitlements WHERE id = ?1 AND cycle = ?2")?;
            let mut add = tx.conn().prepare_cached("INSERT OR IGNORE INTO temp.chosen (rowid) VALUES (?1)")?;
            for id in ids {
                let (rowid, state, at, money): (i64, String, Option<i64>, i64) = find
                    .query_row(params![id, c.rowid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                    .optional()?
                    .ok_or_else(|| CoreError::not_found("entitlement in this cycle"))?;
                if state != "pending" || at != Some(k as i64) {
                    let to = if req.decision == DecisionKind::Approve { "approved" } else { "rejected" };
                    let from = if state == "pending" { format!("pending at stage {}", at.unwrap_or(0)) } else { state };
                    return Err(not_allowed("entitlement", &from, to));
                }
                add.execute([rowid])?;
                chosen.push((rowid, *id, money));
            }
            target.push_str(" AND rowid IN (SELECT rowid FROM temp.chosen)");
        }
        check_duties(tx.conn(), &c, k, me, &target)?;
        let next = next_stage_sql(&stages, k);
        let (count, total, finishing): (i64, i64, i64) = tx.conn().query_row(
            &format!(
                "SELECT count(*), ifnull(sum(amount + fee), 0), ifnull(sum(CASE WHEN {next} IS NULL THEN amount + fee END), 0)
                 FROM entitlements WHERE {target}"
            ),
            params![c.rowid, k as i64],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        if count == 0 {
            return Err(CoreError::InvalidInput(format!("no entitlement of this cycle awaits stage {k}")));
        }
        let now = now_rfc3339();
        let mut out = WorkflowSummary { changed: count as u64, total, ..Default::default() };
        match req.decision {
            DecisionKind::Approve => {
                funds::check(tx.conn(), program, &c.cycle.currency, finishing)?;
                let (approved, pending): (i64, i64) = tx.conn().query_row(
                    &format!("SELECT count(CASE WHEN {next} IS NULL THEN 1 END), count({next}) FROM entitlements WHERE {target}"),
                    params![c.rowid, k as i64],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                out.approved = approved as u64;
                out.pending = pending as u64;
                tx.conn().execute(
                    &format!(
                        "UPDATE entitlements SET stage = {next},
                             state = CASE WHEN {next} IS NULL THEN 'approved' ELSE 'pending' END, updated_at = ?3
                         WHERE {target}"
                    ),
                    params![c.rowid, k as i64, now],
                )?;
            }
            DecisionKind::Reject => {
                tx.conn().execute(
                    &format!("UPDATE entitlements SET state = 'rejected', reason = ?3, updated_at = ?4 WHERE {target}"),
                    params![c.rowid, k as i64, comment, now],
                )?;
            }
        }
        let decision = if req.decision == DecisionKind::Approve { "approved" } else { "rejected" };
        let mut approvals = Vec::new();
        {
            let mut record = tx.conn().prepare_cached(
                "INSERT INTO approvals (id, cycle, entitlement, stage, decision, actor, role, comment, count, total, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            let role = session.role().as_str();
            if chosen.is_empty() {
                let id = Uuid::now_v7();
                record.execute(params![id, c.rowid, None::<i64>, k as i64, decision, me, role, comment, count, total, now])?;
                approvals.push(id);
            }
            for (rowid, _, money) in &chosen {
                let id = Uuid::now_v7();
                record.execute(params![id, c.rowid, rowid, k as i64, decision, me, role, comment, 1, money, now])?;
                approvals.push(id);
            }
        }
        let decided = StageDecision {
            cycle: c.cycle.id,
            stage: k as u32,
            verdict: if req.decision == DecisionKind::Approve { StageVerdict::Approved } else { StageVerdict::Rejected },
            role: session.role(),
            comment: comment.map(str::to_string),
            entitlements: (!chosen.is_empty()).then(|| chosen.iter().map(|(_, id, _)| *id).collect()),
            approvals,
            count,
            total,
        };
        tx.append_op(&Op::EntitlementsDecided(decided), None)?;
        tx.audit(AuditEvent::new(session, "cycle.decide").on("cycle", c.cycle.id.to_string()).details(serde_json::json!({
            "program": c.cycle.program_code, "stage": k, "decision": decision, "count": count, "total": total,
            "comment": comment, "chosen": chosen.iter().map(|(_, id, _)| id).collect::<Vec<_>>(),
        })))?;
        if !chosen.is_empty() {
            tx.conn().execute("DELETE FROM temp.chosen", [])?;
        }
        out.cycle_state = Some(settle(tx, session, &c)?);
        Ok(out)
    })
}

//! Cycles: created on the program's schedule with their members, re-checked against the rule, moved
//! through their state machine. Only a draft cycle may be deleted.

use std::sync::atomic::AtomicBool;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::model::{Cycle, CycleState};
use super::settings::{cycle_dates, default_recurrence};
use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::clock::now_rfc3339;
use crate::error::{CoreError, Result};
use crate::program::model::ProgramState;
use crate::program::rules::Verdict;
use crate::program::select::Scope;
use crate::program::service::{resolve as resolve_program, ProgramKey, ProgramRules, StoredProgram};
use crate::store::{Store, Tx};
use br_model::op::{Op, PAGE};

const CYCLE_COLUMNS: &str = "c.rowid, c.id, p.id, p.code, p.currency, c.sequence, c.name, c.start_date, c.end_date, \
     c.state, c.prepared_by, c.submitted_by, c.created_at, c.updated_at, c.version, c.program";

/// A cycle row with what the write paths need.
#[derive(Debug, Clone)]
pub struct StoredCycle {
    pub rowid: i64,
    pub program_rowid: i64,
    pub version: i64,
    pub cycle: Cycle,
}

fn cycle_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredCycle> {
    Ok(StoredCycle {
        rowid: r.get(0)?,
        program_rowid: r.get(15)?,
        version: r.get(14)?,
        cycle: Cycle {
            id: r.get(1)?,
            program_id: r.get(2)?,
            program_code: r.get(3)?,
            currency: r.get(4)?,
            sequence: r.get(5)?,
            name: r.get(6)?,
            start_date: r.get(7)?,
            end_date: r.get(8)?,
            state: CycleState::parse(&r.get::<_, String>(9)?).unwrap_or(CycleState::Draft),
            prepared_by: r.get(10)?,
            submitted_by: r.get(11)?,
            created_at: r.get(12)?,
            updated_at: r.get(13)?,
        },
    })
}

pub fn resolve(conn: &Connection, id: Uuid) -> Result<StoredCycle> {
    conn.prepare_cached(&format!(
        "SELECT {CYCLE_COLUMNS} FROM cycles c JOIN programs p ON p.rowid = c.program WHERE c.id = ?1"
    ))?
    .query_row([id], cycle_from_row)
    .optional()?
    .ok_or_else(|| CoreError::not_found("cycle"))
}

/// Appends a change-log op about the cycle `c` and stamps the cycle's version with it.
pub(crate) fn write_op(tx: &mut Tx<'_>, c: &StoredCycle, op: &Op) -> Result<()> {
    let version = tx.append_op(op, Some(c.version))?;
    tx.conn().execute("UPDATE cycles SET version = ?1 WHERE rowid = ?2", params![version, c.rowid])?;
    Ok(())
}

/// Moves a cycle to `to` if its state machine allows it; writes the change log. The caller audits.
pub(crate) fn set_state(tx: &mut Tx<'_>, c: &StoredCycle, to: CycleState) -> Result<StoredCycle> {
    if !c.cycle.state.may_become(to) {
        return Err(CoreError::TransitionNotAllowed {
            entity: "cycle".into(),
            from: c.cycle.state.as_str().into(),
            to: to.as_str().into(),
        });
    }
    tx.conn().execute(
        "UPDATE cycles SET state = ?1, updated_at = ?2 WHERE rowid = ?3",
        params![to.as_str(), now_rfc3339(), c.rowid],
    )?;
    let after = resolve(tx.conn(), c.cycle.id)?;
    write_op(tx, &after, &Op::CycleStateSet { id: c.cycle.id, from: c.cycle.state, to })?;
    Ok(after)
}

/// Who a new cycle is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MembersFrom {
    /// Everyone enrolled in the program now.
    Program,
    /// The previous cycle's members who are still enrolled (the first cycle takes the program's).
    PreviousCycle,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct CreateCycle {
    pub program: ProgramKey,
    /// The schedule's name when absent.
    #[serde(default)]
    #[ts(optional)]
    pub name: Option<String>,
    #[serde(default = "previous")]
    pub members_from: MembersFrom,
}

fn previous() -> MembersFrom {
    MembersFrom::PreviousCycle
}

/// A cycle and how many members it has.
#[derive(Debug, Clone, Serialize, TS)]
pub struct CycleCreated {
    pub cycle: Cycle,
    pub members: u64,
    /// Members of the previous cycle left out because they are no longer enrolled.
    pub left_out: u64,
}

/// Creates the program's next cycle on its schedule, with its members.
pub fn create_next(store: &Store, session: &Session, req: &CreateCycle) -> Result<CycleCreated> {
    require(store, session, Permission::CycleManage, "cycle.create")?;
    store.write_as(session.username(), |tx| {
        let p = resolve_program(tx.conn(), &req.program)?;
        if p.program.state != ProgramState::Active {
            return Err(CoreError::TransitionNotAllowed {
                entity: "program".into(),
                from: p.program.state.as_str().into(),
                to: "new cycle".into(),
            });
        }
        let (sequence, previous): (i64, Option<i64>) = tx.conn().query_row(
            "SELECT ifnull(max(sequence), 0) + 1,
                    (SELECT rowid FROM cycles WHERE program = ?1 AND state != 'cancelled' ORDER BY sequence DESC LIMIT 1)
             FROM cycles WHERE program = ?1",
            [p.rowid],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let schedule = p.program.disbursement.recurrence.clone().unwrap_or_else(default_recurrence);
        let (start, end, scheduled_name) = cycle_dates(&schedule, sequence)?;
        let name = req.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).unwrap_or(&scheduled_name).to_string();
        let id = Uuid::now_v7();
        let now = now_rfc3339();
        tx.conn().execute(
            "INSERT INTO cycles (id, program, sequence, name, start_date, end_date, office_id, version, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?8)",
            params![id, p.rowid, sequence, name, start.to_string(), end.to_string(), tx.store().office().office_id, now],
        )?;
        let c = resolve(tx.conn(), id)?;
        let (members, left_out) = copy_members(tx.conn(), &p, c.rowid, previous, req.members_from)?;
        let created = Op::CycleCreated {
            id,
            program: p.program.id,
            sequence,
            name: name.clone(),
            start_date: start.to_string(),
            end_date: end.to_string(),
        };
        write_op(tx, &c, &created)?;
        let ids: Vec<Uuid> = tx
            .conn()
            .prepare("SELECT r.id FROM cycle_members m JOIN registrants r ON r.rowid = m.registrant WHERE m.cycle = ?1 ORDER BY m.registrant")?
            .query_map([c.rowid], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for page in ids.chunks(PAGE) {
            tx.append_op(&Op::CycleMembersAdded { cycle: id, members: page.to_vec() }, None)?;
        }
        tx.audit(AuditEvent::new(session, "cycle.create").on("cycle", id.to_string()).details(serde_json::json!({
            "program": p.program.code, "sequence": sequence, "name": name, "members": members, "left_out": left_out,
        })))?;
        Ok(CycleCreated { cycle: c.cycle, members, left_out })
    })
}

fn copy_members(
    conn: &Connection,
    p: &StoredProgram,
    cycle: i64,
    previous: Option<i64>,
    from: MembersFrom,
) -> Result<(u64, u64)> {
    match (from, previous) {
        (MembersFrom::PreviousCycle, Some(prev)) => {
            let before: i64 =
                conn.query_row("SELECT count(*) FROM cycle_members WHERE cycle = ?1", [prev], |r| r.get(0))?;
            let copied = conn.execute(
                "INSERT INTO cycle_members (cycle, registrant)
                 SELECT ?1, cm.registrant FROM cycle_members cm
                 JOIN program_memberships pm ON pm.program = ?2 AND pm.registrant = cm.registrant AND pm.state = 'enrolled'
                 WHERE cm.cycle = ?3 ORDER BY cm.registrant",
                params![cycle, p.rowid, prev],
            )? as u64;
            Ok((copied, before as u64 - copied))
        }
        _ => {
            let copied = conn.execute(
                "INSERT INTO cycle_members (cycle, registrant)
                 SELECT ?1, registrant FROM program_memberships WHERE program = ?2 AND state = 'enrolled' ORDER BY registrant",
                params![cycle, p.rowid],
            )? as u64;
            Ok((copied, 0))
        }
    }
}

/// What re-checking a cycle's members did.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RecheckSummary {
    pub checked: u64,
    /// Members removed from the cycle: no longer enrolled, or no longer matching the rule.
    pub removed: u64,
    pub remaining: u64,
}

/// Re-checks a draft cycle's members: those no longer enrolled in the program, or whom the eligibility
/// rule no longer selects, leave the cycle (with any draft entitlement they had).
pub fn recheck(store: &Store, session: &Session, cycle: Uuid, cancel: &AtomicBool) -> Result<RecheckSummary> {
    require(store, session, Permission::CycleManage, "cycle.recheck")?;
    let (c, keep, checked) = store.read(|conn| {
        let c = resolve(conn, cycle)?;
        let p = resolve_program(conn, &ProgramKey::Id(c.cycle.program_id))?;
        let rules = ProgramRules::of(conn, &p.program)?;
        let checked: i64 =
            conn.query_row("SELECT count(*) FROM cycle_members WHERE cycle = ?1", [c.rowid], |r| r.get(0))?;
        let mut keep = Vec::new();
        rules.selection(Scope::Members { program: p.rowid, states: vec!["enrolled"] }).run(conn, cancel, |e| {
            if e.verdict == Verdict::Match {
                keep.push(e.rowid);
            }
            Ok(())
        })?;
        Ok((c, keep, checked as u64))
    })?;
    store.write_as(session.username(), |tx| {
        let current = resolve(tx.conn(), cycle)?;
        if current.cycle.state != CycleState::Draft || current.version != c.version {
            return Err(CoreError::TransitionNotAllowed {
                entity: "cycle".into(),
                from: current.cycle.state.as_str().into(),
                to: "re-checked".into(),
            });
        }
        tx.conn().execute_batch("CREATE TEMP TABLE IF NOT EXISTS keep_members (registrant INTEGER PRIMARY KEY)")?;
        tx.conn().execute("DELETE FROM temp.keep_members", [])?;
        {
            let mut ins = tx.conn().prepare_cached("INSERT INTO temp.keep_members (registrant) VALUES (?1)")?;
            for r in &keep {
                ins.execute([r])?;
            }
        }
        let leaving: Vec<Uuid> = tx
            .conn()
            .prepare(
                "SELECT r.id FROM cycle_members m JOIN registrants r ON r.rowid = m.registrant
                 WHERE m.cycle = ?1 AND m.registrant NOT IN (SELECT registrant FROM temp.keep_members) ORDER BY m.registrant",
            )?
            .query_map([c.rowid], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        tx.conn().execute(
            "DELETE FROM entitlements WHERE cycle = ?1 AND state = 'draft'
                 AND registrant NOT IN (SELECT registrant FROM temp.keep_members)",
            [c.rowid],
        )?;
        let removed = tx.conn().execute(
            "DELETE FROM cycle_members WHERE cycle = ?1 AND registrant NOT IN (SELECT registrant FROM temp.keep_members)",
            [c.rowid],
        )? as u64;
        tx.conn().execute("DELETE FROM temp.keep_members", [])?;
        for page in leaving.chunks(PAGE) {
            tx.append_op(&Op::CycleMembersRemoved { cycle: c.cycle.id, members: page.to_vec() }, None)?;
        }
        tx.audit(
            AuditEvent::new(session, "cycle.recheck")
                .on("cycle", cycle.to_string())
                .details(serde_json::json!({ "checked": checked, "removed": removed })),
        )?;
        Ok(RecheckSummary { checked, removed, remaining: checked - removed })
    })
}

/// Deletes a draft cycle with its members and draft entitlements.
pub fn delete(store: &Store, session: &Session, cycle: Uuid) -> Result<()> {
    require(store, session, Permission::CycleManage, "cycle.delete")?;
    store.write_as(session.username(), |tx| {
        let c = resolve(tx.conn(), cycle)?;
        if c.cycle.state != CycleState::Draft {
            return Err(CoreError::TransitionNotAllowed {
                entity: "cycle".into(),
                from: c.cycle.state.as_str().into(),
                to: "deleted".into(),
            });
        }
        tx.conn().execute("DELETE FROM entitlements WHERE cycle = ?1", [c.rowid])?;
        tx.conn().execute("DELETE FROM cycle_members WHERE cycle = ?1", [c.rowid])?;
        tx.conn().execute("DELETE FROM cycles WHERE rowid = ?1", [c.rowid])?;
        tx.append_op(&Op::CycleDeleted { id: c.cycle.id }, Some(c.version))?;
        tx.audit(
            AuditEvent::new(session, "cycle.delete")
                .on("cycle", cycle.to_string())
                .details(serde_json::json!({ "program": c.cycle.program_code, "name": c.cycle.name })),
        )
    })
}

/// A person's move of a whole cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CycleAction {
    /// `draft -> to_approve`: every draft entitlement goes to its first approval stage.
    Submit,
    /// `to_approve -> draft`: pending entitlements go back to draft (refused once any is approved).
    SendBack,
    /// `draft | to_approve -> cancelled`, with every entitlement not yet paying.
    Cancel,
    /// `approved | distributing -> ended`.
    End,
}

pub fn list(store: &Store, session: &Session, program: &ProgramKey) -> Result<Vec<Cycle>> {
    require(store, session, Permission::RegistryRead, "cycle.list")?;
    store.read(|c| {
        let p = resolve_program(c, program)?;
        let mut st = c.prepare_cached(&format!(
            "SELECT {CYCLE_COLUMNS} FROM cycles c JOIN programs p ON p.rowid = c.program WHERE c.program = ?1
             ORDER BY c.sequence DESC"
        ))?;
        let rows = st.query_map([p.rowid], cycle_from_row)?;
        Ok(rows.map(|r| r.map(|s| s.cycle)).collect::<rusqlite::Result<_>>()?)
    })
}

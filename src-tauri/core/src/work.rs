//! What waits for the person signed in, by what their role may do: cycles awaiting their decision at a
//! stage of their role, the funds those cycles still lack, approved payments to prepare, payment batches
//! prepared but not sent, duplicates to review and sync conflicts to settle. The home page lists it, each
//! item linking to where it is done. Counts and amounts only: no personal data.

use rusqlite::{params, Connection};
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use crate::auth::{require, Permission, Session};
use crate::disbursement::funds;
use crate::disbursement::model::ApprovalStage;
use crate::error::{CoreError, Result};
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum WorkKind {
    /// Entitlements pending at a stage this person decides.
    ApproveCycle,
    /// Cycles awaiting approval need more posted funds than the program has left.
    AddFunds,
    /// Approved cash entitlements not yet in a payment batch, of people with a financial address.
    PreparePayments,
    /// Payment batches written but not marked sent.
    SendPayments,
    ReviewDuplicates,
    SettleConflicts,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct WorkItem {
    pub kind: WorkKind,
    pub program_code: Option<String>,
    pub program_name: Option<String>,
    pub cycle_id: Option<Uuid>,
    pub cycle_name: Option<String>,
    /// The approval stage (1-based) and its name.
    pub stage: Option<u32>,
    pub stage_name: Option<String>,
    /// Entitlements to decide or pay, cycles short of funds, batches to send, groups or conflicts to settle.
    pub count: u64,
    /// The amount with fees of what waits, or the funds missing (`add_funds`), in minor units of `currency`.
    pub amount: Option<i64>,
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct WorkQueue {
    pub items: Vec<WorkItem>,
}

impl WorkItem {
    fn of(kind: WorkKind, count: u64) -> WorkItem {
        WorkItem {
            kind,
            program_code: None,
            program_name: None,
            cycle_id: None,
            cycle_name: None,
            stage: None,
            stage_name: None,
            count,
            amount: None,
            currency: None,
        }
    }
}

pub fn queue(store: &Store, session: &Session) -> Result<WorkQueue> {
    require(store, session, Permission::RegistryRead, "work.queue")?;
    store.read(|c| {
        let mut items = Vec::new();
        let (approve, fund) = (session.may(Permission::EntitlementApprove), session.may(Permission::FundManage));
        // Read once for both: the decisions waiting and the money they need.
        let waiting = if approve || fund { awaiting(c)? } else { Vec::new() };
        if approve {
            items.extend(approvals(c, session, &waiting)?);
        }
        if fund {
            items.extend(shortfalls(c, &waiting)?);
        }
        if session.may(Permission::PaymentManage) {
            items.extend(payments(c)?);
        }
        let count = |sql: &str| -> Result<u64> { Ok(c.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64) };
        if session.may(Permission::DuplicatesManage) {
            let n = count("SELECT count(*) FROM duplicate_groups WHERE status IN ('open', 'duplicates')")?;
            if n > 0 {
                items.push(WorkItem::of(WorkKind::ReviewDuplicates, n));
            }
        }
        if session.may(Permission::ProgramManage) {
            let n = count("SELECT count(*) FROM sync_conflicts WHERE resolved_at IS NULL")?;
            if n > 0 {
                items.push(WorkItem::of(WorkKind::SettleConflicts, n));
            }
        }
        Ok(WorkQueue { items })
    })
}

/// A cycle awaiting approval, with its program.
struct Awaiting {
    rowid: i64,
    id: Uuid,
    name: String,
    program: i64,
    program_code: String,
    program_name: String,
    currency: String,
    stages: Option<String>,
    prepared_by: Option<String>,
    submitted_by: Option<String>,
    /// Pending entitlements per stage: (stage, count, amount with fees).
    pending: Vec<(u32, u64, i64)>,
}

fn awaiting(c: &Connection) -> Result<Vec<Awaiting>> {
    let mut st = c.prepare_cached(
        "SELECT c.rowid, c.id, c.name, p.rowid, p.code, p.name, p.currency, c.stages, c.prepared_by, c.submitted_by
         FROM cycles c JOIN programs p ON p.rowid = c.program WHERE c.state = 'to_approve' ORDER BY c.rowid",
    )?;
    let rows = st.query_map([], |r| {
        Ok(Awaiting {
            rowid: r.get(0)?,
            id: r.get(1)?,
            name: r.get(2)?,
            program: r.get(3)?,
            program_code: r.get(4)?,
            program_name: r.get(5)?,
            currency: r.get(6)?,
            stages: r.get(7)?,
            prepared_by: r.get(8)?,
            submitted_by: r.get(9)?,
            pending: Vec::new(),
        })
    })?;
    let mut cycles = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    for cycle in &mut cycles {
        cycle.pending = pending_by_stage(c, cycle.rowid)?;
    }
    Ok(cycles)
}

/// Pending entitlements per stage of a cycle: (stage, count, amount with fees).
fn pending_by_stage(c: &Connection, cycle: i64) -> Result<Vec<(u32, u64, i64)>> {
    let mut st = c.prepare_cached(
        "SELECT stage, count(*), sum(amount + fee) FROM entitlements
         WHERE cycle = ?1 AND state = 'pending' AND stage IS NOT NULL GROUP BY stage ORDER BY stage",
    )?;
    let rows = st.query_map([cycle], |r| Ok((r.get::<_, i64>(0)? as u32, r.get::<_, i64>(1)? as u64, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Stages of the cycle this person may decide: their role's, on a cycle they did not prepare or submit,
/// and not after deciding another stage of it (two stages need two people).
fn approvals(c: &Connection, session: &Session, waiting: &[Awaiting]) -> Result<Vec<WorkItem>> {
    let me = session.username();
    let mut items = Vec::new();
    for cycle in waiting {
        if cycle.prepared_by.as_deref() == Some(me) || cycle.submitted_by.as_deref() == Some(me) {
            continue;
        }
        let stages: Vec<ApprovalStage> = match &cycle.stages {
            Some(json) => {
                serde_json::from_str(json).map_err(|_| CoreError::Internal("a cycle's frozen stages".into()))?
            }
            None => continue,
        };
        let decided: Vec<u32> = c
            .prepare_cached("SELECT DISTINCT stage FROM approvals WHERE cycle = ?1 AND actor = ?2")?
            .query_map(params![cycle.rowid, me], |r| Ok(r.get::<_, i64>(0)? as u32))?
            .collect::<rusqlite::Result<_>>()?;
        for &(stage, count, amount) in &cycle.pending {
            let Some(s) = stages.get(stage as usize - 1) else { continue };
            if s.role != session.role() || decided.iter().any(|&d| d != stage) {
                continue;
            }
            items.push(WorkItem {
                program_code: Some(cycle.program_code.clone()),
                program_name: Some(cycle.program_name.clone()),
                cycle_id: Some(cycle.id),
                cycle_name: Some(cycle.name.clone()),
                stage: Some(stage),
                stage_name: Some(s.name.clone()),
                amount: Some(amount),
                currency: Some(cycle.currency.clone()),
                ..WorkItem::of(WorkKind::ApproveCycle, count)
            });
        }
    }
    Ok(items)
}

/// Programs whose cycles awaiting approval would commit more than their posted funds have left.
fn shortfalls(c: &Connection, waiting: &[Awaiting]) -> Result<Vec<WorkItem>> {
    let mut items: Vec<(i64, WorkItem)> = Vec::new();
    for cycle in waiting {
        let pending: i64 = cycle.pending.iter().map(|(_, _, amount)| amount).sum();
        match items.iter_mut().find(|(program, _)| *program == cycle.program) {
            Some((_, item)) => {
                item.count += 1;
                item.amount = Some(item.amount.unwrap_or(0) + pending);
            }
            None => items.push((
                cycle.program,
                WorkItem {
                    program_code: Some(cycle.program_code.clone()),
                    program_name: Some(cycle.program_name.clone()),
                    amount: Some(pending),
                    currency: Some(cycle.currency.clone()),
                    ..WorkItem::of(WorkKind::AddFunds, 1)
                },
            )),
        }
    }
    let mut short = Vec::new();
    for (program, mut item) in items {
        let (posted, committed) = funds::available(c, program)?;
        let missing = item.amount.unwrap_or(0) - (posted - committed);
        if missing > 0 {
            item.amount = Some(missing);
            short.push(item);
        }
    }
    Ok(short)
}

/// Approved cash not yet in a batch, and batches not yet sent, per cycle.
fn payments(c: &Connection) -> Result<Vec<WorkItem>> {
    let mut items = Vec::new();
    let cycle_item = |r: &rusqlite::Row<'_>, kind: WorkKind| -> rusqlite::Result<WorkItem> {
        Ok(WorkItem {
            cycle_id: Some(r.get(0)?),
            cycle_name: Some(r.get(1)?),
            program_code: Some(r.get(2)?),
            program_name: Some(r.get(3)?),
            currency: Some(r.get(4)?),
            amount: Some(r.get(6)?),
            ..WorkItem::of(kind, r.get::<_, i64>(5)? as u64)
        })
    };
    let mut st = c.prepare_cached(
        "SELECT c.id, c.name, p.code, p.name, p.currency, count(*), sum(e.amount + e.fee)
         FROM entitlements e JOIN cycles c ON c.rowid = e.cycle JOIN programs p ON p.rowid = c.program
         JOIN registrants r ON r.rowid = e.registrant
         WHERE e.state = 'approved' AND e.kind = 'cash' AND c.state IN ('approved', 'distributing')
           AND r.financial_address IS NOT NULL
         GROUP BY c.rowid ORDER BY c.rowid",
    )?;
    for item in st.query_map([], |r| cycle_item(r, WorkKind::PreparePayments))? {
        items.push(item?);
    }
    let mut st = c.prepare_cached(
        "SELECT c.id, c.name, p.code, p.name, p.currency, count(*), sum(b.total)
         FROM payment_batches b JOIN cycles c ON c.rowid = b.cycle JOIN programs p ON p.rowid = c.program
         WHERE b.state = 'prepared' GROUP BY c.rowid ORDER BY c.rowid",
    )?;
    for item in st.query_map([], |r| cycle_item(r, WorkKind::SendPayments))? {
        items.push(item?);
    }
    Ok(items)
}

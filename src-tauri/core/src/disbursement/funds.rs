//! Funds posted to a program, and what approvals have committed of them.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;
use ts_rs::TS;
use uuid::Uuid;

use super::model::{Fund, FundBalance, FundState};
use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::clock::now_rfc3339;
use crate::error::{CoreError, Result};
use crate::program::service::{resolve as resolve_program, ProgramKey};
use crate::store::{Store, Tx};
use br_model::op::Op;

/// Entitlement states whose money is spoken for: approved, being paid, paid, or failed and to be paid again.
pub(crate) const COMMITTED_STATES: &str = "('approved', 'in_payment', 'paid', 'failed')";

/// Posted funds, committed money and what is left, for a program (by rowid).
pub(crate) fn available(conn: &Connection, program: i64) -> Result<(i64, i64)> {
    let posted: i64 = conn.query_row(
        "SELECT ifnull(sum(amount), 0) FROM funds WHERE program = ?1 AND state = 'posted'",
        [program],
        |r| r.get(0),
    )?;
    let committed: i64 = conn.query_row(
        &format!(
            "SELECT ifnull(sum(e.amount + e.fee), 0) FROM cycles c JOIN entitlements e ON e.cycle = c.rowid
             WHERE c.program = ?1 AND e.state IN {COMMITTED_STATES}"
        ),
        [program],
        |r| r.get(0),
    )?;
    Ok((posted, committed))
}

/// Refuses to commit `needed` more than the program's posted funds allow, saying by how much.
pub(crate) fn check(conn: &Connection, program: i64, currency: &str, needed: i64) -> Result<()> {
    if needed == 0 {
        return Ok(());
    }
    let (posted, committed) = available(conn, program)?;
    let available = posted - committed;
    if needed > available {
        return Err(CoreError::FundsInsufficient {
            needed,
            available,
            shortfall: needed - available,
            currency: currency.to_string(),
        });
    }
    Ok(())
}

fn fund_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Fund> {
    Ok(Fund {
        id: r.get(0)?,
        program_code: r.get(1)?,
        amount: r.get(2)?,
        currency: r.get(3)?,
        state: FundState::parse(&r.get::<_, String>(4)?).unwrap_or(FundState::Draft),
        reference: r.get(5)?,
        created_by: r.get(6)?,
        posted_by: r.get(7)?,
        posted_at: r.get(8)?,
        created_at: r.get(9)?,
    })
}

const FUND_COLUMNS: &str = "f.id, p.code, f.amount, f.currency, f.state, f.reference, f.created_by, f.posted_by, \
     f.posted_at, f.created_at";

pub fn balance(store: &Store, session: &Session, program: &ProgramKey) -> Result<FundBalance> {
    require(store, session, Permission::RegistryRead, "fund.balance")?;
    store.read(|c| balance_in(c, program))
}

fn balance_in(conn: &Connection, program: &ProgramKey) -> Result<FundBalance> {
    let p = resolve_program(conn, program)?;
    let (posted, committed) = available(conn, p.rowid)?;
    let mut st = conn.prepare_cached(&format!(
        "SELECT {FUND_COLUMNS} FROM funds f JOIN programs p ON p.rowid = f.program WHERE f.program = ?1 ORDER BY f.rowid DESC"
    ))?;
    let funds = st.query_map([p.rowid], fund_from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(FundBalance {
        program_code: p.program.code,
        currency: p.program.currency,
        posted,
        committed,
        available: posted - committed,
        funds,
    })
}

/// A new fund: recorded as a draft, or posted at once.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct AddFund {
    pub program: ProgramKey,
    /// Minor units of the program's currency.
    pub amount: i64,
    /// Must be the program's currency; said explicitly so a slip of the unit is caught.
    pub currency: String,
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub post: bool,
}

pub fn add(store: &Store, session: &Session, req: &AddFund) -> Result<FundBalance> {
    require(store, session, Permission::FundManage, "fund.add")?;
    if req.amount <= 0 {
        return Err(CoreError::InvalidInput("a fund is a positive amount in minor units".into()));
    }
    store.write_as(session.username(), |tx| {
        let p = resolve_program(tx.conn(), &req.program)?;
        if !req.currency.trim().eq_ignore_ascii_case(&p.program.currency) {
            return Err(CoreError::InvalidInput(format!(
                "program {} pays in {}, not {}",
                p.program.code,
                p.program.currency,
                req.currency.trim()
            )));
        }
        let id = Uuid::now_v7();
        let now = now_rfc3339();
        let state = if req.post { FundState::Posted } else { FundState::Draft };
        let created = Op::FundCreated {
            id,
            program: p.program.id,
            amount: req.amount,
            currency: p.program.currency.clone(),
            state,
            reference: req.reference.trim().to_string(),
        };
        let version = tx.append_op(&created, None)?;
        let row = NewFund {
            id,
            program: p.rowid,
            amount: req.amount,
            currency: &p.program.currency,
            state,
            reference: req.reference.trim(),
            created_by: session.username(),
            version,
            at: &now,
        };
        insert_row(tx, &row)?;
        tx.audit(AuditEvent::new(session, "fund.add").on("fund", id.to_string()).details(serde_json::json!({
            "program": p.program.code, "amount": req.amount, "currency": p.program.currency, "state": state,
        })))?;
        balance_in(tx.conn(), &ProgramKey::Id(p.program.id))
    })
}

/// Posts (`posted`) or cancels (`cancelled`) a draft fund.
pub fn set_state(store: &Store, session: &Session, fund: Uuid, to: FundState) -> Result<FundBalance> {
    require(store, session, Permission::FundManage, "fund.state")?;
    store.write_as(session.username(), |tx| {
        let (rowid, program, state): (i64, Uuid, String) = tx
            .conn()
            .query_row(
                "SELECT f.rowid, p.id, f.state FROM funds f JOIN programs p ON p.rowid = f.program WHERE f.id = ?1",
                [fund],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or_else(|| CoreError::not_found("fund"))?;
        if state != FundState::Draft.as_str() || to == FundState::Draft {
            return Err(CoreError::TransitionNotAllowed { entity: "fund".into(), from: state, to: to.as_str().into() });
        }
        let now = now_rfc3339();
        let from = FundState::parse(&state).unwrap_or(FundState::Draft);
        let version = tx.append_op(&Op::FundStateSet { id: fund, from, to }, None)?;
        tx.conn().execute(
            "UPDATE funds SET state = ?1, posted_by = ?2, posted_at = ?3, version = ?4, updated_at = ?5 WHERE rowid = ?6",
            params![
                to.as_str(),
                (to == FundState::Posted).then(|| session.username().to_string()),
                (to == FundState::Posted).then_some(&now),
                version,
                now,
                rowid
            ],
        )?;
        tx.audit(
            AuditEvent::new(session, "fund.state")
                .on("fund", fund.to_string())
                .details(serde_json::json!({ "from": state, "to": to })),
        )?;
        balance_in(tx.conn(), &ProgramKey::Id(program))
    })
}

/// A new fund's row, on this desk or replayed from another.
pub(crate) struct NewFund<'a> {
    pub id: Uuid,
    pub program: i64,
    pub amount: i64,
    pub currency: &'a str,
    pub state: FundState,
    pub reference: &'a str,
    pub created_by: &'a str,
    pub version: i64,
    pub at: &'a str,
}

/// Writes a new fund's row (its op is the caller's); a fund added as posted is posted by its maker.
pub(crate) fn insert_row(tx: &mut Tx<'_>, f: &NewFund<'_>) -> Result<()> {
    let posted = f.state == FundState::Posted;
    tx.conn().execute(
        "INSERT INTO funds (id, program, amount, currency, state, reference, created_by, posted_by, posted_at, version,
             created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
        params![
            f.id,
            f.program,
            f.amount,
            f.currency,
            f.state.as_str(),
            f.reference,
            f.created_by,
            posted.then_some(f.created_by),
            posted.then_some(f.at),
            f.version,
            f.at
        ],
    )?;
    Ok(())
}

//! Funds and payments from another desk's ops.

use br_model::disbursement::{FundState, PaymentState};
use br_model::op::{Op, OpRecord, PaymentResult, PreparedBatch};
use rusqlite::{params, OptionalExtension};

use crate::applied::{find_rowid, rowid_of, Effect};
use crate::disbursement::funds::{insert_row, NewFund};
use crate::error::{CoreError, Result};
use crate::store::Tx;

pub(super) fn apply(tx: &mut Tx<'_>, rec: &OpRecord) -> Result<Effect> {
    match &rec.op {
        Op::FundCreated { id, program, amount, currency, state, reference } => {
            if find_rowid(tx, "funds", *id)?.is_some() {
                return Ok(Effect::Unchanged);
            }
            let program = rowid_of(tx, "programs", *program)?;
            let row = NewFund {
                id: *id,
                program,
                amount: *amount,
                currency,
                state: *state,
                reference,
                created_by: rec.actor.as_deref().unwrap_or("system"),
                version: rec.hlc,
                at: &rec.at,
            };
            insert_row(tx, &row)?;
            Ok(Effect::Applied)
        }
        Op::FundStateSet { id, from, to } => {
            let state: String = tx
                .conn()
                .query_row("SELECT state FROM funds WHERE id = ?1", [id], |r| r.get(0))
                .optional()?
                .ok_or_else(|| {
                    CoreError::InvalidInput(format!("an op names fund {id}, which this registry does not hold"))
                })?;
            if state == to.as_str() {
                return Ok(Effect::Unchanged);
            }
            if state != from.as_str() || *from != FundState::Draft {
                return Ok(Effect::Conflict { local: serde_json::json!({ "state": state }) });
            }
            let posted = *to == FundState::Posted;
            tx.conn().execute(
                "UPDATE funds SET state = ?1, posted_by = ?2, posted_at = ?3, version = ?4, updated_at = ?5 WHERE id = ?6",
                params![
                    to.as_str(),
                    posted.then_some(rec.actor.as_deref()).flatten(),
                    posted.then_some(&rec.at),
                    rec.hlc,
                    rec.at,
                    id
                ],
            )?;
            Ok(Effect::Applied)
        }
        Op::PaymentsPrepared(batch) => prepared(tx, rec, batch),
        Op::PaymentBatchSent { id } => {
            let (rowid, first, last): (i64, i64, i64) = tx
                .conn()
                .query_row("SELECT rowid, first_payment, last_payment FROM payment_batches WHERE id = ?1", [id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()?
                .ok_or_else(|| {
                    CoreError::InvalidInput(format!(
                        "an op names payment batch {id}, which this registry does not hold"
                    ))
                })?;
            let n = tx.conn().execute(
                "UPDATE payment_batches SET state = 'sent', sent_at = ?2 WHERE rowid = ?1 AND state = 'prepared'",
                params![rowid, rec.at],
            )?;
            tx.conn().execute(
                "UPDATE payments SET state = 'sent', updated_at = ?3 WHERE rowid BETWEEN ?1 AND ?2 AND state = 'queued'",
                params![first, last, rec.at],
            )?;
            Ok(Effect::of_rows(n))
        }
        Op::PaymentResults { results } => {
            let mut n = 0;
            for r in results {
                n += result(tx, rec, r)?;
            }
            Ok(Effect::of_rows(n))
        }
        other => Err(CoreError::Internal(format!("{} is not a payment op", other.kind()))),
    }
}

fn prepared(tx: &mut Tx<'_>, rec: &OpRecord, b: &PreparedBatch) -> Result<Effect> {
    if find_rowid(tx, "payment_batches", b.id)?.is_some() {
        return Ok(Effect::Unchanged);
    }
    let cycle = rowid_of(tx, "cycles", b.cycle)?;
    let first: i64 = tx.conn().query_row("SELECT ifnull(max(rowid), 0) + 1 FROM payments", [], |r| r.get(0))?;
    let last = first + b.rows.len() as i64 - 1;
    let total: i64 = b.rows.iter().map(|p| p.2).sum();
    let batch: i64 = tx.conn().query_row(
        "INSERT INTO payment_batches (id, cycle, sequence, count, total, first_payment, last_payment, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING rowid",
        params![
            b.id,
            cycle,
            b.sequence,
            b.rows.len() as i64,
            total,
            first,
            last,
            rec.actor.as_deref().unwrap_or("system"),
            rec.at
        ],
        |r| r.get(0),
    )?;
    for (n, p) in b.rows.iter().enumerate() {
        let entitlement = rowid_of(tx, "entitlements", p.1)?;
        tx.conn()
            .prepare_cached(
                "INSERT INTO payments (rowid, id, batch, entitlement, account, amount, currency, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
            )?
            .execute(params![first + n as i64, p.0, batch, entitlement, p.3, p.2, b.currency, rec.at])?;
    }
    tx.conn().execute(
        "UPDATE entitlements SET state = 'in_payment', updated_at = ?3
         WHERE rowid IN (SELECT entitlement FROM payments WHERE rowid BETWEEN ?1 AND ?2)",
        params![first, last, rec.at],
    )?;
    Ok(Effect::Applied)
}

/// One provider result, as reconciliation applies it: a first result pays or fails the payment and its
/// entitlement; a late success of a failed payment pays both if nothing else paid it since; a failure of a
/// paid payment reverses the payment only. Anything else leaves both as they are.
fn result(tx: &mut Tx<'_>, rec: &OpRecord, r: &PaymentResult) -> Result<usize> {
    let PaymentResult(payment, to, external_ref, reason) = r;
    let Some((rowid, state, entitlement)): Option<(i64, String, i64)> = tx
        .conn()
        .prepare_cached("SELECT rowid, state, entitlement FROM payments WHERE id = ?1")?
        .query_row([payment], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
    else {
        return Err(CoreError::InvalidInput(format!(
            "an op names payment {payment}, which this registry does not hold"
        )));
    };
    let from = PaymentState::parse(&state).unwrap_or(PaymentState::Queued);
    let entitlement_state: String = tx
        .conn()
        .prepare_cached("SELECT state FROM entitlements WHERE rowid = ?1")?
        .query_row([entitlement], |r| r.get(0))?;
    let entitlement_to = match (from, to) {
        (PaymentState::Queued | PaymentState::Sent, PaymentState::Paid) => Some("paid"),
        (PaymentState::Queued | PaymentState::Sent, PaymentState::Failed) => Some("failed"),
        (PaymentState::Failed, PaymentState::Paid) if entitlement_state == "failed" => Some("paid"),
        (PaymentState::Paid, PaymentState::Reversed) => None,
        _ => return Ok(0),
    };
    tx.conn()
        .prepare_cached(
            "UPDATE payments SET state = ?2, external_ref = coalesce(?3, external_ref), reason = ?4, updated_at = ?5
             WHERE rowid = ?1",
        )?
        .execute(params![rowid, to.as_str(), external_ref, reason, rec.at])?;
    if let Some(e) = entitlement_to {
        tx.conn()
            .prepare_cached("UPDATE entitlements SET state = ?2, reason = ?3, updated_at = ?4 WHERE rowid = ?1")?
            .execute(params![entitlement, e, if e == "failed" { reason.as_deref() } else { None }, rec.at])?;
    }
    Ok(1)
}

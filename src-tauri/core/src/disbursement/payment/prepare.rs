//! Preparing payments: a batch of payments for every approved entitlement and every failed one (paid
//! again), the payee's financial address copied onto each.

use std::sync::mpsc::{sync_channel, SyncSender};

use rusqlite::params;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::{batches_of, PaymentProgress};
use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::clock::{now_rfc3339, today};
use crate::disbursement::cycle::{self, StoredCycle};
use crate::disbursement::model::{CycleState, PaymentBatch};
use crate::disbursement::payee::PAYEE_ADDRESS;
use crate::error::{CoreError, Result};
use crate::store::{Store, Tx};
use br_model::op::{Op, PreparedBatch, PreparedPayment};

#[derive(Debug, Clone, Deserialize, TS)]
pub struct PreparePayments {
    pub cycle: Uuid,
    /// Payments per batch; 10,000 when absent.
    #[serde(default)]
    #[ts(optional)]
    pub batch_size: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct PrepareSummary {
    pub batches: Vec<PaymentBatch>,
    pub payments: u64,
    pub total: i64,
    /// Of the payments, how many pay again an entitlement whose last payment failed.
    pub retries: u64,
    /// Cash entitlements left approved because the payee has no financial address.
    pub without_address: u64,
    /// Approved entitlements that expired (valid-until passed) instead of being paid.
    pub expired: u64,
    pub elapsed_ms: u64,
}

/// An entitlement to pay, with what its payment copies.
struct Due {
    entitlement: i64,
    entitlement_id: Uuid,
    /// Its last payment failed: this one pays it again.
    retry: bool,
    address: Option<String>,
    amount: i64,
    currency: String,
}

/// Approved entitlements whose valid-until date (before `on`) has passed become `expired`. Returns how many.
fn expire_due(tx: &mut Tx<'_>, cycle: &StoredCycle, on: &str) -> Result<u64> {
    let n = tx.conn().execute(
        "UPDATE entitlements SET state = 'expired', updated_at = ?3 WHERE cycle = ?1 AND state = 'approved' AND valid_until < ?2",
        params![cycle.rowid, on, now_rfc3339()],
    )? as u64;
    if n > 0 {
        tx.append_op(&Op::EntitlementsExpired { cycle: cycle.cycle.id, on: on.to_string() }, None)?;
    }
    Ok(n)
}

/// Prepares payment batches for every approved entitlement and every failed one (paid again); expired
/// ones are set aside first. The payee's financial address is copied onto each payment.
///
/// The write transaction is open from the start, so nothing else changes the cycle meanwhile; a reader
/// thread finds what is due while this one writes the batches found so far (reading was a third of
/// preparing a million payments).
pub fn prepare(
    store: &Store,
    session: &Session,
    req: &PreparePayments,
    progress: &dyn Fn(&PaymentProgress),
) -> Result<PrepareSummary> {
    require(store, session, Permission::PaymentManage, "payment.prepare")?;
    let size = req.batch_size.unwrap_or(10_000).clamp(1, 1_000_000) as usize;
    let started = std::time::Instant::now();
    store.write_as(session.username(), |tx| {
        tx.defer_foreign_keys()?;
        let c = cycle::resolve(tx.conn(), req.cycle)?;
        if !matches!(c.cycle.state, CycleState::Approved | CycleState::Distributing) {
            return Err(CoreError::TransitionNotAllowed {
                entity: "cycle".into(),
                from: c.cycle.state.as_str().into(),
                to: "paying".into(),
            });
        }
        let on = today().to_string();
        let mut out = PrepareSummary { expired: expire_due(tx, &c, &on)?, ..Default::default() };
        let mut sequence: i64 = tx.conn().query_row(
            "SELECT ifnull(max(sequence), 0) FROM payment_batches WHERE cycle = ?1",
            [c.rowid],
            |r| r.get(0),
        )?;
        // The progress bar's end: the cycle's entitlements, read from the index alone. Counting only those
        // due would read every entitlement's row before the first payment.
        let entitlements: i64 =
            tx.conn().query_row("SELECT count(*) FROM entitlements WHERE cycle = ?1", [c.rowid], |r| r.get(0))?;
        let now = now_rfc3339();
        out.without_address = std::thread::scope(|scope| -> Result<u64> {
            let (send, receive) = sync_channel::<Vec<Due>>(2);
            let (cycle_rowid, on) = (c.rowid, on.as_str());
            let reader = scope.spawn(move || read_due(store, cycle_rowid, on, size, send));
            let written = (|| -> Result<()> {
                for chunk in receive.iter() {
                    sequence += 1;
                    write_batch(tx, session, &c, sequence, chunk, &now, &mut out)?;
                    let total = (entitlements as u64).max(out.payments);
                    progress(&PaymentProgress { phase: "preparing".into(), done: out.payments, total });
                }
                Ok(())
            })();
            // Dropping the receiver stops the reader if this side failed.
            drop(receive);
            let read = reader.join().map_err(|_| CoreError::Internal("the payment reader panicked".into()))?;
            written?;
            read
        })?;
        if c.cycle.state == CycleState::Approved && out.payments > 0 {
            cycle::set_state(tx, &c, CycleState::Distributing)?;
        }
        out.batches = batches_of(tx.conn(), c.rowid)?.into_iter().filter(|b| b.state == "prepared").collect();
        tx.audit(AuditEvent::new(session, "payment.prepare").on("cycle", c.cycle.id.to_string()).details(
            serde_json::json!({
                "program": c.cycle.program_code, "payments": out.payments, "total": out.total, "retries": out.retries,
                "without_address": out.without_address, "expired": out.expired,
            }),
        ))?;
        out.elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(out)
    })
}

/// Reads what is due on a reader connection and hands it to `send` `size` entitlements at a time, in
/// registrant order; returns how many cash entitlements have no address to pay. The reader sees the
/// registry as the writer's transaction found it, before `expire_due`, so it leaves out what that expired.
fn read_due(store: &Store, cycle: i64, on: &str, size: usize, send: SyncSender<Vec<Due>>) -> Result<u64> {
    store.read(|conn| {
        // Registrant order is the order of the (cycle, registrant) index the query walks: in entitlement
        // order SQLite sorted a million rows first (0.4 s). Cash needs somewhere to go; in-kind and
        // vouchers are handed over, so their "payment" is a delivery.
        let mut st = conn.prepare(&format!(
            "SELECT e.rowid, e.id, e.state = 'failed', e.kind = 'cash', {PAYEE_ADDRESS}, e.amount, e.currency
             FROM entitlements e JOIN registrants r ON r.rowid = e.registrant
             WHERE e.cycle = ?1 AND (e.state = 'failed' OR e.state = 'approved' AND e.valid_until >= ?2)
             ORDER BY e.registrant"
        ))?;
        let mut rows = st.query(params![cycle, on])?;
        let mut without_address = 0;
        let mut chunk = Vec::with_capacity(size.min(10_000));
        while let Some(r) = rows.next()? {
            let address: Option<String> = r.get(4)?;
            if r.get::<_, bool>(3)? && address.is_none() {
                without_address += 1;
                continue;
            }
            chunk.push(Due {
                entitlement: r.get(0)?,
                entitlement_id: r.get(1)?,
                retry: r.get(2)?,
                address,
                amount: r.get(5)?,
                currency: r.get(6)?,
            });
            if chunk.len() == size && send.send(std::mem::replace(&mut chunk, Vec::with_capacity(size))).is_err() {
                // The writer gave up (its own error): nothing more to do.
                return Err(CoreError::Cancelled);
            }
        }
        if !chunk.is_empty() && send.send(chunk).is_err() {
            return Err(CoreError::Cancelled);
        }
        Ok(without_address)
    })
}

/// Writes one batch: its payments, its entitlements `in_payment`, and its op.
fn write_batch(
    tx: &mut Tx<'_>,
    session: &Session,
    c: &StoredCycle,
    sequence: i64,
    chunk: Vec<Due>,
    now: &str,
    out: &mut PrepareSummary,
) -> Result<()> {
    let batch_id = Uuid::now_v7();
    let total: i64 = chunk.iter().map(|d| d.amount).sum();
    let first: i64 = tx.conn().query_row("SELECT ifnull(max(rowid), 0) + 1 FROM payments", [], |r| r.get(0))?;
    let last = first + chunk.len() as i64 - 1;
    let batch_rowid: i64 = tx.conn().query_row(
        "INSERT INTO payment_batches (id, cycle, sequence, count, total, first_payment, last_payment, created_by,
             created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING rowid",
        params![batch_id, c.rowid, sequence, chunk.len() as i64, total, first, last, session.username(), now],
        |r| r.get(0),
    )?;
    let mut insert = tx.conn().prepare_cached(
        "INSERT INTO payments (rowid, id, batch, entitlement, account, amount, currency, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    )?;
    let count = chunk.len() as u64;
    let mut op_rows = Vec::with_capacity(chunk.len());
    // Each address moves into the op once its payment is written, rather than being copied.
    for (n, d) in chunk.into_iter().enumerate() {
        let id = Uuid::now_v7();
        insert.execute(params![
            first + n as i64,
            id,
            batch_rowid,
            d.entitlement,
            d.address,
            d.amount,
            d.currency,
            now
        ])?;
        out.retries += d.retry as u64;
        op_rows.push(PreparedPayment(id, d.entitlement_id, d.amount, d.address));
    }
    drop(insert);
    // One statement for the batch's entitlements rather than one per payment.
    tx.conn().execute(
        "UPDATE entitlements SET state = 'in_payment', updated_at = ?3
         WHERE rowid IN (SELECT entitlement FROM payments WHERE rowid BETWEEN ?1 AND ?2)",
        params![first, last, now],
    )?;
    let prepared =
        PreparedBatch { id: batch_id, cycle: c.cycle.id, sequence, currency: c.cycle.currency.clone(), rows: op_rows };
    tx.append_op(&Op::PaymentsPrepared(prepared), None)?;
    out.payments += count;
    out.total += total;
    Ok(())
}

//! Payments: batches prepared from approved entitlements (and failed ones, paid again), the payment file a
//! provider receives, marking a batch sent, and the provider's reconciliation file. The file formats are in
//! `docs/payments.md`.

mod prepare;
mod reconcile;

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use super::cycle::{self, StoredCycle};
use super::entitlement::CYCLES_OF_REGISTRANT;
use super::model::{PaymentBatch, PaymentState, PaymentView};
use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::clock::now_rfc3339;
use crate::error::{CoreError, Result};
use crate::files::output::OutputFile;
use crate::io::export::neutralise;
use crate::money;
use crate::normalize::mask_tail;
use crate::registry::service::{resolve as resolve_registrant, RegistrantKey};
use crate::store::Store;
use br_model::op::Op;
pub use prepare::{prepare, PreparePayments, PrepareSummary};
pub use reconcile::{reconcile, ReconcileSummary, RECONCILE_COLUMNS};

#[derive(Debug, Clone, Serialize, TS)]
pub struct PaymentProgress {
    /// `preparing`, `reading` or `applying`.
    pub phase: String,
    pub done: u64,
    pub total: u64,
}

fn batch_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PaymentBatch> {
    Ok(PaymentBatch {
        id: r.get(0)?,
        cycle_id: r.get(1)?,
        sequence: r.get(2)?,
        state: r.get(3)?,
        count: r.get::<_, i64>(4)? as u64,
        total: r.get(5)?,
        created_by: r.get(6)?,
        created_at: r.get(7)?,
        sent_at: r.get(8)?,
    })
}

const BATCH_COLUMNS: &str = "b.id, c.id, b.sequence, b.state, b.count, b.total, b.created_by, b.created_at, b.sent_at";

pub(crate) fn batches_of(conn: &Connection, cycle: i64) -> Result<Vec<PaymentBatch>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {BATCH_COLUMNS} FROM payment_batches b JOIN cycles c ON c.rowid = b.cycle WHERE b.cycle = ?1 ORDER BY b.sequence"
    ))?;
    let rows = st.query_map([cycle], batch_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A batch: its rowid, the rowids of its first and last payments, its cycle and what the API shows.
fn resolve_batch(conn: &Connection, batch: Uuid) -> Result<(i64, (i64, i64), StoredCycle, PaymentBatch)> {
    let (rowid, first, last, cycle_id): (i64, i64, i64, Uuid) = conn
        .query_row(
            "SELECT b.rowid, b.first_payment, b.last_payment, c.id FROM payment_batches b JOIN cycles c ON c.rowid = b.cycle
             WHERE b.id = ?1",
            [batch],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?
        .ok_or_else(|| CoreError::not_found("payment batch"))?;
    let c = cycle::resolve(conn, cycle_id)?;
    let b = conn.query_row(
        &format!("SELECT {BATCH_COLUMNS} FROM payment_batches b JOIN cycles c ON c.rowid = b.cycle WHERE b.rowid = ?1"),
        [rowid],
        batch_from_row,
    )?;
    Ok((rowid, (first, last), c, b))
}

/// What the payment file export wrote.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PaymentFile {
    pub path: String,
    pub summary_path: String,
    pub payments: u64,
    pub total: i64,
    pub currency: String,
}

/// The columns of the payment file, in order (documented in `docs/payments.md`).
pub const PAYMENT_FILE_COLUMNS: [&str; 9] = [
    "payment_id",
    "batch_id",
    "batch_sequence",
    "beneficiary_reference",
    "financial_address",
    "amount_minor",
    "currency",
    "kind",
    "valid_until",
];

/// Writes a batch's payment file (CSV) and its summary beside it (`NAME.summary.csv`).
pub fn export_file(store: &Store, session: &Session, batch: Uuid, path: &Path, overwrite: bool) -> Result<PaymentFile> {
    require(store, session, Permission::PaymentManage, "payment.export")?;
    let summary_path = path.with_extension("summary.csv");
    // Both files complete or neither: a bank must never receive half a batch.
    let mut out = OutputFile::create(store.dir(), path, overwrite)?;
    let mut summary_out = OutputFile::create(store.dir(), &summary_path, overwrite)?;
    let file = store.read(|conn| {
        let (_, (first, last), c, b) = resolve_batch(conn, batch)?;
        let io = |e: std::io::Error| CoreError::io(format!("writing {}", path.display()), e);
        let mut w = csv::Writer::from_writer(out.file());
        w.write_record(PAYMENT_FILE_COLUMNS).map_err(|e| io(e.into()))?;
        let mut st = conn.prepare(
            "SELECT p.id, r.reference, p.account, p.amount, p.currency, e.kind, e.valid_until FROM payments p
             JOIN entitlements e ON e.rowid = p.entitlement JOIN registrants r ON r.rowid = e.registrant
             WHERE p.rowid BETWEEN ?1 AND ?2 ORDER BY p.rowid",
        )?;
        let mut rows = st.query([first, last])?;
        let mut n = 0u64;
        let mut total = 0i64;
        let batch_text = b.id.to_string();
        let seq = b.sequence.to_string();
        while let Some(r) = rows.next()? {
            let id: Uuid = r.get(0)?;
            let amount: i64 = r.get(3)?;
            let rec: [String; 9] = [
                id.to_string(),
                batch_text.clone(),
                seq.clone(),
                r.get(1)?,
                r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                amount.to_string(),
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ];
            let rec = rec.map(|cell| neutralise(&cell));
            w.write_record(&rec).map_err(|e| io(e.into()))?;
            n += 1;
            total = money::add(total, amount)?;
        }
        w.flush().map_err(io)?;
        let mut s = csv::Writer::from_writer(summary_out.file());
        s.write_record([
            "batch_id",
            "cycle_id",
            "program",
            "cycle",
            "batch_sequence",
            "payments",
            "total_minor",
            "currency",
            "prepared_by",
            "prepared_at",
        ])
        .map_err(|e| io(e.into()))?;
        let summary = [
            batch_text.as_str(),
            &c.cycle.id.to_string(),
            &c.cycle.program_code,
            &c.cycle.name,
            &seq,
            &n.to_string(),
            &total.to_string(),
            &c.cycle.currency,
            &b.created_by,
            &b.created_at,
        ];
        s.write_record(summary.map(neutralise)).map_err(|e| io(e.into()))?;
        s.flush().map_err(io)?;
        Ok(PaymentFile {
            path: path.display().to_string(),
            summary_path: summary_path.display().to_string(),
            payments: n,
            total,
            currency: c.cycle.currency,
        })
    })?;
    out.finish()?;
    summary_out.finish()?;
    store.write_as(session.username(), |tx| {
        tx.audit(
            AuditEvent::new(session, "payment.export")
                .on("payment_batch", batch.to_string())
                .details(serde_json::json!({ "payments": file.payments, "total": file.total, "personal_data": true })),
        )
    })?;
    Ok(file)
}

/// Marks a prepared batch as sent to the provider: its queued payments become `sent`.
pub fn mark_sent(store: &Store, session: &Session, batch: Uuid) -> Result<PaymentBatch> {
    require(store, session, Permission::PaymentManage, "payment.mark_sent")?;
    store.write_as(session.username(), |tx| {
        let (rowid, (first, last), _, b) = resolve_batch(tx.conn(), batch)?;
        if b.state != "prepared" {
            return Err(CoreError::TransitionNotAllowed {
                entity: "payment batch".into(),
                from: b.state,
                to: "sent".into(),
            });
        }
        let now = now_rfc3339();
        tx.conn()
            .execute("UPDATE payment_batches SET state = 'sent', sent_at = ?2 WHERE rowid = ?1", params![rowid, now])?;
        tx.conn().execute(
            "UPDATE payments SET state = 'sent', updated_at = ?3 WHERE rowid BETWEEN ?1 AND ?2 AND state = 'queued'",
            params![first, last, now],
        )?;
        tx.append_op(&Op::PaymentBatchSent { id: batch }, None)?;
        tx.audit(AuditEvent::new(session, "payment.mark_sent").on("payment_batch", batch.to_string()))?;
        let (_, _, _, b) = resolve_batch(tx.conn(), batch)?;
        Ok(b)
    })
}

/// Every payment of a registrant, newest first: the beneficiary page's Payments tab.
pub fn of_registrant(store: &Store, session: &Session, key: &RegistrantKey, reveal: bool) -> Result<Vec<PaymentView>> {
    require(store, session, Permission::RegistryRead, "registrant.payments")?;
    if !reveal {
        return store.read(|c| of_registrant_in(c, key, false));
    }
    require(store, session, Permission::PersonalDataReveal, "registrant.reveal")?;
    let (registrant, payments) =
        store.read(|c| Ok((resolve_registrant(c, key)?.id, of_registrant_in(c, key, true)?)))?;
    store.write_as(session.username(), |tx| {
        tx.audit(
            AuditEvent::new(session, "registrant.reveal")
                .on("registrant", registrant.to_string())
                .details(serde_json::json!({ "fields": ["payment accounts"] })),
        )
    })?;
    Ok(payments)
}

pub fn of_registrant_in(conn: &Connection, key: &RegistrantKey, reveal: bool) -> Result<Vec<PaymentView>> {
    let r = resolve_registrant(conn, key)?;
    let mut st = conn.prepare_cached(&format!(
        "SELECT pay.id, b.id, b.sequence, e.id, c.name, p.code, pay.account, pay.amount, pay.currency, pay.state,
                pay.external_ref, pay.reason, pay.created_at, pay.updated_at
         FROM entitlements e JOIN payments pay ON pay.entitlement = e.rowid
         JOIN payment_batches b ON b.rowid = pay.batch JOIN cycles c ON c.rowid = e.cycle JOIN programs p ON p.rowid = c.program
         WHERE e.cycle IN ({CYCLES_OF_REGISTRANT}) AND e.registrant = ?1 ORDER BY pay.rowid DESC"
    ))?;
    let rows = st.query_map([r.rowid], |row| {
        let account: Option<String> = row.get(6)?;
        Ok(PaymentView {
            id: row.get(0)?,
            batch_id: row.get(1)?,
            batch_sequence: row.get(2)?,
            entitlement_id: row.get(3)?,
            cycle_name: row.get(4)?,
            program_code: row.get(5)?,
            account: account.map(|a| if reveal { a } else { mask_tail(&a, 3) }),
            amount: row.get(7)?,
            currency: row.get(8)?,
            state: PaymentState::parse(&row.get::<_, String>(9)?).unwrap_or(PaymentState::Queued),
            external_ref: row.get(10)?,
            reason: row.get(11)?,
            created_at: row.get(12)?,
            updated_at: row.get(13)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

//! Payments: batches prepared from approved entitlements (and failed ones, paid again), the payment file a
//! provider receives, marking a batch sent, and the provider's reconciliation file. The file formats are in
//! `docs/payments.md`.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::cycle::{self, StoredCycle};
use super::entitlement::CYCLES_OF_REGISTRANT;
use super::model::{CycleState, PaymentBatch, PaymentState, PaymentView};
use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::clock::{now_rfc3339, today};
use crate::error::{CoreError, Result};
use crate::files::output::OutputFile;
use crate::io::export::neutralise;
use crate::money;
use crate::normalize::mask_tail;
use crate::registry::service::{resolve as resolve_registrant, RegistrantKey};
use crate::store::{Store, Tx};
use br_model::op::{Op, PaymentResult, PreparedBatch, PreparedPayment};

/// Rows per transaction and per change-log op while reconciling.
const CHUNK: usize = 20_000;

#[derive(Debug, Clone, Serialize, TS)]
pub struct PaymentProgress {
    /// `preparing`, `reading` or `applying`.
    pub phase: String,
    pub done: u64,
    pub total: u64,
}

/// Approved entitlements whose valid-until date has passed become `expired`. Returns how many.
pub(crate) fn expire_due(tx: &mut Tx<'_>, cycle: &StoredCycle) -> Result<u64> {
    let on = today().to_string();
    let n = tx.conn().execute(
        "UPDATE entitlements SET state = 'expired', updated_at = ?3 WHERE cycle = ?1 AND state = 'approved' AND valid_until < ?2",
        params![cycle.rowid, on, now_rfc3339()],
    )? as u64;
    if n > 0 {
        tx.append_op(&Op::EntitlementsExpired { cycle: cycle.cycle.id, on }, None)?;
    }
    Ok(n)
}

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

/// Prepares payment batches for every approved entitlement and every failed one (paid again); expired
/// ones are set aside first. The payee's financial address is copied onto each payment.
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
        let mut out = PrepareSummary { expired: expire_due(tx, &c)?, ..Default::default() };
        // Cash needs somewhere to go; in-kind and vouchers are handed over, so their "payment" is a delivery.
        // The payee: the registrant's own financial address, else their household head's (a child's grant
        // goes to the caregiver; a household's to its head).
        let mut st = tx.conn().prepare(
            "SELECT e.rowid, e.state, e.kind,
                    coalesce(r.financial_address, (
                        SELECT h.financial_address FROM memberships mh JOIN registrants h ON h.rowid = mh.individual_rowid
                        WHERE mh.is_head = 1 AND mh.end_date IS NULL AND mh.group_rowid = CASE WHEN r.kind = 'group'
                            THEN r.rowid
                            ELSE (SELECT m.group_rowid FROM memberships m WHERE m.individual_rowid = r.rowid AND m.end_date IS NULL LIMIT 1)
                        END)),
                    e.amount, e.currency, e.id
             FROM entitlements e JOIN registrants r ON r.rowid = e.registrant
             WHERE e.cycle = ?1 AND e.state IN ('approved', 'failed') ORDER BY e.rowid",
        )?;
        let mut due: Vec<(i64, bool, Option<String>, i64, String, Uuid)> = Vec::new();
        let rows = st.query_map([c.rowid], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Uuid>(6)?,
            ))
        })?;
        for row in rows {
            let (rowid, state, kind, address, amount, currency, entitlement) = row?;
            if kind == "cash" && address.is_none() {
                out.without_address += 1;
                continue;
            }
            due.push((rowid, state == "failed", address, amount, currency, entitlement));
        }
        drop(st);
        let mut sequence: i64 = tx.conn().query_row(
            "SELECT ifnull(max(sequence), 0) FROM payment_batches WHERE cycle = ?1",
            [c.rowid],
            |r| r.get(0),
        )?;
        let now = now_rfc3339();
        let total_due = due.len() as u64;
        for chunk in due.chunks(size) {
            sequence += 1;
            let batch_id = Uuid::now_v7();
            let total: i64 = chunk.iter().map(|d| d.3).sum();
            let first: i64 =
                tx.conn().query_row("SELECT ifnull(max(rowid), 0) + 1 FROM payments", [], |r| r.get(0))?;
            let last = first + chunk.len() as i64 - 1;
            let batch_rowid: i64 = tx.conn().query_row(
                "INSERT INTO payment_batches (id, cycle, sequence, count, total, first_payment, last_payment, created_by,
                     created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING rowid",
                params![batch_id, c.rowid, sequence, chunk.len() as i64, total, first, last, session.username(), now],
                |r| r.get(0),
            )?;
            let mut ins = tx.conn().prepare_cached(
                "INSERT INTO payments (rowid, id, batch, entitlement, account, amount, currency, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
            )?;
            let mut op_rows = Vec::with_capacity(chunk.len());
            for (n, (rowid, retry, address, amount, currency, entitlement)) in chunk.iter().enumerate() {
                let id = Uuid::now_v7();
                ins.execute(params![first + n as i64, id, batch_rowid, rowid, address, amount, currency, now])?;
                out.retries += *retry as u64;
                op_rows.push(PreparedPayment(id, *entitlement, *amount, address.clone()));
            }
            drop(ins);
            // One statement for the batch's entitlements rather than one per payment.
            tx.conn().execute(
                "UPDATE entitlements SET state = 'in_payment', updated_at = ?3
                 WHERE rowid IN (SELECT entitlement FROM payments WHERE rowid BETWEEN ?1 AND ?2)",
                params![first, last, now],
            )?;
            let prepared =
                PreparedBatch { id: batch_id, cycle: c.cycle.id, sequence, currency: c.cycle.currency.clone(), rows: op_rows };
            tx.append_op(&Op::PaymentsPrepared(prepared), None)?;
            out.payments += chunk.len() as u64;
            out.total += total;
            progress(&PaymentProgress { phase: "preparing".into(), done: out.payments, total: total_due });
        }
        if c.cycle.state == CycleState::Approved && out.payments > 0 {
            cycle::set_state(tx, &c, CycleState::Distributing)?;
        }
        out.batches = batches_of(tx.conn(), c.rowid)?.into_iter().filter(|b| b.state == "prepared").collect();
        tx.audit(AuditEvent::new(session, "payment.prepare").on("cycle", c.cycle.id.to_string()).details(serde_json::json!({
            "program": c.cycle.program_code, "payments": out.payments, "total": out.total, "retries": out.retries,
            "without_address": out.without_address, "expired": out.expired,
        })))?;
        out.elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(out)
    })
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

/// What importing a reconciliation file did. Nothing is applied twice; nothing paid goes backwards.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct ReconcileSummary {
    pub rows: u64,
    pub paid: u64,
    pub failed: u64,
    /// Paid payments the provider now reports failed: kept as reversals for a person to follow up.
    pub reversed: u64,
    /// Rows repeating a result already recorded (in this file or an earlier one).
    pub repeated: u64,
    /// Rows naming no payment of this registry: skipped.
    pub unknown: u64,
    /// Rows that cannot be read (bad id or status): skipped.
    pub invalid: u64,
    /// Up to 20 skipped rows: line and why.
    pub problems: Vec<(u64, String)>,
    pub elapsed_ms: u64,
}

/// The columns a reconciliation file must have (others are ignored).
pub const RECONCILE_COLUMNS: [&str; 4] = ["payment_id", "status", "external_ref", "reason"];

struct ResultRow {
    line: u64,
    payment: Uuid,
    paid: bool,
    external_ref: Option<String>,
    reason: Option<String>,
}

fn problem(out: &mut ReconcileSummary, line: u64, why: String) {
    if out.problems.len() < 20 {
        out.problems.push((line, why));
    }
}

fn read_results(path: &Path, out: &mut ReconcileSummary, cancel: &AtomicBool) -> Result<Vec<ResultRow>> {
    let bad = |why: String| CoreError::ImportFileInvalid(why);
    let mut r = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .map_err(|e| CoreError::io(format!("reading {}", path.display()), std::io::Error::other(e.to_string())))?;
    let headers = r.headers().map_err(|e| bad(e.to_string()))?.clone();
    let col =
        |name: &str| headers.iter().position(|h| h.trim().trim_start_matches('\u{feff}').eq_ignore_ascii_case(name));
    let (Some(id_col), Some(status_col)) = (col("payment_id"), col("status")) else {
        return Err(bad("the file needs the columns payment_id and status (see docs/payments.md)".into()));
    };
    let (ref_col, reason_col) = (col("external_ref"), col("reason"));
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut line = 1u64;
    loop {
        match r.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(bad(format!("line {}: {e}", line + 1))),
        }
        line += 1;
        if line.is_multiple_of(65_536) && cancel.load(Ordering::Relaxed) {
            return Err(CoreError::Cancelled);
        }
        out.rows += 1;
        let field = |i: Option<usize>| {
            i.and_then(|i| record.get(i)).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
        };
        let Ok(payment) = Uuid::parse_str(record.get(id_col).unwrap_or("").trim()) else {
            out.invalid += 1;
            problem(out, line, "payment_id is not a payment id".into());
            continue;
        };
        let paid = match record.get(status_col).unwrap_or("").trim().to_ascii_lowercase().as_str() {
            "paid" | "success" | "succeeded" => true,
            "failed" | "failure" | "rejected" => false,
            _ => {
                out.invalid += 1;
                problem(out, line, "status is neither paid nor failed".into());
                continue;
            }
        };
        rows.push(ResultRow { line, payment, paid, external_ref: field(ref_col), reason: field(reason_col) });
    }
    Ok(rows)
}

/// Imports a provider's report: each row marks one payment paid or failed, and its entitlement with it.
/// A row for an unknown payment is reported and skipped; a repeated row changes nothing; a paid payment
/// reported failed later becomes `reversed` (its entitlement stays paid, which is final, and the reversal
/// is listed for a person to follow up).
pub fn reconcile(
    store: &Store,
    session: &Session,
    path: &Path,
    progress: &dyn Fn(&PaymentProgress),
    cancel: &AtomicBool,
) -> Result<ReconcileSummary> {
    require(store, session, Permission::PaymentManage, "payment.reconcile")?;
    let started = std::time::Instant::now();
    let mut out = ReconcileSummary::default();
    progress(&PaymentProgress { phase: "reading".into(), done: 0, total: 0 });
    let mut rows = read_results(path, &mut out, cancel)?;
    // Payment ids are time-ordered like the rows they name: in that order the updates walk the tables'
    // pages once instead of at random.
    rows.sort_by_key(|r| (r.payment, r.line));
    let total = rows.len() as u64;
    let mut done = 0u64;
    for chunk in rows.chunks(CHUNK) {
        if cancel.load(Ordering::Relaxed) {
            out.elapsed_ms = started.elapsed().as_millis() as u64;
            return Err(CoreError::Cancelled);
        }
        store.write_as(session.username(), |tx| {
            tx.defer_foreign_keys()?;
            apply_chunk(tx, session, chunk, &mut out)
        })?;
        done += chunk.len() as u64;
        progress(&PaymentProgress { phase: "applying".into(), done, total });
    }
    out.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(out)
}

fn apply_chunk(tx: &mut Tx<'_>, session: &Session, chunk: &[ResultRow], out: &mut ReconcileSummary) -> Result<()> {
    let now = now_rfc3339();
    let mut applied = Vec::new();
    {
        let mut find = tx.conn().prepare_cached("SELECT rowid, state, entitlement FROM payments WHERE id = ?1")?;
        // Read only for the rare late success of a failed payment.
        let mut entitlement_state = tx.conn().prepare_cached("SELECT state FROM entitlements WHERE rowid = ?1")?;
        let mut set_payment = tx.conn().prepare_cached(
            "UPDATE payments SET state = ?2, external_ref = coalesce(?3, external_ref), reason = ?4, updated_at = ?5
             WHERE rowid = ?1",
        )?;
        let mut set_entitlement = tx
            .conn()
            .prepare_cached("UPDATE entitlements SET state = ?2, reason = ?3, updated_at = ?4 WHERE rowid = ?1")?;
        // No `UPDATE … RETURNING` for the common case: SQLite gathers returned rows in a temporary B-tree
        // that it opens and closes for every statement, a quarter of a reconciliation's time.
        for row in chunk {
            let Some((rowid, state, entitlement)) = find
                .query_row([row.payment], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))
                .optional()?
            else {
                out.unknown += 1;
                problem(out, row.line, "no such payment in this registry".into());
                continue;
            };
            let from = PaymentState::parse(&state).unwrap_or(PaymentState::Queued);
            let (to, entitlement_to) = match (from, row.paid) {
                // A first result for a payment out with the provider: the common case.
                (PaymentState::Queued | PaymentState::Sent, true) => (PaymentState::Paid, Some("paid")),
                (PaymentState::Queued | PaymentState::Sent, false) => (PaymentState::Failed, Some("failed")),
                // A late success of a failed payment counts only if nothing else has paid it since.
                (PaymentState::Failed, true)
                    if entitlement_state.query_row([entitlement], |r| r.get::<_, String>(0))? == "failed" =>
                {
                    (PaymentState::Paid, Some("paid"))
                }
                (PaymentState::Paid, false) => (PaymentState::Reversed, None),
                (PaymentState::Paid, true) | (PaymentState::Failed, false) | (PaymentState::Reversed, _) => {
                    out.repeated += 1;
                    continue;
                }
                (PaymentState::Failed, true) => {
                    out.repeated += 1;
                    problem(
                        out,
                        row.line,
                        "paid reported after the entitlement was prepared again; left as failed".into(),
                    );
                    continue;
                }
            };
            set_payment.execute(params![rowid, to.as_str(), row.external_ref, row.reason, now])?;
            if let Some(e) = entitlement_to {
                set_entitlement.execute(params![
                    entitlement,
                    e,
                    if e == "failed" { row.reason.as_deref() } else { None },
                    now
                ])?;
            }
            match to {
                PaymentState::Paid => out.paid += 1,
                PaymentState::Failed => out.failed += 1,
                _ => out.reversed += 1,
            }
            applied.push(PaymentResult(row.payment, to, row.external_ref.clone(), row.reason.clone()));
        }
    }
    if applied.is_empty() {
        return Ok(());
    }
    let count = applied.len();
    tx.append_op(&Op::PaymentResults { results: applied }, None)?;
    tx.audit(AuditEvent::new(session, "payment.reconcile").details(serde_json::json!({
        "applied": count, "paid": out.paid, "failed": out.failed, "reversed": out.reversed,
    })))?;
    Ok(())
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

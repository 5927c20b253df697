//! The provider's reconciliation file: each row marks one payment paid or failed, and its entitlement with
//! it (format in `docs/payments.md`).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use super::PaymentProgress;
use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::clock::now_rfc3339;
use crate::disbursement::model::PaymentState;
use crate::error::{CoreError, Result};
use crate::store::{Store, Tx};
use br_model::op::{Op, PaymentResult};

/// Rows per transaction and per change-log op while reconciling.
const CHUNK: usize = 20_000;

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

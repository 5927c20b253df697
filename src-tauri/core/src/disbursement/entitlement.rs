//! Entitlements: generated as drafts for every member of a draft cycle from the program's entitlement
//! rule, edited one at a time (audited), listed per cycle and per beneficiary.
//!
//! Generation writes every entitlement in one transaction while a reader thread evaluates the expression;
//! if the expression fails or gives an invalid amount for anyone, or on a cancel or a crash, nothing is
//! kept and the cycle stays as it was.

use std::sync::atomic::{AtomicBool, Ordering};

use rand::Rng;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::cycle::{self, StoredCycle};
use super::model::{ApprovalRecord, CycleState, EntitlementKind, EntitlementRule, EntitlementState, EntitlementView};
use super::settings::{applicable_stages, compile_expression, effective_stages};
use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::clock::now_rfc3339;
use crate::error::{CoreError, Result};
use crate::money;
use crate::program::rules::Evaluator;
use crate::program::select::{Scope, Selection};
use crate::program::service::{resolve as resolve_program, ProgramKey};
use crate::registry::service::{resolve as resolve_registrant, RegistrantKey};
use crate::registry::settings::parse_date;
use crate::store::Store;
use br_model::op::{GeneratedEntitlement, GeneratedEntitlements, Op};

mod list;
pub use list::{list, EntitlementsPage, EntitlementsQuery};

/// Entitlements per change-log op and per progress report.
pub(crate) const BATCH: usize = 10_000;

/// Progress of generation.
#[derive(Debug, Clone, Serialize, TS)]
pub struct GenerationProgress {
    /// `writing`: entitlements written so far, of the cycle's members.
    pub phase: String,
    pub done: u64,
    pub total: u64,
}

#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct GenerationSummary {
    pub members: u64,
    pub generated: u64,
    /// Members who are disabled: no entitlement.
    pub skipped: u64,
    pub total_amount: i64,
    pub total_fee: i64,
    pub total_quantity: i64,
    /// How long evaluating the expression for everyone took, alongside the writing.
    pub evaluate_ms: u64,
    pub elapsed_ms: u64,
}

/// One evaluated member, waiting to be written.
struct Draft {
    registrant: i64,
    registrant_id: Uuid,
    value: i64,
}

fn voucher_code(rng: &mut impl Rng) -> String {
    // Crockford's alphabet: no I, L, O or U to misread at a counter. 12 characters, 60 bits.
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    (0..12).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// What evaluating a cycle's members found wrong.
#[derive(Default)]
struct Evaluation {
    failed: u64,
    examples: Vec<(String, String)>,
    elapsed_ms: u64,
}

/// Evaluates the expression for every member of the cycle on a reader connection, handing the amounts
/// to `send` a batch at a time in registrant order. Stops sending at the first failure but goes on
/// counting failures, so the error can say how many.
fn evaluate(
    store: &Store,
    target: crate::registry::model::RegistrantKind,
    expression: &str,
    cycle: i64,
    cancel: &AtomicBool,
    send: std::sync::mpsc::SyncSender<Vec<Draft>>,
) -> Result<Evaluation> {
    let started = std::time::Instant::now();
    store.read(|conn| {
        let compiled = compile_expression(conn, target, expression)?;
        let evaluator = Evaluator::new(&compiled);
        let selection = Selection { rule: &compiled, score: None, target, scope: Scope::Cycle(cycle) };
        let mut out = Evaluation::default();
        let mut chunk = Vec::with_capacity(BATCH);
        selection.subjects(conn, cancel, |rowid, id, reference, subject| {
            match evaluator.amount(&subject) {
                Ok(value) if out.failed == 0 => {
                    chunk.push(Draft { registrant: rowid, registrant_id: id, value });
                    if chunk.len() == BATCH
                        && send.send(std::mem::replace(&mut chunk, Vec::with_capacity(BATCH))).is_err()
                    {
                        // The writer gave up (its own error): nothing more to do.
                        return Err(CoreError::Cancelled);
                    }
                }
                Ok(_) => {}
                Err(why) => {
                    out.failed += 1;
                    if out.examples.len() < 20 {
                        out.examples.push((reference, why));
                    }
                }
            }
            Ok(())
        })?;
        if out.failed == 0 && !chunk.is_empty() {
            let _ = send.send(chunk);
        }
        out.elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(out)
    })
}

/// Generates a draft cycle's entitlements from the program's rule, replacing any drafts it had.
///
/// The write transaction is open from the start, so nothing else changes the cycle meanwhile; a reader
/// thread evaluates the expression while this one writes what it has evaluated so far. If the expression
/// fails for anyone, or on a cancel, the transaction is rolled back and nothing was generated.
pub fn generate(
    store: &Store,
    session: &Session,
    cycle: Uuid,
    progress: &dyn Fn(&GenerationProgress),
    cancel: &AtomicBool,
) -> Result<GenerationSummary> {
    require(store, session, Permission::CycleManage, "cycle.generate")?;
    let started = std::time::Instant::now();
    store.write_as(session.username(), |tx| {
        tx.defer_foreign_keys()?;
        let c = cycle::resolve(tx.conn(), cycle)?;
        require_draft(&c)?;
        let p = resolve_program(tx.conn(), &ProgramKey::Id(c.cycle.program_id))?;
        let rule = p.program.disbursement.entitlement.clone().ok_or_else(|| {
            CoreError::InvalidInput(format!("program {} has no entitlement rule yet", p.program.code))
        })?;
        // Checked here too, so a bad expression fails before any thread starts.
        compile_expression(tx.conn(), p.program.target, &rule.expression)?;
        let members: i64 =
            tx.conn().query_row("SELECT count(*) FROM cycle_members WHERE cycle = ?1", [c.rowid], |r| r.get(0))?;
        let members = members as u64;
        if tx.conn().execute("DELETE FROM entitlements WHERE cycle = ?1", [c.rowid])? > 0 {
            tx.append_op(&Op::EntitlementsDiscarded { cycle: c.cycle.id }, None)?;
        }
        let start = parse_date(&c.cycle.start_date).ok_or_else(|| CoreError::Internal("cycle start date".into()))?;
        let end = parse_date(&c.cycle.end_date).ok_or_else(|| CoreError::Internal("cycle end date".into()))?;
        let valid_until = end
            .checked_add(time::Duration::days(i64::from(rule.validity_days)))
            .ok_or_else(|| CoreError::InvalidInput("the entitlement's validity ends after the calendar does".into()))?
            .to_string();
        let valid_from = start.to_string();
        let now = now_rfc3339();
        let mut rng = rand::rng();
        let mut summary = GenerationSummary { members, ..Default::default() };
        let evaluation = std::thread::scope(|scope| -> Result<Evaluation> {
            let (send, receive) = std::sync::mpsc::sync_channel::<Vec<Draft>>(4);
            let (target, expression, cycle_rowid) = (p.program.target, rule.expression.as_str(), c.rowid);
            let evaluator = scope.spawn(move || evaluate(store, target, expression, cycle_rowid, cancel, send));
            let written = (|| -> Result<()> {
                for batch in receive.iter() {
                    if cancel.load(Ordering::Relaxed) {
                        return Err(CoreError::Cancelled);
                    }
                    let mut op_rows = Vec::with_capacity(batch.len());
                    let mut insert = tx.conn().prepare_cached(
                        "INSERT INTO entitlements (id, cycle, registrant, kind, amount, fee, currency, product, quantity,
                             unit, voucher_code, valid_from, valid_until, state, version, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'draft', 0, ?14)",
                    )?;
                    for d in &batch {
                        let (amount, quantity) = match rule.kind {
                            EntitlementKind::InKind => (0, Some(d.value)),
                            _ => (d.value, None),
                        };
                        let fee = rule.fee.as_ref().map(|f| f.on(amount)).unwrap_or(0);
                        let code = (rule.kind == EntitlementKind::Voucher).then(|| voucher_code(&mut rng));
                        let id = Uuid::now_v7();
                        insert.execute(params![
                            id,
                            c.rowid,
                            d.registrant,
                            rule.kind.as_str(),
                            amount,
                            fee,
                            c.cycle.currency,
                            rule.product,
                            quantity,
                            rule.unit,
                            code,
                            valid_from,
                            valid_until,
                            now
                        ])?;
                        summary.total_amount = money::add(summary.total_amount, amount)?;
                        summary.total_fee = money::add(summary.total_fee, fee)?;
                        summary.total_quantity = money::add(summary.total_quantity, quantity.unwrap_or(0))?;
                        op_rows.push(GeneratedEntitlement(id, d.registrant_id, amount, fee, quantity, code));
                    }
                    drop(insert);
                    let page = GeneratedEntitlements {
                        cycle: c.cycle.id,
                        kind: rule.kind,
                        currency: c.cycle.currency.clone(),
                        product: rule.product.clone(),
                        unit: rule.unit.clone(),
                        valid_from: valid_from.clone(),
                        valid_until: valid_until.clone(),
                        rows: op_rows,
                    };
                    tx.append_op(&Op::EntitlementsGenerated(page), None)?;
                    summary.generated += batch.len() as u64;
                    progress(&GenerationProgress { phase: "writing".into(), done: summary.generated, total: members });
                }
                Ok(())
            })();
            // Dropping the receiver stops the evaluator if this side failed.
            drop(receive);
            let evaluated = evaluator.join().map_err(|_| CoreError::Internal("the evaluation thread panicked".into()))?;
            written?;
            evaluated
        })?;
        if evaluation.failed > 0 {
            return Err(CoreError::EntitlementInvalid { count: evaluation.failed, examples: evaluation.examples });
        }
        summary.evaluate_ms = evaluation.elapsed_ms;
        summary.skipped = members - summary.generated;
        tx.conn().execute(
            "UPDATE cycles SET prepared_by = ?1, updated_at = ?2 WHERE rowid = ?3",
            params![session.username(), now, c.rowid],
        )?;
        let after = cycle::resolve(tx.conn(), cycle)?;
        cycle::write_op(tx, &after, &Op::CyclePrepared { id: after.cycle.id })?;
        tx.audit(AuditEvent::new(session, "cycle.generate").on("cycle", cycle.to_string()).details(serde_json::json!({
            "program": c.cycle.program_code, "rule": rule, "generated": summary.generated,
            "total_amount": summary.total_amount, "total_fee": summary.total_fee,
        })))?;
        summary.elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(summary)
    })
}

fn require_draft(c: &StoredCycle) -> Result<()> {
    if c.cycle.state != CycleState::Draft {
        return Err(CoreError::TransitionNotAllowed {
            entity: "cycle".into(),
            from: c.cycle.state.as_str().into(),
            to: "changing entitlements".into(),
        });
    }
    Ok(())
}

/// A person's correction of one draft entitlement.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct EditEntitlement {
    pub entitlement: Uuid,
    /// Minor units (cash, voucher) or quantity (in-kind).
    pub value: i64,
    pub reason: String,
}

pub fn edit(store: &Store, session: &Session, req: &EditEntitlement) -> Result<EntitlementView> {
    require(store, session, Permission::CycleManage, "entitlement.edit")?;
    if req.value < 0 {
        return Err(CoreError::InvalidInput("an amount or quantity cannot be negative".into()));
    }
    if req.value > money::MAX_MINOR {
        return Err(CoreError::InvalidInput(format!("an amount or quantity is at most {}", money::MAX_MINOR)));
    }
    let reason = req.reason.trim();
    if reason.is_empty() {
        return Err(CoreError::InvalidInput("say why the entitlement changes".into()));
    }
    store.write_as(session.username(), |tx| {
        let (rowid, cycle_id, kind, amount, quantity, state): (i64, Uuid, String, i64, Option<i64>, String) = tx
            .conn()
            .query_row(
                "SELECT e.rowid, c.id, e.kind, e.amount, e.quantity, e.state FROM entitlements e
                 JOIN cycles c ON c.rowid = e.cycle WHERE e.id = ?1",
                [req.entitlement],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
            )
            .optional()?
            .ok_or_else(|| CoreError::not_found("entitlement"))?;
        let c = cycle::resolve(tx.conn(), cycle_id)?;
        require_draft(&c)?;
        if state != EntitlementState::Draft.as_str() {
            return Err(CoreError::TransitionNotAllowed {
                entity: "entitlement".into(),
                from: state,
                to: "edited".into(),
            });
        }
        let p = resolve_program(tx.conn(), &ProgramKey::Id(c.cycle.program_id))?;
        let fee_rule = p.program.disbursement.entitlement.as_ref().and_then(|r: &EntitlementRule| r.fee.clone());
        let in_kind = kind == EntitlementKind::InKind.as_str();
        let (new_amount, new_quantity) = if in_kind { (0, Some(req.value)) } else { (req.value, None) };
        let fee = fee_rule.map(|f| f.on(new_amount)).unwrap_or(0);
        let edited = Op::EntitlementEdited {
            id: req.entitlement,
            amount: new_amount,
            fee,
            quantity: new_quantity,
            reason: reason.to_string(),
        };
        let version = tx.append_op(&edited, None)?;
        tx.conn().execute(
            "UPDATE entitlements SET amount = ?1, fee = ?2, quantity = ?3, reason = ?4, version = ?5, updated_at = ?6,
                 edited_by = ?8
             WHERE rowid = ?7",
            params![new_amount, fee, new_quantity, reason, version, now_rfc3339(), rowid, session.username()],
        )?;
        tx.audit(AuditEvent::new(session, "entitlement.edit").on("entitlement", req.entitlement.to_string()).details(
            serde_json::json!({
                "cycle": cycle_id, "before": { "amount": amount, "quantity": quantity },
                "after": { "amount": new_amount, "quantity": new_quantity }, "reason": reason,
            }),
        ))?;
        view(tx.conn(), rowid)
    })
}

pub(crate) const VIEW_COLUMNS: &str =
    "e.rowid, e.id, c.id, c.name, p.code, p.name, r.id, r.reference, e.kind, e.amount, \
     e.fee, e.currency, e.product, e.quantity, e.unit, e.voucher_code, e.valid_from, e.valid_until, e.state, e.stage, \
     e.reason, e.updated_at, e.cycle, p.approval_stages";

/// The cycles a registrant can have entitlements in: those of the programs they are a member of. With
/// `e.registrant = ?1` this probes the (cycle, registrant) index once per cycle.
pub(crate) const CYCLES_OF_REGISTRANT: &str =
    "SELECT cy.rowid FROM program_memberships pm JOIN cycles cy ON cy.program = pm.program WHERE pm.registrant = ?1";

pub(crate) const VIEW_FROM: &str = "FROM entitlements e JOIN cycles c ON c.rowid = e.cycle \
     JOIN programs p ON p.rowid = c.program JOIN registrants r ON r.rowid = e.registrant";

/// An entitlement row, with the cycle rowid and the program's stages to find its approvals.
pub(crate) fn view_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(EntitlementView, i64, i64, String)> {
    let kind = EntitlementKind::parse(&r.get::<_, String>(8)?).unwrap_or(EntitlementKind::Cash);
    let id: Uuid = r.get(1)?;
    let amount: i64 = r.get(9)?;
    let currency: String = r.get(11)?;
    let code: Option<String> = r.get(15)?;
    let valid_until: String = r.get(17)?;
    let qr_payload = code.as_ref().map(|c| format!("BRV1|{c}|{amount}|{currency}|{valid_until}|{id}"));
    Ok((
        EntitlementView {
            id,
            cycle_id: r.get(2)?,
            cycle_name: r.get(3)?,
            program_code: r.get(4)?,
            program_name: r.get(5)?,
            registrant_id: r.get(6)?,
            reference: r.get(7)?,
            kind,
            amount,
            fee: r.get(10)?,
            currency,
            product: r.get(12)?,
            quantity: r.get(13)?,
            unit: r.get(14)?,
            voucher_code: code,
            qr_payload,
            valid_from: r.get(16)?,
            valid_until,
            state: EntitlementState::parse(&r.get::<_, String>(18)?).unwrap_or(EntitlementState::Draft),
            stage: r.get(19)?,
            reason: r.get(20)?,
            updated_at: r.get(21)?,
            approvals: Vec::new(),
        },
        r.get(0)?,
        r.get(22)?,
        r.get(23)?,
    ))
}

pub(crate) fn approval_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApprovalRecord> {
    Ok(ApprovalRecord {
        id: r.get(0)?,
        stage: r.get(1)?,
        decision: r.get(2)?,
        actor: r.get(3)?,
        role: r.get(4)?,
        comment: r.get(5)?,
        entitlement_id: r.get(6)?,
        count: r.get::<_, i64>(7)? as u64,
        total: r.get(8)?,
        at: r.get(9)?,
    })
}

pub(crate) const APPROVAL_COLUMNS: &str =
    "a.id, a.stage, a.decision, a.actor, a.role, a.comment, e.id, a.count, a.total, a.at";

/// The decisions that applied to one entitlement: those made on it, and the latest decision on the
/// whole cycle for each stage it has passed.
fn approvals_of(
    conn: &Connection,
    v: &EntitlementView,
    rowid: i64,
    cycle: i64,
    stages: &str,
) -> Result<Vec<ApprovalRecord>> {
    let stages: Vec<super::model::ApprovalStage> = serde_json::from_str(stages).unwrap_or_default();
    let through = applicable_stages(&effective_stages(&stages), v.amount);
    let passed: Vec<i64> = match v.state {
        EntitlementState::Draft | EntitlementState::Cancelled => Vec::new(),
        EntitlementState::Pending | EntitlementState::Rejected => {
            through.into_iter().filter(|s| *s < v.stage.unwrap_or(1)).collect()
        }
        _ => through,
    };
    let mut st = conn.prepare_cached(&format!(
        "SELECT {APPROVAL_COLUMNS} FROM approvals a LEFT JOIN entitlements e ON e.rowid = a.entitlement
         WHERE a.cycle = ?1 AND (a.entitlement = ?2 OR a.entitlement IS NULL) ORDER BY a.rowid"
    ))?;
    let all: Vec<ApprovalRecord> =
        st.query_map(params![cycle, rowid], approval_from_row)?.collect::<rusqlite::Result<_>>()?;
    // A decision on the whole stage covered this entitlement unless one was made on it alone at that stage.
    let own_stages: Vec<i64> = all.iter().filter(|a| a.entitlement_id.is_some()).map(|a| a.stage).collect();
    let mut out: Vec<ApprovalRecord> = Vec::new();
    for a in all {
        if a.entitlement_id.is_some() {
            out.push(a);
        } else if passed.contains(&a.stage) && a.decision == "approved" && !own_stages.contains(&a.stage) {
            out.retain(|o| o.entitlement_id.is_some() || o.stage != a.stage);
            out.push(a);
        }
    }
    out.sort_by(|a, b| a.at.cmp(&b.at));
    Ok(out)
}

pub(crate) fn view(conn: &Connection, rowid: i64) -> Result<EntitlementView> {
    let (mut v, rowid, cycle, stages) = conn
        .prepare_cached(&format!("SELECT {VIEW_COLUMNS} {VIEW_FROM} WHERE e.rowid = ?1"))?
        .query_row([rowid], view_from_row)?;
    v.approvals = approvals_of(conn, &v, rowid, cycle, &stages)?;
    Ok(v)
}

/// Every entitlement of a registrant, newest cycle first: the beneficiary page's Entitlements tab.
pub fn of_registrant(store: &Store, session: &Session, key: &RegistrantKey) -> Result<Vec<EntitlementView>> {
    require(store, session, Permission::RegistryRead, "registrant.entitlements")?;
    store.read(|c| of_registrant_in(c, key))
}

pub fn of_registrant_in(conn: &Connection, key: &RegistrantKey) -> Result<Vec<EntitlementView>> {
    let r = resolve_registrant(conn, key)?;
    let mut st = conn.prepare_cached(&format!(
        "SELECT {VIEW_COLUMNS} {VIEW_FROM} WHERE e.cycle IN ({CYCLES_OF_REGISTRANT}) AND e.registrant = ?1
         ORDER BY c.start_date DESC, p.code"
    ))?;
    let rows: Vec<_> = st.query_map([r.rowid], view_from_row)?.collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(|(mut v, rowid, cycle, stages)| {
            v.approvals = approvals_of(conn, &v, rowid, cycle, &stages)?;
            Ok(v)
        })
        .collect()
}

//! `br bench`, disbursement: one cycle for every individual of the registry, from generating its
//! entitlements to importing the provider's reconciliation file.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use br_api::files::{InputFile, LocalFiles};
use br_api::ops::{CreateProgramRequest, EnrolRequest, SetProgramStateRequest};
use br_api::ops::{CycleActionRequest, GenerateEntitlementsRequest, ReconcileRequest, SetDisbursementRequest};
use br_api::{call, ApiError, Context, Progress};
use br_core::auth::{Role, Session};
use br_core::disbursement::approval::{Decide, DecisionKind};
use br_core::disbursement::cycle::{CreateCycle, CycleAction, MembersFrom};
use br_core::disbursement::funds::AddFund;
use br_core::disbursement::model::*;
use br_core::disbursement::payment::PreparePayments;
use br_core::program::model::{ProgramFields, ProgramState};
use br_core::program::service::ProgramKey;
use br_core::registry::model::RegistrantKind;
use br_core::secret::Secret;
use br_core::Registry;
use serde::Serialize;

#[derive(Serialize)]
pub struct DisbursementReport {
    pub amount_expression: String,
    pub cycle_members: u64,
    pub generate_ms: f64,
    /// Evaluating the amount for everyone, alongside the writing.
    pub generate_evaluate_ms: u64,
    pub generated: u64,
    pub total_amount: i64,
    pub submit_ms: f64,
    pub approve_all_ms: f64,
    pub approved: u64,
    pub prepare_ms: f64,
    pub payments: u64,
    pub without_address: u64,
    pub batches: u64,
    pub reconcile_ms: f64,
    pub reconcile_rows: u64,
    pub reconcile_rows_per_s: f64,
    pub reconcile_paid: u64,
    pub reconcile_failed: u64,
}

fn no_progress(_: Progress) {}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

const APPROVER_PASSWORD: &str = "bench-approver-password";

pub fn run(registry: &Registry, session: &Session, dir: &Path) -> Result<DisbursementReport, ApiError> {
    let cancel = AtomicBool::new(false);
    let ctx = Context { registry, files: &LocalFiles, progress: &no_progress, cancel: &cancel };
    let key = ProgramKey::Code("CYC".into());
    let fields = ProgramFields {
        code: "CYC".into(),
        name: "Cash for everyone".into(),
        description: String::new(),
        target: RegistrantKind::Individual,
        currency: "ETB".into(),
        eligibility_rule: String::new(),
        pmt_expression: None,
        pmt_threshold: None,
        auto_enrol: false,
    };
    call(&ctx, session, CreateProgramRequest { fields })?;
    call(
        &ctx,
        session,
        SetProgramStateRequest { program: key.clone(), state: Some(ProgramState::Active), archived: None },
    )?;
    call(&ctx, session, EnrolRequest { program: key.clone(), registrants: None })?;
    // A base amount plus an amount per household member, capped; people without a household get the base.
    let amount_expression = "me.size == null ? 10000 : min(10000 + 2500 * me.size, 30000)".to_string();
    let settings = DisbursementSettings {
        entitlement: Some(EntitlementRule {
            kind: EntitlementKind::Cash,
            expression: amount_expression.clone(),
            fee: Some(TransferFee::Percent { basis_points: 100 }),
            product: None,
            unit: None,
            validity_days: 60,
        }),
        stages: Vec::new(),
        recurrence: None,
    };
    call(&ctx, session, SetDisbursementRequest { program: key.clone(), settings })?;
    let created =
        call(&ctx, session, CreateCycle { program: key.clone(), name: None, members_from: MembersFrom::Program })?;
    let cycle = created.cycle.id;

    let t = Instant::now();
    let generated = call(&ctx, session, GenerateEntitlementsRequest { cycle })?;
    let generate_ms = ms(t);
    let t = Instant::now();
    call(&ctx, session, CycleActionRequest { cycle, action: CycleAction::Submit, comment: None })?;
    let submit_ms = ms(t);
    call(
        &ctx,
        session,
        AddFund {
            program: key.clone(),
            amount: generated.total_amount + generated.total_fee,
            currency: "ETB".into(),
            reference: "bench".into(),
            post: true,
        },
    )?;
    // Whoever generated a cycle may not approve it: a separate approver does.
    br_core::auth::add_user(
        registry.store(),
        session,
        "bench-approver",
        "Bench approver",
        Role::Approver,
        &Secret::new(APPROVER_PASSWORD),
    )?;
    let approver = registry.login("bench-approver", &Secret::new(APPROVER_PASSWORD))?;
    let t = Instant::now();
    let approved = call(
        &ctx,
        &approver,
        Decide { cycle, stage: 1, decision: DecisionKind::Approve, entitlements: None, comment: None },
    )?;
    let approve_all_ms = ms(t);
    let t = Instant::now();
    let prepared = call(&ctx, session, PreparePayments { cycle, batch_size: Some(10_000) })?;
    let prepare_ms = ms(t);

    // The provider's report: 97 % paid, 3 % failed, in the order the provider happens to send them.
    let report = dir.join("reconciliation.csv");
    write_report(registry, &report)?;
    let t = Instant::now();
    let r = call(&ctx, session, ReconcileRequest { file: InputFile::Path { path: report.display().to_string() } })?;
    let reconcile_ms = ms(t);
    Ok(DisbursementReport {
        amount_expression,
        cycle_members: created.members,
        generate_ms,
        generate_evaluate_ms: generated.evaluate_ms,
        generated: generated.generated,
        total_amount: generated.total_amount,
        submit_ms,
        approve_all_ms,
        approved: approved.approved,
        prepare_ms,
        payments: prepared.payments,
        without_address: prepared.without_address,
        batches: prepared.batches.len() as u64,
        reconcile_ms,
        reconcile_rows: r.rows,
        reconcile_rows_per_s: r.rows as f64 / (reconcile_ms / 1000.0),
        reconcile_paid: r.paid,
        reconcile_failed: r.failed,
    })
}

fn write_report(registry: &Registry, path: &Path) -> Result<(), ApiError> {
    let io = |e: std::io::Error| ApiError::from(br_core::CoreError::io("writing the reconciliation file", e));
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    writeln!(w, "payment_id,status,external_ref,reason").map_err(io)?;
    registry
        .store()
        .read(|c| {
            let mut st = c.prepare("SELECT id FROM payments ORDER BY rowid DESC")?;
            let mut rows = st.query([])?;
            let mut n = 0u64;
            while let Some(r) = rows.next()? {
                let id: uuid::Uuid = r.get(0)?;
                n += 1;
                let line = if n.is_multiple_of(33) {
                    format!("{id},failed,,account closed")
                } else {
                    format!("{id},paid,TX{n:09},")
                };
                writeln!(w, "{line}").map_err(|e| br_core::CoreError::io("writing the reconciliation file", e))?;
            }
            Ok(())
        })
        .map_err(ApiError::from)?;
    w.flush().map_err(io)
}

pub fn lines(r: &DisbursementReport) -> Vec<String> {
    vec![
        format!(
            "generate entitlements       {:>8.0} ms  ({} for {} members; evaluating alongside: {} ms)",
            r.generate_ms, r.generated, r.cycle_members, r.generate_evaluate_ms
        ),
        format!("send for approval           {:>8.0} ms", r.submit_ms),
        format!("approve all (one stage)     {:>8.0} ms  ({} approved)", r.approve_all_ms, r.approved),
        format!(
            "prepare payments            {:>8.0} ms  ({} payments in {} batches; {} without an address)",
            r.prepare_ms, r.payments, r.batches, r.without_address
        ),
        format!(
            "import reconciliation       {:>8.0} ms  ({} rows, {:.0} rows/s; {} paid, {} failed)",
            r.reconcile_ms, r.reconcile_rows, r.reconcile_rows_per_s, r.reconcile_paid, r.reconcile_failed
        ),
    ]
}

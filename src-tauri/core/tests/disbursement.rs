//! Cycles, entitlements, approvals, funds and payments on a real encrypted registry: one story from a
//! cycle's creation to reconciliation, and the bad input that must change nothing.

mod common;

use std::sync::atomic::AtomicBool;

use br_core::auth::Role;
use br_core::disbursement::approval::{self, Decide, DecisionKind};
use br_core::disbursement::cycle::{self, CreateCycle, CycleAction, MembersFrom};
use br_core::disbursement::entitlement::{self, EditEntitlement, EntitlementsQuery};
use br_core::disbursement::funds::{self, AddFund};
use br_core::disbursement::model::*;
use br_core::disbursement::payment::{self, PreparePayments};
use br_core::disbursement::settings;
use br_core::disbursement::status::{self, ExportEntitlements};
use br_core::io::import::ImportOptions;
use br_core::program::membership::{self, MemberAction};
use br_core::program::service::ProgramKey;
use br_core::registry::service::RegistrantKey;
use br_core::ErrorCode;
use common::Fixture;
use uuid::Uuid;

const PEOPLE: &str = "external_id,given_name,family_name,sex,birth_date,financial_address,household_ref,relationship
A1,Amina,Diallo,female,1980-01-02,msisdn:221770000001@wave,H1,head
A2,Moussa,Diallo,male,1978-05-06,msisdn:221770000002@wave,H1,spouse
A3,Awa,Diallo,female,2015-03-04,,H1,child
B1,Fatou,Sow,female,1970-01-01,bban:0012345@cbao,H2,spouse
B2,Ali,Sow,male,1971-01-01,,H2,head
C1,Ousmane,Ba,male,1990-01-01,msisdn:221770000009@orange,,
";

const PROGRAM: &str = "CASH";

struct Office {
    fx: Fixture,
    manager: br_core::auth::Session,
    approver: br_core::auth::Session,
    finance: br_core::auth::Session,
}

fn key() -> ProgramKey {
    ProgramKey::Code(PROGRAM.into())
}

fn first_of_this_month() -> String {
    let t = br_core::clock::today();
    format!("{}-{:02}-01", t.year(), t.month() as u8)
}

fn cash_settings(expression: &str, start: &str) -> DisbursementSettings {
    DisbursementSettings {
        entitlement: Some(EntitlementRule {
            kind: EntitlementKind::Cash,
            expression: expression.into(),
            fee: Some(TransferFee::Percent { basis_points: 250 }),
            product: None,
            unit: None,
            validity_days: 0,
        }),
        stages: vec![
            ApprovalStage { name: "District".into(), role: Role::Approver, above_amount: None },
            ApprovalStage { name: "Region".into(), role: Role::Admin, above_amount: Some(15_000) },
        ],
        recurrence: Some(Recurrence {
            period: Period::Monthly,
            interval: 1,
            start: start.into(),
            count: None,
            until: None,
        }),
    }
}

fn office() -> Office {
    let fx = Fixture::new();
    let file = fx.file("people.csv", PEOPLE.as_bytes());
    let s = fx.import(&fx.admin, &file, &ImportOptions::default()).unwrap();
    assert_eq!((s.inserted, s.rejected), (6, 0), "{s:?}");
    assert_eq!(common::active_cash_program(&fx, PROGRAM, "Cash transfer"), 6);
    let manager = fx.user("manager", Role::ProgramManager);
    let approver = fx.user("approver", Role::Approver);
    let finance = fx.user("finance", Role::Finance);
    Office { fx, manager, approver, finance }
}

fn entitlement_of(o: &Office, reference: &str) -> EntitlementView {
    let mut v =
        entitlement::of_registrant(o.fx.registry.store(), &o.fx.admin, &RegistrantKey::Reference(reference.into()))
            .unwrap();
    assert_eq!(v.len(), 1, "{reference} has one entitlement");
    v.remove(0)
}

fn reference_of(o: &Office, external_id: &str) -> String {
    o.fx.registry
        .store()
        .read(|c| {
            Ok(c.query_row("SELECT reference FROM registrants WHERE external_id = ?1", [external_id], |r| r.get(0))?)
        })
        .unwrap()
}

fn decide(
    o: &Office,
    who: &br_core::auth::Session,
    cycle: Uuid,
    stage: u32,
    kind: DecisionKind,
    chosen: Option<Vec<Uuid>>,
    comment: Option<&str>,
) -> br_core::Result<approval::WorkflowSummary> {
    approval::decide(
        o.fx.registry.store(),
        who,
        &Decide { cycle, stage, decision: kind, entitlements: chosen, comment: comment.map(str::to_string) },
    )
}

#[test]
fn a_cycle_runs_from_creation_to_reconciliation() {
    let o = office();
    let store = o.fx.registry.store();
    let never = AtomicBool::new(false);
    let refs: Vec<String> = ["A1", "A2", "A3", "B1", "B2", "C1"].iter().map(|e| reference_of(&o, e)).collect();
    let [a1, a2, a3, b1, b2, c1] = [0, 1, 2, 3, 4, 5].map(|i| refs[i].clone());

    // An expression that fails for the person without a household generates nothing and names them.
    settings::set(store, &o.manager, &key(), cash_settings("10000 + 2500 * household.size", &first_of_this_month()))
        .unwrap();
    let created = cycle::create_next(
        store,
        &o.manager,
        &CreateCycle { program: key(), name: None, members_from: MembersFrom::Program },
    )
    .unwrap();
    assert_eq!(created.members, 6);
    let t = br_core::clock::today();
    assert_eq!(created.cycle.name, format!("{}-{:02}", t.year(), t.month() as u8), "named by the schedule");
    let id = created.cycle.id;
    let before = o.fx.fingerprint();
    let e = entitlement::generate(store, &o.manager, id, &|_| {}, &never).unwrap_err();
    assert_eq!(e.code(), ErrorCode::EntitlementInvalid);
    match &e {
        br_core::CoreError::EntitlementInvalid { count, examples } => {
            assert_eq!(*count, 1);
            assert_eq!(examples[0].0, c1, "names the registrant it failed for");
        }
        other => panic!("{other:?}"),
    }
    // A fraction of a minor unit is refused, never rounded.
    settings::set(store, &o.manager, &key(), cash_settings("double(size(members)) * 2500.5", &first_of_this_month()))
        .unwrap();
    let e = entitlement::generate(store, &o.manager, id, &|_| {}, &never).unwrap_err();
    assert_eq!(e.code(), ErrorCode::EntitlementInvalid);
    assert!(e.to_string().contains("whole number"), "{e}");
    // A negative amount is refused the same way, never clamped.
    settings::set(store, &o.manager, &key(), cash_settings("5000 - 2500 * size(members)", &first_of_this_month()))
        .unwrap();
    let before_negative = o.fx.fingerprint();
    let e = entitlement::generate(store, &o.manager, id, &|_| {}, &never).unwrap_err();
    assert_eq!(e.code(), ErrorCode::EntitlementInvalid);
    assert!(e.to_string().contains("negative"), "{e}");
    assert_eq!(o.fx.fingerprint(), before_negative, "a refused generation writes nothing");
    // Only the settings, and their ops in the change log, changed since the first refusal.
    assert_eq!(o.fx.fingerprint_except(&["programs", "outbox"]), common::except(&before, &["programs", "outbox"]));
    let count = |sql: &str| -> i64 { store.read(|c| Ok(c.query_row(sql, [], |r| r.get(0))?)).unwrap() };
    assert_eq!(count("SELECT count(*) FROM entitlements"), 0);

    // A cancel leaves the cycle as it was.
    settings::set(store, &o.manager, &key(), cash_settings("10000", &first_of_this_month())).unwrap();
    let e = entitlement::generate(store, &o.manager, id, &|_| {}, &AtomicBool::new(true)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Cancelled);
    assert_eq!(count("SELECT count(*) FROM entitlements"), 0);

    // Base amount plus an amount per household member, capped.
    settings::set(
        store,
        &o.manager,
        &key(),
        cash_settings("min(10000 + 2500 * size(members), 16000)", &first_of_this_month()),
    )
    .unwrap();
    let g = entitlement::generate(store, &o.manager, id, &|_| {}, &never).unwrap();
    assert_eq!(g.generated, 6);
    assert_eq!(g.total_amount, 3 * 16_000 + 2 * 15_000 + 10_000);
    assert_eq!(g.total_fee, 3 * 400 + 2 * 375 + 250);
    // Generating again replaces the drafts instead of adding to them.
    entitlement::generate(store, &o.manager, id, &|_| {}, &never).unwrap();
    assert_eq!(count("SELECT count(*) FROM entitlements"), 6);

    // Edit one draft (audited), and the fee follows.
    let c1_e = entitlement_of(&o, &c1);
    let edited = entitlement::edit(
        store,
        &o.manager,
        &EditEntitlement { entitlement: c1_e.id, value: 11_000, reason: "medical top-up".into() },
    )
    .unwrap();
    assert_eq!((edited.amount, edited.fee), (11_000, 275));
    let e =
        entitlement::edit(store, &o.manager, &EditEntitlement { entitlement: c1_e.id, value: -1, reason: "x".into() })
            .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput);

    let sent = approval::act(store, &o.manager, id, CycleAction::Submit, None).unwrap();
    assert_eq!((sent.changed, sent.cycle_state), (6, Some(CycleState::ToApprove)));
    let e =
        entitlement::edit(store, &o.manager, &EditEntitlement { entitlement: c1_e.id, value: 1, reason: "x".into() })
            .unwrap_err();
    assert_eq!(e.code(), ErrorCode::TransitionNotAllowed, "a submitted entitlement is not edited");

    // Only the stage's role decides; the manager and an auditor cannot.
    let auditor = o.fx.user("auditor", Role::Auditor);
    for who in [&o.manager, &auditor] {
        let e = decide(&o, who, id, 1, DecisionKind::Approve, None, None).unwrap_err();
        assert_eq!(e.code(), ErrorCode::PermissionDenied);
    }
    let e = decide(&o, &o.fx.admin, id, 1, DecisionKind::Approve, None, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::PermissionDenied, "stage 1 names the approver role");

    // Stage 1 finishes B1, B2 (15,000 is not above the regional threshold) and C1: 2 * 15,375 + 11,275.
    let e = decide(&o, &o.approver, id, 1, DecisionKind::Approve, None, None).unwrap_err();
    match &e {
        br_core::CoreError::FundsInsufficient { needed, available, shortfall, .. } => {
            assert_eq!((*needed, *available, *shortfall), (42_025, 0, 42_025));
        }
        other => panic!("{other:?}"),
    }
    let e = funds::add(
        store,
        &o.manager,
        &AddFund { program: key(), amount: 50_000, currency: "XOF".into(), reference: "T1".into(), post: true },
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::PermissionDenied);
    let e = funds::add(
        store,
        &o.finance,
        &AddFund { program: key(), amount: 50_000, currency: "USD".into(), reference: "T1".into(), post: true },
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput, "the program's currency");
    funds::add(
        store,
        &o.finance,
        &AddFund { program: key(), amount: 50_000, currency: "XOF".into(), reference: "T1".into(), post: true },
    )
    .unwrap();
    let s1 = decide(&o, &o.approver, id, 1, DecisionKind::Approve, None, Some("checked")).unwrap();
    assert_eq!((s1.changed, s1.approved, s1.pending), (6, 3, 3));
    assert_eq!(s1.cycle_state, Some(CycleState::ToApprove));
    let again = decide(&o, &o.approver, id, 1, DecisionKind::Approve, Some(vec![c1_e.id]), None).unwrap_err();
    assert_eq!(again.code(), ErrorCode::TransitionNotAllowed, "never approved twice");

    // Stage 2: A1 alone would overrun what is left (50,000 - 42,025 = 7,975).
    let a1_e = entitlement_of(&o, &a1);
    assert_eq!((a1_e.state, a1_e.stage), (EntitlementState::Pending, Some(2)));
    let e = decide(&o, &o.fx.admin, id, 2, DecisionKind::Approve, Some(vec![a1_e.id]), None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::FundsInsufficient);
    assert!(e.to_string().contains("8425 XOF short"), "{e}");
    funds::add(
        store,
        &o.finance,
        &AddFund { program: key(), amount: 100_000, currency: "XOF".into(), reference: "T2".into(), post: true },
    )
    .unwrap();
    decide(&o, &o.fx.admin, id, 2, DecisionKind::Approve, Some(vec![a1_e.id]), Some("ok")).unwrap();
    let a2_e = entitlement_of(&o, &a2);
    let e = decide(&o, &o.fx.admin, id, 2, DecisionKind::Reject, Some(vec![a2_e.id]), None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput, "a rejection says why");
    decide(&o, &o.fx.admin, id, 2, DecisionKind::Reject, Some(vec![a2_e.id]), Some("left the district")).unwrap();
    let last = decide(&o, &o.fx.admin, id, 2, DecisionKind::Approve, None, None).unwrap();
    assert_eq!((last.changed, last.cycle_state), (1, Some(CycleState::Approved)));
    let e = approval::act(store, &o.manager, id, CycleAction::SendBack, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TransitionNotAllowed, "an approved cycle does not go back");

    let a1_e = entitlement_of(&o, &a1);
    assert_eq!(a1_e.state, EntitlementState::Approved);
    assert_eq!(
        a1_e.approvals.iter().map(|a| (a.stage, a.actor.as_str())).collect::<Vec<_>>(),
        vec![(1, "approver"), (2, "admin")],
        "who approved each stage"
    );
    assert_eq!(entitlement_of(&o, &a2).state, EntitlementState::Rejected);

    // Payments: the child A3 is paid through the head of her household; B2 heads his and has no address,
    // so he cannot be paid yet. A1, A3, B1 and C1 go in batches of two.
    let prepared =
        payment::prepare(store, &o.finance, &PreparePayments { cycle: id, batch_size: Some(2) }, &|_| {}).unwrap();
    assert_eq!((prepared.payments, prepared.without_address, prepared.batches.len()), (4, 1, 2));
    assert_eq!(prepared.total, 16_000 + 16_000 + 15_000 + 11_000);
    // The list behind the count names who: B2, and nobody the batches took.
    let unpaid = entitlement::list(
        store,
        &o.finance,
        &EntitlementsQuery { cycle: id, without_address: Some(true), ..Default::default() },
    )
    .unwrap();
    assert_eq!(unpaid.entitlements.iter().map(|e| e.reference.as_str()).collect::<Vec<_>>(), vec![b2.as_str()]);
    let out = o.fx.dir.path().join("batch1.csv");
    let file = payment::export_file(store, &o.finance, prepared.batches[0].id, &out, false).unwrap();
    assert_eq!(file.payments, 2);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with(
        "payment_id,batch_id,batch_sequence,beneficiary_reference,financial_address,amount_minor,currency"
    ));
    assert_eq!(text.matches("msisdn:221770000001@wave,16000,XOF").count(), 2, "A1 and, through her, A3: {text}");
    assert!(std::fs::read_to_string(o.fx.dir.path().join("batch1.summary.csv")).unwrap().contains(",2,32000,XOF,"));
    for b in &prepared.batches {
        payment::mark_sent(store, &o.finance, b.id).unwrap();
    }
    let e = payment::mark_sent(store, &o.finance, prepared.batches[0].id).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TransitionNotAllowed);

    let pay_id = |reference: &str| -> Uuid {
        payment::of_registrant(store, &o.fx.admin, &RegistrantKey::Reference(reference.into()), false).unwrap()[0].id
    };
    let (p_a1, p_b1, p_c1) = (pay_id(&a1), pay_id(&b1), pay_id(&c1));
    let report = o.fx.file(
        "report.csv",
        format!(
            "payment_id,status,external_ref,reason\n{p_a1},paid,TX-1,\n{p_b1},failed,,wrong number\n{p_c1},paid,TX-3,\n{},paid,TX-9,\n{p_a1},paid,TX-1,\nnot-an-id,paid,,\n{p_c1},maybe,,\n",
            Uuid::now_v7()
        )
        .as_bytes(),
    );
    let r = payment::reconcile(store, &o.finance, &report, &|_| {}, &never).unwrap();
    assert_eq!((r.rows, r.paid, r.failed, r.unknown, r.repeated, r.invalid), (7, 2, 1, 1, 1, 2), "{r:?}");
    assert_eq!(entitlement_of(&o, &a1).state, EntitlementState::Paid);
    assert_eq!(entitlement_of(&o, &b1).state, EntitlementState::Failed);
    // The same file again changes nothing.
    let fp = o.fx.fingerprint();
    let r = payment::reconcile(store, &o.finance, &report, &|_| {}, &never).unwrap();
    assert_eq!((r.paid, r.failed, r.repeated, r.unknown), (0, 0, 4, 1));
    assert_eq!(o.fx.fingerprint(), fp);
    // A paid payment reported failed later is kept as a reversal; the entitlement stays paid.
    let late = o.fx.file(
        "late.csv",
        format!("payment_id,status,external_ref,reason\n{p_c1},failed,,returned by bank\n").as_bytes(),
    );
    let r = payment::reconcile(store, &o.finance, &late, &|_| {}, &never).unwrap();
    assert_eq!(r.reversed, 1);
    assert_eq!(entitlement_of(&o, &c1).state, EntitlementState::Paid);
    let c1_pay = &payment::of_registrant(store, &o.fx.admin, &RegistrantKey::Reference(c1.clone()), false).unwrap()[0];
    assert_eq!((c1_pay.state, c1_pay.reason.as_deref()), (PaymentState::Reversed, Some("returned by bank")));

    // Preparing again pays only what failed.
    let again = payment::prepare(store, &o.finance, &PreparePayments { cycle: id, batch_size: None }, &|_| {}).unwrap();
    assert_eq!((again.payments, again.retries, again.total), (1, 1, 15_000));
    let b1_payments = payment::of_registrant(store, &o.fx.admin, &RegistrantKey::Reference(b1.clone()), true).unwrap();
    assert_eq!(b1_payments.len(), 2);
    assert_eq!(b1_payments[0].account.as_deref(), Some("bban:0012345@cbao"), "revealed for an admin");
    let masked = payment::of_registrant(store, &auditor, &RegistrantKey::Reference(b1.clone()), false).unwrap();
    assert_ne!(masked[0].account.as_deref(), Some("bban:0012345@cbao"), "an auditor sees it masked");
    // An auditor asking to reveal is refused, not quietly masked; both the refusal and the admin's reveal
    // above are in the audit log.
    let e = payment::of_registrant(store, &auditor, &RegistrantKey::Reference(b1.clone()), true).unwrap_err();
    assert_eq!(e.code(), ErrorCode::PermissionDenied);
    let reveals: Vec<(String, String)> = store
        .read(|c| {
            let mut st = c.prepare(
                "SELECT username, outcome FROM audit_log WHERE action = 'registrant.reveal' ORDER BY seq DESC LIMIT 2",
            )?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .unwrap();
    assert_eq!(reveals[0].1, "denied");
    assert_eq!(reveals[1], (o.fx.admin.username().to_string(), "ok".to_string()));

    let summary = status::summary(store, &o.fx.admin, id).unwrap();
    let by = |s: &str| summary.by_state.iter().find(|t| t.state == s).map(|t| t.count).unwrap_or(0);
    assert_eq!((by("paid"), by("in_payment"), by("approved"), by("rejected")), (2, 2, 1, 1));
    assert_eq!(summary.cycle.state, CycleState::Distributing);
    assert_eq!(summary.batches.len(), 3);
    let e = approval::act(store, &o.manager, id, CycleAction::End, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput, "not while payments are out");

    let page = entitlement::list(
        store,
        &o.fx.admin,
        &EntitlementsQuery { cycle: id, state: Some(EntitlementState::Paid), ..Default::default() },
    )
    .unwrap();
    assert_eq!(page.entitlements.len(), 2);
    let csv_path = o.fx.dir.path().join("approved.csv");
    let ex = status::export_approved(
        store,
        &o.finance,
        &ExportEntitlements {
            cycle: id,
            path: csv_path.display().to_string(),
            include_personal: false,
            overwrite: false,
        },
    )
    .unwrap();
    assert_eq!((ex.rows, ex.contains_personal_data), (5, false));
    assert!(!std::fs::read_to_string(&csv_path).unwrap().contains("Amina"));
    let personal = |overwrite| ExportEntitlements {
        cycle: id,
        path: csv_path.display().to_string(),
        include_personal: true,
        overwrite,
    };
    let e = status::export_approved(store, &auditor, &personal(true)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::PermissionDenied);
    // The file is there: it is replaced only when the person confirmed it.
    let e = status::export_approved(store, &o.fx.admin, &personal(false)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AlreadyExists);
    assert!(!std::fs::read_to_string(&csv_path).unwrap().contains("Amina"));
    status::export_approved(store, &o.fx.admin, &personal(true)).unwrap();
    assert!(std::fs::read_to_string(&csv_path).unwrap().contains("Amina Diallo"));

    // The next cycle follows the schedule and copies the members still enrolled.
    membership::change_members(
        store,
        &o.fx.admin,
        &key(),
        &[RegistrantKey::Reference(b2.clone())],
        MemberAction::Pause,
        None,
        None,
    )
    .unwrap();
    let next = cycle::create_next(
        store,
        &o.manager,
        &CreateCycle { program: key(), name: None, members_from: MembersFrom::PreviousCycle },
    )
    .unwrap();
    assert_eq!((next.cycle.sequence, next.members, next.left_out), (2, 5, 1));
    assert!(next.cycle.start_date > created.cycle.end_date);
    cycle::delete(store, &o.manager, next.cycle.id).unwrap();
    let e = cycle::delete(store, &o.manager, id).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TransitionNotAllowed, "only a draft cycle is deleted");
    let a3_pay = &payment::of_registrant(store, &o.fx.admin, &RegistrantKey::Reference(a3), true).unwrap()[0];
    assert_eq!(a3_pay.account.as_deref(), Some("msisdn:221770000001@wave"), "paid through the head");

    assert!(br_core::audit::verify(store).unwrap().ok);
    o.fx.assert_outbox_gapless();
}

#[test]
fn whoever_prepared_a_cycle_may_not_approve_it_and_expired_entitlements_are_not_paid() {
    let o = office();
    let store = o.fx.registry.store();
    let never = AtomicBool::new(false);
    let mut s = cash_settings("10000", "2020-01-01");
    s.stages = vec![ApprovalStage { name: "Head".into(), role: Role::Admin, above_amount: None }];
    settings::set(store, &o.fx.admin, &key(), s).unwrap();
    let c = cycle::create_next(
        store,
        &o.fx.admin,
        &CreateCycle { program: key(), name: Some("Arrears".into()), members_from: MembersFrom::Program },
    )
    .unwrap();
    assert_eq!(
        (c.cycle.name.as_str(), c.cycle.start_date.as_str(), c.cycle.end_date.as_str()),
        ("Arrears", "2020-01-01", "2020-01-31")
    );
    entitlement::generate(store, &o.fx.admin, c.cycle.id, &|_| {}, &never).unwrap();
    approval::act(store, &o.fx.admin, c.cycle.id, CycleAction::Submit, None).unwrap();
    let e = decide(&o, &o.fx.admin, c.cycle.id, 1, DecisionKind::Approve, None, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::SelfApproval);
    // Another admin may, and the entitlements (valid until 2020-01-31) expire instead of being paid.
    br_core::auth::add_user(
        store,
        &o.fx.admin,
        "admin2",
        "Second admin",
        Role::Admin,
        &br_core::secret::Secret::new("user-password-1"),
    )
    .unwrap();
    let admin2 = o.fx.registry.login("admin2", &br_core::secret::Secret::new("user-password-1")).unwrap();
    funds::add(
        store,
        &o.finance,
        &AddFund { program: key(), amount: 1_000_000, currency: "XOF".into(), reference: String::new(), post: true },
    )
    .unwrap();
    decide(&o, &admin2, c.cycle.id, 1, DecisionKind::Approve, None, None).unwrap();
    let p =
        payment::prepare(store, &o.finance, &PreparePayments { cycle: c.cycle.id, batch_size: None }, &|_| {}).unwrap();
    assert_eq!((p.payments, p.expired), (0, 6), "nothing left to pay");
    let summary = status::summary(store, &o.fx.admin, c.cycle.id).unwrap();
    assert_eq!(
        summary.by_state.iter().find(|t| t.state == "expired").map(|t| t.count),
        Some(6),
        "{:?}",
        summary.by_state
    );
}

#[test]
fn vouchers_and_in_kind_entitlements_carry_their_codes_and_quantities() {
    let o = office();
    let store = o.fx.registry.store();
    let never = AtomicBool::new(false);
    let mut s = cash_settings("2500 * size(members)", &first_of_this_month());
    s.entitlement = Some(EntitlementRule {
        kind: EntitlementKind::Voucher,
        expression: "max(5000, 2500 * size(members))".into(),
        fee: None,
        product: None,
        unit: None,
        validity_days: 30,
    });
    settings::set(store, &o.manager, &key(), s.clone()).unwrap();
    let c = cycle::create_next(
        store,
        &o.manager,
        &CreateCycle { program: key(), name: None, members_from: MembersFrom::Program },
    )
    .unwrap();
    entitlement::generate(store, &o.manager, c.cycle.id, &|_| {}, &never).unwrap();
    let v = entitlement_of(&o, &reference_of(&o, "A1"));
    let code = v.voucher_code.clone().unwrap();
    assert_eq!(code.len(), 12);
    assert_eq!(v.amount, 7500);
    assert!(v.qr_payload.unwrap().starts_with(&format!("BRV1|{code}|7500|XOF|")));
    let codes: i64 = store
        .read(|c| Ok(c.query_row("SELECT count(DISTINCT voucher_code) FROM entitlements", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(codes, 6, "every voucher has its own code");

    s.entitlement = Some(EntitlementRule {
        kind: EntitlementKind::InKind,
        expression: "5 * size(members)".into(),
        fee: None,
        product: Some("maize flour".into()),
        unit: Some("kg".into()),
        validity_days: 0,
    });
    settings::set(store, &o.manager, &key(), s.clone()).unwrap();
    let g = entitlement::generate(store, &o.manager, c.cycle.id, &|_| {}, &never).unwrap();
    assert_eq!((g.total_amount, g.total_quantity), (0, 5 * (3 + 3 + 3 + 2 + 2)));
    let v = entitlement_of(&o, &reference_of(&o, "B1"));
    assert_eq!((v.quantity, v.product.as_deref(), v.unit.as_deref()), (Some(10), Some("maize flour"), Some("kg")));

    s.entitlement.as_mut().unwrap().unit = None;
    let e = settings::set(store, &o.manager, &key(), s).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput, "in-kind names its unit");
}

fn another_admin(o: &Office, name: &str) -> br_core::auth::Session {
    let password = br_core::secret::Secret::new("user-password-1");
    br_core::auth::add_user(o.fx.registry.store(), &o.fx.admin, name, name, Role::Admin, &password).unwrap();
    o.fx.registry.login(name, &password).unwrap()
}

#[test]
fn one_person_decides_one_stage_stages_freeze_at_submit_and_whoever_corrected_may_not_approve() {
    let o = office();
    let store = o.fx.registry.store();
    let never = AtomicBool::new(false);
    let mut s = cash_settings("10000", &first_of_this_month());
    s.stages = vec![
        ApprovalStage { name: "District".into(), role: Role::Admin, above_amount: None },
        ApprovalStage { name: "Region".into(), role: Role::Admin, above_amount: None },
    ];
    settings::set(store, &o.fx.admin, &key(), s.clone()).unwrap();
    let create = CreateCycle { program: key(), name: None, members_from: MembersFrom::Program };
    let c = cycle::create_next(store, &o.manager, &create).unwrap().cycle;
    entitlement::generate(store, &o.manager, c.id, &|_| {}, &never).unwrap();
    let corrector = another_admin(&o, "corrector");
    let page = entitlement::list(store, &o.fx.admin, &EntitlementsQuery { cycle: c.id, ..Default::default() }).unwrap();
    let fix = EditEntitlement { entitlement: page.entitlements[0].id, value: 12_000, reason: "twins".into() };
    entitlement::edit(store, &corrector, &fix).unwrap();
    approval::act(store, &o.manager, c.id, CycleAction::Submit, None).unwrap();
    let post =
        AddFund { program: key(), amount: 1_000_000, currency: "XOF".into(), reference: String::new(), post: true };
    funds::add(store, &o.finance, &post).unwrap();

    // The program drops its second stage while the cycle waits: this cycle keeps both.
    s.stages.truncate(1);
    settings::set(store, &o.fx.admin, &key(), s).unwrap();

    let e = decide(&o, &corrector, c.id, 1, DecisionKind::Approve, None, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::SelfApproval, "{e}");
    assert!(e.to_string().contains("corrected 1"), "{e}");
    let first = decide(&o, &o.fx.admin, c.id, 1, DecisionKind::Approve, None, None).unwrap();
    assert_eq!((first.changed, first.pending), (6, 6), "all wait for the frozen second stage");
    let e = decide(&o, &o.fx.admin, c.id, 2, DecisionKind::Approve, None, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::SelfApproval, "{e}");
    assert!(e.to_string().contains("already decided stage 1"), "{e}");
    let second = decide(&o, &another_admin(&o, "regional"), c.id, 2, DecisionKind::Approve, None, None).unwrap();
    assert_eq!((second.approved, second.cycle_state), (6, Some(CycleState::Approved)));
}

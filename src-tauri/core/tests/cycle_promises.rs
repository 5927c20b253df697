//! What docs/programs.md, docs/payments.md and the design's state machines promise about cycles, funds
//! and programs, one test per promise, each named after it.

mod common;

use std::sync::atomic::AtomicBool;

use br_core::auth::{Role, Session};
use br_core::disbursement::approval::{self, Decide, DecisionKind};
use br_core::disbursement::cycle::{self, CreateCycle, CycleAction, MembersFrom};
use br_core::disbursement::entitlement;
use br_core::disbursement::funds::{self, AddFund};
use br_core::disbursement::model::*;
use br_core::disbursement::payment::{self, PreparePayments};
use br_core::disbursement::settings;
use br_core::io::import::ImportOptions;
use br_core::program::model::ProgramState;
use br_core::program::service::{self, ProgramKey};
use br_core::registry::service::{self as registry, RegistrantKey};
use br_core::ErrorCode;
use common::Fixture;
use uuid::Uuid;

/// Three people with addresses, entitled to 10,000 XOF (Fatou) or 20,000 (the others, in a household of
/// two) by the rule below.
const PEOPLE: &str = "external_id,given_name,family_name,sex,birth_date,financial_address,household_ref,relationship
A1,Amina,Diallo,female,1980-01-02,msisdn:221770000001@wave,H1,head
A2,Moussa,Diallo,male,1978-05-06,msisdn:221770000002@wave,H1,spouse
B1,Fatou,Sow,female,1970-01-01,bban:0012345@cbao,,
";

struct Office {
    fx: Fixture,
    manager: Session,
    approver: Session,
    finance: Session,
}

fn key() -> ProgramKey {
    ProgramKey::Code("CASH".into())
}

/// An active cash program with everyone enrolled; approval in one stage by an approver, applying to
/// amounts above `stage_above` when given.
fn office(stage_above: Option<i64>) -> Office {
    let fx = Fixture::new();
    let file = fx.file("people.csv", PEOPLE.as_bytes());
    fx.import(&fx.admin, &file, &ImportOptions::default()).unwrap();
    assert_eq!(common::active_cash_program(&fx, "CASH", "Cash"), 3);
    let settings = DisbursementSettings {
        entitlement: Some(EntitlementRule {
            kind: EntitlementKind::Cash,
            expression: "10000 * size(members)".into(),
            fee: None,
            product: None,
            unit: None,
            validity_days: 0,
        }),
        stages: vec![ApprovalStage { name: "District".into(), role: Role::Approver, above_amount: stage_above }],
        recurrence: None,
    };
    let manager = fx.user("manager", Role::ProgramManager);
    settings::set(fx.registry.store(), &manager, &key(), settings).unwrap();
    let approver = fx.user("approver", Role::Approver);
    let finance = fx.user("finance", Role::Finance);
    Office { fx, manager, approver, finance }
}

impl Office {
    /// A generated cycle of everyone enrolled.
    fn cycle(&self) -> Uuid {
        let store = self.fx.registry.store();
        let created = cycle::create_next(
            store,
            &self.manager,
            &CreateCycle { program: key(), name: None, members_from: MembersFrom::Program },
        )
        .unwrap();
        let never = AtomicBool::new(false);
        entitlement::generate(store, &self.manager, created.cycle.id, &|_| {}, &never).unwrap();
        created.cycle.id
    }

    fn act(&self, cycle: Uuid, action: CycleAction) -> br_core::Result<approval::WorkflowSummary> {
        approval::act(self.fx.registry.store(), &self.manager, cycle, action, None)
    }

    fn fund(&self, amount: i64, post: bool) -> br_core::Result<FundBalance> {
        let fund = AddFund { program: key(), amount, currency: "XOF".into(), reference: "T".into(), post };
        funds::add(self.fx.registry.store(), &self.finance, &fund)
    }

    fn approve(&self, cycle: Uuid, chosen: Option<Vec<Uuid>>) -> br_core::Result<approval::WorkflowSummary> {
        let decide = Decide { cycle, stage: 1, decision: DecisionKind::Approve, entitlements: chosen, comment: None };
        approval::decide(self.fx.registry.store(), &self.approver, &decide)
    }

    /// The cycle's entitlements in registrant order (one page holds all three).
    fn entitlements(&self, cycle: Uuid) -> Vec<EntitlementView> {
        let query = entitlement::EntitlementsQuery { cycle, ..Default::default() };
        entitlement::list(self.fx.registry.store(), &self.fx.admin, &query).unwrap().entitlements
    }

    fn states(&self, cycle: Uuid) -> Vec<EntitlementState> {
        self.entitlements(cycle).iter().map(|e| e.state).collect()
    }

    fn cycle_state(&self, cycle: Uuid) -> CycleState {
        br_core::disbursement::status::summary(self.fx.registry.store(), &self.fx.admin, cycle).unwrap().cycle.state
    }
}

#[test]
fn a_cycle_sent_back_returns_to_draft_with_its_entitlements_and_can_be_sent_again() {
    let o = office(None);
    let c = o.cycle();
    assert_eq!(o.act(c, CycleAction::Submit).unwrap().cycle_state, Some(CycleState::ToApprove));
    assert_eq!(o.states(c), [EntitlementState::Pending; 3]);
    let back = o.act(c, CycleAction::SendBack).unwrap();
    assert_eq!((back.changed, back.cycle_state), (3, Some(CycleState::Draft)));
    assert_eq!(o.states(c), [EntitlementState::Draft; 3]);
    assert_eq!(o.act(c, CycleAction::Submit).unwrap().changed, 3);
}

#[test]
fn send_back_is_refused_once_any_entitlement_is_approved() {
    let o = office(None);
    let c = o.cycle();
    o.fund(100_000, true).unwrap();
    o.act(c, CycleAction::Submit).unwrap();
    let first = o.entitlements(c)[0].id;
    let partly = o.approve(c, Some(vec![first])).unwrap();
    assert_eq!((partly.approved, partly.cycle_state), (1, Some(CycleState::ToApprove)));
    let before = o.fx.fingerprint();
    let e = o.act(c, CycleAction::SendBack).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TransitionNotAllowed);
    assert_eq!(o.fx.fingerprint(), before, "nothing changed");
}

#[test]
fn submit_approves_at_once_when_no_stage_applies_to_any_amount() {
    // The only stage applies above 50,000; the largest entitlement is 20,000.
    let o = office(Some(50_000));
    let c = o.cycle();
    o.fund(50_000, true).unwrap();
    let s = o.act(c, CycleAction::Submit).unwrap();
    assert_eq!((s.approved, s.pending, s.cycle_state), (3, 0, Some(CycleState::Approved)));
    assert_eq!(o.states(c), [EntitlementState::Approved; 3]);
}

#[test]
fn cancelling_a_cycle_cancels_every_entitlement_not_yet_paying() {
    let o = office(None);
    let draft = o.cycle();
    assert_eq!(o.act(draft, CycleAction::Cancel).unwrap().cycle_state, Some(CycleState::Cancelled));
    assert_eq!(o.states(draft), [EntitlementState::Cancelled; 3]);
    let e = o.act(draft, CycleAction::Submit).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TransitionNotAllowed, "a cancelled cycle stays cancelled");

    let submitted = o.cycle();
    o.act(submitted, CycleAction::Submit).unwrap();
    assert_eq!(o.act(submitted, CycleAction::Cancel).unwrap().changed, 3);
    assert_eq!(o.cycle_state(submitted), CycleState::Cancelled);
}

#[test]
fn an_approved_cycle_ends_and_ends_only_once() {
    let o = office(None);
    let c = o.cycle();
    o.fund(100_000, true).unwrap();
    o.act(c, CycleAction::Submit).unwrap();
    o.approve(c, None).unwrap();
    let e = o.act(c, CycleAction::Cancel).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TransitionNotAllowed, "an approved cycle is not cancelled");
    assert_eq!(o.act(c, CycleAction::End).unwrap().cycle_state, Some(CycleState::Ended));
    assert_eq!(o.act(c, CycleAction::End).unwrap_err().code(), ErrorCode::TransitionNotAllowed);
}

#[test]
fn draft_funds_count_for_nothing_posted_ones_do_and_a_cancelled_one_no_longer() {
    let o = office(None);
    let store = o.fx.registry.store();
    for amount in [0, -5] {
        assert_eq!(o.fund(amount, true).unwrap_err().code(), ErrorCode::InvalidInput, "{amount}");
    }
    let draft = o.fund(40_000, false).unwrap();
    assert_eq!((draft.posted, draft.available), (0, 0));
    let id = draft.funds[0].id;
    let c = o.cycle();
    o.act(c, CycleAction::Submit).unwrap();
    assert_eq!(o.approve(c, None).unwrap_err().code(), ErrorCode::FundsInsufficient, "a draft fund pays nothing");

    let posted = funds::set_state(store, &o.finance, id, FundState::Posted).unwrap();
    assert_eq!((posted.posted, posted.available), (40_000, 40_000));
    o.approve(c, None).unwrap();
    let committed = funds::balance(store, &o.finance, &key()).unwrap();
    assert_eq!((committed.committed, committed.available), (40_000, 0));
    let e = funds::set_state(store, &o.finance, id, FundState::Cancelled).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TransitionNotAllowed, "a posted fund is not taken back");

    let spare = o.fund(5_000, false).unwrap().funds.iter().find(|f| f.state == FundState::Draft).unwrap().id;
    let after = funds::set_state(store, &o.finance, spare, FundState::Cancelled).unwrap();
    assert_eq!((after.posted, after.available), (40_000, 0), "a cancelled draft never counts");
}

#[test]
fn a_disabled_registrant_gets_no_entitlement() {
    let o = office(None);
    let store = o.fx.registry.store();
    let fatou: String = store
        .read(|c| Ok(c.query_row("SELECT reference FROM registrants WHERE external_id = 'B1'", [], |r| r.get(0))?))
        .unwrap();
    registry::disable(store, &o.fx.admin, &RegistrantKey::Reference(fatou.clone()), "moved away").unwrap();
    let c = o.cycle();
    let refs: Vec<String> = o.entitlements(c).into_iter().map(|e| e.reference).collect();
    assert_eq!(refs.len(), 2);
    assert!(!refs.contains(&fatou), "{refs:?}");
}

#[test]
fn an_ended_program_changes_nothing() {
    let o = office(None);
    let store = o.fx.registry.store();
    service::set_state(store, &o.fx.admin, &key(), ProgramState::Ended).unwrap();
    let before = o.fx.fingerprint();
    let create = CreateCycle { program: key(), name: None, members_from: MembersFrom::Program };
    let never = AtomicBool::new(false);
    let refusals = [
        cycle::create_next(store, &o.manager, &create).map(|_| ()),
        br_core::program::membership::enrol_eligible(store, &o.fx.admin, &key(), &|_| {}, &never).map(|_| ()),
        service::set_state(store, &o.fx.admin, &key(), ProgramState::Active).map(|_| ()),
    ];
    for r in refusals {
        assert_eq!(r.unwrap_err().code(), ErrorCode::TransitionNotAllowed);
    }
    assert_eq!(o.fx.fingerprint(), before);
}

#[test]
fn a_provider_report_reads_success_and_succeeded_as_paid_failure_and_rejected_as_failed() {
    let o = office(None);
    let store = o.fx.registry.store();
    let c = o.cycle();
    o.fund(100_000, true).unwrap();
    o.act(c, CycleAction::Submit).unwrap();
    o.approve(c, None).unwrap();
    let never = AtomicBool::new(false);
    let prepared =
        payment::prepare(store, &o.finance, &PreparePayments { cycle: c, batch_size: None }, &|_| {}).unwrap();
    assert_eq!(prepared.payments, 3);
    let file = o.fx.dir.path().join("batch.csv");
    payment::export_file(store, &o.finance, prepared.batches[0].id, &file, false).unwrap();
    payment::mark_sent(store, &o.finance, prepared.batches[0].id).unwrap();
    let ids: Vec<String> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    let report = o.fx.file(
        "report.csv",
        format!(
            "payment_id,status,external_ref,reason\n{},success,TX-1,\n{},failure,,closed\n{},rejected,,wrong name\n",
            ids[0], ids[1], ids[2]
        )
        .as_bytes(),
    );
    let r = payment::reconcile(store, &o.finance, &report, &|_| {}, &never).unwrap();
    assert_eq!((r.rows, r.paid, r.failed, r.invalid), (3, 1, 2, 0), "{r:?}");
    let mut states = o.states(c);
    states.sort_by_key(|s| s.as_str());
    assert_eq!(states, [EntitlementState::Failed, EntitlementState::Failed, EntitlementState::Paid]);
    let again = o.fx.file("again.csv", format!("payment_id,status\n{},succeeded\n", ids[0]).as_bytes());
    let r = payment::reconcile(store, &o.finance, &again, &|_| {}, &never).unwrap();
    assert_eq!((r.paid, r.repeated), (0, 1), "`succeeded` is paid too, already recorded");
}

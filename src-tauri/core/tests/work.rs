//! What waits for each person: a cycle moves from submission to payment, and each role's queue shows its
//! part of it at the time, and nothing once it is done.

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
use br_core::program::service::ProgramKey;
use br_core::work::{self, WorkItem, WorkKind};
use common::Fixture;

const PEOPLE: &str = "external_id,given_name,family_name,sex,birth_date,financial_address
A1,Amina,Diallo,female,1980-01-02,msisdn:221770000001@wave
A2,Moussa,Diallo,male,1978-05-06,msisdn:221770000002@wave
A3,Awa,Diallo,female,2015-03-04,
";

fn queue(fx: &Fixture, who: &Session) -> Vec<WorkItem> {
    work::queue(fx.registry.store(), who).unwrap().items
}

fn kinds(items: &[WorkItem]) -> Vec<WorkKind> {
    items.iter().map(|i| i.kind).collect()
}

#[test]
fn each_role_sees_its_part_of_a_cycle_and_nothing_once_it_is_done() {
    let fx = Fixture::new();
    let store = fx.registry.store();
    let file = fx.file("people.csv", PEOPLE.as_bytes());
    fx.import(&fx.admin, &file, &ImportOptions::default()).unwrap();
    assert_eq!(common::active_cash_program(&fx, "CASH", "Cash transfer"), 3);
    let key = ProgramKey::Code("CASH".into());
    let manager = fx.user("manager", Role::ProgramManager);
    let approver = fx.user("approver", Role::Approver);
    let finance = fx.user("finance", Role::Finance);
    let regional = fx.user("regional", Role::Admin);
    let today = br_core::clock::today();
    let settings = DisbursementSettings {
        entitlement: Some(EntitlementRule {
            kind: EntitlementKind::Cash,
            expression: "20000".into(),
            fee: None,
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
            start: format!("{}-{:02}-01", today.year(), today.month() as u8),
            count: None,
            until: None,
        }),
    };
    settings::set(store, &fx.admin, &key, settings).unwrap();
    let create = CreateCycle { program: key.clone(), name: None, members_from: MembersFrom::Program };
    let c = cycle::create_next(store, &manager, &create).unwrap().cycle;
    entitlement::generate(store, &manager, c.id, &|_| {}, &AtomicBool::new(false)).unwrap();
    assert!(queue(&fx, &approver).is_empty(), "a draft waits for nobody's decision");
    approval::act(store, &manager, c.id, CycleAction::Submit, None).unwrap();

    // Submitted: the district approver decides stage 1; finance is told the funds are short, by how much.
    let mine = queue(&fx, &approver);
    assert_eq!(kinds(&mine), [WorkKind::ApproveCycle]);
    assert_eq!(
        (mine[0].cycle_id, mine[0].stage, mine[0].stage_name.as_deref()),
        (Some(c.id), Some(1), Some("District"))
    );
    assert_eq!((mine[0].count, mine[0].amount, mine[0].currency.as_deref()), (3, Some(60_000), Some("XOF")));
    assert!(queue(&fx, &manager).is_empty(), "whoever submitted it decides nothing of it");
    assert_eq!(kinds(&queue(&fx, &regional)), [WorkKind::AddFunds], "nothing waits at the region's stage yet");
    let short = queue(&fx, &finance);
    assert_eq!(kinds(&short), [WorkKind::AddFunds]);
    assert_eq!((short[0].program_code.as_deref(), short[0].amount), (Some("CASH"), Some(60_000)));
    let post =
        AddFund { program: key.clone(), amount: 45_000, currency: "XOF".into(), reference: String::new(), post: true };
    funds::add(store, &finance, &post).unwrap();
    assert_eq!(queue(&fx, &finance)[0].amount, Some(15_000), "the shortfall shrinks with what was posted");
    funds::add(store, &finance, &AddFund { amount: 15_000, ..post }).unwrap();
    assert!(queue(&fx, &finance).is_empty());

    // Stage 1 decided: every entitlement is above 15,000, so all wait for the region.
    let decide = |who: &Session, stage| {
        let d = Decide { cycle: c.id, stage, decision: DecisionKind::Approve, entitlements: None, comment: None };
        approval::decide(store, who, &d).unwrap()
    };
    decide(&approver, 1);
    assert!(queue(&fx, &approver).is_empty());
    let region = queue(&fx, &regional);
    assert_eq!(kinds(&region), [WorkKind::ApproveCycle]);
    assert_eq!((region[0].stage, region[0].stage_name.as_deref(), region[0].count), (Some(2), Some("Region"), 3));
    decide(&regional, 2);
    assert_eq!(kinds(&queue(&fx, &regional)), [WorkKind::PreparePayments], "an administrator may pay too");

    // Approved: finance prepares the two people with a financial address, then sends the batch.
    let to_pay = queue(&fx, &finance);
    assert_eq!(kinds(&to_pay), [WorkKind::PreparePayments]);
    assert_eq!((to_pay[0].count, to_pay[0].amount), (2, Some(40_000)));
    let prepared =
        payment::prepare(store, &finance, &PreparePayments { cycle: c.id, batch_size: None }, &|_| {}).unwrap();
    let to_send = queue(&fx, &finance);
    assert_eq!(kinds(&to_send), [WorkKind::SendPayments]);
    assert_eq!((to_send[0].count, to_send[0].amount), (1, Some(40_000)));
    payment::mark_sent(store, &finance, prepared.batches[0].id).unwrap();
    assert!(queue(&fx, &finance).is_empty());
}

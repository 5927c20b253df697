//! Two desks of one office working apart. Different fields of one person changed on each desk are both
//! kept; the same field changed on both goes to the later change (by HLC) on every desk, whichever desk
//! pushed last. A workflow state moved forward on one desk and an older transition from the other: the
//! state does not move back, the conflict shows on both desks, and settling it is an op that settles it
//! on both.

mod common;

use std::sync::atomic::AtomicBool;

use br_core::disbursement::approval;
use br_core::disbursement::cycle::{self, CreateCycle, CycleAction, MembersFrom};
use br_core::disbursement::entitlement;
use br_core::disbursement::model::*;
use br_core::disbursement::settings;
use br_core::program::membership;
use br_core::program::model::ProgramState;
use br_core::program::service::{self as programs, ProgramKey};
use br_core::registry::model::RegistrantFields;
use br_core::registry::service::{self, RegistrantKey};
use common::{assert_same, Central, Desk, Server};
use uuid::Uuid;

const PEOPLE: &str = "external_id,given_name,family_name,sex,birth_date,financial_address,area
P1,Amina,Diallo,female,1950-01-02,msisdn:221770000001@orange,D01
P2,Moussa,Diallo,male,1948-05-06,msisdn:221770000002@orange,D01
P3,Fatou,Sow,female,1945-01-01,msisdn:221770000003@orange,D02
";

fn key(desk: &Desk, external: &str) -> RegistrantKey {
    RegistrantKey::Reference(
        desk.column::<String>(&format!("SELECT reference FROM registrants WHERE external_id = '{external}'"))[0]
            .clone(),
    )
}

fn edit(desk: &Desk, who: &str, change: &dyn Fn(&mut RegistrantFields)) {
    let store = desk.registry.store();
    let mut fields =
        br_core::beneficiary::get_detail(store, &desk.admin, &key(desk, who), true).unwrap().registrant.fields;
    change(&mut fields);
    service::update(store, &desk.admin, &key(desk, who), fields, None).unwrap();
}

fn field(desk: &Desk, who: &str, column: &str) -> String {
    desk.column::<String>(&format!("SELECT {column} FROM registrants WHERE external_id = '{who}'"))[0].clone()
}

#[test]
fn demographic_fields_go_to_the_later_writer_field_by_field_whoever_pushes_last() {
    let central = Central::new(&[("HQ", true), ("NTH", false)]);
    let server = Server::start(&central.pg.url);
    let (one, two) = (Desk::new("NTH"), Desk::new("NTH"));
    one.enrol(&server.url, &central.code("NTH")).unwrap();
    one.import(PEOPLE);
    one.sync();
    assert_eq!(two.enrol(&server.url, &central.code("NTH")).unwrap().desk_number, Some(2));
    two.sync();
    assert_eq!(two.count("SELECT count(*) FROM registrants"), 3);

    // Apart: the second desk edits first, the first desk later; the first desk pushes first.
    edit(&two, "P1", &|f| f.family_name = Some("Diallo-Sy".into()));
    edit(&two, "P2", &|f| f.phone = Some("+221770000222".into()));
    std::thread::sleep(std::time::Duration::from_millis(5));
    edit(&one, "P1", &|f| f.phone = Some("+221770000111".into()));
    edit(&one, "P2", &|f| f.phone = Some("+221770000333".into()));
    one.sync();
    two.sync();
    one.sync();
    for desk in [&one, &two] {
        assert_eq!(field(desk, "P1", "family_name"), "Diallo-Sy", "a field changed on one desk only is kept");
        assert_eq!(field(desk, "P1", "phone"), "+221770000111");
        assert_eq!(field(desk, "P2", "phone"), "+221770000333", "the later change wins, though pushed first");
    }
    assert_same(&one, &two, "two desks of one office");

    // A person registered on each desk apart gets a reference of that desk: no collision.
    one.import("external_id,given_name,family_name,sex,birth_date,area\nQ1,Awa,Ba,female,1960-01-01,D01\n");
    two.import("external_id,given_name,family_name,sex,birth_date,area\nQ2,Ali,Ba,male,1961-01-01,D01\n");
    one.sync();
    two.sync();
    one.sync();
    assert!(field(&two, "Q2", "reference").starts_with("NTH.2-"), "the second desk's references carry its number");
    assert!(field(&one, "Q1", "reference").starts_with("NTH-"));
    assert_eq!(one.count("SELECT count(*) FROM registrants"), 5);
    assert_same(&one, &two, "after both registered apart");
    one.check();
    two.check();
}

fn cash_program(desk: &Desk) -> ProgramKey {
    let store = desk.registry.store();
    let key = ProgramKey::Code("OAP".into());
    programs::create(store, &desk.admin, common::pension_fields()).unwrap();
    programs::set_state(store, &desk.admin, &key, ProgramState::Active).unwrap();
    let rule = EntitlementRule {
        kind: EntitlementKind::Cash,
        expression: "5000".into(),
        fee: None,
        product: None,
        unit: None,
        validity_days: 30,
    };
    settings::set(
        store,
        &desk.admin,
        &key,
        DisbursementSettings {
            entitlement: Some(rule),
            stages: vec![ApprovalStage {
                name: "Check".into(),
                role: br_core::auth::Role::Approver,
                above_amount: None,
            }],
            recurrence: None,
        },
    )
    .unwrap();
    membership::enrol_eligible(store, &desk.admin, &key, &|_| {}, &AtomicBool::new(false)).unwrap();
    let fund = br_core::disbursement::funds::AddFund {
        program: key.clone(),
        amount: 1_000_000,
        currency: "XOF".into(),
        reference: "F1".into(),
        post: true,
    };
    let finance = desk.user("finance", br_core::auth::Role::Finance);
    br_core::disbursement::funds::add(store, &finance, &fund).unwrap();
    key
}

fn cycle_state(desk: &Desk) -> String {
    desk.column::<String>("SELECT state FROM cycles")[0].clone()
}

fn open_conflicts(desk: &Desk) -> Vec<Uuid> {
    br_core::sync::conflicts(desk.registry.store(), &desk.admin, false).unwrap().into_iter().map(|c| c.op_id).collect()
}

#[test]
fn a_stale_transition_never_moves_a_state_back_and_is_settled_on_both_desks() {
    let central = Central::new(&[("HQ", true)]);
    let server = Server::start(&central.pg.url);
    let (one, two) = (Desk::new("HQ"), Desk::new("HQ"));
    one.enrol(&server.url, &central.code("HQ")).unwrap();
    one.import(PEOPLE);
    let key = cash_program(&one);
    let manager = one.user("manager", br_core::auth::Role::ProgramManager);
    let store = one.registry.store();
    let create = CreateCycle { program: key, name: None, members_from: MembersFrom::Program };
    let cycle = cycle::create_next(store, &manager, &create).unwrap().cycle.id;
    entitlement::generate(store, &manager, cycle, &|_| {}, &AtomicBool::new(false)).unwrap();
    one.sync();
    two.enrol(&server.url, &central.code("HQ")).unwrap();
    two.sync();
    assert_eq!(cycle_state(&two), "draft");

    // Apart: the first desk submits and approves; the second cancels the draft.
    let approver = one.user("approver", br_core::auth::Role::Approver);
    approval::act(store, &manager, cycle, CycleAction::Submit, None).unwrap();
    let decide = approval::Decide {
        cycle,
        stage: 1,
        decision: approval::DecisionKind::Approve,
        entitlements: None,
        comment: None,
    };
    approval::decide(store, &approver, &decide).unwrap();
    approval::act(two.registry.store(), &two.admin, cycle, CycleAction::Cancel, Some("duplicate cycle")).unwrap();
    assert_eq!((cycle_state(&one).as_str(), cycle_state(&two).as_str()), ("approved", "cancelled"));
    one.sync();
    let pushed = two.sync();
    assert!(pushed.push_conflicts > 0, "the server answers the stale cancel with a conflict: {pushed:?}");
    one.sync();
    assert_eq!(cycle_state(&one), "approved", "the approved cycle is not moved back by the stale cancel");
    assert_eq!(cycle_state(&two), "cancelled", "and the cancelled one is not reopened by the older submit");
    let (seen_one, seen_two) = (open_conflicts(&one), open_conflicts(&two));
    assert!(
        !seen_one.is_empty() && !seen_two.is_empty(),
        "the conflict shows on both desks: {seen_one:?} {seen_two:?}"
    );
    let shared: Vec<&Uuid> = seen_one.iter().filter(|op| seen_two.contains(op)).collect();
    assert!(!shared.is_empty(), "both desks kept the conflict of the same op");

    // Settled on the first desk, it is settled on the second when the settlement arrives.
    let first = br_core::sync::conflicts(store, &one.admin, false).unwrap();
    let target = first.iter().find(|c| seen_two.contains(&c.op_id)).unwrap();
    br_core::sync::resolve(store, &one.admin, target.id, Some("the cycle was approved at headquarters".into()))
        .unwrap();
    one.sync();
    two.sync();
    assert!(!open_conflicts(&two).contains(&target.op_id), "settled on the other desk too");
    let settled = br_core::sync::conflicts(two.registry.store(), &two.admin, true).unwrap();
    let there = settled.iter().find(|c| c.op_id == target.op_id).unwrap();
    assert_eq!(there.resolved_by.as_deref(), Some("admin"));
    assert_eq!(cycle_state(&one), "approved");
}

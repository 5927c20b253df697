use br_model::op::{GeneratedEntitlement, GeneratedEntitlements, OpRecord};
use br_model::registry::{RegistrantFields, RegistrantKind};

use super::*;

const HQ: Uuid = Uuid::from_u128(1);
const NORTH: Uuid = Uuid::from_u128(2);
const SOUTH: Uuid = Uuid::from_u128(3);

fn desk(office: Uuid) -> Pusher {
    Pusher { device: Uuid::from_u128(100 + office.as_u128()), office, headquarters: office == HQ }
}

fn record(by: Pusher, seq: i64, op: Op) -> OpRecord {
    OpRecord {
        op_id: Uuid::now_v7(),
        device_id: by.device,
        seq,
        hlc: seq,
        at: "2026-11-30T00:00:00Z".into(),
        owner_office: by.office,
        base_version: None,
        schema_version: 7,
        actor: None,
        op,
    }
}

fn person(id: u128) -> Op {
    Op::RegistrantCreated {
        id: Uuid::from_u128(id),
        kind: RegistrantKind::Individual,
        reference: format!("P{id}"),
        registered_on: "2026-11-30".into(),
        fields: RegistrantFields::default(),
    }
}

fn ledger() -> Ledger {
    let mut l = Ledger::default();
    l.headquarters.insert(HQ);
    l
}

fn accepted(d: Decision) -> (Visibility, Option<CycleState>, Vec<(Uuid, Op)>) {
    match d {
        Decision::Accepted { visibility, conflict, slices } => (visibility, conflict, slices),
        Decision::Rejected { code, reason } => panic!("rejected {code:?}: {reason}"),
    }
}

#[test]
fn an_office_changes_its_own_people_and_is_refused_on_another_offices() {
    let mut l = ledger();
    accepted(l.decide(&record(desk(NORTH), 1, person(10)), desk(NORTH)));
    let edit = Op::RegistrantDisabled { id: Uuid::from_u128(10), reason: "moved".into() };
    assert!(matches!(
        l.decide(&record(desk(SOUTH), 1, edit.clone()), desk(SOUTH)),
        Decision::Rejected { code: RejectCode::NotOwner, .. }
    ));
    assert!(
        matches!(
            l.decide(&record(desk(HQ), 1, edit.clone()), desk(HQ)),
            Decision::Rejected { code: RejectCode::NotOwner, .. }
        ),
        "headquarters sees everyone but owns only its own"
    );
    accepted(l.decide(&record(desk(NORTH), 2, edit), desk(NORTH)));
    assert!(matches!(
        l.decide(&record(desk(SOUTH), 2, person(10)), desk(SOUTH)),
        Decision::Rejected { code: RejectCode::RowExists, .. }
    ));
    let ghost = Op::RegistrantDisabled { id: Uuid::from_u128(99), reason: "x".into() };
    assert!(matches!(
        l.decide(&record(desk(NORTH), 3, ghost), desk(NORTH)),
        Decision::Rejected { code: RejectCode::UnknownRow, .. }
    ));
}

#[test]
fn an_op_that_does_not_name_its_pusher_is_invalid() {
    let mut l = ledger();
    let mut rec = record(desk(NORTH), 1, person(10));
    rec.owner_office = SOUTH;
    assert!(matches!(l.decide(&rec, desk(NORTH)), Decision::Rejected { code: RejectCode::InvalidOp, .. }));
    assert!(l.new_owners.is_empty(), "a rejected op claims nothing");
}

#[test]
fn headquarters_entitlements_are_sliced_to_each_district_by_its_people() {
    let mut l = ledger();
    accepted(l.decide(&record(desk(NORTH), 1, person(10)), desk(NORTH)));
    accepted(l.decide(&record(desk(SOUTH), 1, person(20)), desk(SOUTH)));
    let cycle = Uuid::from_u128(500);
    l.owners.insert(cycle, HQ);
    let generated = Op::EntitlementsGenerated(GeneratedEntitlements {
        cycle,
        kind: br_model::disbursement::EntitlementKind::Cash,
        currency: "ETB".into(),
        product: None,
        unit: None,
        valid_from: "2026-12-01".into(),
        valid_until: "2026-12-31".into(),
        rows: vec![
            GeneratedEntitlement(Uuid::from_u128(1000), Uuid::from_u128(10), 5, 0, None, None),
            GeneratedEntitlement(Uuid::from_u128(1001), Uuid::from_u128(20), 5, 0, None, None),
        ],
    });
    let (visibility, conflict, slices) = accepted(l.decide(&record(desk(HQ), 1, generated), desk(HQ)));
    assert_eq!((visibility, conflict), (Visibility::Sliced, None));
    assert_eq!(slices.len(), 2, "one slice per district");
    for (office, op) in slices {
        let Op::EntitlementsGenerated(part) = op else { panic!() };
        let person = if office == NORTH { Uuid::from_u128(10) } else { Uuid::from_u128(20) };
        assert_eq!(part.rows.iter().map(|r| r.1).collect::<Vec<_>>(), vec![person]);
    }
    assert_eq!(l.people.get(&Uuid::from_u128(1001)), Some(&SOUTH), "the entitlement follows its person's office");
    assert_eq!(l.owners.get(&Uuid::from_u128(1001)), Some(&HQ), "and is owned by the program's office");
}

#[test]
fn a_stale_cycle_transition_is_a_conflict_and_leaves_the_state() {
    let mut l = ledger();
    let cycle = Uuid::from_u128(500);
    l.owners.insert(cycle, HQ);
    l.cycles.insert(cycle, CycleState::Approved);
    let stale = Op::CycleStateSet { id: cycle, from: CycleState::ToApprove, to: CycleState::Draft };
    let (_, conflict, _) = accepted(l.decide(&record(desk(HQ), 1, stale), desk(HQ)));
    assert_eq!(conflict, Some(CycleState::Approved));
    assert_eq!(l.cycles[&cycle], CycleState::Approved, "states never move backwards");
    let forward = Op::CycleStateSet { id: cycle, from: CycleState::Approved, to: CycleState::Distributing };
    let (_, conflict, _) = accepted(l.decide(&record(desk(HQ), 2, forward), desk(HQ)));
    assert_eq!(conflict, None);
    assert_eq!(l.cycles[&cycle], CycleState::Distributing);
}

#[test]
fn lists_are_changed_by_headquarters_only() {
    let mut l = ledger();
    let item = Op::ListItemSaved {
        list: br_model::registry::ListName::Tag,
        code: "x".into(),
        label: "X".into(),
        parent: None,
        active: true,
    };
    assert!(matches!(
        l.decide(&record(desk(NORTH), 1, item.clone()), desk(NORTH)),
        Decision::Rejected { code: RejectCode::HeadquartersOnly, .. }
    ));
    accepted(l.decide(&record(desk(HQ), 1, item), desk(HQ)));
}

use br_model::op::{GeneratedEntitlement, GeneratedEntitlements, MembershipMove, Op, StageDecision, StageVerdict};
use br_model::program::MembershipState;
use br_model::roles::Role;

use super::*;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn generated(rows: &[(u128, u128)]) -> Op {
    Op::EntitlementsGenerated(GeneratedEntitlements {
        cycle: id(1),
        kind: br_model::disbursement::EntitlementKind::Cash,
        currency: "ETB".into(),
        product: None,
        unit: None,
        valid_from: "2026-01-01".into(),
        valid_until: "2026-03-31".into(),
        rows: rows.iter().map(|(e, r)| GeneratedEntitlement(id(*e), id(*r), 100, 0, None, None)).collect(),
    })
}

#[test]
fn a_membership_belongs_to_the_registrants_office_and_only_it_and_headquarters_see_it() {
    let op = Op::ProgramMembershipMoved(MembershipMove {
        id: id(5),
        program: id(9),
        registrant: id(7),
        from: MembershipState::Draft,
        to: MembershipState::Enrolled,
        enrolled_on: None,
        exited_on: None,
        reason: None,
        pmt_score: None,
    });
    let c = claims(&op);
    assert_eq!(c.owned, vec![id(7)], "the registrant must be the pushing office's; the program need not be");
    assert_eq!(c.owned_or_new, vec![id(5)]);
    assert_eq!(visibility(&op), Visibility::Owner);
}

#[test]
fn generated_entitlements_follow_their_registrants_and_slice_by_them() {
    let op = generated(&[(10, 100), (11, 101), (12, 100)]);
    let c = claims(&op);
    assert_eq!(c.owned, vec![id(1)], "only the cycle's owner generates");
    assert_eq!(c.about, vec![(id(10), id(100)), (id(11), id(101)), (id(12), id(100))]);
    assert_eq!(visibility(&op), Visibility::Sliced);
    let Some(Op::EntitlementsGenerated(part)) = slice(&op, &|r| r == id(100)) else { panic!("a part is kept") };
    assert_eq!(part.rows.iter().map(|r| r.0).collect::<Vec<_>>(), vec![id(10), id(12)]);
    assert_eq!(slice(&op, &|r| r == id(999)), None, "an office with none of these people gets nothing");
}

#[test]
fn a_decision_on_named_entitlements_is_cut_together_with_its_approval_records() {
    let op = Op::EntitlementsDecided(StageDecision {
        cycle: id(1),
        stage: 0,
        verdict: StageVerdict::Approved,
        role: Role::ProgramManager,
        comment: None,
        entitlements: Some(vec![id(10), id(11), id(12)]),
        approvals: vec![id(20), id(21), id(22)],
        count: 3,
        total: 300,
    });
    let Some(Op::EntitlementsDecided(part)) = slice(&op, &|e| e != id(11)) else { panic!("a part is kept") };
    assert_eq!(part.entitlements, Some(vec![id(10), id(12)]));
    assert_eq!(part.approvals, vec![id(20), id(22)]);
    assert_eq!(part.count, 2);
}

#[test]
fn a_whole_set_decision_is_seen_by_every_office() {
    let op = Op::EntitlementsDecided(StageDecision {
        cycle: id(1),
        stage: 0,
        verdict: StageVerdict::Approved,
        role: Role::ProgramManager,
        comment: None,
        entitlements: None,
        approvals: vec![id(20)],
        count: 3,
        total: 300,
    });
    assert_eq!(visibility(&op), Visibility::All);
}

#[test]
fn shared_settings_are_headquarters_only_and_registrant_changes_need_the_owner() {
    let list = Op::ListItemSaved {
        list: br_model::registry::ListName::Area,
        code: "A".into(),
        label: "A".into(),
        parent: None,
        active: true,
    };
    assert!(claims(&list).headquarters_only);
    assert_eq!(visibility(&list), Visibility::All);
    let merged = Op::RegistrantMerged { id: id(3), into: id(4) };
    assert_eq!(claims(&merged).owned, vec![id(3), id(4)]);
    assert_eq!(visibility(&merged), Visibility::Owner);
}

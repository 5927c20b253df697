//! Households from the desk: registered with their members in one step, a member moving or leaving, a new
//! head. Each change is one transaction with its ops and audit entries; a refusal changes nothing.

mod common;

use br_core::household::{self, NewMember};
use br_core::registry::model::{RegistrantFields, RegistrantKind};
use br_core::registry::service::RegistrantKey;
use br_core::ErrorCode;
use common::*;

fn person(given: &str, sex: &str) -> RegistrantFields {
    RegistrantFields {
        given_name: Some(given.into()),
        family_name: Some("Diallo".into()),
        sex: Some(sex.into()),
        birth_date: Some("1990-04-01".into()),
        ..Default::default()
    }
}

fn household(name: &str) -> RegistrantFields {
    RegistrantFields { group_name: Some(name.into()), area: Some("D01".into()), ..Default::default() }
}

fn member(given: &str, sex: &str, kind: &str) -> NewMember {
    NewMember { fields: person(given, sex), kind: kind.into() }
}

fn key(reference: &str) -> RegistrantKey {
    RegistrantKey::Reference(reference.into())
}

/// (member reference, kind, is head, ended) of a household's memberships, in member order.
fn memberships(f: &Fixture, group: &str) -> Vec<(String, String, bool, bool)> {
    f.registry
        .store()
        .read(|c| {
            let mut st = c.prepare(
                "SELECT i.reference, m.kind, m.is_head, m.end_date IS NOT NULL FROM memberships m
                 JOIN registrants g ON g.rowid = m.group_rowid JOIN registrants i ON i.rowid = m.individual_rowid
                 WHERE g.reference = ?1 ORDER BY i.reference",
            )?;
            let rows = st.query_map([group], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            let rows = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .unwrap()
}

fn op_kinds_since(f: &Fixture, seq: i64) -> Vec<String> {
    f.registry
        .store()
        .read(|c| {
            let mut st = c.prepare("SELECT kind FROM outbox WHERE seq > ?1 ORDER BY seq")?;
            let kinds = st.query_map([seq], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(kinds)
        })
        .unwrap()
}

fn audited(f: &Fixture, action: &str) -> usize {
    f.registry
        .store()
        .read(
            |c| Ok(c.query_row("SELECT count(*) FROM audit_log WHERE action = ?1", [action], |r| r.get::<_, i64>(0))?),
        )
        .unwrap() as usize
}

#[test]
fn a_household_of_three_is_registered_in_one_step_with_its_head() {
    let f = Fixture::new();
    let before = f.assert_outbox_gapless();
    let r = household::register(
        f.registry.store(),
        &f.admin,
        household("Diallo household"),
        vec![member("Awa", "female", "head"), member("Moussa", "male", "spouse"), member("Fanta", "female", "child")],
    )
    .unwrap();
    assert_eq!(r.household.kind, RegistrantKind::Group);
    let refs: Vec<String> = r.members.iter().map(|m| m.reference.clone()).collect();
    assert_eq!(refs.len(), 3);
    assert_eq!(r.members[1].fields.given_name.as_deref(), Some("Moussa"));
    let expected: Vec<(String, String, bool, bool)> = [("head", true), ("spouse", false), ("child", false)]
        .iter()
        .zip(&refs)
        .map(|((kind, head), reference)| (reference.clone(), kind.to_string(), *head, false))
        .collect();
    assert_eq!(memberships(&f, &r.household.reference), expected);
    let ops = op_kinds_since(&f, before);
    assert_eq!(ops.iter().filter(|k| k.as_str() == "registrant_created").count(), 4, "{ops:?}");
    assert_eq!(ops.iter().filter(|k| k.as_str() == "household_member_joined").count(), 3, "{ops:?}");
    assert_eq!(audited(&f, "registrant.create"), 4);
    f.assert_outbox_gapless();
}

#[test]
fn a_household_with_one_refused_member_or_two_heads_is_not_registered_at_all() {
    let f = Fixture::new();
    let before = f.fingerprint();
    let bad_sex = household::register(
        f.registry.store(),
        &f.admin,
        household("H"),
        vec![member("Awa", "female", "head"), member("X", "unknown", "child")],
    )
    .unwrap_err();
    assert_eq!(bad_sex.code(), ErrorCode::InvalidInput);
    assert!(bad_sex.to_string().contains("member 2"), "{bad_sex}");
    let two_heads = household::register(
        f.registry.store(),
        &f.admin,
        household("H"),
        vec![member("A", "female", "head"), member("B", "male", "head")],
    )
    .unwrap_err();
    assert_eq!(two_heads.code(), ErrorCode::InvalidInput);
    let bad_kind = household::register(
        f.registry.store(),
        &f.admin,
        household("H"),
        vec![member("A", "female", "cousin_twice_removed")],
    )
    .unwrap_err();
    assert_eq!(bad_kind.code(), ErrorCode::InvalidInput);
    let too_many: Vec<NewMember> =
        (0..=household::MAX_MEMBERS).map(|i| member(&format!("M{i}"), "male", "child")).collect();
    let refused = household::register(f.registry.store(), &f.admin, household("H"), too_many).unwrap_err();
    assert_eq!(refused.code(), ErrorCode::InvalidInput);
    assert_eq!(f.fingerprint(), before, "a refused registration changes nothing");
    let officer = f.user("viewer", br_core::auth::Role::Auditor);
    let denied = household::register(f.registry.store(), &officer, household("H"), vec![]).unwrap_err();
    assert_eq!(denied.code(), ErrorCode::PermissionDenied);
}

#[test]
fn a_child_moves_to_another_household_and_a_member_becomes_head() {
    let f = Fixture::new();
    let store = f.registry.store();
    let first = household::register(
        store,
        &f.admin,
        household("First"),
        vec![member("Awa", "female", "head"), member("Moussa", "male", "spouse"), member("Fanta", "female", "child")],
    )
    .unwrap();
    let second =
        household::register(store, &f.admin, household("Second"), vec![member("Hawa", "female", "head")]).unwrap();
    let (h1, h2) = (first.household.reference.clone(), second.household.reference.clone());
    let [awa, moussa, fanta] = [0, 1, 2].map(|i| first.members[i].reference.clone());
    let hawa = second.members[0].reference.clone();

    let before = f.assert_outbox_gapless();
    household::move_member(store, &f.admin, &key(&fanta), &key(&h2), "child").unwrap();
    assert_eq!(op_kinds_since(&f, before), ["household_member_left", "household_member_joined"]);
    assert!(
        memberships(&f, &h1).contains(&(fanta.clone(), "child".into(), false, true)),
        "the old place is kept, ended"
    );
    assert_eq!(
        memberships(&f, &h2),
        [(fanta.clone(), "child".into(), false, false), (hawa.clone(), "head".into(), true, false)]
    );

    household::set_head(store, &f.admin, &key(&h1), &key(&moussa), "spouse").unwrap();
    let now = memberships(&f, &h1);
    assert!(now.contains(&(moussa.clone(), "head".into(), true, false)), "{now:?}");
    assert!(now.contains(&(awa.clone(), "spouse".into(), false, false)), "the former head stays, as spouse: {now:?}");
    assert_eq!(now.iter().filter(|m| m.2 && !m.3).count(), 1, "one head");

    let fingerprint = f.fingerprint();
    for refused in [
        household::set_head(store, &f.admin, &key(&h1), &key(&fanta), "child"),
        household::set_head(store, &f.admin, &key(&h1), &key(&awa), "head"),
        household::move_member(store, &f.admin, &key(&h1), &key(&h2), "child"),
        household::move_member(store, &f.admin, &key(&awa), &key(&h2), "no_such_kind"),
    ] {
        assert_eq!(refused.unwrap_err().code(), ErrorCode::InvalidInput);
    }
    assert_eq!(f.fingerprint(), fingerprint, "refusals change nothing");

    household::end_membership(store, &f.admin, &key(&h1), &key(&awa)).unwrap();
    assert!(memberships(&f, &h1).contains(&(awa.clone(), "spouse".into(), false, true)));
    let again = household::end_membership(store, &f.admin, &key(&h1), &key(&awa)).unwrap_err();
    assert_eq!(again.code(), ErrorCode::NotFound);
    assert_eq!(
        (audited(&f, "membership.move"), audited(&f, "membership.set_head"), audited(&f, "membership.end")),
        (1, 1, 1)
    );
    f.assert_outbox_gapless();
}

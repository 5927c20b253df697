//! Registry services: create, edit, disable, memberships, lists and custom fields; every change has its
//! change-log op, and permissions are checked in core.

mod common;

use br_core::auth::Role;
use br_core::beneficiary::{self, HouseholdLink};
use br_core::registry::model::*;
use br_core::registry::service::{self, RegistrantKey};
use br_core::ErrorCode;
use common::*;

fn person(given: &str, family: &str) -> RegistrantFields {
    RegistrantFields {
        given_name: Some(given.into()),
        family_name: Some(family.into()),
        sex: Some("female".into()),
        ..Default::default()
    }
}

use br_model::op::{Op, RegistrantField};

fn ops_for(f: &Fixture, id: uuid::Uuid) -> Vec<(String, Option<i64>, i64)> {
    f.registry
        .store()
        .read(|c| {
            let mut st = c.prepare("SELECT kind, base_version, hlc FROM outbox WHERE entity_id = ?1 ORDER BY seq")?;
            let v =
                st.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(v)
        })
        .unwrap()
}

fn new_group(f: &Fixture, name: &str) -> Registrant {
    let fields = RegistrantFields { group_name: Some(name.into()), ..Default::default() };
    beneficiary::create(f.registry.store(), &f.admin, RegistrantKind::Group, fields, None).unwrap()
}

#[test]
fn every_change_appends_one_op_with_increasing_stamps() {
    let f = Fixture::new();
    let store = f.registry.store();
    let group = new_group(&f, "Household 1");
    let head = beneficiary::create(
        store,
        &f.admin,
        RegistrantKind::Individual,
        person("Amina", "Diallo"),
        Some(HouseholdLink { group: RegistrantKey::Reference(group.reference.clone()), kind: "head".into() }),
    )
    .unwrap();
    let key = RegistrantKey::Id(head.id);
    let mut edited = person("Amina", "Diallo-Sow");
    edited.phone = Some("+221 77 000 0001".into());
    let after = service::update(store, &f.admin, &key, edited.clone(), Some(head.version.clone())).unwrap();
    assert_eq!(after.fields.phone.as_deref(), Some("+221770000001"));
    let stale = service::update(store, &f.admin, &key, person("X", "Y"), Some(head.version.clone())).unwrap_err();
    assert_eq!(stale.code(), ErrorCode::InvalidInput, "an edit from a stale version is refused");
    service::disable(store, &f.admin, &key, "moved away").unwrap();
    assert_eq!(service::disable(store, &f.admin, &key, "again").unwrap_err().code(), ErrorCode::InvalidInput);
    let ops = ops_for(&f, head.id);
    let kinds: Vec<&str> = ops.iter().map(|o| o.0.as_str()).collect();
    assert_eq!(
        kinds,
        ["registrant_created", "household_member_joined", "registrant_updated", "registrant_disabled"],
        "registrant create, membership create, update, disable"
    );
    let records = store.read(|c| br_core::outbox::read_records(c, 0, 100)).unwrap();
    let update = records.iter().find(|r| matches!(r.op, Op::RegistrantUpdated { .. })).unwrap();
    let Op::RegistrantUpdated { changed, fields, .. } = &update.op else { unreachable!() };
    assert_eq!(changed, &[RegistrantField::FamilyName, RegistrantField::Phone], "the update names what changed");
    assert_eq!(fields.family_name.as_deref(), Some("Diallo-Sow"));
    assert_eq!(update.actor.as_deref(), Some(f.admin.username()), "the record names who made the change");
    assert_eq!(update.device_id, store.office().device_id);
    assert!(records.iter().all(|r| r.owner_office == store.office().office_id));
    assert!(ops.windows(2).all(|w| w[0].2 < w[1].2), "stamps increase");
    assert_eq!(ops[2].1.map(|v| v.to_string()), Some(head.version.clone()), "an update names the version it replaced");
    assert_eq!(f.assert_outbox_gapless(), 5);
    let detail = beneficiary::get_detail(store, &f.admin, &key, false).unwrap();
    assert_eq!(detail.registrant.status, RegistrantStatus::Disabled);
    assert_eq!(detail.groups.len(), 1);
    assert!(detail.history.iter().any(|h| h.action == "registrant.disable"));
}

#[test]
fn one_head_per_group() {
    let f = Fixture::new();
    let store = f.registry.store();
    let group = new_group(&f, "H");
    let link = |k: &str| Some(HouseholdLink { group: RegistrantKey::Id(group.id), kind: k.into() });
    beneficiary::create(store, &f.admin, RegistrantKind::Individual, person("A", "B"), link("head")).unwrap();
    let before = f.fingerprint();
    let err =
        beneficiary::create(store, &f.admin, RegistrantKind::Individual, person("C", "D"), link("head")).unwrap_err();
    assert!(err.to_string().contains("already has a head"));
    assert_eq!(f.fingerprint(), before, "the refused member was not created either");
}

#[test]
fn validation_names_the_field() {
    let f = Fixture::new();
    let store = f.registry.store();
    let cases = [
        (RegistrantFields { given_name: Some("=cmd()".into()), ..Default::default() }, "given_name"),
        (
            RegistrantFields {
                given_name: Some("A".into()),
                birth_date: Some("2999-01-01".into()),
                ..Default::default()
            },
            "birth_date",
        ),
        (RegistrantFields { given_name: Some("A".into()), sex: Some("x".into()), ..Default::default() }, "sex"),
        (
            RegistrantFields { given_name: Some("A".into()), phone: Some("call me".into()), ..Default::default() },
            "phone",
        ),
        (RegistrantFields::default(), "given_name"),
    ];
    for (fields, field) in cases {
        let err = beneficiary::create(store, &f.admin, RegistrantKind::Individual, fields, None).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput);
        assert!(err.to_string().starts_with(field), "{err}");
    }
}

#[test]
fn custom_fields_are_typed_and_lists_are_checked() {
    let f = Fixture::new();
    let store = f.registry.store();
    service::define_custom_field(
        store,
        &f.admin,
        CustomField {
            name: "land_hectares".into(),
            label: "Land".into(),
            field_type: CustomFieldType::Decimal,
            choices: vec![],
            required: false,
            personal: false,
        },
    )
    .unwrap();
    let mut ok = person("A", "B");
    ok.custom.insert("land_hectares".into(), serde_json::json!("2.5"));
    beneficiary::create(store, &f.admin, RegistrantKind::Individual, ok, None).unwrap();
    let mut bad = person("A", "B");
    bad.custom.insert("land_hectares".into(), serde_json::json!("a lot"));
    assert!(beneficiary::create(store, &f.admin, RegistrantKind::Individual, bad, None)
        .unwrap_err()
        .to_string()
        .contains("custom:land_hectares"));
    // Areas are free until the office lists some; then only listed codes pass.
    let mut area = person("A", "B");
    area.area = Some("Z9".into());
    beneficiary::create(store, &f.admin, RegistrantKind::Individual, area.clone(), None).unwrap();
    service::upsert_list_item(
        store,
        &f.admin,
        ListName::Area,
        ListItem { code: "D01".into(), label: "North".into(), parent: None, active: true },
    )
    .unwrap();
    assert!(beneficiary::create(store, &f.admin, RegistrantKind::Individual, area, None)
        .unwrap_err()
        .to_string()
        .contains("D01"));
}

#[test]
fn roles_are_enforced_in_core_and_refusals_audited() {
    let f = Fixture::new();
    let store = f.registry.store();
    let registrar = f.user("reg.one", Role::Registrar);
    let approver = f.user("appr.one", Role::Approver);
    beneficiary::create(store, &registrar, RegistrantKind::Individual, person("A", "B"), None).unwrap();
    let before = f.fingerprint();
    let err = beneficiary::create(store, &approver, RegistrantKind::Individual, person("C", "D"), None).unwrap_err();
    assert_eq!(err.code(), ErrorCode::PermissionDenied);
    let err = br_core::auth::add_user(
        store,
        &registrar,
        "sneaky",
        "S",
        Role::Admin,
        &br_core::secret::Secret::new("password-123"),
    )
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::PermissionDenied);
    assert_eq!(f.fingerprint(), before);
    let denied: i64 = store
        .read(|c| Ok(c.query_row("SELECT count(*) FROM audit_log WHERE outcome = 'denied'", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(denied, 2);
    assert_eq!(
        f.registry.login("reg.one", &br_core::secret::Secret::new("wrong-password")).unwrap_err().code(),
        ErrorCode::AuthenticationFailed
    );
}

#[test]
fn an_edit_is_in_the_history_where_both_values_have_one_mask_and_a_cleared_field_with_what_it_was() {
    let f = Fixture::new();
    let store = f.registry.store();
    let mut fields = person("Amna", "Diallo");
    fields.phone = Some("+251911000111".into());
    let created = beneficiary::create(store, &f.admin, RegistrantKind::Individual, fields.clone(), None).unwrap();
    fields.phone = None;
    fields.given_name = Some("Amina".into());
    let key = RegistrantKey::Id(created.id);
    service::update(store, &f.admin, &key, fields, Some(created.version.clone())).unwrap();
    let detail = beneficiary::get_detail(store, &f.admin, &key, false).unwrap();
    let update = detail.history.iter().find(|h| h.action == "registrant.update").unwrap();
    assert!(update.details["phone"]["before"].is_string(), "{}", update.details);
    assert!(update.details["phone"]["after"].is_null(), "{}", update.details);
    assert!(!update.details["phone"]["before"].as_str().unwrap().contains("000111"), "masked");
    assert!(update.details.get("given_name").is_some());
    assert!(update.details.get("family_name").is_none(), "only what changed");
}

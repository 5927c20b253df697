//! What the desktop screens read beyond the registry itself: dashboard counts, the filtered audit log, the
//! import preview and saved column mappings. Real encrypted registries, real CSV files.

mod common;

use br_core::audit::{AuditQuery, Outcome};
use br_core::auth::Role;
use br_core::io::import::ImportOptions;
use br_core::io::mapping::{self, ColumnMapping, SavedMapping};
use br_core::io::preview::{preview_file, PreviewOptions};
use br_core::registry::model::{ListItem, ListName};
use br_core::registry::service;
use br_core::ErrorCode;
use common::Fixture;

/// Omar's birth date is ten years before today, so he stays in the 5-17 band whatever year the test runs.
fn people() -> String {
    let omar = br_core::clock::years_before(br_core::clock::today(), 10);
    format!(
        "external_id,given_name,family_name,sex,birth_date,area,household_ref,relationship\n\
P1,Amina,Diallo,female,1950-01-01,D01,H1,head\n\
P2,Omar,Diallo,male,{omar},D01,H1,child\n\
P3,Sara,Bekele,female,1990-03-03,D02,,\n\
P4,Yonas,Bekele,male,,D02,,\n\
P5,Bad,Date,female,1990-13-45,D02,,\n"
    )
}

fn areas(f: &Fixture) {
    for code in ["D01", "D02"] {
        let item = ListItem { code: code.into(), label: code.into(), parent: None, active: true };
        service::upsert_list_item(f.registry.store(), &f.admin, ListName::Area, item).unwrap();
    }
}

fn with_people() -> Fixture {
    let f = Fixture::new();
    areas(&f);
    let path = f.file("people.csv", people().as_bytes());
    let summary = f.import(&f.admin, &path, &ImportOptions::default()).unwrap();
    assert_eq!(summary.rejected, 1);
    f
}

#[test]
fn dashboard_counts_people_households_areas_sexes_age_bands_and_imports() {
    let f = with_people();
    let s = br_core::dashboard::stats(f.registry.store(), &f.admin).unwrap();
    assert_eq!((s.individuals, s.groups, s.disabled), (4, 1, 0));
    let count = |list: &[br_core::dashboard::Count], key: Option<&str>| {
        list.iter().find(|c| c.key.as_deref() == key).map(|c| c.count).unwrap_or(0)
    };
    assert_eq!((count(&s.by_area, Some("D01")), count(&s.by_area, Some("D02"))), (2, 2));
    assert_eq!((count(&s.by_sex, Some("female")), count(&s.by_sex, Some("male"))), (2, 2));
    assert_eq!(count(&s.by_age_band, Some("60+")), 1);
    assert_eq!(count(&s.by_age_band, Some("5-17")), 1);
    assert_eq!(count(&s.by_age_band, Some("18-59")), 1);
    assert_eq!(count(&s.by_age_band, None), 1, "no birth date");
    assert_eq!(s.imports.len(), 1);
    assert_eq!((s.imports[0].inserted, s.imports[0].rejected), (4, 1));
}

#[test]
fn dashboard_counts_follow_every_write_and_equal_a_recount() {
    let f = with_people();
    let store = f.registry.store();
    let stats = || br_core::dashboard::stats(store, &f.admin).unwrap();
    let count = |list: &[br_core::dashboard::Count], key: Option<&str>| {
        list.iter().find(|c| c.key.as_deref() == key).map(|c| c.count).unwrap_or(0)
    };
    let (rowid, reference): (i64, String) = store
        .read(|c| {
            Ok(c.query_row("SELECT rowid, reference FROM registrants WHERE external_id = 'P3'", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?)
        })
        .unwrap();
    let key = service::RegistrantKey::Reference(reference);

    // Sara moves to D01, her birth date is corrected to a child's, and her sex code to male.
    let mut fields = store.read(|c| br_core::registry::read::load(c, rowid)).unwrap().unwrap().fields;
    fields.area = Some("D01".into());
    fields.birth_date = Some(br_core::clock::years_before(br_core::clock::today(), 10).to_string());
    fields.sex = Some("male".into());
    service::update(store, &f.admin, &key, fields, None).unwrap();
    let s = stats();
    assert_eq!((count(&s.by_area, Some("D01")), count(&s.by_area, Some("D02"))), (3, 1));
    assert_eq!((count(&s.by_sex, Some("female")), count(&s.by_sex, Some("male"))), (1, 3));
    assert_eq!((count(&s.by_age_band, Some("5-17")), count(&s.by_age_band, Some("18-59"))), (2, 0));

    // Disabled, she leaves every count but `disabled`.
    service::disable(store, &f.admin, &key, "moved away").unwrap();
    let s = stats();
    assert_eq!((s.individuals, s.groups, s.disabled), (3, 1, 1));
    assert_eq!((count(&s.by_area, Some("D01")), count(&s.by_sex, Some("male"))), (2, 2));
    assert_eq!(count(&s.by_age_band, Some("5-17")), 1);

    // A re-import that changes one person's area and adds one.
    let again = f.file(
        "again.csv",
        b"external_id,given_name,family_name,sex,area\nP4,Yonas,Bekele,male,D01\nP6,Hana,Girma,female,\n",
    );
    f.import(&f.admin, &again, &ImportOptions::default()).unwrap();
    let s = stats();
    assert_eq!((s.individuals, s.groups, s.disabled), (4, 1, 1));
    assert_eq!((count(&s.by_area, Some("D01")), count(&s.by_area, Some("D02")), count(&s.by_area, None)), (3, 0, 1));
    assert_eq!(count(&s.by_age_band, None), 2, "Yonas and Hana have no birth date");

    let report = br_core::check::run(store, &f.admin).unwrap();
    assert!(
        report.checks.iter().any(|c| c.name == "registrants.counts_exact" && c.problems == 0),
        "{:?}",
        report.checks
    );
}

#[test]
fn the_audit_log_filters_by_action_user_outcome_and_pages_newest_first() {
    let f = with_people();
    let auditor = f.user("visitor", Role::Auditor);
    // A refusal, audited as denied.
    let err = br_core::io::export::export_csv(
        f.registry.store(),
        &auditor,
        &f.dir.path().join("out.csv"),
        false,
        &br_core::io::export::ExportOptions { include_personal: true, include_disabled: false },
    )
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::PermissionDenied);

    let all = br_core::audit_query::list(f.registry.store(), &auditor, &AuditQuery::default()).unwrap();
    assert!(all.entries.windows(2).all(|w| w[0].seq > w[1].seq), "newest first");
    let denied = br_core::audit_query::list(
        f.registry.store(),
        &auditor,
        &AuditQuery { outcome: Some(Outcome::Denied), ..Default::default() },
    )
    .unwrap();
    assert_eq!(denied.entries.len(), 1);
    assert_eq!(denied.entries[0].username.as_deref(), Some("visitor"));
    let imports = br_core::audit_query::list(
        f.registry.store(),
        &auditor,
        &AuditQuery { action: Some("import.".into()), username: Some("admin".into()), ..Default::default() },
    )
    .unwrap();
    assert!(!imports.entries.is_empty() && imports.entries.iter().all(|e| e.action.starts_with("import.")));
    // Each record is named as people know it: the import by its file, a user by their name.
    let run = imports.entries.iter().find(|e| e.action == "import.run").expect("the import is audited");
    assert_eq!(imports.labels.get(run.entity_id.as_deref().unwrap()).map(String::as_str), Some("people.csv"));
    let user = all.entries.iter().find(|e| e.action == "user.add").expect("a user was added");
    assert_eq!(all.labels.get(user.entity_id.as_deref().unwrap()).map(String::as_str), Some("visitor"));
    // A `%` in the filter is a literal character, not a wildcard.
    let literal = br_core::audit_query::list(
        f.registry.store(),
        &auditor,
        &AuditQuery { action: Some("%".into()), ..Default::default() },
    )
    .unwrap();
    assert!(literal.entries.is_empty());

    // Pages of two: every entry once, in order, then no cursor.
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = br_core::audit_query::list(
            f.registry.store(),
            &auditor,
            &AuditQuery { limit: Some(2), before, ..Default::default() },
        )
        .unwrap();
        seen.extend(page.entries.iter().map(|e| e.seq));
        match page.next_before {
            Some(b) => before = Some(b),
            None => break,
        }
    }
    assert_eq!(seen, all.entries.iter().map(|e| e.seq).collect::<Vec<_>>());

    let registrar = f.user("clerk", Role::Registrar);
    let refused = br_core::audit_query::list(f.registry.store(), &registrar, &AuditQuery::default()).unwrap_err();
    assert_eq!(refused.code(), ErrorCode::PermissionDenied);
}

#[test]
fn the_preview_gives_each_row_the_verdict_of_the_import_and_writes_nothing() {
    let f = Fixture::new();
    areas(&f);
    let path = f.file("people.csv", people().as_bytes());
    let before = br_core::dashboard::stats(f.registry.store(), &f.admin).unwrap();
    let p = preview_file(f.registry.store(), &f.admin, &path, &PreviewOptions::default()).unwrap();
    assert_eq!(p.headers.len(), 8);
    assert_eq!(p.targets[1].as_deref(), Some("given_name"));
    assert_eq!(p.rows.len(), 5);
    assert!(p.rows[..4].iter().all(|r| r.errors.is_empty()));
    let bad = p.rows[4].errors.first().expect("an impossible date is rejected");
    assert_eq!((p.rows[4].line, bad.column.as_str()), (6, "birth_date"));
    let after = br_core::dashboard::stats(f.registry.store(), &f.admin).unwrap();
    assert_eq!((before.individuals, after.individuals), (0, 0));

    // Another system's headers, mapped.
    let sr = f.file("sr.csv", "Code,Nom,Prénom,Sexe\nS1,Diallo,Awa,F\nS2,Diallo,Ali,X\n".as_bytes());
    let mut mapping: ColumnMapping = serde_json::from_value(serde_json::json!({
        "columns": {"Code": "external_id", "Nom": "family_name", "Prénom": "given_name", "Sexe": "sex"},
        "values": {"sex": {"F": "female"}}
    }))
    .unwrap();
    let with = |mapping: &ColumnMapping| PreviewOptions { mapping: Some(mapping.clone()), ..Default::default() };
    let p = preview_file(f.registry.store(), &f.admin, &sr, &with(&mapping)).unwrap();
    let targets: Vec<Option<String>> =
        ["external_id", "family_name", "given_name", "sex"].iter().map(|t| Some(t.to_string())).collect();
    assert_eq!(p.targets, targets);
    assert!(p.rows[0].errors.is_empty());
    assert_eq!(p.rows[1].errors[0].column, "Sexe (sex)", "X is not a sex code");
    // Without an external id column the preview still shows the file, says what is missing, and the
    // import is refused until it is mapped.
    mapping.columns.remove("Code");
    let p = preview_file(f.registry.store(), &f.admin, &sr, &with(&mapping)).unwrap();
    assert_eq!(p.missing, ["external_id"]);
    let options = ImportOptions { mapping: Some(mapping.clone()), ..Default::default() };
    let err = f.import(&f.admin, &sr, &options).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ImportFileInvalid);

    let auditor = f.user("visitor", Role::Auditor);
    let refused = preview_file(f.registry.store(), &auditor, &path, &PreviewOptions::default()).unwrap_err();
    assert_eq!(refused.code(), ErrorCode::PermissionDenied);
}

#[test]
fn saved_mappings_round_trip_are_replaced_by_name_and_refuse_unknown_columns() {
    let f = Fixture::new();
    let m: ColumnMapping = serde_json::from_value(serde_json::json!({"columns": {"Nom": "family_name"}})).unwrap();
    mapping::save(f.registry.store(), &f.admin, &SavedMapping { name: "SR export".into(), mapping: m.clone() })
        .unwrap();
    let mut m2 = m.clone();
    m2.date_format = Some("[day]/[month]/[year]".into());
    mapping::save(f.registry.store(), &f.admin, &SavedMapping { name: "SR export".into(), mapping: m2.clone() })
        .unwrap();
    let saved = mapping::list_saved(f.registry.store(), &f.admin).unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].mapping, m2);

    let mut broken = m.clone();
    broken.columns.insert("X".into(), "shoe_size".into());
    let err =
        mapping::save(f.registry.store(), &f.admin, &SavedMapping { name: "bad".into(), mapping: broken }).unwrap_err();
    assert_eq!(err.code(), ErrorCode::MappingInvalid);
    let err = mapping::save(f.registry.store(), &f.admin, &SavedMapping { name: "  ".into(), mapping: m }).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert_eq!(mapping::list_saved(f.registry.store(), &f.admin).unwrap().len(), 1);
}

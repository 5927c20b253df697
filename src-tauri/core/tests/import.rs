//! CSV import: formats, mapping, bad input, re-import, households, progress and cancel.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};

use br_core::auth::Role;
use br_core::io::import::{import_file, ImportOptions, ImportStatus};
use br_core::io::mapping::ColumnMapping;
use br_core::ErrorCode;
use common::*;

const HEADER: &str =
    "external_id,given_name,family_name,sex,birth_date,phone,household_ref,relationship,id:national_id";

fn rejects(path: &str) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(path).unwrap().records().map(|r| r.unwrap()).collect()
}

fn count(f: &Fixture, sql: &str) -> i64 {
    f.registry.store().read(|c| Ok(c.query_row(sql, [], |r| r.get(0))?)).unwrap()
}

#[test]
fn imports_individuals_and_forms_households() {
    let f = Fixture::new();
    let csv = format!(
        "{HEADER}\nA1,Amina,Diallo,female,1980-01-02,+221770000001,H1,head,N-1\nA2,Moussa,Diallo,male,1978-05-06,,H1,spouse,N-2\nA3,Awa,Diallo,female,2015-03-04,,H1,child,\nB1,Solo,Person,male,1990-01-01,,,,\n"
    );
    let p = f.file("a.csv", csv.as_bytes());
    let s = f.import(&f.admin, &p, &Default::default()).unwrap();
    assert_eq!((s.rows_read, s.inserted, s.rejected, s.households_created), (4, 4, 0, 1));
    assert!(s.rejects_file.is_none());
    assert_eq!(count(&f, "SELECT count(*) FROM memberships"), 3);
    assert_eq!(count(&f, "SELECT count(*) FROM memberships WHERE is_head = 1"), 1);
    assert_eq!(count(&f, "SELECT count(*) FROM registrants WHERE kind = 'group'"), 1);
    // 5 registrants + 3 memberships, each one op.
    assert_eq!(f.assert_outbox_gapless(), 8);
}

#[test]
fn reimporting_the_same_file_updates_instead_of_duplicating() {
    let f = Fixture::new();
    let csv = format!(
        "{HEADER}\nA1,Amina,Diallo,female,1980-01-02,,H1,head,\nA2,Moussa,Diallo,male,1978-05-06,,H1,spouse,\n"
    );
    let p = f.file("a.csv", csv.as_bytes());
    f.import(&f.admin, &p, &Default::default()).unwrap();
    let ops = f.assert_outbox_gapless();
    let again = f.import(&f.admin, &p, &Default::default()).unwrap();
    assert_eq!((again.inserted, again.updated, again.unchanged, again.households_created), (0, 0, 2, 0));
    assert_eq!(f.assert_outbox_gapless(), ops, "an unchanged re-import writes no change-log op");
    let changed = format!(
        "{HEADER}\nA1,Amina,Diallo-Sow,female,1980-01-02,,H1,head,\nA2,Moussa,Diallo,male,1978-05-06,,H1,spouse,\n"
    );
    let p2 = f.file("b.csv", changed.as_bytes());
    let third = f.import(&f.admin, &p2, &Default::default()).unwrap();
    assert_eq!((third.inserted, third.updated, third.unchanged), (0, 1, 1));
    assert_eq!(count(&f, "SELECT count(*) FROM registrants WHERE kind = 'individual'"), 2);
    assert_eq!(f.assert_outbox_gapless(), ops + 1);
}

#[test]
fn bom_crlf_and_quoted_newlines_are_read() {
    let f = Fixture::new();
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(
        b"external_id,given_name,family_name,notes\r\nA1,\"Eloise\",Martin,\"line one\r\nline two, with comma\"\r\nA2,Jean,\"Dupont \"\"JD\"\"\",\r\n",
    );
    let p = f.file("bom.csv", &bytes);
    let s = f.import(&f.admin, &p, &Default::default()).unwrap();
    assert_eq!((s.inserted, s.rejected), (2, 0));
    assert_eq!(s.unmapped_columns, vec!["notes".to_string()], "columns no field maps to are listed, not stored");
}

#[test]
fn bad_rows_go_to_the_rejects_file_with_line_column_and_reason() {
    let f = Fixture::new();
    let huge = "x".repeat(1 << 20);
    let csv = format!(
        "{HEADER}\nA1,Good,Row,female,1980-01-02,,,,\nA2,Bad,Date,female,1980-02-30,,,,\nA3,{huge},Huge,male,,,,,\nA4,Formula,=HYPERLINK(\"x\"),male,,,,,\nA1,Repeated,Id,male,,,,,\nA6,Bad,Sex,unknown,,,,,\nA7,Last,Good,male,2001-12-31,,,,\n"
    );
    let p = f.file("bad.csv", csv.as_bytes());
    let s = f.import(&f.admin, &p, &Default::default()).unwrap();
    assert_eq!((s.inserted, s.rejected), (2, 5));
    let rows = rejects(s.rejects_file.as_deref().unwrap());
    let find = |line: &str| {
        rows.iter().find(|r| r.get(9) == Some(line)).unwrap_or_else(|| panic!("line {line} not in rejects"))
    };
    assert_eq!(find("3").get(10), Some("birth_date"));
    assert_eq!(find("4").get(10), Some("given_name"));
    assert!(find("4").get(11).unwrap().contains("longer than"));
    assert_eq!(find("5").get(10), Some("family_name"));
    assert!(find("5").get(11).unwrap().contains("formula"));
    assert!(find("5").get(2).unwrap().starts_with("'="), "formula cells are neutralised in the rejects file too");
    assert!(find("6").get(11).unwrap().contains("earlier in this file"));
    assert_eq!(find("7").get(10), Some("sex"));
    assert_eq!(count(&f, "SELECT count(*) FROM registrants WHERE external_id = 'A1' AND given_name = 'Good'"), 1);
}

#[test]
fn a_fixed_rejects_file_imports_as_it_is() {
    let f = Fixture::new();
    let csv = format!("{HEADER}\nA1,Good,Row,female,1980-01-02,,,,\nA2,Bad,Date,female,02/03/1980,,,,\n");
    let p = f.file("in.csv", csv.as_bytes());
    let s = f.import(&f.admin, &p, &Default::default()).unwrap();
    let rejects_path = s.rejects_file.unwrap();
    let fixed = std::fs::read_to_string(&rejects_path).unwrap().replace("02/03/1980", "1980-03-02");
    let p2 = f.file("fixed.csv", fixed.as_bytes());
    let s2 = f.import(&f.admin, &p2, &Default::default()).unwrap();
    assert_eq!((s2.inserted, s2.rejected), (1, 0));
    assert!(s2.unmapped_columns.is_empty(), "the rejects file's own columns are not reported as unmapped");
}

#[test]
fn a_household_is_never_half_imported() {
    let f = Fixture::new();
    let csv = format!(
        "{HEADER}\nA1,Amina,Diallo,female,1980-01-02,,H1,head,\nA2,Moussa,Diallo,male,1978-13-06,,H1,spouse,\nA3,Awa,Diallo,female,2015-03-04,,H1,child,\nB1,Fatou,Sow,female,1970-01-01,,H2,head,\nB2,Ali,Sow,male,1971-01-01,,H2,head,\nC1,Ok,Person,male,1990-01-01,,H3,head,\n"
    );
    let p = f.file("hh.csv", csv.as_bytes());
    let s = f.import(&f.admin, &p, &Default::default()).unwrap();
    assert_eq!((s.inserted, s.rejected, s.households_created), (1, 5, 1));
    let rows = rejects(s.rejects_file.as_deref().unwrap());
    let line2 = rows.iter().find(|r| r.get(9) == Some("2")).unwrap();
    assert!(line2.get(11).unwrap().contains("household rejected with line 3"));
    assert!(rows.iter().any(|r| r.get(11).unwrap().contains("second head")));
    assert_eq!(
        count(&f, "SELECT count(*) FROM registrants WHERE external_id IN ('A1','A2','A3','B1','B2','H1','H2')"),
        0
    );
    f.assert_outbox_gapless();
}

#[test]
fn household_rows_apart_in_the_file_are_rejected_and_nothing_leaks() {
    let f = Fixture::new();
    let csv = format!("{HEADER}\nA1,Amina,Diallo,female,1980-01-02,,H1,head,\nB1,Fatou,Sow,female,1970-01-01,,H2,head,\nA2,Moussa,Diallo,male,1978-05-06,,H1,spouse,\n");
    let p = f.file("apart.csv", csv.as_bytes());
    let s = f.import(&f.admin, &p, &Default::default()).unwrap();
    assert_eq!((s.inserted, s.rejected), (2, 1));
    let rows = rejects(s.rejects_file.as_deref().unwrap());
    assert!(rows[0].get(11).unwrap().contains("next to each other"));
    assert_eq!(f.assert_outbox_gapless(), 6, "the rolled-back unit left no gap in the change log");
}

#[test]
fn whole_file_errors_import_nothing() {
    let f = Fixture::new();
    let before = f.fingerprint();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("latin1.csv", b"external_id,given_name\nA1,Ren\xe9e\n".to_vec(), "line 2: the file is not UTF-8"),
        ("nocols.csv", b"id,name\n1,Amina\n".to_vec(), "required columns missing"),
        (
            "quotes.csv",
            b"external_id,given_name\nA1,\"Amina\nA2,Moussa\n".to_vec(),
            "line 2: a quote opens a field that is never closed",
        ),
        ("empty.csv", Vec::new(), "empty"),
    ];
    for (name, bytes, expected) in cases {
        let p = f.file(name, &bytes);
        let err = f.import(&f.admin, &p, &Default::default()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::ImportFileInvalid, "{name}: {err}");
        assert!(err.to_string().contains(expected), "{name}: {err}");
    }
    assert_eq!(f.fingerprint(), before);
}

#[test]
fn a_mapping_file_imports_another_systems_export_unedited() {
    let f = Fixture::new();
    let csv = "Beneficiary ID,First Name,Surname,Gender,DOB,Mobile,HH Number,Relation to head,NIN,Village\n\
               SR9,Amina,Diallo,F,02/01/1980,+221770000001,HH9,Head of household,N 9,Kolda\n\
               SR10,Moussa,Diallo,M,06/05/1978,,HH9,Wife/Husband,,Kolda\n";
    let p = f.file("sr.csv", csv.as_bytes());
    let mapping = ColumnMapping::from_json(
        r#"{"columns": {"Beneficiary ID": "external_id", "First Name": "given_name", "Surname": "family_name",
            "Gender": "sex", "DOB": "birth_date", "Mobile": "phone", "HH Number": "household_ref",
            "Relation to head": "relationship", "NIN": "id:national_id"},
            "values": {"sex": {"F": "female", "M": "male"}, "relationship": {"Head of household": "head", "Wife/Husband": "spouse"}},
            "date_format": "[day]/[month]/[year]"}"#,
    )
    .unwrap();
    let s = f.import(&f.admin, &p, &ImportOptions { mapping: Some(mapping), ..Default::default() }).unwrap();
    assert_eq!((s.inserted, s.rejected, s.households_created), (2, 0, 1), "{:?}", s.rejects_file);
    assert_eq!(s.unmapped_columns, vec!["Village".to_string()]);
    assert_eq!(count(&f, "SELECT count(*) FROM registrants WHERE birth_date = '1980-01-02' AND sex = 'female'"), 1);
}

#[test]
fn a_bad_mapping_is_refused_with_its_reason() {
    let err = ColumnMapping::from_json(r#"{"columns": {"X": "salary"}}"#).unwrap_err();
    assert_eq!(err.code(), ErrorCode::MappingInvalid);
    assert!(err.to_string().contains("salary"));
    assert_eq!(ColumnMapping::from_json("{not json").unwrap_err().code(), ErrorCode::MappingInvalid);
}

#[test]
fn an_import_without_the_permission_is_denied_audited_and_changes_nothing() {
    let f = Fixture::new();
    let auditor = f.user("visiting.auditor", Role::Auditor);
    let p = f.file("a.csv", format!("{HEADER}\nA1,Amina,Diallo,female,1980-01-02,,,,\n").as_bytes());
    let before = f.fingerprint();
    let err = f.import(&auditor, &p, &Default::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::PermissionDenied);
    assert_eq!(f.fingerprint(), before);
    let denied = count(&f, "SELECT count(*) FROM audit_log WHERE action = 'import.run' AND outcome = 'denied' AND username = 'visiting.auditor'");
    assert_eq!(denied, 1);
}

#[test]
fn progress_is_reported_and_cancel_keeps_whole_households() {
    let f = Fixture::new();
    let mut csv = String::from(HEADER);
    csv.push('\n');
    for h in 0..300 {
        for m in 0..4 {
            let rel = if m == 0 { "head" } else { "child" };
            csv.push_str(&format!("P{h}-{m},Name{h},Fam{m},female,2000-01-01,,H{h},{rel},\n"));
        }
    }
    let p = f.file("big.csv", csv.as_bytes());
    let cancel = AtomicBool::new(false);
    let seen = std::sync::Mutex::new(Vec::new());
    let on_progress = |pr: &br_core::io::import::ImportProgress| {
        seen.lock().unwrap().push(pr.bytes_done);
        if pr.rows_read >= 200 {
            cancel.store(true, Ordering::Relaxed);
        }
    };
    let opts = ImportOptions { batch_rows: Some(50), ..Default::default() };
    let s = import_file(f.registry.store(), &f.admin, &p, &opts, &on_progress, &cancel).unwrap();
    assert_eq!(s.status, ImportStatus::Cancelled);
    let seen = seen.into_inner().unwrap();
    assert!(seen.len() >= 2 && seen.windows(2).all(|w| w[0] <= w[1]), "progress grows: {seen:?}");
    assert!(s.inserted > 0 && s.inserted < 1200);
    // Every household written has all four members: a batch never splits a household.
    let partial = count(
        &f,
        "SELECT count(*) FROM (SELECT group_rowid, count(*) n FROM memberships GROUP BY group_rowid HAVING n <> 4)",
    );
    assert_eq!(partial, 0);
    assert_eq!(s.inserted % 4, 0);
    f.assert_outbox_gapless();
    // Resuming by importing the whole file again completes it without duplicates.
    let rest = f.import(&f.admin, &p, &Default::default()).unwrap();
    assert_eq!(rest.inserted + rest.unchanged, 1200);
    assert_eq!(count(&f, "SELECT count(*) FROM registrants WHERE kind = 'individual'"), 1200);
}

#[test]
fn an_import_that_fails_midway_is_recorded_as_failed() {
    let f = Fixture::new();
    let p = f.file(
        "a.csv",
        format!("{HEADER}\nA1,Good,Row,female,1980-01-02,,,,\nA2,Bad,Date,female,1980-02-30,,,,\n").as_bytes(),
    );
    let opts = ImportOptions { rejects_path: Some("/nonexistent-folder/rejects.csv".into()), ..Default::default() };
    let err = f.import(&f.admin, &p, &opts).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Io);
    assert_eq!(count(&f, "SELECT count(*) FROM import_runs WHERE status = 'failed'"), 1);
    assert_eq!(count(&f, "SELECT count(*) FROM import_runs WHERE status = 'running'"), 0);
    assert_eq!(
        count(&f, "SELECT count(*) FROM audit_log WHERE action = 'import.run' AND details LIKE '%\"failed\"%'"),
        1
    );
    assert!(br_core::audit::verify(f.registry.store()).unwrap().ok);
}

#[test]
fn a_large_import_builds_the_list_indexes_at_the_end() {
    let f = Fixture::new();
    let csv = format!("{HEADER}\nA1,Amina,Diallo,female,1980-01-02,,H1,head,\nA2,Moussa,Diallo,male,1978-05-06,,H1,spouse,\nB1,Fatou,Sow,female,1970-01-01,,,,\n");
    let p = f.file("a.csv", csv.as_bytes());
    let phases = std::sync::Mutex::new(Vec::new());
    let opts = ImportOptions { defer_list_indexes: Some(true), ..Default::default() };
    let s = import_file(
        f.registry.store(),
        &f.admin,
        &p,
        &opts,
        &|pr| phases.lock().unwrap().push(pr.phase),
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!(s.inserted, 3);
    assert_eq!(phases.into_inner().unwrap().last(), Some(&br_core::io::import::ImportPhase::Indexing));
    let indexes = count(&f, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('registrants_sort_name', 'registrants_area', 'registrants_area_reference', 'registrants_birth_date')");
    assert_eq!(indexes, 4);
    let page = br_core::search::search(
        f.registry.store(),
        &f.admin,
        &br_core::search::SearchRequest {
            sort: br_core::search::SortKey::Name,
            reveal: true,
            filters: br_core::search::Filters {
                kind: Some(br_core::registry::model::RegistrantKind::Individual),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap();
    let names: Vec<&str> = page.items.iter().map(|i| i.display_name.as_str()).collect();
    assert_eq!(names, ["Amina Diallo", "Moussa Diallo", "Fatou Sow"]);
}

#[test]
fn a_file_of_only_bad_rows_leaves_the_registry_exactly_as_it_was() {
    let f = Fixture::new();
    let good = f.file("good.csv", format!("{HEADER}\nA1,Amina,Diallo,female,1980-01-02,,H1,head,\n").as_bytes());
    f.import(&f.admin, &good, &Default::default()).unwrap();
    let before = f.fingerprint();
    let huge = "y".repeat(1 << 20);
    let bad = format!(
        "{HEADER}\nB1,Bad,Date,female,1980-02-30,,,,\nB2,{huge},Huge,male,,,,,\nB3,@SUM(A1),Formula,male,,,,,\nB4,Bad,Sex,x,,,,,\nA9,Second,Head,male,,,H1,head,\n"
    );
    let p = f.file("bad.csv", bad.as_bytes());
    let s = f.import(&f.admin, &p, &Default::default()).unwrap();
    assert_eq!((s.inserted, s.updated, s.rejected), (0, 0, 5));
    // The run itself is kept (who imported what, and its rejects); nothing else changed.
    assert_eq!(f.fingerprint_except(&["import_runs"]), common::except(&before, &["import_runs"]));
    assert!(f.fingerprint().contains("import_runs: 2 rows"));
    f.assert_outbox_gapless();
}

#[test]
fn moving_someone_to_another_household_ends_the_old_membership() {
    let f = Fixture::new();
    let first = f.file(
        "m1.csv",
        format!("{HEADER}\nA1,Amina,Diallo,female,1980-01-02,,H1,head,\nA2,Awa,Diallo,female,2000-01-02,,H1,child,\n")
            .as_bytes(),
    );
    f.import(&f.admin, &first, &Default::default()).unwrap();
    let ops = f.assert_outbox_gapless();
    let moved = f.file(
        "m2.csv",
        format!("{HEADER}\nA1,Amina,Diallo,female,1980-01-02,,H1,head,\nA2,Awa,Diallo,female,2000-01-02,,H2,head,\n")
            .as_bytes(),
    );
    let s = f.import(&f.admin, &moved, &Default::default()).unwrap();
    assert_eq!((s.rejected, s.households_created, s.unchanged), (0, 1, 2));
    let active = count(&f, "SELECT count(*) FROM memberships m JOIN registrants r ON r.rowid = m.individual_rowid WHERE r.external_id = 'A2' AND m.end_date IS NULL");
    let ended = count(&f, "SELECT count(*) FROM memberships m JOIN registrants r ON r.rowid = m.individual_rowid WHERE r.external_id = 'A2' AND m.end_date IS NOT NULL");
    assert_eq!((active, ended), (1, 1), "one current household, the old membership kept with its end date");
    // New group, its membership, and the ended membership: three ops.
    assert_eq!(f.assert_outbox_gapless(), ops + 3);
    let again = f.import(&f.admin, &moved, &Default::default()).unwrap();
    assert_eq!((again.unchanged, again.households_created), (2, 0));
    assert_eq!(f.assert_outbox_gapless(), ops + 3, "re-importing the same file changes nothing");
}

#[test]
fn a_household_failing_at_write_time_points_its_other_rows_at_the_failing_line() {
    let f = Fixture::new();
    let first = f.file("h1.csv", format!("{HEADER}\nA1,Amina,Diallo,female,1980-01-02,,H1,head,\n").as_bytes());
    f.import(&f.admin, &first, &Default::default()).unwrap();
    // H1 already has a head in the registry: only the database can tell, so the unit fails while written.
    let second = f.file(
        "h1b.csv",
        format!("{HEADER}\nA9,Moussa,Diallo,male,1978-05-06,,H1,head,\nA10,Awa,Diallo,female,2015-03-04,,H1,child,\n")
            .as_bytes(),
    );
    let s = f.import(&f.admin, &second, &Default::default()).unwrap();
    assert_eq!((s.inserted, s.rejected), (0, 2));
    let rows = rejects(s.rejects_file.as_deref().unwrap());
    let line = |n: &str| rows.iter().find(|r| r.get(9) == Some(n)).unwrap().clone();
    assert_eq!(line("2").get(10), Some("relationship"));
    assert!(line("2").get(11).unwrap().contains("already has a head"));
    assert_eq!(line("3").get(10), Some("household_ref"), "the child's own cells are fine");
    assert!(line("3").get(11).unwrap().contains("household rejected with line 2"));
}

/// A messy file's rejects, byte for byte (`fixtures/messy.csv`: a BOM, CRLF, a quoted newline, Arabic,
/// Ethiopic, Polish and Cyrillic names, bad and impossible dates, unknown codes, a repeated id, a formula,
/// a short row, a second head, a household split across the file). Any change to the import that alters
/// what is rejected, or the words a registrar reads, fails here; `BR_UPDATE_FIXTURES=1` writes the
/// expected file after a change that means to.
#[test]
fn a_messy_file_is_rejected_exactly_as_before() {
    const EXPECTED: &str = "tests/fixtures/messy.rejects.csv";
    let f = Fixture::new();
    let p = f.file("messy.csv", include_bytes!("fixtures/messy.csv"));
    let s = f.import(&f.admin, &p, &Default::default()).unwrap();
    let got = std::fs::read(s.rejects_file.as_deref().expect("the messy file has rejects")).unwrap();
    if std::env::var_os("BR_UPDATE_FIXTURES").is_some() {
        std::fs::write(EXPECTED, &got).unwrap();
    }
    let expected = std::fs::read(EXPECTED).expect("tests/fixtures/messy.rejects.csv (BR_UPDATE_FIXTURES=1 writes it)");
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&expected));
    assert_eq!((s.rows_read, s.inserted, s.rejected), (23, 8, 15), "{s:?}");
}

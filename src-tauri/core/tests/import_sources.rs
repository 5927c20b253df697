//! What an import reads besides a tidy CSV file: workbooks (.xlsx, .ods), KoboToolbox's workbook and ODK
//! Central's zip with their repeat groups as members, another system's headers and values through the
//! wizard's guesses, and every problem of a row at once.
mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use br_core::io::import::ImportOptions;
use br_core::io::mapping::ColumnMapping;
use br_core::io::preview::{preview_file, ImportPreview, PreviewOptions};
use br_core::io::table::SourceKind;
use br_core::ErrorCode;
use common::Fixture;
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

const HEADER: [&str; 6] = ["external_id", "given_name", "family_name", "sex", "birth_date", "phone"];

/// The same people as CSV text: one row's sex is not a code, one's birth date is in the future.
const PEOPLE_CSV: &str = "external_id,given_name,family_name,sex,birth_date,phone
P1,Awa,DIALLO,female,1990-04-03,251911000001
P2,Ali,DIALLO,male,1985-12-25,251911000002
P3,Sara,TOURE,X,2001-07-15,251911000003
P4,Musa,TOURE,male,2999-01-01,251911000004
";

/// The people above in a workbook's second sheet, as Excel holds them: dates as serial numbers shown as
/// dates, phones as numbers, family names as formulas with their last result.
fn people_workbook(path: &Path) {
    let mut book = Workbook::new();
    let notes = book.add_worksheet();
    notes.set_name("Notes").unwrap();
    notes.write_string(0, 0, "Collected in March by the district team").unwrap();
    let sheet = book.add_worksheet();
    sheet.set_name("People").unwrap();
    for (c, h) in HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let rows = [
        ("P1", "Awa", "diallo", "female", (1990, 4, 3)),
        ("P2", "Ali", "diallo", "male", (1985, 12, 25)),
        ("P3", "Sara", "toure", "X", (2001, 7, 15)),
        ("P4", "Musa", "toure", "male", (2999, 1, 1)),
    ];
    for (i, (id, given, family, sex, (y, m, d))) in rows.into_iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_string(r, 0, id).unwrap();
        sheet.write_string(r, 1, given).unwrap();
        let formula = Formula::new(format!("=UPPER(\"{family}\")")).set_result(family.to_uppercase());
        sheet.write_formula(r, 2, formula).unwrap();
        sheet.write_string(r, 3, sex).unwrap();
        sheet.write_datetime_with_format(r, 4, ExcelDateTime::from_ymd(y, m, d).unwrap(), &date).unwrap();
        sheet.write_number(r, 5, 251_911_000_000.0 + r as f64).unwrap();
    }
    book.save(path).unwrap();
}

fn preview(
    f: &Fixture,
    path: &Path,
    mapping: Option<&ColumnMapping>,
    sheet: Option<&str>,
) -> br_core::Result<ImportPreview> {
    let options = PreviewOptions { mapping: mapping.cloned(), sheet: sheet.map(str::to_string), rows: Some(50) };
    preview_file(f.registry.store(), &f.admin, path, &options)
}

/// Each row's line, cells and problems, as the wizard shows them.
fn verdicts(p: &ImportPreview) -> Vec<(u64, Vec<String>, Vec<String>)> {
    p.rows
        .iter()
        .map(|r| (r.line, r.cells.clone(), r.errors.iter().map(|e| format!("{}: {}", e.column, e.reason)).collect()))
        .collect()
}

fn sheet_options(sheet: &str) -> ImportOptions {
    ImportOptions { sheet: Some(sheet.into()), ..Default::default() }
}

#[test]
fn a_workbook_sheet_gives_the_verdicts_and_the_import_of_the_same_data_in_csv() {
    let in_csv = Fixture::new();
    let in_book = Fixture::new();
    let csv = in_csv.file("people.csv", PEOPLE_CSV.as_bytes());
    let xlsx: PathBuf = in_book.dir.path().join("people.xlsx");
    people_workbook(&xlsx);

    let from_csv = preview(&in_csv, &csv, None, None).unwrap();
    // The first sheet is read unless another is chosen; the preview says which and lists the others.
    let first = preview(&in_book, &xlsx, None, None).unwrap();
    assert_eq!(first.source.kind, SourceKind::Workbook);
    assert_eq!(
        (first.source.sheets.clone(), first.source.sheet.as_deref()),
        (vec!["Notes".to_string(), "People".into()], Some("Notes"))
    );
    assert_eq!(first.missing, ["external_id", "given_name"], "the notes sheet has no columns of people");
    let from_book = preview(&in_book, &xlsx, None, Some("People")).unwrap();
    assert_eq!(from_book.headers, from_csv.headers);
    assert_eq!(verdicts(&from_book), verdicts(&from_csv));
    assert_eq!(verdicts(&from_csv)[2].2, ["sex: unknown sex code \"x\"; known codes: female, male, other"]);
    let no_sheet = preview(&in_book, &xlsx, None, Some("Sheet9")).unwrap_err();
    assert_eq!(no_sheet.code(), ErrorCode::InvalidInput);
    assert!(no_sheet.to_string().contains("Notes, People"), "{no_sheet}");

    let a = in_csv.import(&in_csv.admin, &csv, &ImportOptions::default()).unwrap();
    let b = in_book.import(&in_book.admin, &xlsx, &sheet_options("People")).unwrap();
    assert_eq!((a.inserted, a.rejected), (2, 2));
    assert_eq!((b.inserted, b.rejected, b.rows_read), (a.inserted, a.rejected, a.rows_read));
    let stored = |f: &Fixture| {
        f.registry
            .store()
            .read(|c| {
                let mut stmt = c.prepare(
                    "SELECT external_id, given_name, family_name, sex, birth_date, phone FROM registrants ORDER BY external_id",
                )?;
                let rows = stmt.query_map([], |r| {
                    (0..6).map(|i| r.get::<_, Option<String>>(i)).collect::<rusqlite::Result<Vec<_>>>()
                })?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .unwrap()
    };
    assert_eq!(stored(&in_book), stored(&in_csv));
    let rejects = std::fs::read_to_string(b.rejects_file.unwrap()).unwrap();
    assert!(rejects.contains("P3,Sara,TOURE,X,2001-07-15,251911000003,4,sex,"), "{rejects}");

    // The browser test imports the committed copies of both files; they hold the same people.
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/import");
    if std::env::var_os("BR_UPDATE_FIXTURES").is_some() {
        std::fs::create_dir_all(&data).unwrap();
        std::fs::copy(&xlsx, data.join("people.xlsx")).unwrap();
        std::fs::write(data.join("people.csv"), PEOPLE_CSV).unwrap();
    }
    assert_eq!(std::fs::read_to_string(data.join("people.csv")).unwrap(), PEOPLE_CSV);
    let committed = preview(&in_book, &data.join("people.xlsx"), None, Some("People")).unwrap();
    assert_eq!(verdicts(&committed), verdicts(&from_csv));
}

#[test]
fn every_problem_of_a_row_is_named_in_the_preview_and_the_rejects_file() {
    let f = Fixture::new();
    let path = f.file("bad.csv", b"external_id,given_name,sex,birth_date,phone\nB1,Awa,X,1990-02-30,call me\n");
    let p = preview(&f, &path, None, None).unwrap();
    let columns: Vec<&str> = p.rows[0].errors.iter().map(|e| e.column.as_str()).collect();
    assert_eq!(columns, ["sex", "birth_date", "phone"]);
    let s = f.import(&f.admin, &path, &ImportOptions::default()).unwrap();
    let rejects = std::fs::read_to_string(s.rejects_file.unwrap()).unwrap();
    let last = rejects.lines().nth(1).unwrap();
    assert!(last.contains(",2,sex; birth_date; phone,"), "{last}");
}

#[test]
fn another_systems_headers_and_values_are_guessed_and_import_once_accepted() {
    let f = Fixture::new();
    let path = f.file(
        "sr.csv",
        "Code bénéficiaire,Prénom,Nom,Sexe,Date de naissance,Mobile\n\
         S1,Awa,Diallo,F,03/04/1990,0911000001\n\
         S2,Ali,Diallo,M,25/12/1985,0911000002\n\
         S3,Fanta,Keita,Femme,1/6/2001,\n"
            .as_bytes(),
    );
    let p = preview(&f, &path, None, None).unwrap();
    assert_eq!(p.missing, ["external_id", "given_name"], "the file reaches the mapping step all the same");
    let guessed: Vec<(&str, &str)> = p.suggested_columns.iter().map(|(h, t)| (h.as_str(), t.as_str())).collect();
    assert_eq!(
        guessed,
        [
            ("Code bénéficiaire", "external_id"),
            ("Date de naissance", "birth_date"),
            ("Mobile", "phone"),
            ("Nom", "family_name"),
            ("Prénom", "given_name"),
            ("Sexe", "sex")
        ]
    );
    assert_eq!(p.suggested_date_format.as_deref(), Some("[day padding:none]/[month padding:none]/[year]"));
    let sex = p.values.iter().find(|v| v.column == "sex").expect("the sex values need matching");
    let seen: Vec<(&str, u32, Option<&str>)> =
        sex.values.iter().map(|v| (v.value.as_str(), v.rows, v.suggested.as_deref())).collect();
    assert_eq!(seen, [("F", 1, Some("female")), ("M", 1, Some("male")), ("Femme", 1, Some("female"))]);

    // What the wizard does when the person accepts the guesses.
    let mapping = ColumnMapping {
        columns: p.suggested_columns.clone(),
        values: BTreeMap::from([(
            "sex".to_string(),
            sex.values.iter().map(|v| (v.value.clone(), v.suggested.clone().unwrap())).collect(),
        )]),
        date_format: p.suggested_date_format.clone(),
    };
    let p = preview(&f, &path, Some(&mapping), None).unwrap();
    assert!(p.missing.is_empty() && p.suggested_columns.is_empty());
    assert!(p.rows.iter().all(|r| r.errors.is_empty()), "{:?}", verdicts(&p));
    let s = f.import(&f.admin, &path, &ImportOptions { mapping: Some(mapping), ..Default::default() }).unwrap();
    assert_eq!((s.inserted, s.rejected), (3, 0));
    let fanta: (String, String) = f
        .registry
        .store()
        .read(|c| {
            Ok(c.query_row("SELECT sex, birth_date FROM registrants WHERE external_id = 'S3'", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?)
        })
        .unwrap();
    assert_eq!(fanta, ("female".to_string(), "2001-06-01".to_string()));
}

/// A KoboToolbox export of a household survey with a repeat group of members.
fn kobo_workbook(path: &Path) {
    let mut book = Workbook::new();
    let main = book.add_worksheet();
    main.set_name("Household survey").unwrap();
    let header = ["start", "household/village", "household/head_phone", "_id", "_uuid", "_index", "_submission_time"];
    for (c, h) in header.iter().enumerate() {
        main.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (village, uuid)) in [("D01", "6a1f-household-one"), ("D02", "9c2e-household-two")].into_iter().enumerate() {
        let r = r as u32 + 1;
        main.write_string(r, 0, "2026-11-02T09:14:00").unwrap();
        main.write_string(r, 1, village).unwrap();
        main.write_number(r, 2, 251_911_000_100.0 + r as f64).unwrap();
        main.write_number(r, 3, 1000.0 + r as f64).unwrap();
        main.write_string(r, 4, uuid).unwrap();
        main.write_number(r, 5, r as f64).unwrap();
        main.write_string(r, 6, "2026-11-02T10:00:00").unwrap();
    }
    let members = book.add_worksheet();
    members.set_name("member").unwrap();
    let header = [
        "household/member/name",
        "household/member/surname",
        "household/member/gender",
        "household/member/dob",
        "household/member/relation",
        "_index",
        "_parent_table_name",
        "_parent_index",
    ];
    for (c, h) in header.iter().enumerate() {
        members.write_string(0, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let rows = [
        ("Awa", "Diallo", "F", (1980, 2, 1), "Head", 1),
        ("Moussa", "Diallo", "M", (1978, 5, 9), "Husband", 1),
        ("Ali", "Diallo", "M", (2012, 8, 30), "Son", 1),
        ("Fanta", "Keita", "F", (1950, 1, 1), "Head", 2),
        ("Sali", "Keita", "F", (2015, 3, 3), "Granddaughter", 2),
    ];
    for (i, (name, surname, gender, (y, m, d), relation, parent)) in rows.into_iter().enumerate() {
        let r = i as u32 + 1;
        members.write_string(r, 0, name).unwrap();
        members.write_string(r, 1, surname).unwrap();
        members.write_string(r, 2, gender).unwrap();
        members.write_datetime_with_format(r, 3, ExcelDateTime::from_ymd(y, m, d).unwrap(), &date).unwrap();
        members.write_string(r, 4, relation).unwrap();
        members.write_number(r, 5, r as f64).unwrap();
        members.write_string(r, 6, "Household survey").unwrap();
        members.write_number(r, 7, parent as f64).unwrap();
    }
    book.save(path).unwrap();
}

/// Accepts every guess of a preview, as the wizard does.
fn accepted(p: &ImportPreview) -> ColumnMapping {
    ColumnMapping {
        columns: p.suggested_columns.clone(),
        values: p
            .values
            .iter()
            .map(|c| {
                let values = c.values.iter().filter_map(|v| Some((v.value.clone(), v.suggested.clone()?))).collect();
                (c.column.clone(), values)
            })
            .collect(),
        date_format: p.suggested_date_format.clone(),
    }
}

fn household_of(f: &Fixture, external_id: &str) -> (String, String, i64) {
    f.registry
        .store()
        .read(|c| {
            Ok(c.query_row(
                "SELECT g.external_id, m.kind, m.is_head FROM registrants i
                 JOIN memberships m ON m.individual_rowid = i.rowid AND m.end_date IS NULL
                 JOIN registrants g ON g.rowid = m.group_rowid WHERE i.external_id = ?1",
                [external_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?)
        })
        .unwrap()
}

#[test]
fn a_kobo_workbook_imports_each_member_of_its_repeat_group_with_the_household() {
    let f = Fixture::new();
    for code in ["D01", "D02"] {
        let item =
            br_core::registry::model::ListItem { code: code.into(), label: code.into(), parent: None, active: true };
        br_core::registry::service::upsert_list_item(
            f.registry.store(),
            &f.admin,
            br_core::registry::model::ListName::Area,
            item,
        )
        .unwrap();
    }
    let path = f.dir.path().join("kobo.xlsx");
    kobo_workbook(&path);
    let p = preview(&f, &path, None, None).unwrap();
    assert_eq!(p.source.sheet.as_deref(), Some("member"), "the repeat group of people is read by default");
    assert_eq!(p.source.joined_with.as_deref(), Some("Household survey"));
    assert_eq!(
        p.headers,
        [
            "household_key",
            "member_key",
            "household/member/name",
            "household/member/surname",
            "household/member/gender",
            "household/member/dob",
            "household/member/relation",
            "start",
            "household/village",
            "household/head_phone"
        ]
    );
    assert_eq!(p.rows[1].cells[..3], ["6a1f-household-one", "6a1f-household-one/2", "Moussa"]);
    assert_eq!(p.rows[4].cells[8], "D02");
    let mapping = accepted(&p);
    let expected: BTreeMap<String, String> = [
        ("household_key", "household_ref"),
        ("member_key", "external_id"),
        ("household/member/name", "given_name"),
        ("household/member/surname", "family_name"),
        ("household/member/gender", "sex"),
        ("household/member/dob", "birth_date"),
        ("household/member/relation", "relationship"),
        ("household/village", "area"),
    ]
    .into_iter()
    .map(|(h, t)| (h.to_string(), t.to_string()))
    .collect();
    assert_eq!(mapping.columns, expected);
    assert_eq!(mapping.values["relationship"]["Husband"], "spouse");
    assert_eq!(mapping.values["relationship"]["Granddaughter"], "grandchild");

    let options = ImportOptions { mapping: Some(mapping), ..Default::default() };
    let s = f.import(&f.admin, &path, &options).unwrap();
    assert_eq!((s.inserted, s.rejected, s.households_created), (5, 0, 2));
    assert_eq!(household_of(&f, "6a1f-household-one/1"), ("6a1f-household-one".into(), "head".into(), 1));
    assert_eq!(household_of(&f, "6a1f-household-one/2"), ("6a1f-household-one".into(), "spouse".into(), 0));
    assert_eq!(household_of(&f, "9c2e-household-two/2"), ("9c2e-household-two".into(), "grandchild".into(), 0));
    // The next export of the same submissions changes nothing.
    let again = f.import(&f.admin, &path, &options).unwrap();
    assert_eq!((again.inserted, again.unchanged), (0, 5));
}

/// ODK Central's export: the form's CSV and its repeat group's, zipped.
fn odk_zip(path: &Path) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("census.csv", options).unwrap();
    zip.write_all(
        b"SubmissionDate,household-village,meta-instanceID,KEY,SubmitterName\n\
          2026-11-02T10:00:00Z,D01,uuid:aa11,uuid:aa11,enumerator 4\n"
            .as_slice(),
    )
    .unwrap();
    zip.start_file("census-member.csv", options).unwrap();
    zip.write_all(
        b"member-first_name,member-sex,member-relationship,PARENT_KEY,KEY\n\
          Awa,female,head,uuid:aa11,uuid:aa11/member[1]\n\
          Ali,male,child,uuid:aa11,uuid:aa11/member[2]\n\
          Zara,female,child,uuid:zz99,uuid:zz99/member[1]\n"
            .as_slice(),
    )
    .unwrap();
    zip.finish().unwrap();
}

#[test]
fn an_odk_central_zip_imports_its_repeat_group_and_rejects_a_member_without_a_submission() {
    let f = Fixture::new();
    let path = f.dir.path().join("census.zip");
    odk_zip(&path);
    let p = preview(&f, &path, None, None).unwrap();
    assert_eq!(p.source.kind, SourceKind::OdkZip);
    assert_eq!(
        (p.source.sheet.as_deref(), p.source.joined_with.as_deref()),
        (Some("census-member.csv"), Some("census.csv"))
    );
    assert_eq!(
        p.headers,
        ["household_key", "member_key", "member-first_name", "member-sex", "member-relationship", "household-village"]
    );
    assert_eq!(p.rows[1].cells[..2], ["uuid:aa11", "uuid:aa11/member[2]"]);
    let mapping = accepted(&p);
    let p = preview(&f, &path, Some(&mapping), None).unwrap();
    let orphan = &p.rows[2].errors;
    assert_eq!(orphan.len(), 1, "{orphan:?}");
    assert_eq!(orphan[0].column, "household_key (household_ref)");
    assert_eq!(orphan[0].reason, "no submission in \"census.csv\" has the KEY \"uuid:zz99\"");
    let s = f.import(&f.admin, &path, &ImportOptions { mapping: Some(mapping), ..Default::default() }).unwrap();
    assert_eq!((s.inserted, s.rejected, s.households_created), (2, 1, 1));
    assert_eq!(household_of(&f, "uuid:aa11/member[2]"), ("uuid:aa11".into(), "child".into(), 0));
}

#[test]
fn files_that_are_not_tables_are_refused_with_a_reason() {
    let f = Fixture::new();
    let xls = f.file("old.xls", &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]);
    let e = preview(&f, &xls, None, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ImportFileInvalid);
    assert!(e.to_string().contains("save it as .xlsx"), "{e}");

    let path = f.dir.path().join("photos.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    zip.start_file("photo.jpg", zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(b"not a table").unwrap();
    zip.finish().unwrap();
    assert_eq!(preview(&f, &path, None, None).unwrap_err().code(), ErrorCode::ImportFileInvalid);

    // A value far to the right is refused without the sheet being laid out in memory up to it.
    let wide = f.dir.path().join("wide.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "external_id").unwrap();
    sheet.write_string(0, 1, "given_name").unwrap();
    sheet.write_string(1_000_000, 16_000, "far away").unwrap();
    book.save(&wide).unwrap();
    let e = f.import(&f.admin, &wide, &ImportOptions::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ImportFileInvalid);
    assert!(e.to_string().contains("beyond column 1000"), "{e}");

    let csv = f.file("people.csv", PEOPLE_CSV.as_bytes());
    assert_eq!(preview(&f, &csv, None, Some("People")).unwrap_err().code(), ErrorCode::InvalidInput);
}

/// The people above as LibreOffice saves them: an OpenDocument spreadsheet with date and number cells.
fn people_ods(path: &Path) {
    let cell = |value: &str| -> String {
        if let Some(date) = value.strip_prefix("date:") {
            format!(
                r#"<table:table-cell office:value-type="date" office:date-value="{date}"><text:p>{date}</text:p></table:table-cell>"#
            )
        } else if let Some(number) = value.strip_prefix("number:") {
            format!(
                r#"<table:table-cell office:value-type="float" office:value="{number}"><text:p>{number}</text:p></table:table-cell>"#
            )
        } else {
            format!(r#"<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>"#)
        }
    };
    let mut rows = vec![HEADER.iter().map(|h| cell(h)).collect::<String>()];
    for line in PEOPLE_CSV.lines().skip(1) {
        let v: Vec<&str> = line.split(',').collect();
        let typed = [
            v[0].to_string(),
            v[1].into(),
            v[2].into(),
            v[3].into(),
            format!("date:{}", v[4]),
            format!("number:{}", v[5]),
        ];
        rows.push(typed.iter().map(|c| cell(c)).collect());
    }
    let body: String = rows.iter().map(|r| format!("<table:table-row>{r}</table:table-row>")).collect();
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="People">{body}</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet").unwrap();
    zip.start_file("META-INF/manifest.xml", stored).unwrap();
    zip.write_all(manifest.as_bytes()).unwrap();
    zip.start_file("content.xml", stored).unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    zip.finish().unwrap();
}

#[test]
fn an_opendocument_spreadsheet_gives_the_verdicts_of_the_same_data_in_csv() {
    let f = Fixture::new();
    let csv = f.file("people.csv", PEOPLE_CSV.as_bytes());
    let ods = f.dir.path().join("people.ods");
    people_ods(&ods);
    let from_ods = preview(&f, &ods, None, None).unwrap();
    assert_eq!((from_ods.source.kind, from_ods.source.sheet.as_deref()), (SourceKind::Workbook, Some("People")));
    assert_eq!(verdicts(&from_ods), verdicts(&preview(&f, &csv, None, None).unwrap()));
}

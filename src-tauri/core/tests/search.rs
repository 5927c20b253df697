//! Search: exact lookups, name search across scripts, filters, sort and keyset paging, masking.

mod common;

use br_core::auth::Role;
use br_core::search::{search, Filters, MatchedBy, SearchRequest, SortKey};
use br_core::ErrorCode;
use common::*;

fn fixture() -> Fixture {
    let f = Fixture::new();
    let csv =
        "external_id,given_name,family_name,sex,birth_date,phone,area,tags,household_ref,relationship,id:national_id\n\
        E1,Éloïse,Dupont-Lefèvre,female,1950-01-01,+251 91 123 4567,D01,elderly;widow,H1,head,NID-154 272 521\n\
        E2,أحمد,الحسن,male,1985-06-01,,D02,,H2,head,\n\
        E3,ሙሉጌታ,በቀለ,male,2010-06-01,,D01,,H2,child,\n\
        E4,Eloi,Martin,male,1970-03-03,0911000222,D02,,,,\n\
        E5,Fatima,Abdi,female,1990-01-01,,D01,,,,X77\n";
    let p = f.file("people.csv", csv.as_bytes());
    let s = f.import(&f.admin, &p, &Default::default()).unwrap();
    assert_eq!(s.rejected, 0, "{:?}", s.rejects_file);
    f
}

/// Whole years since a birth date, today: keeps the age filters' expectations true in any year.
fn age_today(year: i32, month: u8, day: u8) -> u32 {
    let today = time::OffsetDateTime::now_utc().date();
    let had_birthday = (today.month() as u8, today.day()) >= (month, day);
    (today.year() - year - if had_birthday { 0 } else { 1 }) as u32
}

fn q(f: &Fixture, query: &str) -> br_core::search::SearchResponse {
    search(
        f.registry.store(),
        &f.admin,
        &SearchRequest { query: Some(query.into()), reveal: true, ..Default::default() },
    )
    .unwrap()
}

fn names(r: &br_core::search::SearchResponse) -> Vec<String> {
    r.items.iter().map(|i| i.display_name.clone()).collect()
}

#[test]
fn exact_lookups_by_reference_id_and_phone() {
    let f = fixture();
    let by_id = q(&f, "nid154272521");
    assert_eq!(by_id.matched_by, MatchedBy::IdValue);
    assert_eq!(names(&by_id), ["Éloïse Dupont-Lefèvre"]);
    let by_phone = q(&f, "0911234567");
    assert_eq!(by_phone.matched_by, MatchedBy::Phone, "the same phone written nationally");
    assert_eq!(names(&by_phone), ["Éloïse Dupont-Lefèvre"]);
    let reference = by_phone.items[0].reference.clone();
    let by_ref = q(&f, &reference.to_lowercase());
    assert_eq!(by_ref.matched_by, MatchedBy::Reference);
    assert_eq!(by_ref.items[0].reference, reference);
}

#[test]
fn names_match_by_prefix_without_diacritics_in_three_scripts() {
    let f = fixture();
    assert_eq!(names(&q(&f, "eloise")), ["Éloïse Dupont-Lefèvre"]);
    let mut elo = names(&q(&f, "ELO"));
    elo.sort();
    assert_eq!(elo, ["Eloi Martin", "Éloïse Dupont-Lefèvre"]);
    assert_eq!(names(&q(&f, "lefevre elo")), ["Éloïse Dupont-Lefèvre"], "every word must match");
    assert_eq!(names(&q(&f, "احمد")), ["أحمد الحسن"], "hamza on alef is folded");
    assert_eq!(names(&q(&f, "ሙሉ")), ["ሙሉጌታ በቀለ"], "Ethiopic prefix");
    assert!(q(&f, "zzzz").items.is_empty());
}

#[test]
fn filters_sort_and_keyset_paging_visit_every_row_once() {
    let f = fixture();
    let req = |cursor: Option<String>| SearchRequest {
        filters: Filters { kind: Some(br_core::registry::model::RegistrantKind::Individual), ..Default::default() },
        sort: SortKey::Name,
        limit: Some(2),
        cursor,
        reveal: true,
        ..Default::default()
    };
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = search(f.registry.store(), &f.admin, &req(cursor)).unwrap();
        seen.extend(names(&page));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, ["Fatima Abdi", "Éloïse Dupont-Lefèvre", "Eloi Martin", "أحمد الحسن", "ሙሉጌታ በቀለ"]);
    let older = search(
        f.registry.store(),
        &f.admin,
        &SearchRequest {
            filters: Filters { age_min: Some(60), area: Some("D01".into()), ..Default::default() },
            reveal: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(names(&older), ["Éloïse Dupont-Lefèvre"]);
    let tagged = search(
        f.registry.store(),
        &f.admin,
        &SearchRequest { filters: Filters { tag: Some("widow".into()), ..Default::default() }, ..Default::default() },
    )
    .unwrap();
    assert_eq!(tagged.items.len(), 1);
    let youngest_first = search(
        f.registry.store(),
        &f.admin,
        &SearchRequest {
            sort: SortKey::BirthDate,
            descending: true,
            filters: Filters { age_max: Some(age_today(1985, 6, 1)), ..Default::default() },
            reveal: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(names(&youngest_first), ["ሙሉጌታ በቀለ", "Fatima Abdi", "أحمد الحسن"]);
    let bad =
        search(f.registry.store(), &f.admin, &SearchRequest { cursor: Some("garbage".into()), ..Default::default() })
            .unwrap_err();
    assert_eq!(bad.code(), ErrorCode::InvalidInput);
}

#[test]
fn results_are_masked_unless_revealed_and_reveal_is_audited() {
    let f = fixture();
    let masked =
        search(f.registry.store(), &f.admin, &SearchRequest { query: Some("fatima".into()), ..Default::default() })
            .unwrap();
    assert_eq!(masked.items[0].display_name, "F••• A•••");
    assert_eq!(masked.items[0].birth_date.as_deref(), Some("1990-••-••"));
    q(&f, "fatima");
    let reveals: i64 = f
        .registry
        .store()
        .read(|c| {
            Ok(c.query_row(
                "SELECT count(*) FROM audit_log WHERE action = 'registrant.reveal' AND outcome = 'ok'",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(reveals, 1);
    let auditor = f.user("the.auditor", Role::Auditor);
    let err = search(
        f.registry.store(),
        &auditor,
        &SearchRequest { query: Some("fatima".into()), reveal: true, ..Default::default() },
    )
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::PermissionDenied);
}

/// One name in three scripts and several spellings, and names that only look alike.
fn spellings() -> Fixture {
    let f = Fixture::new();
    let csv = "external_id,given_name,family_name,sex,birth_date,area\n\
        S1,Mohammed,Ali,male,1980-01-01,D01\n\
        S2,محمد,علي,male,1981-01-01,D01\n\
        S3,መሐመድ,አሊ,male,1982-01-01,D01\n\
        S4,Muhammad,Osman,male,1983-01-01,D01\n\
        S5,محمد,كوناتي,male,1984-01-01,D02\n\
        S6,محمد,كوناتي,male,1985-01-01,D02\n\
        S7,Amina,Mohamed,female,1986-01-01,D02\n\
        S8,Łukasz,Nowak,male,1987-01-01,D02\n\
        S9,Abdullahi,Hassan,male,1988-01-01,D02\n\
        S10,Hamza,Musa,male,1989-01-01,D02\n";
    let p = f.file("spellings.csv", csv.as_bytes());
    assert_eq!(f.import(&f.admin, &p, &Default::default()).unwrap().rejected, 0);
    f
}

#[test]
fn a_name_is_found_in_other_scripts_and_spellings_after_its_exact_matches() {
    let f = spellings();
    let r = q(&f, "Mohammed");
    assert_eq!(r.matched_by, MatchedBy::Name);
    assert_eq!(names(&r)[0], "Mohammed Ali", "the letters typed come first");
    assert_eq!(r.similar_from, Some(1));
    let mut similar = names(&r)[1..].to_vec();
    similar.sort();
    assert_eq!(similar, ["Amina Mohamed", "Muhammad Osman", "محمد علي", "محمد كوناتي", "محمد كوناتي", "መሐመድ አሊ"]);

    let arabic = q(&f, "محمد");
    assert_eq!(names(&arabic)[..3], ["محمد علي", "محمد كوناتي", "محمد كوناتي"]);
    assert_eq!(arabic.similar_from, Some(3));
    assert!(names(&arabic).contains(&"Mohammed Ali".to_string()));
    assert!(names(&q(&f, "ሙሐመድ")).contains(&"محمد علي".to_string()), "another Ethiopic spelling");

    assert_eq!(names(&q(&f, "mohamed konate")), ["محمد كوناتي", "محمد كوناتي"]);
    assert_eq!(names(&q(&f, "amina mohammed")), ["Amina Mohamed"]);
    assert_eq!(names(&q(&f, "abdulahi")), ["Abdullahi Hassan"]);
    let lukasz = q(&f, "Lukasz");
    assert_eq!((names(&lukasz), lukasz.similar_from), (vec!["Łukasz Nowak".to_string()], Some(0)));
    assert_eq!(names(&q(&f, "mohammed ali"))[..3], ["Mohammed Ali", "محمد علي", "መሐመድ አሊ"]);
    assert!(!names(&q(&f, "hamza")).iter().any(|n| n.contains("Moh")), "Hamza is not Mohammed");
    assert_eq!(q(&f, "zzzz").items.len(), 0);
}

#[test]
fn pages_of_a_name_search_visit_exact_then_similar_matches_once_each() {
    let f = spellings();
    let everything = names(&q(&f, "mohammed"));
    for limit in [1, 2, 7] {
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let req = SearchRequest {
                query: Some("mohammed".into()),
                limit: Some(limit),
                cursor,
                reveal: true,
                ..Default::default()
            };
            let page = search(f.registry.store(), &f.admin, &req).unwrap();
            assert!(page.items.len() as u32 <= limit);
            seen.extend(names(&page));
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(seen, everything, "pages of {limit}");
    }
}

#[test]
fn an_id_number_typed_without_its_letter_prefix_finds_its_holder() {
    let f = fixture();
    let r = q(&f, "154272521");
    assert_eq!(r.matched_by, MatchedBy::IdValue);
    assert_eq!(names(&r), ["Éloïse Dupont-Lefèvre"]);
    assert_eq!(names(&q(&f, "77")), ["Fatima Abdi"], "X77");
    assert!(q(&f, "1542725").items.is_empty(), "part of an ID's digits finds nothing");
}

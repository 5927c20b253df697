//! A national registry that keeps the minimum (birth years, ID numbers only as keyed hashes): chosen on
//! the server before the first desk enrols, taken by every desk at enrolment, applied to a Social
//! Registry pull, and never exceeded by an IBR answer. The number a desk hashes and the number the server
//! hashes are the same hash, so a desk finds a pulled person by the number on their card, and another
//! system finds a desk's person by theirs.

mod common;

use std::process::Command;

use br_core::search::{MatchedBy, SearchRequest};
use common::fake_sr::{household, FakeSr, SECRET};
use common::ibr_client::{enrolled_by, envelope, post, token};
use common::{admin, admin_fails, Central, Desk, Server};
use serde_json::json;

const PEOPLE: &str = "external_id,given_name,family_name,sex,birth_date,phone,id:national_id,area
E1,Zeynaba,Quattara,female,1950-06-30,+221775550101,NID0001,D01
E2,Hadiza,Tandjigora,female,1944-12-24,+221775550102,NID0002,D01
";

fn found_by_id(desk: &Desk, typed: &str) -> usize {
    let r = br_core::search::search(
        desk.registry.store(),
        &desk.admin,
        &SearchRequest { query: Some(typed.into()), reveal: true, ..Default::default() },
    )
    .unwrap();
    if r.matched_by == MatchedBy::IdValue {
        r.items.len()
    } else {
        0
    }
}

#[test]
fn a_registry_keeping_the_minimum_keeps_it_everywhere_and_still_finds_people_by_id() {
    let central = Central::new(&[("HQ", true), ("NTH", false), ("STH", false)]);
    let url = &central.pg.url;
    assert!(admin(url, &["privacy", "show"]).contains("personal data kept: names,phone,birth_date,id_numbers"));
    assert!(admin(url, &["privacy", "set", "--keep", "birth_year"]).contains("personal data kept: birth_year"));
    assert!(admin_fails(url, &["privacy", "set", "--keep", "names,address"]).contains("address"));
    let server = Server::start(url);

    // A desk that registered people under its own profile cannot join: its numbers are not hashed with
    // the registry's key.
    let early = Desk::new("NTH");
    early.import(&common::people("X", 2));
    let e = early.enrol(&server.url, &central.code("NTH")).unwrap_err();
    match &e {
        br_core::CoreError::ServerRefused { code, message, .. } => {
            assert_eq!(code, "enrolment_mismatch");
            assert!(message.contains("this registry keeps `birth_year`"), "{message}");
        }
        other => panic!("{other:?}"),
    }

    // An empty desk takes the profile and its key; what it registers is cut to it.
    let hq = Desk::new("HQ");
    hq.enrol(&server.url, &central.code("HQ")).unwrap();
    assert_eq!(hq.registry.info().unwrap().privacy, br_model::privacy::PrivacyProfile::MINIMAL);
    assert!(admin_fails(url, &["privacy", "set", "--keep", "all"]).contains("before the first desk enrols"));
    hq.import(PEOPLE);
    hq.sync();
    assert_eq!(found_by_id(&hq, "nid-0001"), 1);
    admin(url, &["view", "catch-up"]);
    assert_eq!(central.count("SELECT count(*) FROM registry_registrants"), 2);
    assert_eq!(
        central.count(
            "SELECT count(*) FROM registry_registrants WHERE fields ? 'given_name' OR fields ? 'family_name'
                 OR fields ? 'phone' OR fields ->> 'birth_date' NOT LIKE '%-01-01'"
        ),
        0
    );
    assert_eq!(central.count("SELECT count(*) FROM registry_ids WHERE value NOT LIKE 'hmac:%'"), 0);
    assert_eq!(
        central.count("SELECT count(*) FROM ops WHERE record::text ~ '(Zeynaba|Quattara|5550101|NID0001|1950-06-30)'"),
        0
    );

    // Another system finds the desk's person by the number on their card, with ibr.names, and sees no
    // name and no hash: the registry holds neither a name nor the number.
    let (id, secret) = central.api_client("ministry", &["ibr", "ibr.names"], None);
    let t = token(&server.url, &id, &secret);
    let (status, answer) = post(
        &server.url,
        "/ibr/sync/enrolled",
        Some(&t),
        &envelope(&id, "p1", "enrolled", json!(1), enrolled_by("NID-0001")),
    );
    assert_eq!(status, 200, "{answer}");
    let item = &answer["message"]["enrolled_response"][0];
    assert_eq!(item["person_found"], true, "{answer}");
    let record = &item["reg_records"][0];
    assert_eq!((record["name"]["given_name"].is_null(), record["birth_date"].as_str()), (true, Some("1950-01-01")));
    assert!(!answer.to_string().contains("hmac:"), "{answer}");
    assert!(!answer.to_string().contains("NID"), "{answer}");

    // A Social Registry pull keeps the same minimum and says what it left out.
    let sr = FakeSr::start((0..4).map(|n| household(n, 3, "2026-01-01T00:00:00Z")).collect());
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("sr.toml");
    std::fs::write(&mapping, sr.mapping(400)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_br-server"))
        .args(["sr", "pull", "--source", mapping.to_str().unwrap()])
        .env("BR_SERVER_DATABASE_URL", url)
        .env("TEST_SR_SECRET", SECRET)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.contains("16 created"), "{out}");
    assert!(
        out.contains("not kept, by the registry's privacy profile: names of 12 records, birth days of 12 records (the year is kept), ID numbers of 12 records"),
        "{out}"
    );
    assert_eq!(central.count("SELECT count(*) FROM registry_registrants WHERE fields::text ~ 'Given|Family'"), 0);
    assert_eq!(central.count("SELECT count(*) FROM registry_ids WHERE value NOT LIKE 'hmac:%'"), 0);

    // The north desk receives its pulled people and finds one by the number on their card: the server
    // hashed it with the key the desk took at enrolment.
    let north = Desk::new("NTH");
    north.enrol(&server.url, &central.code("NTH")).unwrap();
    north.sync();
    assert_eq!(north.count("SELECT count(*) FROM registrants WHERE kind = 'individual'"), 6, "households 0 and 2");
    assert_eq!(found_by_id(&north, "P000001"), 1);
    assert_eq!(found_by_id(&north, "P000011"), 0, "household 1 is the south's");
    north.check();
}

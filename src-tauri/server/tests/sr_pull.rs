//! Pulling beneficiaries from a Social Registry: 10,000 people in 2,500 households (and one malformed
//! household), paged; then again with 100 changed and 50 new; then everything again and one household by
//! its id. The registry holds exactly the expected people, households and IDs, nothing twice; the bad
//! household is rejected whole with its reason; a district desk receives its own people at its next sync.

mod common;

use std::process::Command;

use common::fake_sr::{household, FakeSr, SECRET};
use common::{Central, Desk, Server};
use serde_json::json;

const GROUPS: usize = 2_500;

fn pull(central: &Central, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_br-server"))
        .args(["sr", "pull"])
        .args(args)
        .env("BR_SERVER_DATABASE_URL", &central.pg.url)
        .env("TEST_SR_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(out.status.success(), "br-server sr pull {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn count(central: &Central, sql: &str) -> i64 {
    central.count(sql)
}

#[test]
fn a_social_registry_pull_creates_then_updates_without_duplicates() {
    let central = Central::new(&[("HQ", true), ("NTH", false), ("STH", false)]);
    let server = Server::start(&central.pg.url);
    let mut groups: Vec<serde_json::Value> = (0..GROUPS).map(|n| household(n, 4, "2026-01-01T00:00:00Z")).collect();
    let mut bad = household(GROUPS, 3, "2026-01-01T00:00:00Z");
    bad["member_list"][2]["household_member"]["demographic_info"]["person"]["birth_date"] = json!("31/12/1990");
    groups.insert(1_000, bad);
    let sr = FakeSr::start(groups);
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("sr.toml");
    std::fs::write(&mapping, sr.mapping(400)).unwrap();
    let mapping = mapping.to_str().unwrap();

    // The first pull: every household, in pages of 400.
    let out = pull(&central, &["--source", mapping]);
    assert!(out.contains("12500 created"), "{out}");
    assert!(out.contains("1 rejected"), "{out}");
    assert!(out.contains(&format!("rejected HH{GROUPS:05}: member 3: birth_date")), "the bad household and why: {out}");
    let individuals = "SELECT count(*) FROM registry_registrants WHERE kind = 'individual'";
    let households = "SELECT count(*) FROM registry_registrants WHERE kind = 'group'";
    assert_eq!(count(&central, individuals), 10_000);
    assert_eq!(count(&central, households), 2_500);
    assert_eq!(count(&central, "SELECT count(*) FROM registry_ids WHERE id_type = 'national_id'"), 10_000);
    assert_eq!(count(&central, "SELECT count(*) FROM registry_household_members WHERE is_head"), 2_500);
    assert_eq!(
        count(&central, "SELECT count(*) FROM registry_registrants WHERE fields ->> 'external_id' LIKE 'P02500%'"),
        0,
        "nothing of the bad household"
    );
    assert_eq!(count(&central, "SELECT count(*) FROM sr_rejects"), 1);
    // Only what the mapping keeps: no phone, no street.
    assert_eq!(
        count(
            &central,
            "SELECT count(*) FROM registry_registrants WHERE fields::text LIKE '%secret street%' OR fields ? 'phone'"
        ),
        0
    );
    // North owns the R1 households, south the R2 ones.
    let office = |code: &str| format!("(SELECT id FROM offices WHERE code = '{code}')");
    assert_eq!(
        count(
            &central,
            &format!("SELECT count(*) FROM registry_registrants WHERE office = {} AND kind = 'group'", office("NTH"))
        ),
        1_250
    );
    assert_eq!(count(&central, "SELECT count(*) FROM ops WHERE outcome = 'rejected'"), 0);

    // 100 people change their names, 50 people arrive: 25 in existing households, 25 in five new ones.
    {
        let mut held = sr.registry.groups.lock().unwrap();
        for g in held.iter_mut().filter(|g| g["member_list"].as_array().unwrap().len() == 4).take(100) {
            let person = &mut g["member_list"][1]["household_member"]["demographic_info"]["person"];
            person["name"]["first_name"] = json!("Renamed");
            g["last_update"] = json!("2026-06-01T00:00:00Z");
        }
        for g in held.iter_mut().skip(200).filter(|g| g["member_list"].as_array().unwrap().len() == 4).take(25) {
            let n: usize = g["group_identifier"][0]["identifier_value"].as_str().unwrap()[2..].parse().unwrap();
            *g = household(n, 5, "2026-06-01T00:00:00Z");
        }
        for n in 0..5 {
            held.push(household(5_000 + n, 5, "2026-06-01T00:00:00Z"));
        }
    }
    let out = pull(&central, &["--source", mapping, "--since", "2026-03-01T00:00:00Z"]);
    assert!(out.contains("130 records"), "{out}");
    assert!(out.contains("55 created, 100 updated"), "50 people and 5 households new, 100 renamed: {out}");
    assert!(out.contains("50 joined"), "{out}");
    assert_eq!(count(&central, individuals), 10_050);
    assert_eq!(count(&central, households), 2_505);
    assert_eq!(
        count(&central, "SELECT count(*) FROM registry_registrants WHERE fields ->> 'given_name' = 'Renamed'"),
        100
    );
    assert_eq!(
        count(&central, "SELECT count(*) - count(DISTINCT fields ->> 'external_id') FROM registry_registrants"),
        0,
        "no external id twice"
    );
    assert_eq!(count(&central, "SELECT count(*) FROM registry_ids"), 10_050);

    // Everything again changes nothing; one household by its id (the other query style) neither.
    let out = pull(&central, &["--source", mapping]);
    assert!(out.contains("0 created, 0 updated, 12555 unchanged"), "{out}");
    let query = dir.path().join("one.json");
    std::fs::write(
        &query,
        json!({ "query_type": "idtype-value", "query": { "type": "HHID", "value": "HH00007" } }).to_string(),
    )
    .unwrap();
    let out = pull(&central, &["--source", mapping, "--query", query.to_str().unwrap()]);
    assert!(out.contains("1 records in 1 pages; 0 created, 0 updated, 5 unchanged"), "{out}");

    // A district desk receives its own people, and only those, at its next sync.
    let north = Desk::new("NTH");
    let status = north.enrol(&server.url, &central.code("NTH")).unwrap();
    assert_eq!(status.desk_number, Some(1), "the server's writer is not a desk");
    north.sync();
    let owned = count(&central, &format!("SELECT count(*) FROM registry_registrants WHERE office = {}", office("NTH")));
    assert_eq!(north.count("SELECT count(*) FROM registrants"), owned);
    assert_eq!(north.count("SELECT count(*) FROM registrants WHERE given_name = 'Renamed'"), 50);
    assert_eq!(north.count("SELECT count(*) FROM registrants WHERE reference LIKE 'NTH.SR-%'"), owned);
    north.check();
    let broken = sr.registry.violations.lock().unwrap().clone();
    assert!(broken.is_empty(), "every search we sent follows the published schema: {broken:#?}");
}

#[test]
fn asynchronous_answers_and_notifications_come_through_our_callbacks() {
    let central = Central::new(&[("HQ", true), ("NTH", false), ("STH", false)]);
    let server = Server::start(&central.pg.url);
    let sr = FakeSr::start((0..50).map(|n| household(n, 4, "2026-01-01T00:00:00Z")).collect());
    // The registry calls us back as an API client of ours with the `sr` scope.
    let (id, secret) = central.api_client("test-sr-callback", &["sr"], None);
    *sr.registry.callback_credentials.lock().unwrap() = Some((format!("{}/oauth2/token", server.url), id, secret));
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("sr.toml");
    std::fs::write(&mapping, sr.mapping(20)).unwrap();
    let mapping = mapping.to_str().unwrap();

    // Three pages asked asynchronously, each answer delivered to our /registry/on-search.
    let on_search = format!("{}/registry/on-search", server.url);
    let out = pull(&central, &["--source", mapping, "--async", &on_search, "--wait", "60"]);
    assert!(out.contains("50 records in 3 pages; 250 created"), "{out}");
    assert_eq!(
        count(&central, "SELECT count(*) FROM sr_deliveries WHERE kind = 'on-search' AND processed_at IS NOT NULL"),
        3
    );
    assert_eq!(
        count(&central, "SELECT count(*) FROM sr_deliveries WHERE body <> 'null'"),
        0,
        "a delivery's records are forgotten once a pull takes them"
    );

    // A subscription: the registry notifies two changed households and a new one.
    let notify = format!("{}/registry/notify", server.url);
    let out = Command::new(env!("CARGO_BIN_EXE_br-server"))
        .args(["sr", "subscribe", "--source", mapping, "--callback-url", &notify])
        .env("BR_SERVER_DATABASE_URL", &central.pg.url)
        .env("TEST_SR_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("subscription SUB-1"), "{out:?}");
    let mut changed = vec![household(3, 4, "2026-06-01T00:00:00Z"), household(4, 5, "2026-06-01T00:00:00Z")];
    changed[0]["member_list"][0]["household_member"]["demographic_info"]["person"]["name"]["given_name"] =
        json!("Notified");
    changed.push(household(900, 4, "2026-06-01T00:00:00Z"));
    assert_eq!(sr.registry.notify(changed), 200);
    let out = pull(&central, &["--source", mapping, "--notified"]);
    assert!(
        out.contains("3 records in 1 pages; 6 created, 1 updated"),
        "a new member, a new household of four, a new name: {out}"
    );
    assert_eq!(
        count(&central, "SELECT count(*) FROM registry_registrants WHERE fields ->> 'given_name' = 'Notified'"),
        1
    );
    let again = pull(&central, &["--source", mapping, "--notified"]);
    assert!(again.contains("0 records"), "a notification is taken once: {again}");
    assert_eq!(count(&central, "SELECT count(*) FROM sr_deliveries WHERE body <> 'null'"), 0);
    // Nobody else may deliver: no token, no delivery.
    let agent = common::raw::agent();
    let status = agent.post(&notify).send_json(json!({})).unwrap().status().as_u16();
    assert_eq!(status, 401);
    let broken = sr.registry.violations.lock().unwrap().clone();
    assert!(broken.is_empty(), "{broken:#?}");
}

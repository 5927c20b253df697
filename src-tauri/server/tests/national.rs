//! The national story on one server: a headquarters desk and two district desks. The districts register
//! their people offline and deduplicate them; headquarters makes a program and the districts enrol their
//! people into it; headquarters runs a cycle with two approval stages, pays and reconciles with failures;
//! each district sees exactly its own people's entitlements and payments, never the other's people; and a
//! fresh desk of each office, synced from nothing, holds the same synced data as the desk that did the
//! work (the server's view of that office's scope equals the desk's).

mod common;

use std::sync::atomic::AtomicBool;

use br_core::auth::Role;
use br_core::disbursement::approval::{self, Decide, DecisionKind};
use br_core::disbursement::cycle::{self, CreateCycle, CycleAction, MembersFrom};
use br_core::disbursement::entitlement;
use br_core::disbursement::funds::{self, AddFund};
use br_core::disbursement::model::*;
use br_core::disbursement::payment::{self, PreparePayments};
use br_core::disbursement::settings;
use br_core::program::membership;
use br_core::program::model::ProgramState;
use br_core::program::service::{self as programs, ProgramKey};
use common::{assert_same, Central, Desk, Server};
use uuid::Uuid;

fn people(prefix: &str, area: &str, n: usize) -> String {
    let mut csv = String::from(
        "external_id,given_name,family_name,sex,birth_date,financial_address,area,household_ref,relationship\n",
    );
    for i in 0..n {
        let sex = if i % 2 == 0 { "female" } else { "male" };
        let household = format!("{prefix}H{}", i / 3);
        let relationship = if i % 3 == 0 { "head" } else { "child" };
        csv.push_str(&format!(
            "{prefix}{i},Name{prefix}{i},Family{},{sex},19{:02}-0{}-1{},msisdn:22177{:07}@orange,{area},{household},{relationship}\n",
            i / 3,
            40 + i % 50,
            1 + i % 9,
            i % 10,
            phone_seed(prefix, i)
        ));
    }
    csv
}

fn phone_seed(prefix: &str, i: usize) -> usize {
    i + if prefix == "N" { 1000 } else { 2000 }
}

fn two_stages() -> DisbursementSettings {
    DisbursementSettings {
        entitlement: Some(EntitlementRule {
            kind: EntitlementKind::Cash,
            expression: "10000".into(),
            fee: None,
            product: None,
            unit: None,
            validity_days: 30,
        }),
        stages: vec![
            ApprovalStage { name: "District".into(), role: Role::Approver, above_amount: None },
            ApprovalStage { name: "National".into(), role: Role::Admin, above_amount: None },
        ],
        recurrence: None,
    }
}

#[test]
fn headquarters_and_two_districts_share_one_registry_each_seeing_its_scope() {
    let central = Central::new(&[("HQ", true), ("NTH", false), ("STH", false)]);
    let server = Server::start(&central.pg.url);
    let hq = Desk::new("HQ");
    let north = Desk::new("NTH");
    let south = Desk::new("STH");
    for (desk, office) in [(&hq, "HQ"), (&north, "NTH"), (&south, "STH")] {
        let st = desk.enrol(&server.url, &central.code(office)).unwrap();
        assert_eq!((st.office_code.as_str(), st.desk_number), (office, Some(1)));
    }

    // The districts register their people offline; the north finds a person registered twice.
    north.import(&people("N", "D01", 30));
    north.import(
        "external_id,given_name,family_name,sex,birth_date,financial_address,area,id:national_id\n\
         NDUP,Awa,Keita,female,1950-01-01,msisdn:221770000001@orange,D01,NID1\n\
         NDUP2,Awa,Keita,female,1950-01-01,,D01,NID1\n",
    );
    south.import(&people("S", "D02", 21));
    let store = north.registry.store();
    br_core::dedup::review::run(
        store,
        &north.admin,
        &br_core::dedup::review::DedupRequest { program: None, exact: true, fuzzy: false, households: false },
        &AtomicBool::new(false),
    )
    .unwrap();
    let group: Uuid = north.column("SELECT id FROM duplicate_groups WHERE status = 'open' LIMIT 1")[0];
    let keep: String =
        north.column::<String>("SELECT reference FROM registrants WHERE external_id = 'NDUP'")[0].clone();
    br_core::dedup::merge::merge(
        store,
        &north.admin,
        group,
        &br_core::registry::service::RegistrantKey::Reference(keep),
    )
    .unwrap();
    north.sync();
    south.sync();

    // Headquarters makes the program; the districts pull it and enrol their people.
    let key = ProgramKey::Code("OAP".into());
    programs::create(hq.registry.store(), &hq.admin, common::pension_fields()).unwrap();
    programs::set_state(hq.registry.store(), &hq.admin, &key, ProgramState::Active).unwrap();
    settings::set(hq.registry.store(), &hq.admin, &key, two_stages()).unwrap();
    let first = hq.sync();
    assert!(first.pulled >= 51, "headquarters pulls both districts' people: {first:?}");
    for district in [&north, &south] {
        district.sync();
        assert_eq!(district.count("SELECT count(*) FROM programs WHERE code = 'OAP'"), 1);
        let enrolled = membership::enrol_eligible(
            district.registry.store(),
            &district.admin,
            &key,
            &|_| {},
            &AtomicBool::new(false),
        )
        .unwrap()
        .enrolled;
        assert!(enrolled > 0);
        district.sync();
    }

    // Headquarters runs a cycle: funds, entitlements, two stages, payments, a result file with failures.
    hq.sync();
    let enrolled_everywhere = hq.count("SELECT count(*) FROM program_memberships WHERE state = 'enrolled'");
    assert_eq!(
        enrolled_everywhere,
        north.count("SELECT count(*) FROM program_memberships WHERE state = 'enrolled'")
            + south.count("SELECT count(*) FROM program_memberships WHERE state = 'enrolled'")
    );
    let hs = hq.registry.store();
    let approver = hq.user("approver", Role::Approver);
    let finance = hq.user("finance", Role::Finance);
    let manager = hq.user("manager", Role::ProgramManager);
    let never = AtomicBool::new(false);
    let add = AddFund {
        program: key.clone(),
        amount: 9_000_000_000,
        currency: "XOF".into(),
        reference: "T1".into(),
        post: true,
    };
    funds::add(hs, &finance, &add).unwrap();
    let create = CreateCycle { program: key.clone(), name: None, members_from: MembersFrom::Program };
    let cycle = cycle::create_next(hs, &manager, &create).unwrap().cycle.id;
    entitlement::generate(hs, &manager, cycle, &|_| {}, &never).unwrap();
    approval::act(hs, &manager, cycle, CycleAction::Submit, None).unwrap();
    let decide = |who, stage| {
        let req = Decide { cycle, stage, decision: DecisionKind::Approve, entitlements: None, comment: None };
        approval::decide(hs, who, &req).unwrap();
    };
    decide(&approver, 1);
    decide(&hq.admin, 2);
    let prepared = payment::prepare(hs, &finance, &PreparePayments { cycle, batch_size: Some(20) }, &|_| {}).unwrap();
    for b in &prepared.batches {
        payment::mark_sent(hs, &finance, b.id).unwrap();
    }
    let payments: Vec<Uuid> = hq.column("SELECT id FROM payments ORDER BY rowid");
    assert_eq!(payments.len() as i64, enrolled_everywhere);
    let report: String = payments
        .iter()
        .enumerate()
        .map(|(n, p)| if n % 7 == 3 { format!("{p},failed,,wallet closed\n") } else { format!("{p},paid,TX-{n},\n") })
        .collect();
    let report = hq.file("report.csv", &format!("payment_id,status,external_ref,reason\n{report}"));
    payment::reconcile(hs, &finance, &report, &|_| {}, &never).unwrap();
    hq.sync();

    // Each district sees exactly its own people's entitlements and payments, in headquarters' states.
    for (district, own, other) in [(&north, "NTH-", "STH-"), (&south, "STH-", "NTH-")] {
        district.sync();
        let mine = district.count("SELECT count(*) FROM program_memberships WHERE state = 'enrolled'");
        assert_eq!(district.count("SELECT count(*) FROM entitlements"), mine, "{own}: one entitlement per own member");
        assert_eq!(district.count("SELECT count(*) FROM payments"), mine, "{own}: one payment per own member");
        assert_eq!(
            district.count(&format!("SELECT count(*) FROM registrants WHERE reference LIKE '{other}%'")),
            0,
            "{own} never sees the other district's people"
        );
        let states: Vec<(String, String)> = district
            .column::<String>("SELECT hex(id) || ' ' || state FROM payments ORDER BY id")
            .into_iter()
            .map(|s| (s[..32].to_string(), s[33..].to_string()))
            .collect();
        for (id, state) in states {
            let there: String =
                hq.column::<String>(&format!("SELECT state FROM payments WHERE hex(id) = '{id}'"))[0].clone();
            assert_eq!(state, there, "{own}: payment states are headquarters'");
        }
        assert!(district.count("SELECT count(*) FROM payments WHERE state = 'failed'") > 0 || mine < 4);
        district.check();
    }
    hq.check();
    assert_eq!(central.count("SELECT count(*) FROM ops WHERE outcome = 'rejected'"), 0);

    // The server's registry view, built from the change log, holds what headquarters holds; built again
    // from nothing, it is the same.
    hq.sync();
    common::admin(&central.pg.url, &["view", "catch-up"]);
    common::view::assert_view_matches(&central, &hq);
    let rebuilt = common::admin(&central.pg.url, &["view", "rebuild"]);
    assert!(rebuilt.contains("ops applied"), "{rebuilt}");
    common::view::assert_view_matches(&central, &hq);

    // A fresh desk of each office, synced from nothing, holds what the working desk holds.
    for (working, office) in [(&hq, "HQ"), (&north, "NTH"), (&south, "STH")] {
        working.sync();
        let fresh = Desk::new(office);
        let st = fresh.enrol(&server.url, &central.code(office)).unwrap();
        assert_eq!(st.desk_number, Some(2));
        fresh.sync();
        assert_same(working, &fresh, office);
        fresh.check();
    }
}

//! A registry under the strictest privacy profile (no names, no phones, birth years, ID numbers only as
//! keyed hashes) runs the whole story: import, search by ID, eligibility by age and sex, a cycle with
//! approval, funds, payments and reconciliation. Nothing it was given beyond the profile is anywhere in
//! the database: not in the rows, not in the change log, not in the audit log.

mod common;

use std::sync::atomic::AtomicBool;

use br_core::disbursement::approval::{self, Decide, DecisionKind};
use br_core::disbursement::cycle::{self, CreateCycle, CycleAction, MembersFrom};
use br_core::disbursement::entitlement;
use br_core::disbursement::funds::{self, AddFund};
use br_core::disbursement::model::*;
use br_core::disbursement::payment::{self, PreparePayments};
use br_core::disbursement::settings;
use br_core::io::import::ImportOptions;
use br_core::program::model::{ProgramFields, ProgramState};
use br_core::program::service::{self as programs, ProgramKey};
use br_core::registry::model::{IdDocument, RegistrantFields, RegistrantKind};
use br_core::registry::privacy::{DroppedFields, PrivacyProfile};
use br_core::registry::service::RegistrantKey;
use br_core::search::{MatchedBy, SearchRequest};
use common::Fixture;

const PEOPLE: &str = "external_id,given_name,family_name,sex,birth_date,phone,id:national_id,financial_address,household_ref,household_name,relationship
P1,Zeynaba,Quattara,female,1950-06-30,+221 77 555 0101,NID-4400-1001,msisdn:221770000001@wave,H1,Famille Quattara,head
P2,Yacouba,Quattara,male,1948-02-11,+221 77 555 0102,NID-4400-1002,,H1,,spouse
P3,Mariama,Koulibaly,female,1985-09-17,+221 77 555 0103,NID-4400-1003,msisdn:221770000003@wave,,,
P4,Hadiza,Tandjigora,female,1944-12-24,,NID-4400-1004,bban:00998877@cbao,,,
";

/// What the file gave that the registry must never hold.
const GIVEN: &[&str] = &[
    "Zeynaba",
    "Yacouba",
    "Mariama",
    "Hadiza",
    "Quattara",
    "Koulibaly",
    "Tandjigora",
    "Famille",
    "5550101",
    "555 0102",
    "5550103",
    "4400",
    "1950-06-30",
    "1948-02-11",
    "1985-09-17",
    "1944-12-24",
];

/// Every text and blob value in every table of the database, with where it was found.
fn every_value(fx: &Fixture) -> Vec<(String, String)> {
    fx.registry
        .store()
        .read(|c| {
            let tables: Vec<String> = c
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut out = Vec::new();
            for t in tables {
                let mut st = c.prepare(&format!("SELECT * FROM \"{t}\""))?;
                let n = st.column_count();
                let mut rows = st.query([])?;
                while let Some(r) = rows.next()? {
                    for i in 0..n {
                        let text = match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Text(b) | rusqlite::types::ValueRef::Blob(b) => {
                                String::from_utf8_lossy(b).to_string()
                            }
                            _ => continue,
                        };
                        out.push((t.clone(), text));
                    }
                }
            }
            Ok(out)
        })
        .unwrap()
}

fn assert_nothing_beyond_the_profile(fx: &Fixture) {
    let values = every_value(fx);
    assert!(values.len() > 100, "the scan reads the tables");
    for given in GIVEN {
        let squeezed = given.replace(' ', "");
        let found: Vec<&(String, String)> =
            values.iter().filter(|(_, v)| v.contains(given) || v.replace(' ', "").contains(&squeezed)).collect();
        assert!(found.is_empty(), "`{given}` is stored: {:?}", found.iter().map(|(t, _)| t).collect::<Vec<_>>());
    }
}

#[test]
fn the_strictest_profile_runs_the_whole_story_and_keeps_nothing_more() {
    let fx = Fixture::keeping(PrivacyProfile::MINIMAL);
    let store = fx.registry.store();
    assert_eq!(fx.registry.info().unwrap().privacy, PrivacyProfile::MINIMAL);

    // The import says what it did not keep.
    let file = fx.file("people.csv", PEOPLE.as_bytes());
    let s = fx.import(&fx.admin, &file, &ImportOptions::default()).unwrap();
    assert_eq!((s.inserted, s.rejected, s.households_created), (4, 0, 1), "{s:?}");
    assert_eq!(s.dropped, DroppedFields { names: 4, phone: 3, birth_day: 4, id_numbers: 4 });
    // Importing the same file again changes nothing: the hashes and the birth years are stable.
    let again = fx.import(&fx.admin, &file, &ImportOptions::default()).unwrap();
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 4), "{again:?}");

    // An exact lookup by the ID number, typed another way, still finds the person.
    let found = br_core::search::search(
        store,
        &fx.admin,
        &SearchRequest { query: Some("nid 4400 1003".into()), reveal: true, ..Default::default() },
    )
    .unwrap();
    assert_eq!((found.matched_by, found.items.len()), (MatchedBy::IdValue, 1));
    let p3 = found.items[0].reference.clone();
    let detail =
        br_core::beneficiary::get_detail(store, &fx.admin, &RegistrantKey::Reference(p3.clone()), true).unwrap();
    let f = &detail.registrant.fields;
    assert_eq!((f.given_name.as_deref(), f.phone.as_deref()), (None, None));
    assert_eq!((f.birth_date.as_deref(), f.birth_date_approx), (Some("1985-01-01"), true));
    assert_eq!(f.financial_address.as_deref(), Some("msisdn:221770000003@wave"), "payment needs it");

    // Registering and editing through the app's operations keep to the profile too; sending a record back
    // with its hashed ID changes nothing.
    let typed = RegistrantFields {
        given_name: Some("Zeynaba".into()),
        phone: Some("+221775550101".into()),
        sex: Some("female".into()),
        birth_date: Some("1950-06-30".into()),
        ids: vec![IdDocument { id_type: "voter_card".into(), value: "VC-4400-77".into(), expiry: None }],
        ..Default::default()
    };
    let created =
        br_core::beneficiary::create(store, &fx.admin, RegistrantKind::Individual, typed.clone(), None).unwrap();
    assert_eq!(created.fields.given_name, None);
    let key = RegistrantKey::Reference(created.reference.clone());
    let shown = br_core::beneficiary::get_detail(store, &fx.admin, &key, true).unwrap().registrant;
    let same = br_core::registry::service::update(store, &fx.admin, &key, shown.fields.clone(), None).unwrap();
    assert_eq!(same.version, shown.version, "nothing changed");
    let e = br_core::registry::service::update(store, &fx.admin, &key, typed, None).unwrap();
    assert_eq!((e.fields.given_name, e.fields.phone), (None, None));
    assert_eq!(e.fields.ids, shown.fields.ids, "the same number hashes alike");
    br_core::registry::service::disable(store, &fx.admin, &key, "registered to try the profile").unwrap();

    // Eligibility by sex and age works on the birth year: women 60 and over are P1 and P4.
    programs::create(
        store,
        &fx.admin,
        ProgramFields {
            code: "OAP".into(),
            name: "Old-age pension".into(),
            description: String::new(),
            target: RegistrantKind::Individual,
            currency: "XOF".into(),
            eligibility_rule: "me.sex == 'female' && age(me.birth_date) >= 60".into(),
            pmt_expression: None,
            pmt_threshold: None,
            auto_enrol: false,
        },
    )
    .unwrap();
    let program = ProgramKey::Code("OAP".into());
    programs::set_state(store, &fx.admin, &program, ProgramState::Active).unwrap();
    let never = AtomicBool::new(false);
    let enrolled =
        br_core::program::membership::enrol_eligible(store, &fx.admin, &program, &|_| {}, &never).unwrap().enrolled;
    assert_eq!(enrolled, 2);

    // A cycle: entitlements, one approval stage, funds, payments, a reconciliation.
    let t = br_core::clock::today();
    let start = format!("{}-{:02}-01", t.year(), t.month() as u8);
    settings::set(
        store,
        &fx.admin,
        &program,
        DisbursementSettings {
            entitlement: Some(EntitlementRule {
                kind: EntitlementKind::Cash,
                expression: "20000".into(),
                fee: None,
                product: None,
                unit: None,
                validity_days: 0,
            }),
            stages: vec![ApprovalStage {
                name: "District".into(),
                role: br_core::auth::Role::Approver,
                above_amount: None,
            }],
            recurrence: Some(Recurrence { period: Period::Monthly, interval: 1, start, count: None, until: None }),
        },
    )
    .unwrap();
    let cycle = cycle::create_next(
        store,
        &fx.admin,
        &CreateCycle { program: program.clone(), name: None, members_from: MembersFrom::Program },
    )
    .unwrap()
    .cycle
    .id;
    let generated = entitlement::generate(store, &fx.admin, cycle, &|_| {}, &never).unwrap();
    assert_eq!((generated.generated, generated.total_amount), (2, 40_000));
    approval::act(store, &fx.admin, cycle, CycleAction::Submit, None).unwrap();
    let finance = fx.user("finance", br_core::auth::Role::Finance);
    funds::add(
        store,
        &finance,
        &AddFund {
            program: program.clone(),
            amount: 40_000,
            currency: "XOF".into(),
            reference: "T1".into(),
            post: true,
        },
    )
    .unwrap();
    let approver = fx.user("approver", br_core::auth::Role::Approver);
    let decided = approval::decide(
        store,
        &approver,
        &Decide { cycle, stage: 1, decision: DecisionKind::Approve, entitlements: None, comment: None },
    )
    .unwrap();
    assert_eq!(decided.cycle_state, Some(CycleState::Approved));
    let prepared = payment::prepare(store, &finance, &PreparePayments { cycle, batch_size: None }, &|_| {}).unwrap();
    assert_eq!((prepared.payments, prepared.without_address, prepared.total), (2, 0, 40_000));
    let batch = prepared.batches[0].id;
    let out = fx.dir.path().join("batch.csv");
    payment::export_file(store, &finance, batch, &out, false).unwrap();
    let sent = std::fs::read_to_string(&out).unwrap();
    assert!(sent.contains("msisdn:221770000001@wave,20000,XOF") && sent.contains("bban:00998877@cbao,20000,XOF"));
    payment::mark_sent(store, &finance, batch).unwrap();
    let ids: Vec<String> = sent.lines().skip(1).map(|l| l.split(',').next().unwrap().to_string()).collect();
    let report = fx.file(
        "report.csv",
        format!("payment_id,status,external_ref,reason\n{},paid,TX-1,\n{},failed,,closed account\n", ids[0], ids[1])
            .as_bytes(),
    );
    let r = payment::reconcile(store, &finance, &report, &|_| {}, &never).unwrap();
    assert_eq!((r.paid, r.failed), (1, 1));

    assert_nothing_beyond_the_profile(&fx);
    assert!(br_core::audit::verify(store).unwrap().ok);
    fx.assert_outbox_gapless();
}

#[test]
fn the_default_profile_keeps_what_it_is_given() {
    // The scan above can fail: under the default profile the same file leaves the names in the database.
    let fx = Fixture::new();
    let file = fx.file("people.csv", PEOPLE.as_bytes());
    let s = fx.import(&fx.admin, &file, &ImportOptions::default()).unwrap();
    assert_eq!((s.inserted, s.dropped), (4, DroppedFields::default()));
    assert!(every_value(&fx).iter().any(|(_, v)| v.contains("Zeynaba")));
    assert!(every_value(&fx).iter().any(|(_, v)| v.contains("NID-4400-1003")));
}

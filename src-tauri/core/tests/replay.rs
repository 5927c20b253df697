//! Replay equivalence: a long story on one registry, its change log exported and replayed into a fresh
//! registry, gives the same synced data (the fingerprint of every synced table), a replica whose audit
//! chain and invariants check, and nothing more when replayed again.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

use br_core::auth::{Role, Session};
use br_core::dedup::merge;
use br_core::dedup::review::{self, Decision, DedupRequest, DuplicateQueueQuery, GroupStatus};
use br_core::disbursement::approval::{self, Decide, DecisionKind};
use br_core::disbursement::cycle::{self, CreateCycle, CycleAction, MembersFrom};
use br_core::disbursement::entitlement::{self, EditEntitlement};
use br_core::disbursement::funds::{self, AddFund};
use br_core::disbursement::model::*;
use br_core::disbursement::payment::{self, PreparePayments};
use br_core::disbursement::settings;
use br_core::io::import::ImportOptions;
use br_core::program::membership::{self, MemberAction};
use br_core::program::service::ProgramKey;
use br_core::registry::model::{CustomField, CustomFieldType, ListItem, ListName};
use br_core::registry::service::{self, RegistrantKey};
use br_core::replay::{self as replay, fingerprint, TableFingerprint};
use br_core::secret::Secret;
use br_core::synth::{generate, GenOptions};
use common::Fixture;
use uuid::Uuid;

const PASSPHRASE: &str = "a long change-log passphrase";

fn sealing() -> Secret {
    Secret::new(PASSPHRASE)
}

fn people() -> u64 {
    std::env::var("BR_REPLAY_PEOPLE").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000)
}

fn column<T: rusqlite::types::FromSql>(fx: &Fixture, sql: &str) -> Vec<T> {
    fx.registry
        .store()
        .read(|c| Ok(c.prepare(sql)?.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<T>>>()?))
        .unwrap()
}

fn references(fx: &Fixture, sql: &str) -> Vec<RegistrantKey> {
    column::<String>(fx, sql).into_iter().map(RegistrantKey::Reference).collect()
}

fn prints(fx: &Fixture) -> BTreeMap<String, TableFingerprint> {
    let all = fx.registry.store().read(fingerprint).unwrap();
    all.into_iter().map(|t| (t.table.clone(), t)).collect()
}

struct Story {
    fx: Fixture,
    manager: Session,
    approver: Session,
    finance: Session,
}

/// Registry work: a generated population, lists and custom fields, edits, a household move, a disabled
/// person, and deduplication with each kind of decision.
fn registry_work(s: &Story) {
    let (fx, store) = (&s.fx, s.fx.registry.store());
    let g =
        generate(fx.dir.path(), &GenOptions { individuals: people(), duplicate_rate: 0.02, seed: 12, id_prefix: None })
            .unwrap();
    let imported = fx.import(&fx.admin, std::path::Path::new(&g.registrants_file), &ImportOptions::default()).unwrap();
    assert_eq!(imported.rejected, 0, "{imported:?}");

    let id_type =
        ListItem { code: "birth_certificate".into(), label: "Birth certificate".into(), parent: None, active: true };
    service::upsert_list_item(store, &fx.admin, ListName::IdType, id_type).unwrap();
    let field = CustomField {
        name: "disability".into(),
        label: "Disability".into(),
        field_type: CustomFieldType::Boolean,
        choices: vec![],
        required: false,
        personal: true,
    };
    service::define_custom_field(store, &fx.admin, field).unwrap();

    for (n, key) in references(fx, "SELECT reference FROM registrants WHERE kind = 'individual' ORDER BY rowid LIMIT 3")
        .into_iter()
        .enumerate()
    {
        let mut f = br_core::beneficiary::get_detail(store, &fx.admin, &key, true).unwrap().registrant.fields;
        f.phone = Some(format!("+25191100{n:04}"));
        f.custom.insert("disability".into(), serde_json::json!(n == 0));
        service::update(store, &fx.admin, &key, f, None).unwrap();
    }
    let gone =
        references(fx, "SELECT reference FROM registrants WHERE kind = 'individual' ORDER BY rowid DESC LIMIT 1");
    service::disable(store, &fx.admin, &gone[0], "died").unwrap();

    // A household of two, and then one of them moves to a new household.
    let header = "external_id,given_name,family_name,sex,birth_date,area,household_ref,relationship\n";
    let first = format!("{header}MV1,Halima,Yusuf,female,1950-02-03,D01,MOVE-A,head\nMV2,Idris,Yusuf,male,1948-04-05,D01,MOVE-A,spouse\n");
    let moved = format!("{header}MV2,Idris,Yusuf,male,1948-04-05,D01,MOVE-B,head\n");
    fx.import(&fx.admin, &fx.file("first.csv", first.as_bytes()), &ImportOptions::default()).unwrap();
    fx.import(&fx.admin, &fx.file("moved.csv", moved.as_bytes()), &ImportOptions::default()).unwrap();
    let changed = format!("{header}MV1,Halima,Yusuf,female,1950-02-03,D01,MOVE-A,other_relative\n");
    fx.import(&fx.admin, &fx.file("changed.csv", changed.as_bytes()), &ImportOptions::default()).unwrap();

    let request = DedupRequest { program: None, exact: true, fuzzy: true, households: false };
    review::run(store, &fx.admin, &request, &AtomicBool::new(false)).unwrap();
    let open = review::queue(
        store,
        &fx.admin,
        &DuplicateQueueQuery { status: Some(GroupStatus::Open), program: None, after: None, limit: Some(10) },
    )
    .unwrap()
    .groups;
    assert!(open.len() >= 4, "the generated duplicates give groups to decide: {}", open.len());
    review::decide(store, &fx.admin, open[0].id, Decision::NotDuplicates, Some("twins")).unwrap();
    merge::merge(store, &fx.admin, open[1].id, &RegistrantKey::Id(open[1].members[0].id)).unwrap();
    review::decide(store, &fx.admin, open[2].id, Decision::Duplicates, None).unwrap();
    merge::merge(store, &fx.admin, open[2].id, &RegistrantKey::Id(open[2].members[1].id)).unwrap();
    review::decide(store, &fx.admin, open[3].id, Decision::Duplicates, Some("check the IDs")).unwrap();
}

fn stages_and_schedule() -> DisbursementSettings {
    let t = br_core::clock::today();
    schedule_from(&format!("{}-{:02}-01", t.year(), t.month() as u8))
}

fn schedule_from(start: &str) -> DisbursementSettings {
    DisbursementSettings {
        entitlement: Some(EntitlementRule {
            kind: EntitlementKind::Cash,
            expression: "me.birth_date == null ? 10000 : 12000".into(),
            fee: Some(TransferFee::Percent { basis_points: 100 }),
            product: None,
            unit: None,
            validity_days: 30,
        }),
        stages: vec![
            ApprovalStage { name: "District".into(), role: Role::Approver, above_amount: None },
            ApprovalStage { name: "Region".into(), role: Role::Admin, above_amount: Some(11_000) },
        ],
        recurrence: Some(Recurrence {
            period: Period::Monthly,
            interval: 1,
            start: start.into(),
            count: None,
            until: None,
        }),
    }
}

/// A duplicate enrolled in the program, with a household and an ID its survivor lacks, merged into a
/// survivor who is in neither: the merge moves the ID, the household place and the membership.
fn merge_into_a_member_without_the_program(s: &Story, key: &ProgramKey) {
    let (fx, store) = (&s.fx, s.fx.registry.store());
    let csv =
        "external_id,given_name,family_name,sex,birth_date,area,household_ref,relationship,id:national_id,id:voter_card
K1,Hassan,Qasim,male,1951-01-01,D02,,,NIDK1,
K2,Hassan,Qasim,male,1951-01-01,D02,HK,head,NIDK1,VCK2
";
    fx.import(&fx.admin, &fx.file("k.csv", csv.as_bytes()), &ImportOptions::default()).unwrap();
    let k = |e: &str| {
        RegistrantKey::Reference(
            column::<String>(fx, &format!("SELECT reference FROM registrants WHERE external_id = '{e}'")).remove(0),
        )
    };
    membership::enrol_selected(store, &s.manager, key, &[k("K2")]).unwrap();
    review::run(
        store,
        &fx.admin,
        &DedupRequest { program: None, exact: true, fuzzy: false, households: false },
        &AtomicBool::new(false),
    )
    .unwrap();
    let group: Uuid = column(
        fx,
        "SELECT g.id FROM duplicate_groups g JOIN duplicate_members m ON m.group_rowid = g.rowid
         JOIN registrants r ON r.rowid = m.registrant WHERE r.external_id = 'K1' AND g.status = 'open'",
    )[0];
    let merged = merge::merge(store, &fx.admin, group, &k("K1")).unwrap();
    assert_eq!((merged.ids_moved, merged.memberships_moved), (1, 1));
}

/// Program and payment work: enrolment by rule, a pause and an exit, funds, a cycle approved in two
/// stages (set decisions and one by one, a rejection), paid, reconciled with failures and a retry.
fn program_work(s: &Story) {
    let (fx, store) = (&s.fx, s.fx.registry.store());
    let never = AtomicBool::new(false);
    let key = ProgramKey::Code("OAP".into());
    assert!(common::active_cash_program(fx, "OAP", "Old-age pension") > 0);
    let create = CreateCycle { program: key.clone(), name: None, members_from: MembersFrom::Program };
    let cycle = cycle::create_next(store, &s.manager, &create).unwrap().cycle.id;
    let members = references(
        fx,
        "SELECT r.reference FROM program_memberships m JOIN registrants r ON r.rowid = m.registrant
         WHERE m.state = 'enrolled' ORDER BY m.registrant LIMIT 2",
    );
    membership::change_members(store, &s.manager, &key, &members[..1], MemberAction::Pause, Some("travelling"), None)
        .unwrap();
    membership::change_members(store, &s.manager, &key, &members[1..], MemberAction::Exit, Some("moved"), None)
        .unwrap();
    assert_eq!(cycle::recheck(store, &s.manager, cycle, &never).unwrap().removed, 2);
    let spare = cycle::create_next(store, &s.manager, &create).unwrap().cycle.id;
    cycle::delete(store, &s.manager, spare).unwrap();

    merge_into_a_member_without_the_program(s, &key);

    settings::set(store, &s.manager, &key, stages_and_schedule()).unwrap();
    let add = AddFund {
        program: key.clone(),
        amount: 9_000_000_000,
        currency: "XOF".into(),
        reference: "T1".into(),
        post: false,
    };
    let fund: Uuid = {
        funds::add(store, &s.finance, &add).unwrap();
        column(fx, "SELECT id FROM funds")[0]
    };
    funds::set_state(store, &s.finance, fund, FundState::Posted).unwrap();
    entitlement::generate(store, &s.manager, cycle, &|_| {}, &never).unwrap();
    entitlement::generate(store, &s.manager, cycle, &|_| {}, &never).unwrap();
    let ids: Vec<Uuid> = column(fx, "SELECT id FROM entitlements ORDER BY rowid LIMIT 4");
    entitlement::edit(
        store,
        &s.manager,
        &EditEntitlement { entitlement: ids[0], value: 15_000, reason: "top-up".into() },
    )
    .unwrap();
    approval::act(store, &s.manager, cycle, CycleAction::Submit, None).unwrap();

    let decide =
        |who: &Session, stage: u32, decision: DecisionKind, chosen: Option<Vec<Uuid>>, comment: Option<&str>| {
            let req = Decide { cycle, stage, decision, entitlements: chosen, comment: comment.map(str::to_string) };
            approval::decide(store, who, &req).unwrap();
        };
    decide(&s.approver, 1, DecisionKind::Approve, Some(vec![ids[0]]), None);
    decide(&s.approver, 1, DecisionKind::Reject, Some(vec![ids[1]]), Some("not found at the address"));
    decide(&s.approver, 1, DecisionKind::Approve, None, Some("checked"));
    let second: Vec<Uuid> =
        column(fx, "SELECT id FROM entitlements WHERE state = 'pending' AND stage = 2 ORDER BY rowid LIMIT 1");
    decide(&fx.admin, 2, DecisionKind::Approve, Some(second), None);
    decide(&fx.admin, 2, DecisionKind::Approve, None, None);

    let prepared =
        payment::prepare(store, &s.finance, &PreparePayments { cycle, batch_size: Some(500) }, &|_| {}).unwrap();
    assert!(prepared.payments > 0, "{prepared:?}");
    for b in &prepared.batches {
        payment::mark_sent(store, &s.finance, b.id).unwrap();
    }
    let payments: Vec<Uuid> = column(fx, "SELECT id FROM payments ORDER BY rowid");
    let report: String = payments
        .iter()
        .enumerate()
        .map(|(n, p)| if n % 10 == 3 { format!("{p},failed,,wallet closed\n") } else { format!("{p},paid,TX-{n},\n") })
        .collect();
    let report = fx.file("report.csv", format!("payment_id,status,external_ref,reason\n{report}").as_bytes());
    payment::reconcile(store, &s.finance, &report, &|_| {}, &never).unwrap();
    let retry = payment::prepare(store, &s.finance, &PreparePayments { cycle, batch_size: None }, &|_| {}).unwrap();
    assert!(retry.retries > 0, "{retry:?}");
    for b in &retry.batches {
        payment::mark_sent(store, &s.finance, b.id).unwrap();
    }
    let again: Vec<Uuid> = column(fx, "SELECT id FROM payments WHERE state = 'sent' ORDER BY rowid");
    let report: String = again.iter().map(|p| format!("{p},paid,RETRY,\n")).collect();
    let report = fx.file("retry.csv", format!("payment_id,status,external_ref,reason\n{report}").as_bytes());
    payment::reconcile(store, &s.finance, &report, &|_| {}, &never).unwrap();
}

fn assert_same(a: &BTreeMap<String, TableFingerprint>, b: &BTreeMap<String, TableFingerprint>) {
    let differ: Vec<String> = a
        .iter()
        .filter(|(t, fp)| b.get(*t) != Some(*fp))
        .map(|(t, fp)| format!("{t}: {} rows vs {:?}", fp.rows, b.get(t).map(|f| f.rows)))
        .collect();
    assert!(differ.is_empty(), "synced tables differ: {differ:#?}");
}

#[test]
fn a_replayed_change_log_rebuilds_the_same_registry() {
    let fx = Fixture::new();
    let s = Story {
        manager: fx.user("manager", Role::ProgramManager),
        approver: fx.user("approver", Role::Approver),
        finance: fx.user("finance", Role::Finance),
        fx,
    };
    registry_work(&s);
    program_work(&s);
    let source = prints(&s.fx);
    for table in [
        "registrants",
        "memberships",
        "program_memberships",
        "duplicate_groups",
        "entitlements",
        "approvals",
        "payments",
    ] {
        assert!(source[table].rows > 0, "the story wrote {table}");
    }

    // Every kind of op but the expiry (a cycle whose validity ended: the test below) is in the story.
    let kinds: Vec<String> = column(&s.fx, "SELECT DISTINCT kind FROM outbox WHERE format > 0 ORDER BY 1");
    assert_eq!(kinds.len(), 32, "{kinds:?}");
    assert!(!kinds.iter().any(|k| k == "entitlements_expired"));
    let file = s.fx.dir.path().join("ops.jsonl");
    let exported = replay::export(s.fx.registry.store(), &s.fx.admin, &file, false, &sealing()).unwrap();
    let replica = Fixture::new();
    let store = replica.registry.store();
    let first = replay::replay(store, &replica.admin, &file, &sealing(), &|_| {}, &AtomicBool::new(false)).unwrap();
    assert_eq!((first.read, first.conflicts), (exported.ops, 0), "{first:?}");
    assert_same(&source, &prints(&replica));
    assert!(br_core::audit::verify(store).unwrap().ok, "the replica's audit chain verifies");
    let check = br_core::check::run(store, &replica.admin).unwrap();
    assert!(check.ok, "{:?}", check.checks.iter().filter(|c| c.problems > 0).collect::<Vec<_>>());

    let second = replay::replay(store, &replica.admin, &file, &sealing(), &|_| {}, &AtomicBool::new(false)).unwrap();
    assert_eq!(
        (second.applied, second.unchanged, second.conflicts),
        (0, exported.ops, 0),
        "replaying again changes nothing"
    );
    assert_same(&source, &prints(&replica));
}

#[test]
fn expired_entitlements_replay_as_they_expired() {
    // A cycle scheduled two years back: its entitlements' validity has ended by the time they are paid, so
    // preparing payments expires them instead, and the replica expires the same ones.
    let fx = Fixture::new();
    let csv = "external_id,given_name,family_name,sex,birth_date,financial_address\nE1,Awa,Ba,female,1950-01-01,msisdn:221770000001@wave\n";
    fx.import(&fx.admin, &fx.file("e.csv", csv.as_bytes()), &ImportOptions::default()).unwrap();
    let key = ProgramKey::Code("OLD".into());
    common::active_cash_program(&fx, "OLD", "Old cycle");
    let store = fx.registry.store();
    let t = br_core::clock::today();
    let mut settings = schedule_from(&format!("{}-01-01", t.year() - 2));
    settings.stages.truncate(1);
    settings::set(store, &fx.admin, &key, settings).unwrap();
    let create = CreateCycle { program: key.clone(), name: None, members_from: MembersFrom::Program };
    let cycle = cycle::create_next(store, &fx.admin, &create).unwrap().cycle.id;
    let never = AtomicBool::new(false);
    entitlement::generate(store, &fx.admin, cycle, &|_| {}, &never).unwrap();
    funds::add(
        store,
        &fx.admin,
        &AddFund { program: key, amount: 1_000_000, currency: "XOF".into(), reference: "F".into(), post: true },
    )
    .unwrap();
    approval::act(store, &fx.admin, cycle, CycleAction::Submit, None).unwrap();
    let approver = fx.user("approver", Role::Approver);
    let req = Decide { cycle, stage: 1, decision: DecisionKind::Approve, entitlements: None, comment: None };
    approval::decide(store, &approver, &req).unwrap();
    let prepared = payment::prepare(store, &fx.admin, &PreparePayments { cycle, batch_size: None }, &|_| {}).unwrap();
    assert_eq!((prepared.expired, prepared.payments), (1, 0));

    let file = fx.dir.path().join("ops.jsonl");
    replay::export(store, &fx.admin, &file, false, &sealing()).unwrap();
    let replica = Fixture::new();
    let empty = prints(&replica);
    let refused = |path: &std::path::Path, passphrase: &str| {
        let e =
            replay::replay(replica.registry.store(), &replica.admin, path, &Secret::new(passphrase), &|_| {}, &never)
                .unwrap_err();
        assert_eq!(e.code(), br_core::ErrorCode::InvalidInput, "{e}");
    };
    // The file is sealed: no other passphrase opens it, and a changed or cut file is refused whole.
    refused(&file, "not the passphrase at all");
    let bytes = std::fs::read(&file).unwrap();
    let changed = fx.file("changed.jsonl", &{
        let mut b = bytes.clone();
        let at = b.len() - 20;
        b[at] ^= 1;
        b
    });
    refused(&changed, PASSPHRASE);
    let cut = fx.file("cut.jsonl", &bytes[..bytes.len() - 1]);
    refused(&cut, PASSPHRASE);
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("Awa"), "no name is readable in the file");
    assert_same(&empty, &prints(&replica));
    let r = replay::replay(replica.registry.store(), &replica.admin, &file, &sealing(), &|_| {}, &never).unwrap();
    assert_eq!(r.conflicts, 0);
    assert_same(&prints(&fx), &prints(&replica));
    let expired: Vec<String> = column(&replica, "SELECT state FROM entitlements");
    assert_eq!(expired, ["expired"]);
}

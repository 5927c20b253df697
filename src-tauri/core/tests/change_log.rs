//! What the change log records for the paths that used to write around it: a merge (IDs, household place,
//! program membership, the duplicate's status and the decision) and household moves on import.

mod common;

use std::sync::atomic::AtomicBool;

use br_core::dedup::merge;
use br_core::dedup::review::{self, DedupRequest};
use br_core::io::import::ImportOptions;
use br_core::outbox::read_records;
use br_core::program::membership;
use br_core::program::model::MembershipState;
use br_core::registry::service::RegistrantKey;
use br_model::op::{DuplicateOutcome, Op, OpRecord};
use common::Fixture;

fn records_after(fx: &Fixture, seq: i64) -> Vec<OpRecord> {
    fx.registry.store().read(|c| read_records(c, seq, 10_000)).unwrap()
}

fn last_seq(fx: &Fixture) -> i64 {
    fx.registry.store().read(|c| Ok(c.query_row("SELECT ifnull(max(seq), 0) FROM outbox", [], |r| r.get(0))?)).unwrap()
}

fn text(fx: &Fixture, sql: &str) -> String {
    fx.registry.store().read(|c| Ok(c.query_row(sql, [], |r| r.get(0))?)).unwrap()
}

#[test]
fn a_merge_logs_every_row_it_moves() {
    let fx = Fixture::new();
    let csv =
        "external_id,given_name,family_name,sex,birth_date,area,household_ref,relationship,id:national_id,id:voter_card
K1,Hassan,Musa,male,1970-01-01,D02,,,NID2,
K2,Hassan,Musa,male,1970-01-01,D02,H9,head,NID2,VC77
";
    fx.import(&fx.admin, &fx.file("k.csv", csv.as_bytes()), &ImportOptions::default()).unwrap();
    let store = fx.registry.store();
    let key = common::active_program(&fx, "ALL", "All");
    let k2 = text(&fx, "SELECT reference FROM registrants WHERE external_id = 'K2'");
    let k1 = text(&fx, "SELECT reference FROM registrants WHERE external_id = 'K1'");
    membership::enrol_selected(store, &fx.admin, &key, &[RegistrantKey::Reference(k2.clone())]).unwrap();
    let req = DedupRequest { program: None, exact: true, fuzzy: true, households: false };
    review::run(store, &fx.admin, &req, &AtomicBool::new(false)).unwrap();
    let group: uuid::Uuid = fx
        .registry
        .store()
        .read(|c| Ok(c.query_row("SELECT id FROM duplicate_groups WHERE status = 'open'", [], |r| r.get(0))?))
        .unwrap();
    let before = last_seq(&fx);

    let summary = merge::merge(store, &fx.admin, group, &RegistrantKey::Reference(k1.clone())).unwrap();
    assert_eq!((summary.ids_moved, summary.memberships_moved), (1, 1));

    // The rows moved...
    assert_eq!(
        text(&fx, "SELECT r.external_id FROM id_documents d JOIN registrants r ON r.rowid = d.registrant WHERE d.value = 'VC77'"),
        "K1"
    );
    assert_eq!(
        text(&fx, "SELECT r.external_id || ':' || m.is_head FROM memberships m JOIN registrants r ON r.rowid = m.individual_rowid WHERE m.end_date IS NULL"),
        "K1:1",
        "the survivor took the duplicate's place as head"
    );
    let kept = membership::of_registrant(store, &fx.admin, &RegistrantKey::Reference(k1.clone())).unwrap();
    assert_eq!(kept[0].state, MembershipState::Enrolled, "the survivor took the duplicate's enrolment");

    // ...and each move is in the change log, in order, naming rows by id.
    let ops: Vec<Op> = records_after(&fx, before).into_iter().map(|r| r.op).collect();
    let kinds: Vec<&str> = ops.iter().map(Op::kind).collect();
    assert_eq!(
        kinds,
        [
            "id_document_moved",
            "program_membership_transferred",
            "household_member_replaced",
            "registrant_disabled",
            "registrant_merged",
            "duplicates_decided"
        ]
    );
    let Op::IdDocumentMoved { id_type, .. } = &ops[0] else { unreachable!() };
    assert_eq!(id_type, "voter_card", "only the type the survivor lacked moved");
    let Op::DuplicatesDecided(d) = &ops[5] else { unreachable!() };
    assert_eq!((d.outcome, d.members.len()), (DuplicateOutcome::Merged, 2));
    fx.assert_outbox_gapless();
}

#[test]
fn a_person_who_returns_to_a_household_is_a_member_again() {
    let fx = Fixture::new();
    let header = "external_id,given_name,family_name,sex,birth_date,area,household_ref,relationship\n";
    let at = |household: &str| {
        format!("{header}H,Ali,Musa,male,1970-01-01,D01,{household},head\nA,Amina,Musa,female,1990-01-01,D01,{household},spouse\n")
    };
    fx.import(&fx.admin, &fx.file("1.csv", at("H1").as_bytes()), &ImportOptions::default()).unwrap();
    fx.import(&fx.admin, &fx.file("2.csv", at("H2").as_bytes()), &ImportOptions::default()).unwrap();
    let before = last_seq(&fx);
    fx.import(&fx.admin, &fx.file("3.csv", at("H1").as_bytes()), &ImportOptions::default()).unwrap();
    let active = text(
        &fx,
        "SELECT group_concat(g.external_id || ':' || r.external_id, ',') FROM memberships m
         JOIN registrants g ON g.rowid = m.group_rowid JOIN registrants r ON r.rowid = m.individual_rowid
         WHERE m.end_date IS NULL ORDER BY 1",
    );
    assert_eq!(active, "H1:H,H1:A", "back in the first household, and no longer in the second");
    let kinds: Vec<String> = records_after(&fx, before).iter().map(|r| r.op.kind().to_string()).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "household_member_left").count(), 2);
    assert_eq!(kinds.iter().filter(|k| *k == "household_member_joined").count(), 2);
}

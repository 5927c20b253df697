//! Deduplication on a real encrypted registry: quality against the generator's truth file, the review
//! queue, decisions, merges and program holds.

mod common;

use std::sync::atomic::AtomicBool;

use br_core::auth::Role;
use br_core::dedup::merge;
use br_core::dedup::review::{self, Decision, DedupRequest, DuplicateQueueQuery, GroupStatus};
use br_core::io::import::ImportOptions;
use br_core::program::membership;
use br_core::program::model::{MembershipState, ProgramFields, ProgramState};
use br_core::program::service::{self, ProgramKey};
use br_core::registry::model::RegistrantKind;
use br_core::registry::service::RegistrantKey;
use br_core::synth::{generate, GenOptions};
use br_core::ErrorCode;
use common::Fixture;

fn everything() -> DedupRequest {
    DedupRequest { program: None, exact: true, fuzzy: true, households: true }
}

fn count(fx: &Fixture, sql: &str) -> i64 {
    fx.registry.store().read(|c| Ok(c.query_row(sql, [], |r| r.get(0))?)).unwrap()
}

fn queue(fx: &Fixture, program: Option<ProgramKey>) -> review::DuplicateQueue {
    review::queue(
        fx.registry.store(),
        &fx.admin,
        &DuplicateQueueQuery { status: None, program, after: None, limit: Some(200) },
    )
    .unwrap()
}

#[test]
fn planted_duplicates_are_found_with_high_precision_and_recall() {
    let fx = Fixture::new();
    let s =
        generate(fx.dir.path(), &GenOptions { individuals: 20_000, duplicate_rate: 0.05, seed: 5, id_prefix: None })
            .unwrap();
    fx.import(&fx.admin, std::path::Path::new(&s.registrants_file), &ImportOptions::default()).unwrap();
    let summary = review::run(fx.registry.store(), &fx.admin, &everything(), &AtomicBool::new(false)).unwrap();
    assert!(summary.stats.exact_pairs > 0 && summary.stats.fuzzy_pairs > 0);
    let q = br_core::dedup::quality::quality(fx.registry.store(), std::path::Path::new(&s.truth_file), None).unwrap();
    assert!(q.precision >= 0.95, "{q:?}");
    assert!(q.recall >= 0.95, "{q:?}");
    // Running again replaces the open groups instead of adding to them.
    review::run(fx.registry.store(), &fx.admin, &everything(), &AtomicBool::new(false)).unwrap();
    assert_eq!(count(&fx, "SELECT count(*) FROM duplicate_groups") as u64, summary.groups);
}

/// Two copies of one person across scripts, a second household holding the same people, and others.
const FILE: &str =
    "external_id,given_name,family_name,sex,birth_date,phone,area,household_ref,relationship,id:national_id
P1,Fatima,Ali,female,1980-03-04,+251911000001,D01,H1,head,NID1
P2,Omar,Ali,male,2010-05-06,,D01,H1,child,
P3,فاطمة,علي,female,1980-03-04,,D01,,,
P4,Hassan,Musa,male,1970-01-01,+251911000002,D02,H2,head,NID2
P5,Hassan,Musa,male,1970-01-01,,D02,,,NID2
";

fn small() -> Fixture {
    let fx = Fixture::new();
    let path = fx.file("people.csv", FILE.as_bytes());
    fx.import(&fx.admin, &path, &ImportOptions::default()).unwrap();
    fx
}

fn reference(fx: &Fixture, external: &str) -> String {
    fx.registry
        .store()
        .read(
            |c| Ok(c.query_row("SELECT reference FROM registrants WHERE external_id = ?1", [external], |r| r.get(0))?),
        )
        .unwrap()
}

#[test]
fn a_person_decides_and_merges_and_nothing_is_deleted() {
    let fx = small();
    let store = fx.registry.store();
    let auditor = fx.user("auditor", Role::Auditor);
    assert_eq!(
        review::run(store, &auditor, &everything(), &AtomicBool::new(false)).unwrap_err().code(),
        ErrorCode::PermissionDenied
    );
    review::run(store, &fx.admin, &everything(), &AtomicBool::new(false)).unwrap();
    let q = queue(&fx, None);
    assert_eq!(q.open, 2, "{:?}", q.groups);
    let (p1, p3, p4, p5) = (reference(&fx, "P1"), reference(&fx, "P3"), reference(&fx, "P4"), reference(&fx, "P5"));
    let fatima = q.groups.iter().find(|g| g.members.iter().any(|m| m.reference == p1)).unwrap();
    assert!(fatima.members.iter().any(|m| m.reference == p3), "Arabic and Latin spellings matched");
    // Each proposal says why: the fields that agreed, and how much each weighed.
    assert!(fatima.reasons.contains(&"birth_date".to_string()), "{:?}", fatima.reasons);
    let level = |g: &review::DuplicateGroup, field: &str| {
        g.pairs[0].fields.iter().find(|f| f.field == field).map(|f| (f.level.clone(), f.weight))
    };
    assert_eq!(level(fatima, "given_name").unwrap().0, "transliterated");
    assert_eq!(level(fatima, "birth_date").unwrap().0, "exact");
    assert!(level(fatima, "birth_date").unwrap().1 > 0.0);
    assert_eq!((fatima.pairs[0].a.as_str(), fatima.pairs[0].b.as_str()), (p1.as_str(), p3.as_str()));
    let hassan = q.groups.iter().find(|g| g.members.iter().any(|m| m.reference == p4)).unwrap();
    assert_eq!(level(hassan, "id").unwrap().0, "same");
    assert_eq!(hassan.band, br_core::dedup::thresholds::Band::VeryLikely);

    // Not duplicates: remembered, so the next run does not propose them again.
    review::decide(store, &fx.admin, fatima.id, Decision::NotDuplicates, Some("sisters")).unwrap();
    review::run(store, &fx.admin, &everything(), &AtomicBool::new(false)).unwrap();
    assert_eq!(queue(&fx, None).open, 1);

    // Enrol both Hassans in a program, then merge: P4 stays, P5 is disabled and points at P4.
    let key = ProgramKey::Code("ALL".into());
    service::create(
        store,
        &fx.admin,
        ProgramFields {
            code: "ALL".into(),
            name: "All".into(),
            description: String::new(),
            target: RegistrantKind::Individual,
            currency: "ETB".into(),
            eligibility_rule: String::new(),
            pmt_expression: None,
            pmt_threshold: None,
            auto_enrol: false,
        },
    )
    .unwrap();
    service::set_state(store, &fx.admin, &key, ProgramState::Active).unwrap();
    membership::enrol_selected(
        store,
        &fx.admin,
        &key,
        &[RegistrantKey::Reference(p4.clone()), RegistrantKey::Reference(p5.clone())],
    )
    .unwrap();

    // Within the program, both are held as duplicated until a person decides.
    let s = review::run(
        store,
        &fx.admin,
        &DedupRequest { program: Some(key.clone()), ..everything() },
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!(s.memberships_duplicated, 2);
    let in_program = queue(&fx, Some(key.clone()));
    assert_eq!(in_program.open, 1);

    // Conflicting states in one program: refused, nothing changed.
    fx.registry.store().write(|tx| {
        tx.conn().execute("UPDATE program_memberships SET state_before_duplicate = 'paused' WHERE registrant = (SELECT rowid FROM registrants WHERE reference = ?1)", [&p5])?;
        Ok(())
    }).unwrap();
    let before = fx.fingerprint();
    let e = merge::merge(store, &fx.admin, in_program.groups[0].id, &RegistrantKey::Reference(p4.clone())).unwrap_err();
    assert_eq!(e.code(), ErrorCode::MergeConflict);
    assert_eq!(fx.fingerprint(), before);
    let said_first =
        merge::merge_preview(store, &fx.admin, in_program.groups[0].id, &RegistrantKey::Reference(p4.clone()));
    assert_eq!(said_first.unwrap_err().code(), ErrorCode::MergeConflict, "the confirmation shows the refusal");
    fx.registry.store().write(|tx| {
        tx.conn().execute("UPDATE program_memberships SET state_before_duplicate = 'enrolled' WHERE registrant = (SELECT rowid FROM registrants WHERE reference = ?1)", [&p5])?;
        Ok(())
    }).unwrap();

    // What the confirmation says is what the merge then does, and saying it changes nothing.
    let before = fx.fingerprint();
    let audited = count(&fx, "SELECT count(*) FROM audit_log");
    let said =
        merge::merge_preview(store, &fx.admin, in_program.groups[0].id, &RegistrantKey::Reference(p4.clone())).unwrap();
    assert_eq!((fx.fingerprint(), count(&fx, "SELECT count(*) FROM audit_log")), (before, audited));
    let m = merge::merge(store, &fx.admin, in_program.groups[0].id, &RegistrantKey::Reference(p4.clone())).unwrap();
    assert_eq!(
        (said.kept, said.merged, said.ids_moved, said.memberships_moved, said.memberships_exited),
        (m.kept.clone(), m.merged.clone(), m.ids_moved, m.memberships_moved, m.memberships_exited)
    );
    assert_eq!(m.merged, vec![p5.clone()]);
    assert_eq!(m.memberships_exited, 1);
    let kept = membership::of_registrant(store, &fx.admin, &RegistrantKey::Reference(p4.clone())).unwrap();
    assert_eq!(kept[0].state, MembershipState::Enrolled, "the survivor's hold is lifted");
    let merged = membership::of_registrant(store, &fx.admin, &RegistrantKey::Reference(p5.clone())).unwrap();
    assert_eq!(merged[0].state, MembershipState::Exited);
    assert_eq!(
        count(&fx, &format!("SELECT count(*) FROM registrants WHERE reference = '{p5}' AND status = 'disabled' AND merged_into IS NOT NULL")),
        1
    );
    assert_eq!(count(&fx, "SELECT count(*) FROM registrants"), 7, "nothing deleted");
    assert_eq!(count(&fx, "SELECT count(*) FROM audit_log WHERE action = 'registrant.merge'"), 1);
    // The merged record's own history says where it went.
    let history = br_core::beneficiary::get_detail(store, &fx.admin, &RegistrantKey::Reference(p5.clone()), false)
        .unwrap()
        .history;
    let merged_into: Vec<_> = history.iter().filter(|h| h.action == "registrant.merged").map(|h| &h.details).collect();
    assert_eq!(merged_into, vec![&serde_json::json!({ "into": p4 })]);
    let merged_again =
        merge::merge(store, &fx.admin, in_program.groups[0].id, &RegistrantKey::Reference(p4)).unwrap_err();
    assert_eq!(merged_again.code(), ErrorCode::TransitionNotAllowed);
    let group = queue(&fx, Some(key)).groups;
    assert!(group.is_empty());
    fx.assert_outbox_gapless();
    let _ = GroupStatus::Merged;
}

#[test]
fn households_with_the_same_members_are_duplicates() {
    let fx = Fixture::new();
    let csv = "external_id,given_name,family_name,sex,birth_date,area,household_ref,relationship
A,Ali,Musa,male,1970-01-01,D01,H1,head
B,Amina,Musa,female,1975-01-01,D01,H1,spouse
";
    let path = fx.file("a.csv", csv.as_bytes());
    fx.import(&fx.admin, &path, &ImportOptions::default()).unwrap();
    let store = fx.registry.store();
    // A second household registered for the same two people.
    let h2 = br_core::beneficiary::create(
        store,
        &fx.admin,
        RegistrantKind::Group,
        br_core::registry::model::RegistrantFields {
            group_name: Some("Musa family".into()),
            area: Some("D01".into()),
            ..Default::default()
        },
        None,
    )
    .unwrap();
    for (ext, kind) in [("A", "head"), ("B", "spouse")] {
        let r = reference(&fx, ext);
        br_core::registry::service::add_member(
            store,
            &fx.admin,
            &RegistrantKey::Reference(h2.reference.clone()),
            &RegistrantKey::Reference(r),
            kind,
        )
        .unwrap();
    }
    let s = review::run(store, &fx.admin, &everything(), &AtomicBool::new(false)).unwrap();
    assert_eq!(s.household_groups, 1);
    let q = queue(&fx, None);
    assert_eq!(q.groups[0].kind, "group");
    assert_eq!(q.groups[0].reasons, vec!["members".to_string()]);
}

#[test]
fn each_office_sets_its_thresholds_and_a_run_uses_them() {
    use br_core::dedup::thresholds::{self, Band, DedupThresholds};
    let fx = small();
    let store = fx.registry.store();
    assert_eq!(thresholds::get(store, &fx.admin).unwrap(), DedupThresholds { review: 0.9, very_likely: 0.99 });
    for (review, very_likely) in [(0.0, 0.5), (0.5, 1.0), (0.95, 0.9), (f64::NAN, 0.9), (-0.1, 0.9)] {
        let e = thresholds::set(store, &fx.admin, DedupThresholds { review, very_likely }).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidInput, "{review} {very_likely}");
    }
    let auditor = fx.user("auditor", Role::Auditor);
    let refused = thresholds::set(store, &auditor, DedupThresholds { review: 0.5, very_likely: 0.6 }).unwrap_err();
    assert_eq!(refused.code(), ErrorCode::PermissionDenied);
    assert_eq!(thresholds::get(store, &fx.admin).unwrap().review, 0.9, "a refusal changes nothing");

    // Everything very likely: every proposal is marked so.
    thresholds::set(store, &fx.admin, DedupThresholds { review: 0.5, very_likely: 0.5 }).unwrap();
    let s = review::run(store, &fx.admin, &everything(), &AtomicBool::new(false)).unwrap();
    assert_eq!(s.very_likely_groups, s.groups);
    assert!(queue(&fx, None).groups.iter().all(|g| g.band == Band::VeryLikely));
    // Nothing is likely enough: no proposal at all.
    thresholds::set(store, &fx.admin, DedupThresholds { review: 0.999_999_999, very_likely: 0.999_999_999 }).unwrap();
    let s = review::run(store, &fx.admin, &everything(), &AtomicBool::new(false)).unwrap();
    assert_eq!(s.individual_groups, 0, "{:?}", queue(&fx, None).groups);
    // Two changes and the auditor's refusal.
    assert_eq!(count(&fx, "SELECT count(*) FROM audit_log WHERE action = 'dedup.set_thresholds'"), 3);
}

#[test]
fn reviewers_decisions_are_known_answers_for_the_next_run() {
    let fx = small();
    let store = fx.registry.store();
    let first = review::run(store, &fx.admin, &everything(), &AtomicBool::new(false)).unwrap();
    assert_eq!(first.model.decisions_used, 0);
    let q = queue(&fx, None);
    let fatima = q.groups.iter().find(|g| g.kind == "individual" && g.members.len() == 2).unwrap();
    review::decide(store, &fx.admin, fatima.id, Decision::NotDuplicates, None).unwrap();
    let second = review::run(store, &fx.admin, &everything(), &AtomicBool::new(false)).unwrap();
    assert_eq!(second.model.decisions_used, 1, "the decided pair is a known answer");
    // Not proposed again, however alike.
    assert!(queue(&fx, None).groups.iter().all(|g| g.id != fatima.id
        && !(g.members.len() == 2
            && g.members.iter().map(|m| &m.reference).eq(fatima.members.iter().map(|m| &m.reference)))));
}

#[test]
fn exact_and_fuzzy_choose_which_pairs_are_compared() {
    let fx = small();
    let store = fx.registry.store();
    let run = |exact: bool, fuzzy: bool| {
        let req = DedupRequest { program: None, exact, fuzzy, households: false };
        review::run(store, &fx.admin, &req, &AtomicBool::new(false)).unwrap()
    };
    // Sharing an ID only: the Hassans, not the Fatimas written in two scripts.
    let exact = run(true, false);
    assert_eq!((exact.individual_groups, exact.stats.exact_pairs, exact.stats.fuzzy_pairs), (1, 1, 0));
    // Names and birth days only: both pairs, the Hassans' shared ID still weighed once compared.
    let fuzzy = run(false, true);
    assert_eq!(fuzzy.individual_groups, 2);
    assert_eq!(run(false, false).stats.comparisons, 0);
}

/// One person twice: the survivor alone with a national ID; the other copy in a household, with a voter
/// card, and enrolled in a program the survivor is not in.
const TWICE: &str =
    "external_id,given_name,family_name,sex,birth_date,phone,household_ref,relationship,id:national_id,id:voter_card
K1,Hassan,Musa,male,1970-01-01,+251911000002,,,NID2,
K2,Hassan,Musa,male,1970-01-01,+251911000002,H9,head,,VC-7
K3,Zeyneb,Musa,female,1975-02-02,,H9,spouse,,
";

#[test]
fn a_merge_moves_id_documents_program_memberships_and_the_household_place_to_the_survivor() {
    let fx = Fixture::new();
    let store = fx.registry.store();
    fx.import(&fx.admin, &fx.file("twice.csv", TWICE.as_bytes()), &ImportOptions::default()).unwrap();
    let (k1, k2) = (reference(&fx, "K1"), reference(&fx, "K2"));
    let key = common::active_program(&fx, "ALL", "All");
    membership::enrol_selected(store, &fx.admin, &key, &[RegistrantKey::Reference(k2.clone())]).unwrap();
    review::run(store, &fx.admin, &everything(), &AtomicBool::new(false)).unwrap();
    let group = queue(&fx, None).groups.into_iter().find(|g| g.members.iter().any(|m| m.reference == k1)).unwrap();

    let m = merge::merge(store, &fx.admin, group.id, &RegistrantKey::Reference(k1.clone())).unwrap();
    assert_eq!((m.ids_moved, m.memberships_moved, m.memberships_exited), (1, 1, 0));
    let rows = |sql: &str, reference: &str| -> Vec<String> {
        store
            .read(|c| {
                let mut st = c.prepare(sql)?;
                let found = st.query_map([reference], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
                Ok(found)
            })
            .unwrap()
    };
    let ids_of = "SELECT d.id_type || '=' || d.value FROM id_documents d JOIN registrants r ON r.rowid = d.registrant
                  WHERE r.reference = ?1 ORDER BY 1";
    assert_eq!(rows(ids_of, &k1), ["national_id=NID2", "voter_card=VC-7"], "the voter card moved");
    assert!(rows(ids_of, &k2).is_empty());
    let programs_of =
        "SELECT p.code || ':' || m.state FROM program_memberships m JOIN programs p ON p.rowid = m.program
                       JOIN registrants r ON r.rowid = m.registrant WHERE r.reference = ?1";
    assert_eq!(rows(programs_of, &k1), ["ALL:enrolled"], "the membership moved");
    assert!(rows(programs_of, &k2).is_empty());
    let places_of = "SELECT g.external_id || ':' || m.kind || ':' || m.is_head FROM memberships m
                     JOIN registrants g ON g.rowid = m.group_rowid JOIN registrants r ON r.rowid = m.individual_rowid
                     WHERE r.reference = ?1 AND m.end_date IS NULL";
    assert_eq!(rows(places_of, &k1), ["H9:head:1"], "the survivor heads the household now");
    assert!(rows(places_of, &k2).is_empty());
    fx.assert_outbox_gapless();
}

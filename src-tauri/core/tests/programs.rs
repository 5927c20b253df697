//! Programs, rules and enrolment on a real encrypted registry filled by the generator.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};

use br_core::auth::Role;
use br_core::io::import::ImportOptions;
use br_core::program::membership::{self, MemberAction, MembersQuery};
use br_core::program::model::{MembershipState, ProgramFields, ProgramState};
use br_core::program::service::{self, PreviewRequest, ProgramKey};
use br_core::registry::model::RegistrantKind;
use br_core::registry::service::RegistrantKey;
use br_core::synth::{generate, GenOptions};
use br_core::ErrorCode;
use common::Fixture;

fn fields(code: &str, rule: &str, target: RegistrantKind) -> ProgramFields {
    ProgramFields {
        code: code.into(),
        name: format!("Program {code}"),
        description: String::new(),
        target,
        currency: "ETB".into(),
        eligibility_rule: rule.into(),
        pmt_expression: None,
        pmt_threshold: None,
        auto_enrol: false,
    }
}

fn filled(individuals: u64) -> Fixture {
    let fx = Fixture::new();
    let s =
        generate(fx.dir.path(), &GenOptions { individuals, duplicate_rate: 0.0, seed: 11, id_prefix: None }).unwrap();
    fx.import(&fx.admin, std::path::Path::new(&s.registrants_file), &ImportOptions::default()).unwrap();
    fx
}

fn preview(fx: &Fixture, rule: &str, target: RegistrantKind) -> service::Preview {
    service::preview(
        fx.registry.store(),
        &fx.admin,
        &PreviewRequest {
            program: None,
            rule: Some(rule.into()),
            target: Some(target),
            pmt_expression: None,
            pmt_threshold: None,
        },
        &AtomicBool::new(false),
    )
    .unwrap()
}

fn count(fx: &Fixture, sql: &str) -> i64 {
    fx.registry.store().read(|c| Ok(c.query_row(sql, [], |r| r.get(0))?)).unwrap()
}

#[test]
fn a_rule_is_checked_when_saved_and_a_bad_one_changes_nothing() {
    let fx = Fixture::new();
    let store = fx.registry.store();
    let e = service::create(store, &fx.admin, fields("ELD", "age(me.birth_date) >= ", RegistrantKind::Individual))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::RuleInvalid);
    let e =
        service::create(store, &fx.admin, fields("ELD", "me.birthdate <= '1960-01-01'", RegistrantKind::Individual))
            .unwrap_err();
    assert_eq!(e.code(), ErrorCode::RuleInvalid);
    assert!(e.to_string().contains("birth_date"), "lists the fields that exist: {e}");
    assert_eq!(count(&fx, "SELECT count(*) FROM programs"), 0);
    service::create(store, &fx.admin, fields("ELD", "", RegistrantKind::Individual)).unwrap();
    let e = service::create(store, &fx.admin, fields("eld", "", RegistrantKind::Individual)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AlreadyExists);
    let auditor = fx.user("auditor", Role::Auditor);
    let e = service::create(store, &auditor, fields("OTH", "", RegistrantKind::Individual)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::PermissionDenied);
    let e = service::set_state(store, &fx.admin, &ProgramKey::Code("ELD".into()), ProgramState::Ended).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TransitionNotAllowed);
}

#[test]
fn the_sql_part_of_a_rule_selects_exactly_what_cel_alone_selects() {
    let fx = filled(3_000);
    for (fast, slow, target) in [
        ("age(me.birth_date) >= 60", "age(me.birth_date) >= 60 || false", RegistrantKind::Individual),
        (
            "me.age < 5 && me.sex == 'female'",
            "(me.age < 5 || false) && me.sex + '' == 'female'",
            RegistrantKind::Individual,
        ),
        (
            "me.area in ['D01', 'D02'] && 18 <= me.age",
            "(me.area in ['D01', 'D02'] || false) && (18 <= me.age || false)",
            RegistrantKind::Individual,
        ),
    ] {
        let a = preview(&fx, fast, target);
        let b = preview(&fx, slow, target);
        assert!(a.matches > 0, "{fast} matches someone");
        assert_eq!(a.matches, b.matches, "{fast}");
        assert!(a.evaluated < b.evaluated, "the SQL part narrowed {fast}");
    }
    // Households with a child under five: counted independently in SQL.
    let p = preview(&fx, "members.exists(m, m.age < 5)", RegistrantKind::Group);
    let expected = count(
        &fx,
        "SELECT count(DISTINCT m.group_rowid) FROM memberships m JOIN registrants r ON r.rowid = m.individual_rowid
         WHERE m.end_date IS NULL AND r.birth_date > date('now', '-5 years')",
    );
    assert_eq!(p.matches as i64, expected);
    assert_eq!(p.errors, 0);
}

#[test]
fn a_rule_evaluated_from_the_narrow_facts_table_selects_what_the_registrants_table_selects() {
    let fx = filled(3_000);
    // Reading the reference, which only the registrants table holds, sends the same rule there.
    for (rule, target) in [
        ("me.age >= 65 || me.sex == 'female' && size(me.id_types) == 0", RegistrantKind::Individual),
        ("me.birth_date_approx || me.registered_on != '' && me.size >= 4", RegistrantKind::Individual),
        ("me.area != 'D01' && me.size >= 3", RegistrantKind::Group),
    ] {
        let narrow = preview(&fx, rule, target);
        let wide = preview(&fx, &format!("me.reference != '' && ({rule})"), target);
        assert!(narrow.matches > 0 && narrow.matches < narrow.evaluated, "{rule} selects some");
        assert_eq!(
            (narrow.matches, narrow.evaluated, &narrow.sample),
            (wide.matches, wide.evaluated, &wide.sample),
            "{rule}"
        );
    }
}

#[test]
fn id_types_read_beside_everyone_are_each_registrants_own() {
    let fx = filled(3_000);
    // Disabled people with ID documents: rows the walk over the documents must pass without using them.
    let with_ids: Vec<String> = fx
        .registry
        .store()
        .read(|c| {
            let mut st = c.prepare(
                "SELECT r.reference FROM registrants r WHERE r.kind = 'individual'
                 AND EXISTS (SELECT 1 FROM id_documents d WHERE d.registrant = r.rowid) ORDER BY r.rowid LIMIT 40",
            )?;
            let refs = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
            Ok(refs)
        })
        .unwrap();
    for reference in with_ids.iter().step_by(3) {
        br_core::registry::service::disable(
            fx.registry.store(),
            &fx.admin,
            &RegistrantKey::Reference(reference.clone()),
            "moved away",
        )
        .unwrap();
    }
    let active_individuals = "FROM registrants r WHERE r.kind = 'individual' AND r.status = 'active'";
    let without = count(
        &fx,
        &format!("SELECT count(*) {active_individuals} AND NOT EXISTS (SELECT 1 FROM id_documents d WHERE d.registrant = r.rowid)"),
    );
    let national = count(
        &fx,
        &format!(
            "SELECT count(*) {active_individuals}
             AND EXISTS (SELECT 1 FROM id_documents d WHERE d.registrant = r.rowid AND d.id_type = 'national_id')"
        ),
    );
    assert!(without > 0 && national > 0);
    assert_eq!(preview(&fx, "size(me.id_types) == 0", RegistrantKind::Individual).matches as i64, without);
    assert_eq!(preview(&fx, "'national_id' in me.id_types", RegistrantKind::Individual).matches as i64, national);
}

#[test]
fn a_proxy_means_score_and_its_threshold_select_like_the_same_condition_in_the_rule() {
    let fx = filled(3_000);
    let with_score = service::preview(
        fx.registry.store(),
        &fx.admin,
        &PreviewRequest {
            program: None,
            rule: Some("me.age >= 18".into()),
            target: Some(RegistrantKind::Individual),
            pmt_expression: Some("double(size(me.id_types)) * 2.5".into()),
            pmt_threshold: Some(0.0),
        },
        &AtomicBool::new(false),
    )
    .unwrap();
    let as_rule = preview(&fx, "me.age >= 18 && size(me.id_types) == 0", RegistrantKind::Individual);
    assert!(as_rule.matches > 0);
    assert_eq!(with_score.matches, as_rule.matches);
}

#[test]
fn a_program_enrols_verifies_pauses_resumes_and_exits_with_every_move_checked() {
    let fx = filled(3_000);
    let store = fx.registry.store();
    let key = ProgramKey::Code("ELD".into());
    service::create(store, &fx.admin, fields("ELD", "age(me.birth_date) >= 60", RegistrantKind::Individual)).unwrap();
    let none = AtomicBool::new(false);
    // A draft program enrols nobody.
    let e = membership::enrol_eligible(store, &fx.admin, &key, &|_| {}, &none).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TransitionNotAllowed);
    service::set_state(store, &fx.admin, &key, ProgramState::Active).unwrap();

    let expected = preview(&fx, "age(me.birth_date) >= 60", RegistrantKind::Individual).matches;
    let s = membership::enrol_eligible(store, &fx.admin, &key, &|_| {}, &none).unwrap();
    assert_eq!(s.enrolled, expected);
    assert!(!s.cancelled);
    // Again: nobody new.
    let again = membership::enrol_eligible(store, &fx.admin, &key, &|_| {}, &none).unwrap();
    assert_eq!((again.enrolled, again.already_members), (0, expected));
    let summary = service::get(store, &fx.admin, &key).unwrap();
    assert_eq!(summary.counts.enrolled, expected);

    let page = membership::members(
        store,
        &fx.admin,
        &MembersQuery { program: key.clone(), state: None, after: None, limit: Some(5) },
    )
    .unwrap();
    assert_eq!(page.members.len(), 5);
    assert!(page.cursor.is_some());
    let refs: Vec<RegistrantKey> = page.members.iter().map(|m| RegistrantKey::Reference(m.reference.clone())).collect();

    // Enrolling someone twice: a clear error, nothing changed.
    let before = fx.fingerprint();
    let e = membership::enrol_selected(store, &fx.admin, &key, &refs[..2]).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AlreadyExists);
    assert_eq!(fx.fingerprint(), before);

    membership::change_members(store, &fx.admin, &key, &refs[..2], MemberAction::Pause, Some("moved away"), None)
        .unwrap();
    membership::change_members(store, &fx.admin, &key, &refs[..1], MemberAction::Resume, None, None).unwrap();
    let e =
        membership::change_members(store, &fx.admin, &key, &refs[2..3], MemberAction::Exit, None, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput, "an exit needs a reason");
    membership::change_members(
        store,
        &fx.admin,
        &key,
        &refs[2..3],
        MemberAction::Exit,
        Some("died"),
        Some("2026-01-31"),
    )
    .unwrap();
    let e =
        membership::change_members(store, &fx.admin, &key, &refs[2..4], MemberAction::Resume, None, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TransitionNotAllowed, "an exited member cannot resume");
    let programs = membership::of_registrant(store, &fx.admin, &refs[2]).unwrap();
    assert_eq!(programs.len(), 1);
    assert_eq!(programs[0].state, MembershipState::Exited);
    assert_eq!(programs[0].exited_on.as_deref(), Some("2026-01-31"));
    assert_eq!(programs[0].reason.as_deref(), Some("died"));

    // Tighten the rule and re-verify: those between 60 and 69 are no longer eligible, with the reason.
    let mut f = fields("ELD", "age(me.birth_date) >= 70", RegistrantKind::Individual);
    f.name = "Program ELD".into();
    service::update(store, &fx.admin, &key, f).unwrap();
    let still = preview(&fx, "age(me.birth_date) >= 70", RegistrantKind::Individual).matches;
    let v = membership::verify(store, &fx.admin, &key, &|_| {}, &none).unwrap();
    let after = service::get(store, &fx.admin, &key).unwrap().counts;
    assert_eq!(v.not_eligible, after.not_eligible);
    assert!(v.not_eligible > 0);
    let reasons =
        count(&fx, "SELECT count(*) FROM program_memberships WHERE state = 'not_eligible' AND reason LIKE '%rule%'");
    assert_eq!(reasons as u64, after.not_eligible);
    assert!(after.enrolled <= still);
    // Everyone enrolled at first is in exactly one state now: one paused, one exited, the rest by the rule.
    assert_eq!(after.enrolled + after.paused + after.exited + after.not_eligible, expected);
    assert_eq!((after.paused, after.exited), (1, 1));

    // Every move is in the change log (gapless) and the audit log.
    fx.assert_outbox_gapless();
    let ops = count(&fx, "SELECT count(*) FROM outbox WHERE entity = 'program_membership'");
    assert_eq!(ops as u64, expected + 2 + 1 + 1 + v.not_eligible);
    // One entry per member moved: two paused, one resumed, one exited. The refused exit and resume were
    // refused on their input before anything moved, so they add none.
    let moves = |to: &str| {
        count(
            &fx,
            &format!(
                "SELECT count(*) FROM audit_log WHERE action = 'program.member_change' AND outcome = 'ok'
                 AND json_extract(details, '$.to') = '{to}'"
            ),
        )
    };
    assert_eq!((moves("paused"), moves("enrolled"), moves("exited")), (2, 1, 1));
    assert_eq!(count(&fx, "SELECT count(*) FROM audit_log WHERE action = 'program.member_change'"), 4);
}

#[test]
fn bulk_enrolment_cancelled_between_batches_keeps_whole_batches() {
    let fx = filled(12_000);
    let store = fx.registry.store();
    let key = ProgramKey::Code("ALL".into());
    service::create(store, &fx.admin, fields("ALL", "", RegistrantKind::Individual)).unwrap();
    service::set_state(store, &fx.admin, &key, ProgramState::Active).unwrap();
    let cancel = AtomicBool::new(false);
    let s = membership::enrol_eligible(
        store,
        &fx.admin,
        &key,
        &|p| {
            if p.phase == "writing" && p.done > 0 {
                cancel.store(true, Ordering::Relaxed);
            }
        },
        &cancel,
    )
    .unwrap();
    assert!(s.cancelled);
    assert_eq!(s.enrolled, 10_000);
    assert_eq!(count(&fx, "SELECT count(*) FROM program_memberships"), 10_000);
    fx.assert_outbox_gapless();
}

#[test]
fn new_registrants_are_auto_enrolled_when_they_match() {
    let fx = Fixture::new();
    let store = fx.registry.store();
    let mut f = fields("CHILD", "me.age < 5 && !('OTHER' in programs)", RegistrantKind::Individual);
    f.auto_enrol = true;
    service::create(store, &fx.admin, f).unwrap();
    service::set_state(store, &fx.admin, &ProgramKey::Code("CHILD".into()), ProgramState::Active).unwrap();
    let young = (br_core::clock::today() - time::Duration::days(400)).to_string();
    let csv = format!(
        "external_id,given_name,family_name,sex,birth_date\nA1,Amina,Ali,female,{young}\nA2,Omar,Ali,male,1980-02-03\n"
    );
    let path = fx.file("new.csv", csv.as_bytes());
    let s = fx.import(&fx.admin, &path, &ImportOptions::default()).unwrap();
    assert_eq!(s.auto_enrolled, 1);
    assert_eq!(count(&fx, "SELECT count(*) FROM program_memberships WHERE state = 'enrolled'"), 1);
}

#[test]
fn people_selected_for_enrolment_who_do_not_match_the_rule_become_not_eligible_with_the_reason() {
    let fx = Fixture::new();
    let store = fx.registry.store();
    let people = fx.file(
        "people.csv",
        b"external_id,given_name,family_name,sex,birth_date\nOLD,Amina,Diallo,female,1940-01-01\nYOUNG,Awa,Diallo,female,2000-01-01\n",
    );
    fx.import(&fx.admin, &people, &ImportOptions::default()).unwrap();
    let key = ProgramKey::Code("ELD".into());
    service::create(store, &fx.admin, fields("ELD", "age(me.birth_date) >= 60", RegistrantKind::Individual)).unwrap();
    service::set_state(store, &fx.admin, &key, ProgramState::Active).unwrap();
    let reference = |external: &str| -> String {
        store
            .read(|c| {
                Ok(c.query_row("SELECT reference FROM registrants WHERE external_id = ?1", [external], |r| r.get(0))?)
            })
            .unwrap()
    };
    let (old, young) = (RegistrantKey::Reference(reference("OLD")), RegistrantKey::Reference(reference("YOUNG")));
    let s = membership::enrol_selected(store, &fx.admin, &key, &[old.clone(), young.clone()]).unwrap();
    assert_eq!((s.evaluated, s.enrolled, s.not_eligible), (2, 1, 1));
    let state = |who: &RegistrantKey| membership::of_registrant(store, &fx.admin, who).unwrap().remove(0);
    assert_eq!(state(&old).state, MembershipState::Enrolled);
    let refused = state(&young);
    assert_eq!(refused.state, MembershipState::NotEligible);
    assert!(refused.reason.as_deref().is_some_and(|r| r.contains("rule")), "{:?}", refused.reason);

    // An exit is dated today or earlier: tomorrow is refused and changes nothing.
    let tomorrow = br_core::clock::today().next_day().unwrap().to_string();
    let before = fx.fingerprint();
    let e = membership::change_members(
        store,
        &fx.admin,
        &key,
        std::slice::from_ref(&old),
        MemberAction::Exit,
        Some("moved"),
        Some(&tomorrow),
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput);
    assert!(e.to_string().contains("future"), "{e}");
    assert_eq!(fx.fingerprint(), before);
}

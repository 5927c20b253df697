//! Program memberships: enrol selected registrants or everyone eligible, auto-enrol new registrants,
//! re-verify, pause, resume and exit. Every move goes through `MembershipState::may_become`, the audit log
//! and the change log. Bulk work evaluates first (a read), then writes in whole batches: a cancel lands
//! between two batches, never inside one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::model::{MembershipState, ProgramMembership, ProgramState};
use super::rules::Verdict;
use super::select::Scope;
use super::service::{resolve, ProgramKey, ProgramRules, StoredProgram};
use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::clock::{now_rfc3339, today};
use crate::error::{CoreError, Result};
use crate::registry::model::RegistrantKind;
use crate::registry::service::{resolve as resolve_registrant, RegistrantKey};
use crate::registry::write::StoredRow;
use crate::store::{Store, Tx};
use br_model::op::{MembershipMove, Op};

/// Most registrants one request may name, and memberships written per transaction by bulk work (50,000
/// measured no faster).
const BATCH: usize = 10_000;

/// Progress of bulk enrolment work.
#[derive(Debug, Clone, Serialize, TS)]
pub struct EnrolmentProgress {
    /// `evaluating` the rule, then `writing` memberships.
    pub phase: String,
    pub done: u64,
    pub total: u64,
}

/// What a bulk operation did.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct EnrolmentSummary {
    /// Registrants the rule was evaluated for.
    pub evaluated: u64,
    pub enrolled: u64,
    pub not_eligible: u64,
    /// Matches that were already members (enrolled, paused, exited or awaiting a duplicate decision).
    pub already_members: u64,
    /// Registrants the rule failed for; they were not enrolled.
    pub errors: u64,
    /// Stopped by a cancel between two batches: what is counted above was committed, nothing else.
    pub cancelled: bool,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct Existing {
    pub(crate) id: Uuid,
    pub(crate) state: MembershipState,
}

pub(crate) fn existing(conn: &Connection, program: i64, registrant: i64) -> Result<Option<Existing>> {
    Ok(conn
        .prepare_cached("SELECT id, state FROM program_memberships WHERE program = ?1 AND registrant = ?2")?
        .query_row(params![program, registrant], |r| {
            Ok(Existing {
                id: r.get(0)?,
                state: MembershipState::parse(&r.get::<_, String>(1)?).unwrap_or(MembershipState::Draft),
            })
        })
        .optional()?)
}

/// One move of one membership.
pub(crate) struct Move<'a> {
    pub program: &'a StoredProgram,
    pub rowid: i64,
    pub registrant_id: Uuid,
    pub to: MembershipState,
    pub reason: Option<&'a str>,
    pub score: Option<f64>,
    pub date: Option<&'a str>,
}

/// Writes one membership move: checks it, then the row and its change-log op. The caller audits.
pub(crate) fn apply(tx: &mut Tx<'_>, current: Option<&Existing>, m: Move<'_>) -> Result<()> {
    // A registrant with no membership row is in `draft` for the state machine.
    let from = current.map(|e| e.state).unwrap_or(MembershipState::Draft);
    let allowed = match current {
        None => matches!(m.to, MembershipState::Draft | MembershipState::Enrolled | MembershipState::NotEligible),
        Some(e) => e.state.may_become(m.to),
    };
    if !allowed {
        return Err(CoreError::TransitionNotAllowed {
            entity: "program membership".into(),
            from: from.as_str().into(),
            to: m.to.as_str().into(),
        });
    }
    let day = m.date.map(str::to_string).unwrap_or_else(|| today().to_string());
    let mv = MembershipMove {
        id: current.map(|e| e.id).unwrap_or_else(Uuid::now_v7),
        program: m.program.program.id,
        registrant: m.registrant_id,
        from,
        to: m.to,
        enrolled_on: (m.to == MembershipState::Enrolled && from != MembershipState::Paused).then(|| day.clone()),
        exited_on: (m.to == MembershipState::Exited).then(|| day.clone()),
        reason: m.reason.map(str::to_string),
        pmt_score: m.score,
    };
    let version = tx.append_op(&Op::ProgramMembershipMoved(mv.clone()), None)?;
    upsert_row(tx, m.program.rowid, m.rowid, &mv, version)
}

/// Writes a membership move's row (its op is the caller's): a new membership, or the state and what the
/// move sets, keeping an earlier enrolment date, score and pre-hold state where the move has none.
pub(crate) fn upsert_row(
    tx: &mut Tx<'_>,
    program: i64,
    registrant: i64,
    mv: &MembershipMove,
    version: i64,
) -> Result<()> {
    let before_duplicate = (mv.to == MembershipState::Duplicated).then_some(mv.from.as_str());
    tx.conn()
        .prepare_cached(
            "INSERT INTO program_memberships (program, registrant, id, state, state_before_duplicate, enrolled_on,
                 exited_on, reason, pmt_score, version, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (program, registrant) DO UPDATE SET state = excluded.state,
                 state_before_duplicate = coalesce(excluded.state_before_duplicate, state_before_duplicate),
                 enrolled_on = coalesce(excluded.enrolled_on, enrolled_on), exited_on = excluded.exited_on,
                 reason = excluded.reason, pmt_score = coalesce(excluded.pmt_score, pmt_score),
                 version = excluded.version, updated_at = excluded.updated_at",
        )?
        .execute(params![
            program,
            registrant,
            mv.id,
            mv.to.as_str(),
            before_duplicate,
            mv.enrolled_on,
            mv.exited_on,
            mv.reason,
            mv.pmt_score,
            version,
            now_rfc3339()
        ])?;
    Ok(())
}

fn require_open(p: &StoredProgram) -> Result<()> {
    if p.program.state != ProgramState::Active || p.program.archived {
        return Err(CoreError::TransitionNotAllowed {
            entity: "program".into(),
            from: if p.program.archived { "archived".into() } else { p.program.state.as_str().into() },
            to: "enrolling".into(),
        });
    }
    Ok(())
}

fn not_matching_reason(v: &Verdict) -> String {
    match v {
        Verdict::Error(why) => format!("the rule could not be evaluated: {why}"),
        _ => "does not match the eligibility rule".into(),
    }
}

/// Hands `from`'s membership of `program` to `to` (a merge keeping `to`, who has none there), in `state`.
pub(crate) fn transfer(
    tx: &mut Tx<'_>,
    program: &StoredProgram,
    from: &StoredRow,
    to: &StoredRow,
    state: MembershipState,
) -> Result<()> {
    tx.conn().execute(
        "UPDATE program_memberships SET registrant = ?1, state = ?2, state_before_duplicate = NULL, updated_at = ?3
         WHERE program = ?4 AND registrant = ?5",
        params![to.rowid, state.as_str(), now_rfc3339(), program.rowid, from.rowid],
    )?;
    let moved = existing(tx.conn(), program.rowid, to.rowid)?.ok_or_else(|| CoreError::not_found("membership"))?;
    let op =
        Op::ProgramMembershipTransferred { id: moved.id, program: program.program.id, from: from.id, to: to.id, state };
    let version = tx.append_op(&op, None)?;
    tx.conn().execute(
        "UPDATE program_memberships SET version = ?1 WHERE program = ?2 AND registrant = ?3",
        params![version, program.rowid, to.rowid],
    )?;
    Ok(())
}

/// Enrols the registrants a person selected. All or nothing: one already enrolled, or one the state
/// machine refuses, and nobody is changed. Those who do not match the rule become `not_eligible`.
pub fn enrol_selected(
    store: &Store,
    session: &Session,
    program: &ProgramKey,
    registrants: &[RegistrantKey],
) -> Result<EnrolmentSummary> {
    require(store, session, Permission::ProgramManage, "program.enrol")?;
    if registrants.is_empty() || registrants.len() > BATCH {
        return Err(CoreError::InvalidInput(format!("select between 1 and {BATCH} registrants")));
    }
    let started = std::time::Instant::now();
    store.write_as(session.username(), |tx| {
        let p = resolve(tx.conn(), program)?;
        require_open(&p)?;
        let mut rows = Vec::with_capacity(registrants.len());
        for key in registrants {
            let r = resolve_registrant(tx.conn(), key)?;
            if r.kind != p.program.target {
                return Err(CoreError::InvalidInput(format!(
                    "{} is not a {} and program {} enrols {}s",
                    r.reference,
                    p.program.target.as_str(),
                    p.program.code,
                    p.program.target.as_str()
                )));
            }
            if let Some(e) = existing(tx.conn(), p.rowid, r.rowid)? {
                match e.state {
                    MembershipState::NotEligible => {}
                    MembershipState::Enrolled | MembershipState::Paused => {
                        return Err(CoreError::AlreadyExists {
                            what: format!("membership of {} in program {}", r.reference, p.program.code),
                        })
                    }
                    other => {
                        return Err(CoreError::TransitionNotAllowed {
                            entity: "program membership".into(),
                            from: other.as_str().into(),
                            to: "enrolled".into(),
                        })
                    }
                }
            }
            rows.push(r);
        }
        let rules = ProgramRules::of(tx.conn(), &p.program)?;
        let selection = rules.selection(Scope::Rowids(rows.iter().map(|r| r.rowid).collect()));
        let mut verdicts: HashMap<i64, (Verdict, Option<f64>)> = HashMap::new();
        selection.run(tx.conn(), &AtomicBool::new(false), |e| {
            verdicts.insert(e.rowid, (e.verdict, e.score));
            Ok(())
        })?;
        let mut summary = EnrolmentSummary { evaluated: rows.len() as u64, ..Default::default() };
        for r in &rows {
            // Not a candidate at all: disabled, or left out by the rule's SQL part.
            let (verdict, score) = verdicts.remove(&r.rowid).unwrap_or((Verdict::NoMatch, None));
            let current = existing(tx.conn(), p.rowid, r.rowid)?;
            let (to, reason) = match &verdict {
                Verdict::Match => (MembershipState::Enrolled, None),
                v => (MembershipState::NotEligible, Some(not_matching_reason(v))),
            };
            if current.as_ref().map(|c| c.state) == Some(to) {
                summary.already_members += 1;
                continue;
            }
            apply(
                tx,
                current.as_ref(),
                Move {
                    program: &p,
                    rowid: r.rowid,
                    registrant_id: r.id,
                    to,
                    reason: reason.as_deref(),
                    score,
                    date: None,
                },
            )?;
            match to {
                MembershipState::Enrolled => summary.enrolled += 1,
                _ => summary.not_eligible += 1,
            }
            if matches!(verdict, Verdict::Error(_)) {
                summary.errors += 1;
            }
            tx.audit(
                AuditEvent::new(session, "program.enrol")
                    .on("registrant", r.id.to_string())
                    .details(serde_json::json!({ "program": p.program.code, "state": to, "reason": reason })),
            )?;
        }
        summary.elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(summary)
    })
}

/// A registrant the rule matched, waiting to be written.
struct Pending {
    rowid: i64,
    id: Uuid,
    score: Option<f64>,
    current: Option<Existing>,
}

fn existing_map(conn: &Connection, program: i64) -> Result<HashMap<i64, Existing>> {
    let mut st = conn.prepare("SELECT registrant, id, state FROM program_memberships WHERE program = ?1")?;
    let rows = st.query_map([program], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            Existing {
                id: r.get(1)?,
                state: MembershipState::parse(&r.get::<_, String>(2)?).unwrap_or(MembershipState::Draft),
            },
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Enrols everyone the program's rule selects who is not a member yet (and re-enrols those who were
/// found not eligible before and match now).
pub fn enrol_eligible(
    store: &Store,
    session: &Session,
    program: &ProgramKey,
    progress: &dyn Fn(&EnrolmentProgress),
    cancel: &AtomicBool,
) -> Result<EnrolmentSummary> {
    require(store, session, Permission::ProgramManage, "program.enrol_eligible")?;
    let started = std::time::Instant::now();
    let mut summary = EnrolmentSummary::default();
    let (p, pending) = store.read(|c| {
        let p = resolve(c, program)?;
        require_open(&p)?;
        let rules = ProgramRules::of(c, &p.program)?;
        let mut members = existing_map(c, p.rowid)?;
        let selection = rules.selection(Scope::Everyone);
        let mut pending = Vec::new();
        selection.run(c, cancel, |e| {
            summary.evaluated += 1;
            if summary.evaluated.is_multiple_of(50_000) {
                progress(&EnrolmentProgress { phase: "evaluating".into(), done: summary.evaluated, total: 0 });
            }
            match e.verdict {
                Verdict::Match => {
                    let current = members.remove(&e.rowid);
                    match current.as_ref().map(|c| c.state) {
                        None | Some(MembershipState::NotEligible) | Some(MembershipState::Draft) => {
                            pending.push(Pending { rowid: e.rowid, id: e.id, score: e.score, current })
                        }
                        Some(_) => summary.already_members += 1,
                    }
                }
                Verdict::NoMatch => {}
                Verdict::Error(_) => summary.errors += 1,
            }
            Ok(())
        })?;
        // In registrant order: the rule's SQL part may have read them in birth-date order, and random
        // inserts would rewrite every page of the membership indexes in every batch (measured: 18.6 s
        // for half a million, most of it re-encrypting pages).
        pending.sort_unstable_by_key(|m| m.rowid);
        Ok((p, pending))
    })?;
    let total = pending.len() as u64;
    progress(&EnrolmentProgress { phase: "writing".into(), done: 0, total });
    for (n, batch) in pending.chunks(BATCH).enumerate() {
        if cancel.load(Ordering::Relaxed) {
            summary.cancelled = true;
            break;
        }
        store.write_as(session.username(), |tx| {
            for m in batch {
                apply(
                    tx,
                    m.current.as_ref(),
                    Move {
                        program: &p,
                        rowid: m.rowid,
                        registrant_id: m.id,
                        to: MembershipState::Enrolled,
                        reason: None,
                        score: m.score,
                        date: None,
                    },
                )?;
            }
            tx.audit(AuditEvent::new(session, "program.enrol_eligible").on("program", p.program.id.to_string()).details(
                serde_json::json!({ "program": p.program.code, "rule": p.program.eligibility_rule, "batch": n + 1, "enrolled": batch.len() }),
            ))
        })?;
        summary.enrolled += batch.len() as u64;
        progress(&EnrolmentProgress { phase: "writing".into(), done: summary.enrolled, total });
    }
    summary.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(summary)
}

/// Re-checks enrolled members against the rule: those who no longer match become `not_eligible`, with
/// the reason.
pub fn verify(
    store: &Store,
    session: &Session,
    program: &ProgramKey,
    progress: &dyn Fn(&EnrolmentProgress),
    cancel: &AtomicBool,
) -> Result<EnrolmentSummary> {
    require(store, session, Permission::ProgramManage, "program.verify")?;
    let started = std::time::Instant::now();
    let mut summary = EnrolmentSummary::default();
    let (p, failing) = store.read(|c| {
        let p = resolve(c, program)?;
        require_open(&p)?;
        let rules = ProgramRules::of(c, &p.program)?;
        // Every enrolled member, then strike out those the rule still selects: the rest no longer match
        // (including those the SQL part of the rule, or being disabled, leaves out).
        let mut enrolled: HashMap<i64, (Uuid, Existing)> = HashMap::new();
        {
            let mut st = c.prepare(
                "SELECT pm.registrant, r.id, pm.id FROM program_memberships pm JOIN registrants r ON r.rowid = pm.registrant
                 WHERE pm.program = ?1 AND pm.state = 'enrolled'",
            )?;
            let rows = st.query_map([p.rowid], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Uuid>(1)?, r.get::<_, Uuid>(2)?)))?;
            for row in rows {
                let (rowid, rid, mid) = row?;
                enrolled.insert(rowid, (rid, Existing { id: mid, state: MembershipState::Enrolled }));
            }
        }
        summary.evaluated = enrolled.len() as u64;
        let selection = rules.selection(Scope::Members { program: p.rowid, states: vec!["enrolled"] });
        let mut reasons: HashMap<i64, String> = HashMap::new();
        selection.run(c, cancel, |e| {
            match &e.verdict {
                Verdict::Match => {
                    enrolled.remove(&e.rowid);
                }
                v => {
                    if matches!(v, Verdict::Error(_)) {
                        summary.errors += 1;
                    }
                    reasons.insert(e.rowid, not_matching_reason(v));
                }
            }
            Ok(())
        })?;
        let mut failing: Vec<(i64, Uuid, Existing, String)> = enrolled
            .into_iter()
            .map(|(rowid, (rid, ex))| {
                let why = reasons.remove(&rowid).unwrap_or_else(|| "no longer matches the eligibility rule".into());
                (rowid, rid, ex, why)
            })
            .collect();
        failing.sort_unstable_by_key(|f| f.0);
        Ok((p, failing))
    })?;
    let total = failing.len() as u64;
    for (n, batch) in failing.chunks(BATCH).enumerate() {
        if cancel.load(Ordering::Relaxed) {
            summary.cancelled = true;
            break;
        }
        store.write_as(session.username(), |tx| {
            for (rowid, rid, ex, why) in batch {
                apply(
                    tx,
                    Some(ex),
                    Move {
                        program: &p,
                        rowid: *rowid,
                        registrant_id: *rid,
                        to: MembershipState::NotEligible,
                        reason: Some(why),
                        score: None,
                        date: None,
                    },
                )?;
            }
            tx.audit(
                AuditEvent::new(session, "program.verify").on("program", p.program.id.to_string()).details(
                    serde_json::json!({ "program": p.program.code, "batch": n + 1, "not_eligible": batch.len() }),
                ),
            )
        })?;
        summary.not_eligible += batch.len() as u64;
        progress(&EnrolmentProgress { phase: "writing".into(), done: summary.not_eligible, total });
    }
    summary.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(summary)
}

/// A person's move on selected members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MemberAction {
    Pause,
    Resume,
    Exit,
}

/// Pauses, resumes or exits the selected members, all or nothing.
pub fn change_members(
    store: &Store,
    session: &Session,
    program: &ProgramKey,
    registrants: &[RegistrantKey],
    action: MemberAction,
    reason: Option<&str>,
    date: Option<&str>,
) -> Result<u64> {
    require(store, session, Permission::ProgramManage, "program.members")?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if action == MemberAction::Exit && reason.is_none() {
        return Err(CoreError::InvalidInput("an exit needs a reason".into()));
    }
    if let Some(d) = date {
        let parsed = crate::registry::settings::parse_date(d)
            .ok_or_else(|| CoreError::InvalidInput("the date is not a date (YYYY-MM-DD)".into()))?;
        if parsed > today() {
            return Err(CoreError::InvalidInput("the exit date cannot be in the future".into()));
        }
    }
    if registrants.is_empty() || registrants.len() > BATCH {
        return Err(CoreError::InvalidInput(format!("select between 1 and {BATCH} members")));
    }
    let to = match action {
        MemberAction::Pause => MembershipState::Paused,
        MemberAction::Resume => MembershipState::Enrolled,
        MemberAction::Exit => MembershipState::Exited,
    };
    store.write_as(session.username(), |tx| {
        let p = resolve(tx.conn(), program)?;
        if p.program.state == ProgramState::Ended {
            return Err(CoreError::TransitionNotAllowed {
                entity: "program".into(),
                from: "ended".into(),
                to: "changing members".into(),
            });
        }
        for key in registrants {
            let r = resolve_registrant(tx.conn(), key)?;
            let Some(current) = existing(tx.conn(), p.rowid, r.rowid)? else {
                return Err(CoreError::not_found(format!("membership of {} in program {}", r.reference, p.program.code)));
            };
            // Resume is the way back from a pause only; `not_eligible -> enrolled` goes through enrolment.
            if action == MemberAction::Resume && current.state != MembershipState::Paused {
                return Err(CoreError::TransitionNotAllowed {
                    entity: "program membership".into(),
                    from: current.state.as_str().into(),
                    to: "enrolled".into(),
                });
            }
            apply(
                tx,
                Some(&current),
                Move { program: &p, rowid: r.rowid, registrant_id: r.id, to, reason, score: None, date },
            )?;
            tx.audit(AuditEvent::new(session, "program.member_change").on("registrant", r.id.to_string()).details(
                serde_json::json!({ "program": p.program.code, "from": current.state, "to": to, "reason": reason, "date": date }),
            ))?;
        }
        Ok(registrants.len() as u64)
    })
}

/// Enrols newly written registrants in every active program that auto-enrols and whose rule they match.
/// Runs inside the transaction (or after the import) that created them.
pub(crate) fn auto_enrol(tx: &mut Tx<'_>, session: &Session, kind: RegistrantKind, scope: Scope) -> Result<u64> {
    let programs: Vec<StoredProgram> = {
        let ids: Vec<Uuid> = tx
            .conn()
            .prepare_cached(
                "SELECT id FROM programs WHERE auto_enrol = 1 AND state = 'active' AND archived = 0 AND target = ?1",
            )?
            .query_map([kind.as_str()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.into_iter().map(|id| resolve(tx.conn(), &ProgramKey::Id(id))).collect::<Result<_>>()?
    };
    let mut total = 0;
    for p in programs {
        let rules = ProgramRules::of(tx.conn(), &p.program)?;
        let selection = rules.selection(scope.clone());
        let mut matches = Vec::new();
        selection.run(tx.conn(), &AtomicBool::new(false), |e| {
            if e.verdict == Verdict::Match {
                matches.push((e.rowid, e.id, e.score));
            }
            Ok(())
        })?;
        let mut enrolled = 0u64;
        matches.sort_unstable_by_key(|m| m.0);
        for (rowid, id, score) in matches {
            let current = existing(tx.conn(), p.rowid, rowid)?;
            if current
                .as_ref()
                .map(|c| !matches!(c.state, MembershipState::NotEligible | MembershipState::Draft))
                .unwrap_or(false)
            {
                continue;
            }
            apply(
                tx,
                current.as_ref(),
                Move {
                    program: &p,
                    rowid,
                    registrant_id: id,
                    to: MembershipState::Enrolled,
                    reason: None,
                    score,
                    date: None,
                },
            )?;
            enrolled += 1;
        }
        if enrolled > 0 {
            tx.audit(
                AuditEvent::new(session, "program.auto_enrol")
                    .on("program", p.program.id.to_string())
                    .details(serde_json::json!({ "program": p.program.code, "enrolled": enrolled })),
            )?;
        }
        total += enrolled;
    }
    Ok(total)
}

const MEMBERSHIP_COLUMNS: &str =
    "pm.id, p.id, p.code, p.name, r.id, r.reference, r.kind, r.given_name, r.family_name, \
     r.group_name, r.area, pm.state, pm.enrolled_on, pm.exited_on, pm.reason, pm.pmt_score, pm.updated_at";

fn membership_from_row(r: &rusqlite::Row<'_>, reveal: bool) -> rusqlite::Result<ProgramMembership> {
    let names: Vec<String> = match r.get::<_, String>(6)?.as_str() {
        "group" => r.get::<_, Option<String>>(9)?.into_iter().collect(),
        _ => [r.get::<_, Option<String>>(7)?, r.get::<_, Option<String>>(8)?].into_iter().flatten().collect(),
    };
    let name = names
        .into_iter()
        .map(|n| if reveal { n } else { crate::normalize::mask_name(&n) })
        .collect::<Vec<_>>()
        .join(" ");
    Ok(ProgramMembership {
        id: r.get(0)?,
        program_id: r.get(1)?,
        program_code: r.get(2)?,
        program_name: r.get(3)?,
        registrant_id: r.get(4)?,
        reference: r.get(5)?,
        name,
        area: r.get(10)?,
        state: MembershipState::parse(&r.get::<_, String>(11)?).unwrap_or(MembershipState::Draft),
        enrolled_on: r.get(12)?,
        exited_on: r.get(13)?,
        reason: r.get(14)?,
        pmt_score: r.get(15)?,
        updated_at: r.get(16)?,
    })
}

/// A page of a program's members, in registration order, optionally of one state.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct MembersQuery {
    pub program: ProgramKey,
    #[serde(default)]
    #[ts(optional)]
    pub state: Option<MembershipState>,
    /// The `cursor` of the previous page.
    #[serde(default)]
    #[ts(optional)]
    pub after: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct MembersPage {
    pub members: Vec<ProgramMembership>,
    /// Pass as `after` for the next page; absent on the last page.
    pub cursor: Option<String>,
}

pub fn members(store: &Store, session: &Session, q: &MembersQuery) -> Result<MembersPage> {
    require(store, session, Permission::RegistryRead, "program.members_view")?;
    let limit = crate::paging::limit(q.limit);
    let after = crate::paging::after(q.after.as_deref())?;
    store.read(|c| {
        let p = resolve(c, &q.program)?;
        let mut sql = format!(
            "SELECT {MEMBERSHIP_COLUMNS}, pm.registrant FROM program_memberships pm
             JOIN programs p ON p.rowid = pm.program JOIN registrants r ON r.rowid = pm.registrant
             WHERE pm.program = ?1 AND pm.registrant > ?2"
        );
        if q.state.is_some() {
            sql.push_str(" AND pm.state = ?4");
        }
        sql.push_str(" ORDER BY pm.registrant LIMIT ?3");
        let mut st = c.prepare(&sql)?;
        let map = |r: &rusqlite::Row<'_>| Ok((membership_from_row(r, false)?, r.get::<_, i64>(17)?));
        let rows: Vec<(ProgramMembership, i64)> = match q.state {
            Some(s) => {
                st.query_map(params![p.rowid, after, limit + 1, s.as_str()], map)?.collect::<rusqlite::Result<_>>()?
            }
            None => st.query_map(params![p.rowid, after, limit + 1], map)?.collect::<rusqlite::Result<_>>()?,
        };
        let (members, cursor) = crate::paging::page(rows, limit);
        Ok(MembersPage { members, cursor })
    })
}

/// Every program a registrant is in, with state and dates: the beneficiary page's Programs tab.
pub fn of_registrant(store: &Store, session: &Session, key: &RegistrantKey) -> Result<Vec<ProgramMembership>> {
    require(store, session, Permission::RegistryRead, "registrant.programs")?;
    store.read(|c| of_registrant_in(c, key))
}

pub fn of_registrant_in(c: &Connection, key: &RegistrantKey) -> Result<Vec<ProgramMembership>> {
    let r = resolve_registrant(c, key)?;
    let mut st = c.prepare_cached(&format!(
        "SELECT {MEMBERSHIP_COLUMNS} FROM program_memberships pm JOIN programs p ON p.rowid = pm.program
         JOIN registrants r ON r.rowid = pm.registrant WHERE pm.registrant = ?1 ORDER BY p.name"
    ))?;
    let rows = st.query_map([r.rowid], |row| membership_from_row(row, false))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

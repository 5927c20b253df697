//! Deduplication runs, the review queue and decisions (merges are in `merge`). Nothing is ever deleted: a merged record is
//! disabled, points at the record that survived, and keeps whatever was not moved.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicBool;

use br_model::op::DuplicateOutcome;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::find::{self, FindStats, FoundGroup, Kinds, PairExplanation};
use super::model::ModelSummary;
use super::thresholds::{self, Band};
use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::clock::now_rfc3339;
use crate::error::{CoreError, Result};
use crate::program::membership::{apply, Existing, Move};
use crate::program::model::MembershipState;
use crate::program::service::{resolve as resolve_program, ProgramKey, StoredProgram};
use crate::registry::model::RegistrantSummary;
use crate::registry::read::{summary_from_row, SUMMARY_COLUMNS};

use crate::store::{Store, Tx};

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DedupRequest {
    /// Only this program's members; registry-wide when absent.
    #[serde(default)]
    #[ts(optional)]
    pub program: Option<ProgramKey>,
    /// Compare people sharing an ID or a phone.
    #[serde(default = "yes")]
    pub exact: bool,
    /// Compare people sharing a name, a birth day or an area (see docs/programs.md, "Which pairs").
    #[serde(default = "yes")]
    pub fuzzy: bool,
    #[serde(default = "yes")]
    pub households: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DedupSummary {
    pub groups: u64,
    pub individual_groups: u64,
    pub household_groups: u64,
    /// Groups at or above the office's "very likely" probability.
    pub very_likely_groups: u64,
    /// The weights this run estimated on the registry.
    pub model: ModelSummary,
    /// Program memberships set to `duplicated` (program runs only).
    pub memberships_duplicated: u64,
    /// Program memberships back from `duplicated` because their group is gone.
    pub memberships_restored: u64,
    pub stats: FindStats,
    /// Replacing the open groups with the new ones, in one transaction.
    pub write_ms: u64,
    pub elapsed_ms: u64,
}

/// Pairs already decided: declared not duplicates (false), or in a group decided as duplicates (true).
fn decided_pairs(conn: &Connection) -> Result<HashMap<(i64, i64), bool>> {
    let mut out: HashMap<(i64, i64), bool> = HashMap::new();
    let mut st = conn.prepare("SELECT low, high FROM not_duplicates")?;
    for row in st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))? {
        out.insert(row?, false);
    }
    let mut st = conn.prepare(
        "SELECT m.group_rowid, m.registrant FROM duplicate_members m JOIN duplicate_groups g ON g.rowid = m.group_rowid
         WHERE g.status IN ('duplicates', 'merged') ORDER BY m.group_rowid",
    )?;
    let mut by_group: HashMap<i64, Vec<i64>> = HashMap::new();
    for row in st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
        let (g, r) = row?;
        by_group.entry(g).or_default().push(r);
    }
    for members in by_group.values() {
        for (k, &a) in members.iter().enumerate() {
            for &b in &members[k + 1..] {
                out.insert((a.min(b), a.max(b)), true);
            }
        }
    }
    Ok(out)
}

pub fn run(store: &Store, session: &Session, req: &DedupRequest, cancel: &AtomicBool) -> Result<DedupSummary> {
    require(store, session, Permission::DuplicatesManage, "dedup.run")?;
    let started = std::time::Instant::now();
    let kinds = Kinds { exact: req.exact, fuzzy: req.fuzzy, households: req.households };
    let mut stats = FindStats::default();
    let (program, groups, model, limits) = store.read(|c| {
        let program = match &req.program {
            Some(k) => Some(resolve_program(c, k)?),
            None => None,
        };
        let limits = thresholds::read(c)?;
        let decided = decided_pairs(c)?;
        let found = find::find_individual_pairs(
            c,
            program.as_ref().map(|p| p.rowid),
            kinds,
            &decided,
            limits.review,
            cancel,
            &mut stats,
        )?;
        let mut groups = found.groups;
        if kinds.households && program.is_none() {
            let skip: HashSet<(i64, i64)> = decided.keys().copied().collect();
            let t = std::time::Instant::now();
            groups.extend(find::find_household_groups(c, &found.edges, &skip, &mut stats)?);
            stats.households_ms = t.elapsed().as_millis() as u64;
        }
        Ok((program, groups, found.model.summary(), limits))
    })?;
    let scope = program.as_ref().map(|p| p.rowid).unwrap_or(0);
    let writing = std::time::Instant::now();
    store.write_as(session.username(), |tx| {
        let c = tx.conn();
        c.execute(
            "DELETE FROM duplicate_members WHERE group_rowid IN (SELECT rowid FROM duplicate_groups WHERE scope = ?1 AND status = 'open')",
            [scope],
        )?;
        c.execute("DELETE FROM duplicate_groups WHERE scope = ?1 AND status = 'open'", [scope])?;
        let now = now_rfc3339();
        let mut insert_group = c.prepare_cached(
            "INSERT INTO duplicate_groups (id, scope, kind, score, reasons, found_at, band, explanation)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        let mut insert_member = c.prepare_cached("INSERT INTO duplicate_members (group_rowid, registrant) VALUES (?1, ?2)")?;
        for g in &groups {
            let reasons = serde_json::to_string(&g.reasons)?;
            let explanation = serde_json::to_string(&g.pairs)?;
            let band = limits.band(g.score).as_str();
            // Six decimals: a decision's op carries the score as JSON, and a short decimal reads back exact.
            let score = (g.score * 1e6).round() / 1e6;
            insert_group.execute(params![Uuid::now_v7(), scope, g.kind, score, reasons, now, band, explanation])?;
            let rowid = c.last_insert_rowid();
            for r in &g.rowids {
                insert_member.execute(params![rowid, r])?;
            }
        }
        drop(insert_group);
        drop(insert_member);
        let (duplicated, restored) = match &program {
            Some(p) => sync_program_states(tx, p, &groups)?,
            None => (0, 0),
        };
        let summary = DedupSummary {
            groups: groups.len() as u64,
            individual_groups: groups.iter().filter(|g| g.kind == "individual").count() as u64,
            household_groups: groups.iter().filter(|g| g.kind == "group").count() as u64,
            very_likely_groups: groups.iter().filter(|g| limits.band(g.score) == Band::VeryLikely).count() as u64,
            model: model.clone(),
            memberships_duplicated: duplicated,
            memberships_restored: restored,
            stats: stats.clone(),
            write_ms: writing.elapsed().as_millis() as u64,
            elapsed_ms: started.elapsed().as_millis() as u64,
        };
        tx.audit(AuditEvent::new(session, "dedup.run").details(serde_json::json!({
            "program": program.as_ref().map(|p| p.program.code.clone()),
            "groups": summary.groups,
            "individual_groups": summary.individual_groups,
            "household_groups": summary.household_groups,
            "very_likely_groups": summary.very_likely_groups,
            "review_threshold": limits.review,
            "prior_weight": model.prior_weight,
            "memberships_duplicated": duplicated,
        })))?;
        Ok(summary)
    })
}

/// A membership as dedup needs it: whose, its current state, and the state a duplicate hold keeps.
pub(super) struct HeldMembership {
    registrant_id: Uuid,
    current: Existing,
    before_duplicate: Option<MembershipState>,
}

impl HeldMembership {
    /// The state it has, or had before a duplicate hold.
    pub(super) fn effective(&self) -> MembershipState {
        match self.current.state {
            MembershipState::Duplicated => self.before_duplicate.unwrap_or(MembershipState::Draft),
            s => s,
        }
    }
}

pub(super) fn membership_row(tx: &Tx<'_>, program: i64, registrant: i64) -> Result<Option<HeldMembership>> {
    Ok(tx
        .conn()
        .prepare_cached(
            "SELECT r.id, pm.id, pm.state, pm.state_before_duplicate FROM program_memberships pm
             JOIN registrants r ON r.rowid = pm.registrant WHERE pm.program = ?1 AND pm.registrant = ?2",
        )?
        .query_row(params![program, registrant], |r| {
            let state = |i| -> rusqlite::Result<Option<MembershipState>> {
                Ok(r.get::<_, Option<String>>(i)?.as_deref().and_then(MembershipState::parse))
            };
            Ok(HeldMembership {
                registrant_id: r.get(0)?,
                current: Existing { id: r.get(1)?, state: state(2)?.unwrap_or(MembershipState::Draft) },
                before_duplicate: state(3)?,
            })
        })
        .optional()?)
}

/// Moves a `duplicated` membership back to where it was before.
pub(super) fn restore(tx: &mut Tx<'_>, p: &StoredProgram, registrant: i64) -> Result<bool> {
    let Some(m) = membership_row(tx, p.rowid, registrant)? else { return Ok(false) };
    if m.current.state != MembershipState::Duplicated {
        return Ok(false);
    }
    apply(
        tx,
        Some(&m.current),
        Move {
            program: p,
            rowid: registrant,
            registrant_id: m.registrant_id,
            to: m.effective(),
            reason: None,
            score: None,
            date: None,
        },
    )?;
    Ok(true)
}

/// Within a program, members of open duplicate groups are `duplicated` until a person decides; members
/// whose group is gone go back.
fn sync_program_states(tx: &mut Tx<'_>, p: &StoredProgram, groups: &[FoundGroup]) -> Result<(u64, u64)> {
    let in_groups: HashSet<i64> = groups.iter().flat_map(|g| g.rowids.iter().copied()).collect();
    let currently: Vec<i64> = tx
        .conn()
        .prepare("SELECT registrant FROM program_memberships WHERE program = ?1 AND state = 'duplicated'")?
        .query_map([p.rowid], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut restored = 0;
    for r in currently.iter().filter(|r| !in_groups.contains(r)) {
        // Still in a group a person has marked as duplicates: it waits for the merge.
        let waiting: bool = tx.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM duplicate_members m JOIN duplicate_groups g ON g.rowid = m.group_rowid
             WHERE m.registrant = ?1 AND g.scope = ?2 AND g.status = 'duplicates')",
            params![r, p.rowid],
            |row| row.get(0),
        )?;
        if !waiting && restore(tx, p, *r)? {
            restored += 1;
        }
    }
    let mut duplicated = 0;
    for &r in &in_groups {
        let Some(m) = membership_row(tx, p.rowid, r)? else { continue };
        if matches!(m.current.state, MembershipState::Draft | MembershipState::Enrolled | MembershipState::Paused) {
            apply(
                tx,
                Some(&m.current),
                Move {
                    program: p,
                    rowid: r,
                    registrant_id: m.registrant_id,
                    to: MembershipState::Duplicated,
                    reason: Some("possible duplicate: awaiting a decision"),
                    score: None,
                    date: None,
                },
            )?;
            duplicated += 1;
        }
    }
    Ok((duplicated, restored))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum GroupStatus {
    Open,
    Duplicates,
    NotDuplicates,
    Merged,
}

impl GroupStatus {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            GroupStatus::Open => "open",
            GroupStatus::Duplicates => "duplicates",
            GroupStatus::NotDuplicates => "not_duplicates",
            GroupStatus::Merged => "merged",
        }
    }
    fn parse(s: &str) -> GroupStatus {
        match s {
            "duplicates" => GroupStatus::Duplicates,
            "not_duplicates" => GroupStatus::NotDuplicates,
            "merged" => GroupStatus::Merged,
            _ => GroupStatus::Open,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DuplicateGroup {
    pub id: Uuid,
    pub kind: String,
    /// The best pair's match probability.
    pub score: f64,
    pub band: Band,
    /// The fields that spoke for the group.
    pub reasons: Vec<String>,
    /// Each proposed pair of the group, best first, with each field's part in its score.
    pub pairs: Vec<PairExplanation>,
    pub status: GroupStatus,
    /// The program whose members were compared; absent for registry-wide runs.
    pub program_code: Option<String>,
    pub found_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub comment: Option<String>,
    pub members: Vec<RegistrantSummary>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DuplicateQueueQuery {
    #[serde(default)]
    #[ts(optional)]
    pub status: Option<GroupStatus>,
    #[serde(default)]
    #[ts(optional)]
    pub program: Option<ProgramKey>,
    /// Groups with a lower score than this come next (the queue is highest score first).
    #[serde(default)]
    #[ts(optional)]
    pub after: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DuplicateQueue {
    pub groups: Vec<DuplicateGroup>,
    pub cursor: Option<String>,
    /// Open groups in this scope.
    pub open: u64,
}

fn load_group(c: &Connection, rowid: i64) -> Result<DuplicateGroup> {
    let (id, kind, score, reasons, status, program_code, found_at, decided_by, decided_at, comment, band, explanation) = c
        .prepare_cached(
            "SELECT g.id, g.kind, g.score, g.reasons, g.status, p.code, g.found_at, g.decided_by, g.decided_at, g.comment,
                    g.band, g.explanation
             FROM duplicate_groups g LEFT JOIN programs p ON p.rowid = g.scope WHERE g.rowid = ?1",
        )?
        .query_row([rowid], |r| {
            Ok((
                r.get::<_, Uuid>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, f64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
                r.get::<_, Option<String>>(9)?,
                r.get::<_, String>(10)?,
                r.get::<_, String>(11)?,
            ))
        })?;
    let mut st = c.prepare_cached(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM duplicate_members m JOIN registrants r ON r.rowid = m.registrant
         WHERE m.group_rowid = ?1 ORDER BY r.rowid"
    ))?;
    let members: Vec<RegistrantSummary> =
        st.query_map([rowid], |r| summary_from_row(r, false))?.collect::<rusqlite::Result<_>>()?;
    // Stored pairs name rowids; the reviewer reads references.
    let rowids = group_members(c, rowid)?;
    let reference = |stored: &str| -> String {
        let at = stored.parse::<i64>().ok().and_then(|r| rowids.iter().position(|&x| x == r));
        at.and_then(|i| members.get(i)).map_or_else(String::new, |m| m.reference.clone())
    };
    let mut pairs: Vec<PairExplanation> = serde_json::from_str(&explanation).unwrap_or_default();
    for p in &mut pairs {
        p.a = reference(&p.a);
        p.b = reference(&p.b);
    }
    Ok(DuplicateGroup {
        id,
        kind,
        score,
        band: Band::parse(&band),
        reasons: serde_json::from_str(&reasons).unwrap_or_default(),
        pairs,
        status: GroupStatus::parse(&status),
        program_code,
        found_at,
        decided_by,
        decided_at,
        comment,
        members,
    })
}

pub fn queue(store: &Store, session: &Session, q: &DuplicateQueueQuery) -> Result<DuplicateQueue> {
    require(store, session, Permission::RegistryRead, "dedup.queue")?;
    let limit = q.limit.unwrap_or(50).clamp(1, 200) as i64;
    store.read(|c| {
        let scope = match &q.program {
            Some(k) => resolve_program(c, k)?.rowid,
            None => 0,
        };
        let status = q.status.unwrap_or(GroupStatus::Open).as_str();
        // Cursor: "score:rowid" of the last group shown.
        let (after_score, after_rowid) = match &q.after {
            Some(cur) => {
                let (s, r) = cur.split_once(':').ok_or_else(|| CoreError::InvalidInput("invalid cursor".into()))?;
                (
                    s.parse::<f64>().map_err(|_| CoreError::InvalidInput("invalid cursor".into()))?,
                    r.parse::<i64>().map_err(|_| CoreError::InvalidInput("invalid cursor".into()))?,
                )
            }
            None => (f64::INFINITY, 0),
        };
        let mut st = c.prepare(
            "SELECT rowid, score FROM duplicate_groups WHERE scope = ?1 AND status = ?2
               AND (score < ?3 OR (score = ?3 AND rowid > ?4))
             ORDER BY score DESC, rowid LIMIT ?5",
        )?;
        let rows: Vec<(i64, f64)> = st
            .query_map(params![scope, status, after_score, after_rowid, limit + 1], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let more = rows.len() as i64 > limit;
        let rows: Vec<(i64, f64)> = rows.into_iter().take(limit as usize).collect();
        let cursor = if more { rows.last().map(|(r, s)| format!("{s}:{r}")) } else { None };
        let groups = rows.iter().map(|(r, _)| load_group(c, *r)).collect::<Result<_>>()?;
        let open: i64 =
            c.query_row("SELECT count(*) FROM duplicate_groups WHERE scope = ?1 AND status = 'open'", [scope], |r| {
                r.get(0)
            })?;
        Ok(DuplicateQueue { groups, cursor, open: open as u64 })
    })
}

pub(super) fn group_rowid(c: &Connection, id: Uuid) -> Result<(i64, i64, GroupStatus)> {
    c.prepare_cached("SELECT rowid, scope, status FROM duplicate_groups WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, GroupStatus::parse(&r.get::<_, String>(2)?))))
        .optional()?
        .ok_or_else(|| CoreError::not_found("duplicate group"))
}

pub(super) fn group_members(c: &Connection, rowid: i64) -> Result<Vec<i64>> {
    Ok(c.prepare_cached("SELECT registrant FROM duplicate_members WHERE group_rowid = ?1 ORDER BY registrant")?
        .query_map([rowid], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Programs in which `registrant` is `duplicated`.
fn duplicated_in(tx: &Tx<'_>, registrant: i64) -> Result<Vec<i64>> {
    Ok(tx
        .conn()
        .prepare_cached("SELECT program FROM program_memberships WHERE registrant = ?1 AND state = 'duplicated'")?
        .query_map([registrant], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

pub(super) fn program_by_rowid(tx: &Tx<'_>, rowid: i64) -> Result<StoredProgram> {
    let id: Uuid = tx.conn().query_row("SELECT id FROM programs WHERE rowid = ?1", [rowid], |r| r.get(0))?;
    resolve_program(tx.conn(), &ProgramKey::Id(id))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Duplicates,
    NotDuplicates,
}

/// A person's decision on a group. "Not duplicates" is remembered, so later runs do not propose the
/// pair again, and the members' program memberships go back to where they were.
pub fn decide(
    store: &Store,
    session: &Session,
    group: Uuid,
    decision: Decision,
    comment: Option<&str>,
) -> Result<DuplicateGroup> {
    require(store, session, Permission::DuplicatesManage, "dedup.decide")?;
    store.write_as(session.username(), |tx| {
        let (rowid, _, status) = group_rowid(tx.conn(), group)?;
        if !matches!(status, GroupStatus::Open | GroupStatus::Duplicates) || (status == GroupStatus::Duplicates && decision == Decision::Duplicates) {
            return Err(CoreError::TransitionNotAllowed {
                entity: "duplicate group".into(),
                from: status.as_str().into(),
                to: match decision {
                    Decision::Duplicates => "duplicates".into(),
                    Decision::NotDuplicates => "not_duplicates".into(),
                },
            });
        }
        let members = group_members(tx.conn(), rowid)?;
        let outcome = match decision {
            Decision::Duplicates => DuplicateOutcome::Duplicates,
            Decision::NotDuplicates => DuplicateOutcome::NotDuplicates,
        };
        super::decision::record(tx, rowid, &members, outcome, comment)?;
        if decision == Decision::NotDuplicates {
            for &m in &members {
                for program in duplicated_in(tx, m)? {
                    let still_open: bool = tx.conn().query_row(
                        "SELECT EXISTS (SELECT 1 FROM duplicate_members dm JOIN duplicate_groups g ON g.rowid = dm.group_rowid
                         WHERE dm.registrant = ?1 AND g.status IN ('open', 'duplicates') AND g.rowid <> ?2)",
                        params![m, rowid],
                        |r| r.get(0),
                    )?;
                    if !still_open {
                        let p = program_by_rowid(tx, program)?;
                        restore(tx, &p, m)?;
                    }
                }
            }
        }
        tx.audit(AuditEvent::new(session, "dedup.decide").on("duplicate_group", group.to_string()).details(
            serde_json::json!({ "decision": decision, "members": members.len(), "comment": comment }),
        ))?;
        load_group(tx.conn(), rowid)
    })
}

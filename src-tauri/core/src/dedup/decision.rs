//! The writer of duplicate-group decisions: the group's status, the pairs a person ruled apart, and the
//! change-log op that carries the group with the decision (a registry that never ran that search learns
//! it from the op).

use br_model::op::{DuplicateDecision, DuplicateOutcome, Op, OpRecord};
use br_model::registry::RegistrantKind;
use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

use crate::applied::{rowid_of, Effect};
use crate::clock::now_rfc3339;
use crate::error::Result;
use crate::store::Tx;

/// Records `outcome` for the group at `rowid`, whose members are `members` (registrant rowids).
pub(crate) fn record(
    tx: &mut Tx<'_>,
    rowid: i64,
    members: &[i64],
    outcome: DuplicateOutcome,
    comment: Option<&str>,
) -> Result<()> {
    let status = match outcome {
        DuplicateOutcome::Duplicates => "duplicates",
        DuplicateOutcome::NotDuplicates => "not_duplicates",
        DuplicateOutcome::Merged => "merged",
    };
    let actor = tx.actor.clone();
    tx.conn().execute(
        "UPDATE duplicate_groups SET status = ?1, decided_by = ?2, decided_at = ?3, comment = coalesce(?4, comment)
         WHERE rowid = ?5",
        params![status, actor, now_rfc3339(), comment, rowid],
    )?;
    if outcome == DuplicateOutcome::NotDuplicates {
        not_duplicate_pairs(tx, members)?;
    }
    let (group, program, kind, score, reasons): (Uuid, Option<Uuid>, String, f64, String) = tx.conn().query_row(
        "SELECT g.id, p.id, g.kind, g.score, g.reasons FROM duplicate_groups g
         LEFT JOIN programs p ON p.rowid = g.scope WHERE g.rowid = ?1",
        [rowid],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    let mut ids = Vec::with_capacity(members.len());
    for &m in members {
        ids.push(
            tx.conn().prepare_cached("SELECT id FROM registrants WHERE rowid = ?1")?.query_row([m], |r| r.get(0))?,
        );
    }
    let decision = DuplicateDecision {
        group,
        program,
        kind: RegistrantKind::parse(&kind).unwrap_or(RegistrantKind::Individual),
        score,
        reasons: serde_json::from_str(&reasons).unwrap_or_default(),
        members: ids,
        outcome,
        comment: comment.map(str::to_string),
    };
    tx.append_op(&Op::DuplicatesDecided(decision), None)?;
    Ok(())
}

/// A decision from another desk: the group is created with its members if this registry never found it;
/// a merged group stays merged.
pub(crate) fn apply_remote(tx: &mut Tx<'_>, rec: &OpRecord, d: &DuplicateDecision) -> Result<Effect> {
    let mut members = Vec::with_capacity(d.members.len());
    for id in &d.members {
        members.push(rowid_of(tx, "registrants", *id)?);
    }
    let scope = match d.program {
        Some(p) => rowid_of(tx, "programs", p)?,
        None => 0,
    };
    let local: Option<(i64, String)> = tx
        .conn()
        .prepare_cached("SELECT rowid, status FROM duplicate_groups WHERE id = ?1")?
        .query_row([d.group], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let rowid = match local {
        Some((_, status)) if status == "merged" => return Ok(Effect::Unchanged),
        Some((rowid, _)) => rowid,
        None => {
            let rowid: i64 = tx.conn().query_row(
                "INSERT INTO duplicate_groups (id, scope, kind, score, reasons, found_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 RETURNING rowid",
                params![d.group, scope, d.kind.as_str(), d.score, serde_json::to_string(&d.reasons)?, rec.at],
                |r| r.get(0),
            )?;
            for m in &members {
                tx.conn()
                    .prepare_cached("INSERT INTO duplicate_members (group_rowid, registrant) VALUES (?1, ?2)")?
                    .execute(params![rowid, m])?;
            }
            rowid
        }
    };
    let status = match d.outcome {
        DuplicateOutcome::Duplicates => "duplicates",
        DuplicateOutcome::NotDuplicates => "not_duplicates",
        DuplicateOutcome::Merged => "merged",
    };
    tx.conn().execute(
        "UPDATE duplicate_groups SET status = ?1, decided_by = ?2, decided_at = ?3, comment = coalesce(?4, comment)
         WHERE rowid = ?5",
        params![status, rec.actor, rec.at, d.comment, rowid],
    )?;
    if d.outcome == DuplicateOutcome::NotDuplicates {
        not_duplicate_pairs(tx, &members)?;
    }
    Ok(Effect::Applied)
}

fn not_duplicate_pairs(tx: &mut Tx<'_>, members: &[i64]) -> Result<()> {
    for (k, &a) in members.iter().enumerate() {
        for &b in &members[k + 1..] {
            tx.conn()
                .prepare_cached("INSERT OR IGNORE INTO not_duplicates (low, high) VALUES (?1, ?2)")?
                .execute(params![a.min(b), a.max(b)])?;
        }
    }
    Ok(())
}

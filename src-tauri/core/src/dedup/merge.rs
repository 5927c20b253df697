//! Merging a group of duplicates into the record kept. Nothing is deleted: a merged record is disabled,
//! points at the record that survived, and keeps whatever was not moved.

use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use super::review::{group_members, group_rowid, membership_row, program_by_rowid, restore, GroupStatus};
use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::error::{CoreError, Result};
use crate::program::membership::{apply, existing, transfer, Move};
use crate::program::model::MembershipState;
use crate::registry::service::{resolve as resolve_registrant, RegistrantKey};
use crate::registry::write::{self, StoredRow};
use crate::store::{Store, Tx};
use br_model::op::DuplicateOutcome;

/// What a merge did.
#[derive(Debug, Clone, Serialize, TS)]
pub struct MergeSummary {
    pub kept: String,
    pub merged: Vec<String>,
    pub ids_moved: u64,
    pub memberships_moved: u64,
    pub memberships_exited: u64,
}

fn stored(tx: &Tx<'_>, rowid: i64) -> Result<StoredRow> {
    let id: Uuid = tx.conn().query_row("SELECT id FROM registrants WHERE rowid = ?1", [rowid], |r| r.get(0))?;
    resolve_registrant(tx.conn(), &RegistrantKey::Id(id))
}

/// Keeps one record of a group and merges the others into it: their IDs of types the survivor lacks and
/// their program memberships move over, their household place too if the survivor has none; then they are
/// disabled with a pointer to the survivor. Refused, with nothing changed, when two of them are in the
/// same program in states that contradict each other.
pub fn merge(store: &Store, session: &Session, group: Uuid, keep: &RegistrantKey) -> Result<MergeSummary> {
    require(store, session, Permission::DuplicatesManage, "dedup.merge")?;
    require(store, session, Permission::RegistrantWrite, "dedup.merge")?;
    store.write_as(session.username(), |tx| merge_in(tx, session, group, keep))
}

/// What `merge` would do, said before it is done (the confirmation shows it): the merge is run and rolled
/// back, so the answer, or the refusal, is exactly the merge's own.
pub fn merge_preview(store: &Store, session: &Session, group: Uuid, keep: &RegistrantKey) -> Result<MergeSummary> {
    require(store, session, Permission::DuplicatesManage, "dedup.merge_preview")?;
    require(store, session, Permission::RegistrantWrite, "dedup.merge_preview")?;
    store.write_as(session.username(), |tx| {
        let summary = merge_in(tx, session, group, keep)?;
        tx.abandon();
        Ok(summary)
    })
}

fn merge_in(tx: &mut Tx<'_>, session: &Session, group: Uuid, keep: &RegistrantKey) -> Result<MergeSummary> {
    let (rowid, _, status) = group_rowid(tx.conn(), group)?;
    if !matches!(status, GroupStatus::Open | GroupStatus::Duplicates) {
        return Err(CoreError::TransitionNotAllowed {
            entity: "duplicate group".into(),
            from: status.as_str().into(),
            to: "merged".into(),
        });
    }
    let members = group_members(tx.conn(), rowid)?;
    let survivor = resolve_registrant(tx.conn(), keep)?;
    if !members.contains(&survivor.rowid) {
        return Err(CoreError::InvalidInput(format!("{} is not in this group", survivor.reference)));
    }
    let others: Vec<StoredRow> =
        members.iter().filter(|&&m| m != survivor.rowid).map(|&m| stored(tx, m)).collect::<Result<_>>()?;
    let mut summary = MergeSummary {
        kept: survivor.reference.clone(),
        merged: others.iter().map(|o| o.reference.clone()).collect(),
        ids_moved: 0,
        memberships_moved: 0,
        memberships_exited: 0,
    };
    let settled =
        |s: MembershipState| matches!(s, MembershipState::Enrolled | MembershipState::Paused | MembershipState::Exited);
    let effective = |tx: &Tx<'_>, program: i64, r: i64| -> Result<Option<MembershipState>> {
        Ok(membership_row(tx, program, r)?.map(|m| m.effective()))
    };
    // Check every program first: a refusal changes nothing.
    for o in &others {
        let programs: Vec<(i64, String)> = tx
                .conn()
                .prepare("SELECT pm.program, p.code FROM program_memberships pm JOIN programs p ON p.rowid = pm.program WHERE pm.registrant = ?1")?
                .query_map([o.rowid], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
        for (program, code) in programs {
            let (Some(a), Some(b)) = (effective(tx, program, survivor.rowid)?, effective(tx, program, o.rowid)?) else {
                continue;
            };
            if settled(a) && settled(b) && a != b {
                return Err(CoreError::MergeConflict(format!(
                    "in program {code}, {} is {} and {} is {}; settle one of them first",
                    survivor.reference,
                    a.as_str(),
                    o.reference,
                    b.as_str()
                )));
            }
        }
    }
    for o in &others {
        summary.ids_moved += write::move_id_documents(tx, o, &survivor)?;
        let programs: Vec<i64> = tx
            .conn()
            .prepare("SELECT program FROM program_memberships WHERE registrant = ?1")?
            .query_map([o.rowid], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for program in programs {
            let p = program_by_rowid(tx, program)?;
            let reason = format!("merged into {}", survivor.reference);
            match membership_row(tx, program, survivor.rowid)? {
                None => {
                    // The survivor takes over the membership, in the state it had before any duplicate hold.
                    let state = effective(tx, program, o.rowid)?.unwrap_or(MembershipState::Draft);
                    transfer(tx, &p, o, &survivor, state)?;
                    summary.memberships_moved += 1;
                }
                Some(_) => {
                    restore(tx, &p, survivor.rowid)?;
                    if let Some(cur) = existing(tx.conn(), program, o.rowid)? {
                        let to_exit = matches!(
                            cur.state,
                            MembershipState::Enrolled | MembershipState::Paused | MembershipState::Duplicated
                        );
                        if to_exit {
                            apply(
                                tx,
                                Some(&cur),
                                Move {
                                    program: &p,
                                    rowid: o.rowid,
                                    registrant_id: o.id,
                                    to: MembershipState::Exited,
                                    reason: Some(&reason),
                                    score: None,
                                    date: None,
                                },
                            )?;
                            summary.memberships_exited += 1;
                        }
                    }
                }
            }
        }
        // The household place: taken over if the survivor has none, else ended.
        let survivor_household: bool = tx.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM memberships WHERE individual_rowid = ?1 AND end_date IS NULL)",
            [survivor.rowid],
            |r| r.get(0),
        )?;
        let places: Vec<(i64, Uuid)> = tx
            .conn()
            .prepare(
                "SELECT m.group_rowid, g.id FROM memberships m JOIN registrants g ON g.rowid = m.group_rowid
                     WHERE m.individual_rowid = ?1 AND m.end_date IS NULL ORDER BY m.group_rowid",
            )?
            .query_map([o.rowid], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (k, place) in places.into_iter().enumerate() {
            if survivor_household || k > 0 {
                write::end_membership(tx, place, o)?;
            } else {
                write::replace_member(tx, place, o, &survivor)?;
            }
        }
        if o.status == crate::registry::model::RegistrantStatus::Active {
            write::set_disabled(tx, o, &format!("merged into {}", survivor.reference))?;
        }
        write::mark_merged(tx, o, &survivor)?;
        // On the merged record too, so its own history says where it went.
        tx.audit(
            AuditEvent::new(session, "registrant.merged")
                .on("registrant", o.id.to_string())
                .details(serde_json::json!({ "into": survivor.reference })),
        )?;
    }
    super::decision::record(tx, rowid, &members, DuplicateOutcome::Merged, None)?;
    tx.audit(AuditEvent::new(session, "registrant.merge").on("registrant", survivor.id.to_string()).details(
        serde_json::json!({
            "kept": summary.kept, "merged": summary.merged, "ids_moved": summary.ids_moved,
            "memberships_moved": summary.memberships_moved, "memberships_exited": summary.memberships_exited,
        }),
    ))?;
    Ok(summary)
}

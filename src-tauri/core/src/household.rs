//! Households as the desk keeps them: one registered with its members in one step, a person leaving or
//! moving to another household, a new head. Every change goes through the registry's membership writers,
//! so each appends its op beside its row and is audited.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::error::{CoreError, Result};
use crate::program::membership::auto_enrol;
use crate::program::select::Scope;
use crate::registry::model::*;
use crate::registry::service::{load_existing, masked_diff, personal_custom, resolve, RegistrantKey};
use crate::registry::write::{self, StoredRow};
use crate::store::{Store, Tx};

/// The most members a household is registered with in one step.
pub const MAX_MEMBERS: usize = 50;

const HEAD: &str = "head";

#[derive(Debug, Clone, Deserialize, TS)]
pub struct NewMember {
    pub fields: RegistrantFields,
    /// A membership kind code, e.g. `head`, `spouse`, `child`.
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct RegisteredHousehold {
    pub household: Registrant,
    /// In the order given.
    pub members: Vec<Registrant>,
}

/// Registers a household and its members together: all of them or, on any refusal, none.
pub fn register(
    store: &Store,
    session: &Session,
    mut fields: RegistrantFields,
    mut members: Vec<NewMember>,
) -> Result<RegisteredHousehold> {
    require(store, session, Permission::RegistrantWrite, "household.register")?;
    if members.len() > MAX_MEMBERS {
        return Err(CoreError::InvalidInput(format!("a household is registered with at most {MAX_MEMBERS} members")));
    }
    let heads = members.iter().filter(|m| m.kind == HEAD).count();
    if heads > 1 {
        return Err(CoreError::InvalidInput(format!("a household has one head; {heads} members are marked head")));
    }
    store.write_as(session.username(), |tx| {
        let settings = crate::registry::settings::load(tx.conn())?;
        settings.validate(RegistrantKind::Group, &mut fields).map_err(|e| CoreError::InvalidInput(e.to_string()))?;
        for (i, m) in members.iter_mut().enumerate() {
            let invalid = |e: String| CoreError::InvalidInput(format!("member {}: {e}", i + 1));
            settings.validate(RegistrantKind::Individual, &mut m.fields).map_err(|e| invalid(e.to_string()))?;
            settings.check_code(ListName::MembershipKind, "kind", &m.kind).map_err(|e| invalid(e.to_string()))?;
        }
        let personal = personal_custom(tx.conn())?;
        let group = write::insert(tx, RegistrantKind::Group, &fields, None)?;
        audit_created(tx, session, &group, &fields, &personal)?;
        let mut rows = Vec::with_capacity(members.len());
        for m in &members {
            let row = write::insert(tx, RegistrantKind::Individual, &m.fields, None)?;
            write::upsert_membership(tx, &group, &row, &m.kind, true)?;
            audit_created(tx, session, &row, &m.fields, &personal)?;
            rows.push(row);
        }
        auto_enrol(tx, session, RegistrantKind::Group, Scope::Rowids(vec![group.rowid]))?;
        if !rows.is_empty() {
            auto_enrol(tx, session, RegistrantKind::Individual, Scope::Rowids(rows.iter().map(|r| r.rowid).collect()))?;
        }
        Ok(RegisteredHousehold {
            household: load_existing(tx.conn(), &group)?,
            members: rows.iter().map(|r| load_existing(tx.conn(), r)).collect::<Result<_>>()?,
        })
    })
}

fn audit_created(
    tx: &mut Tx<'_>,
    session: &Session,
    row: &StoredRow,
    fields: &RegistrantFields,
    personal: &[String],
) -> Result<()> {
    tx.audit(
        AuditEvent::new(session, "registrant.create")
            .on("registrant", row.id.to_string())
            .details(serde_json::json!({ "reference": row.reference, "fields": masked_diff(None, fields, personal) })),
    )
}

/// A membership kind from the office's list, or a refusal naming the field.
fn check_kind(tx: &Tx<'_>, field: &str, kind: &str) -> Result<()> {
    crate::registry::settings::load(tx.conn())?
        .check_code(ListName::MembershipKind, field, kind)
        .map_err(|e| CoreError::InvalidInput(e.to_string()))
}

/// The household and the person, resolved and of the right kinds.
fn household_and_person(tx: &Tx<'_>, group: &RegistrantKey, member: &RegistrantKey) -> Result<(StoredRow, StoredRow)> {
    let g = resolve(tx.conn(), group)?;
    let m = resolve(tx.conn(), member)?;
    if g.kind != RegistrantKind::Group || m.kind != RegistrantKind::Individual {
        return Err(CoreError::InvalidInput("a household's members are individuals".into()));
    }
    Ok((g, m))
}

fn is_active_member(tx: &Tx<'_>, g: &StoredRow, m: &StoredRow) -> Result<bool> {
    Ok(tx
        .conn()
        .prepare_cached(
            "SELECT 1 FROM memberships WHERE group_rowid = ?1 AND individual_rowid = ?2 AND end_date IS NULL",
        )?
        .query_row(params![g.rowid, m.rowid], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Ends a person's membership of a household today; it is kept, with its end date.
pub fn end_membership(store: &Store, session: &Session, group: &RegistrantKey, member: &RegistrantKey) -> Result<()> {
    require(store, session, Permission::RegistrantWrite, "membership.end")?;
    store.write_as(session.username(), |tx| {
        let (g, m) = household_and_person(tx, group, member)?;
        if !is_active_member(tx, &g, &m)? {
            return Err(CoreError::not_found("current membership of this household"));
        }
        write::end_membership(tx, (g.rowid, g.id), &m)?;
        tx.audit(
            AuditEvent::new(session, "membership.end")
                .on("registrant", g.id.to_string())
                .details(serde_json::json!({ "member": m.reference })),
        )
    })
}

/// Moves a person into a household: their current memberships of other households end today.
pub fn move_member(
    store: &Store,
    session: &Session,
    member: &RegistrantKey,
    to: &RegistrantKey,
    kind: &str,
) -> Result<()> {
    require(store, session, Permission::RegistrantWrite, "membership.move")?;
    store.write_as(session.username(), |tx| {
        check_kind(tx, "kind", kind)?;
        let (g, m) = household_and_person(tx, to, member)?;
        let left = write::end_other_memberships(tx, &m, &g)?;
        write::upsert_membership(tx, &g, &m, kind, false)?;
        tx.audit(
            AuditEvent::new(session, "membership.move")
                .on("registrant", m.id.to_string())
                .details(serde_json::json!({ "to": g.reference, "kind": kind, "households_left": left })),
        )
    })
}

/// Makes a member the household's head; the former head, if any, stays a member as `former_head_kind`.
pub fn set_head(
    store: &Store,
    session: &Session,
    group: &RegistrantKey,
    member: &RegistrantKey,
    former_head_kind: &str,
) -> Result<()> {
    require(store, session, Permission::RegistrantWrite, "membership.set_head")?;
    if former_head_kind == HEAD {
        return Err(CoreError::InvalidInput("a household has one head: the former head needs another kind".into()));
    }
    store.write_as(session.username(), |tx| {
        check_kind(tx, "former_head_kind", former_head_kind)?;
        let (g, m) = household_and_person(tx, group, member)?;
        if !is_active_member(tx, &g, &m)? {
            return Err(CoreError::InvalidInput(format!(
                "{} is not a member of household {}: add them first",
                m.reference, g.reference
            )));
        }
        let former: Option<uuid::Uuid> = tx
            .conn()
            .prepare_cached(
                "SELECT r.id FROM memberships m JOIN registrants r ON r.rowid = m.individual_rowid
                 WHERE m.group_rowid = ?1 AND m.is_head = 1 AND m.end_date IS NULL AND m.individual_rowid <> ?2",
            )?
            .query_row(params![g.rowid, m.rowid], |r| r.get(0))
            .optional()?;
        let former = match former {
            Some(id) => {
                let row = write::find_by_id(tx.conn(), id)?.ok_or_else(|| CoreError::not_found("registrant"))?;
                write::upsert_membership(tx, &g, &row, former_head_kind, false)?;
                Some(row.reference)
            }
            None => None,
        };
        write::upsert_membership(tx, &g, &m, HEAD, false)?;
        tx.audit(AuditEvent::new(session, "membership.set_head").on("registrant", g.id.to_string()).details(
            serde_json::json!({ "head": m.reference, "former_head": former, "former_head_kind": former_head_kind }),
        ))
    })
}

//! The remote half of the registry's writers: registrants, households, ID documents, lists and custom
//! fields as ops from another desk change them (replay rules: docs/sync-ops.md).

use br_model::op::{Op, OpRecord, RegistrantField};
use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

use super::model::{ListItem, RegistrantFields, RegistrantStatus};
use super::service::{save_custom_field_row, save_list_item_row};
use super::write::{
    self, disable_row, find_by_id, insert_row, read_stamps, stamp_fields, update_row, NewRow, StoredRow,
};
use crate::applied::Effect;
use crate::error::{CoreError, Result};
use crate::store::Tx;

pub(crate) fn apply(tx: &mut Tx<'_>, rec: &OpRecord) -> Result<Effect> {
    match &rec.op {
        Op::RegistrantCreated { id, kind, reference, registered_on, fields } => {
            if find_by_id(tx.conn(), *id)?.is_some() {
                return Ok(Effect::Unchanged);
            }
            let hash = write::content_hash(*kind, fields)?;
            let new = NewRow {
                id: *id,
                kind: *kind,
                reference,
                registered_on,
                office: rec.owner_office,
                version: rec.hlc,
                import_run: None,
                content_hash: &hash,
            };
            insert_row(tx, &new, fields)?;
            tx.keep_reference_ahead(reference)?;
            Ok(Effect::Applied)
        }
        Op::RegistrantUpdated { id, changed, fields } => updated(tx, rec, &registrant(tx, *id)?, changed, fields),
        Op::RegistrantDisabled { id, reason } => {
            let row = registrant(tx, *id)?;
            if row.status == RegistrantStatus::Disabled {
                return Ok(Effect::Unchanged);
            }
            disable_row(tx, row.rowid, reason, rec.hlc.max(row.version))?;
            Ok(Effect::Applied)
        }
        Op::RegistrantMerged { id, into } => {
            let (duplicate, survivor) = (registrant(tx, *id)?, registrant(tx, *into)?);
            let n = tx
                .conn()
                .prepare_cached("UPDATE registrants SET merged_into = ?1 WHERE rowid = ?2 AND merged_into IS NOT ?1")?
                .execute(params![survivor.rowid, duplicate.rowid])?;
            Ok(Effect::of_rows(n))
        }
        Op::IdDocumentMoved { from, to, id_type } => {
            let (from, to) = (registrant(tx, *from)?, registrant(tx, *to)?);
            let n = tx
                .conn()
                .prepare_cached(
                    "UPDATE id_documents SET registrant = ?1 WHERE registrant = ?2 AND id_type = ?3
                       AND NOT EXISTS (SELECT 1 FROM id_documents WHERE registrant = ?1 AND id_type = ?3)",
                )?
                .execute(params![to.rowid, from.rowid, id_type])?;
            Ok(Effect::of_rows(n))
        }
        Op::HouseholdMemberJoined { group, individual, kind, is_head, start_date } => {
            let (g, m) = match household_place(tx, *group, *individual, *is_head)? {
                Ok(place) => place,
                Err(conflict) => return Ok(conflict),
            };
            let n = tx
                .conn()
                .prepare_cached(
                    "INSERT INTO memberships (group_rowid, individual_rowid, kind, is_head, start_date) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (group_rowid, individual_rowid) DO UPDATE SET kind = excluded.kind,
                         is_head = excluded.is_head, start_date = excluded.start_date, end_date = NULL
                     WHERE end_date IS NOT NULL OR kind IS NOT excluded.kind OR is_head IS NOT excluded.is_head",
                )?
                .execute(params![g.rowid, m.rowid, kind, is_head, start_date])?;
            Ok(Effect::of_rows(n))
        }
        Op::HouseholdMemberChanged { group, individual, kind, is_head } => {
            let (g, m) = match household_place(tx, *group, *individual, *is_head)? {
                Ok(place) => place,
                Err(conflict) => return Ok(conflict),
            };
            let n = tx
                .conn()
                .prepare_cached(
                    "UPDATE memberships SET kind = ?3, is_head = ?4
                     WHERE group_rowid = ?1 AND individual_rowid = ?2 AND end_date IS NULL AND (kind IS NOT ?3 OR is_head IS NOT ?4)",
                )?
                .execute(params![g.rowid, m.rowid, kind, is_head])?;
            Ok(Effect::of_rows(n))
        }
        Op::HouseholdMemberLeft { group, individual, end_date } => {
            let (g, m) = (registrant(tx, *group)?, registrant(tx, *individual)?);
            let n = tx
                .conn()
                .prepare_cached(
                    "UPDATE memberships SET end_date = ?3 WHERE group_rowid = ?1 AND individual_rowid = ?2 AND end_date IS NULL",
                )?
                .execute(params![g.rowid, m.rowid, end_date])?;
            Ok(Effect::of_rows(n))
        }
        Op::HouseholdMemberReplaced { group, from, to } => {
            let (g, from, to) = (registrant(tx, *group)?, registrant(tx, *from)?, registrant(tx, *to)?);
            let n = tx
                .conn()
                .prepare_cached(
                    "UPDATE memberships SET individual_rowid = ?3 WHERE group_rowid = ?1 AND individual_rowid = ?2 AND end_date IS NULL",
                )?
                .execute(params![g.rowid, from.rowid, to.rowid])?;
            Ok(Effect::of_rows(n))
        }
        Op::ListItemSaved { list, code, label, parent, active } => {
            let item = ListItem { code: code.clone(), label: label.clone(), parent: parent.clone(), active: *active };
            save_list_item_row(tx, *list, code, &item)?;
            Ok(Effect::Applied)
        }
        Op::CustomFieldDefined { field } => {
            let field = super::model::CustomField {
                name: field.name.clone(),
                label: field.label.clone(),
                field_type: field.field_type,
                choices: field.choices.clone(),
                required: field.required,
                personal: field.personal,
            };
            save_custom_field_row(tx, &field)?;
            Ok(Effect::Applied)
        }
        other => Err(CoreError::Internal(format!("{} is not a registry op", other.kind()))),
    }
}

/// Takes each changed field whose last writer on this registry is older than the op (ties go to the
/// higher desk id); the others stay.
fn updated(
    tx: &mut Tx<'_>,
    rec: &OpRecord,
    row: &StoredRow,
    changed: &[RegistrantField],
    remote: &RegistrantFields,
) -> Result<Effect> {
    let current = super::read::load(tx.conn(), row.rowid)?.ok_or_else(|| CoreError::not_found("registrant"))?.fields;
    let stamps = read_stamps(tx, row.rowid)?;
    let ours = (rec.hlc, rec.device_id);
    let mut next = current.clone();
    let mut taken = Vec::new();
    for &field in changed {
        let name = serde_json::to_value(field)?.as_str().unwrap_or_default().to_string();
        if RegistrantField::taken_by(stamps.get(&name), ours) {
            field.copy(remote, &mut next);
            taken.push(field);
        }
    }
    if taken.is_empty() {
        return Ok(Effect::Unchanged);
    }
    let hash = write::content_hash(row.kind, &next)?;
    let stamps = stamp_fields(stamps, &taken, rec.hlc, rec.device_id)?;
    update_row(tx, row, &next, &hash, rec.hlc.max(row.version), None, &stamps)?;
    Ok(Effect::Applied)
}

fn registrant(tx: &Tx<'_>, id: Uuid) -> Result<StoredRow> {
    find_by_id(tx.conn(), id)?.ok_or_else(|| {
        CoreError::InvalidInput(format!("an op names registrant {id}, which this registry does not hold"))
    })
}

/// The household and member an op names, or a conflict when the member would be a second active head.
fn household_place(
    tx: &Tx<'_>,
    group: Uuid,
    individual: Uuid,
    is_head: bool,
) -> Result<std::result::Result<(StoredRow, StoredRow), Effect>> {
    let (g, m) = (registrant(tx, group)?, registrant(tx, individual)?);
    if is_head {
        if let Some(head) = other_head(tx, g.rowid, m.rowid)? {
            return Ok(Err(Effect::Conflict { local: serde_json::json!({ "head": head }) }));
        }
    }
    Ok(Ok((g, m)))
}

fn other_head(tx: &Tx<'_>, group: i64, member: i64) -> Result<Option<Uuid>> {
    Ok(tx
        .conn()
        .prepare_cached(
            "SELECT r.id FROM memberships m JOIN registrants r ON r.rowid = m.individual_rowid
             WHERE m.group_rowid = ?1 AND m.is_head = 1 AND m.end_date IS NULL AND m.individual_rowid <> ?2",
        )?
        .query_row(params![group, member], |r| r.get(0))
        .optional()?)
}

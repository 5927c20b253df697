//! Registrants, their IDs, households, programs and program memberships in the view, as a desk's replay
//! makes them (core's registry/remote.rs and program replay).

use br_model::op::{Op, OpRecord, RegistrantField};
use br_model::registry::RegistrantFields;
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use crate::error::Result;

pub(super) async fn apply(tx: &impl GenericClient, rec: &OpRecord) -> Result<()> {
    match &rec.op {
        Op::RegistrantUpdated { id, changed, fields } => updated(tx, rec, *id, changed, fields).await?,
        Op::RegistrantDisabled { id, .. } => {
            tx.execute("UPDATE registry_registrants SET status = 'disabled' WHERE id = $1", &[id]).await?;
        }
        Op::RegistrantMerged { id, into } => {
            tx.execute("UPDATE registry_registrants SET merged_into = $2 WHERE id = $1", &[id, into]).await?;
        }
        Op::IdDocumentMoved { from, to, id_type } => {
            tx.execute(
                "UPDATE registry_ids SET registrant = $2 WHERE registrant = $1 AND id_type = $3
                   AND NOT EXISTS (SELECT 1 FROM registry_ids WHERE registrant = $2 AND id_type = $3)",
                &[from, to, id_type],
            )
            .await?;
        }
        Op::HouseholdMemberChanged { group, individual, kind, is_head } => {
            tx.execute(
                "UPDATE registry_household_members SET kind = $3, is_head = $4
                 WHERE grp = $1 AND individual = $2 AND end_date IS NULL",
                &[group, individual, kind, is_head],
            )
            .await?;
        }
        Op::HouseholdMemberLeft { group, individual, end_date } => {
            tx.execute(
                "UPDATE registry_household_members SET end_date = $3 WHERE grp = $1 AND individual = $2 AND end_date IS NULL",
                &[group, individual, end_date],
            )
            .await?;
        }
        Op::HouseholdMemberReplaced { group, from, to } => {
            tx.execute(
                "UPDATE registry_household_members SET individual = $3 WHERE grp = $1 AND individual = $2 AND end_date IS NULL",
                &[group, from, to],
            )
            .await?;
        }
        _ => {}
    }
    Ok(())
}

/// Takes each changed field whose last writer is older than the op (ties go to the higher desk id), as
/// a desk does; the others stay.
async fn updated(
    tx: &impl GenericClient,
    rec: &OpRecord,
    id: Uuid,
    changed: &[RegistrantField],
    remote: &RegistrantFields,
) -> Result<()> {
    let Some(row) =
        tx.query_opt("SELECT fields, field_hlc FROM registry_registrants WHERE id = $1 FOR UPDATE", &[&id]).await?
    else {
        return Ok(());
    };
    let mut fields: RegistrantFields = serde_json::from_value(row.get(0))?;
    let mut stamps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(row.get(1))?;
    let ours = (rec.hlc, rec.device_id);
    let mut ids_changed = false;
    for &field in changed {
        let name = serde_json::to_value(field)?.as_str().unwrap_or_default().to_string();
        if RegistrantField::taken_by(stamps.get(&name), ours) {
            field.copy(remote, &mut fields);
            stamps.insert(name, serde_json::json!([rec.hlc, rec.device_id]));
            ids_changed |= field == RegistrantField::Ids;
        }
    }
    tx.execute(
        "UPDATE registry_registrants SET fields = $2, field_hlc = $3 WHERE id = $1",
        &[&id, &serde_json::to_value(&fields)?, &serde_json::Value::Object(stamps)],
    )
    .await?;
    if ids_changed {
        tx.execute("DELETE FROM registry_ids WHERE registrant = $1", &[&id]).await?;
        write_ids(tx, id, &fields).await?;
    }
    Ok(())
}

async fn write_ids(tx: &impl GenericClient, id: Uuid, fields: &RegistrantFields) -> Result<()> {
    if fields.ids.is_empty() {
        return Ok(());
    }
    let types: Vec<&str> = fields.ids.iter().map(|d| d.id_type.as_str()).collect();
    let values: Vec<&str> = fields.ids.iter().map(|d| d.value.as_str()).collect();
    tx.execute(
        "INSERT INTO registry_ids (id_type, value, registrant) SELECT t, v, $3 FROM unnest($1::text[], $2::text[]) AS x(t, v)
         ON CONFLICT DO NOTHING",
        &[&types, &values, &id],
    )
    .await?;
    Ok(())
}

pub(super) async fn apply_program(tx: &impl GenericClient, cursor: i64, rec: &OpRecord) -> Result<()> {
    match &rec.op {
        Op::ProgramCreated { program } | Op::ProgramChanged { program } => {
            // A program's state never moves backwards: a stale change keeps the later state.
            tx.execute(
                "INSERT INTO registry_programs (id, code, name, currency, state, archived) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (id) DO UPDATE SET code = excluded.code, name = excluded.name, currency = excluded.currency,
                     archived = excluded.archived,
                     state = CASE WHEN registry_programs.state = 'ended' OR
                                       (registry_programs.state = 'active' AND excluded.state = 'draft')
                                  THEN registry_programs.state ELSE excluded.state END",
                &[&program.id, &program.code, &program.name, &program.currency, &program.state.as_str(), &program.archived],
            )
            .await?;
        }
        Op::ProgramMembershipTransferred { program, from, to, state, .. } => {
            tx.execute(
                "UPDATE registry_memberships SET registrant = $3, state = $4, changed_at_cursor = $5, changed_at = $6
                 WHERE program = $1 AND registrant = $2
                   AND NOT EXISTS (SELECT 1 FROM registry_memberships WHERE program = $1 AND registrant = $3)",
                &[program, from, to, &state.as_str(), &cursor, &rec.at],
            )
            .await?;
        }
        _ => {}
    }
    Ok(())
}

//! Registry operations: each checks the session's permission and writes its rows, audit entry and
//! change-log op in one transaction.

use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::model::*;
use super::read::{self, mask_fields};
pub use super::settings::read_custom_fields;
use super::write::{self, StoredRow};
use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::error::{CoreError, Result};
use crate::store::{Store, Tx};
use br_model::op::{CustomFieldRecord, Op};

pub(crate) fn personal_custom(conn: &Connection) -> Result<Vec<String>> {
    Ok(read_custom_fields(conn)?.into_iter().filter(|f| f.personal).map(|f| f.name).collect())
}

/// Field names whose values differ, with masked values: the audit log never holds personal data. What
/// changed is decided on the values themselves: two names can have one mask (Amna and Amina are `A•••`).
pub fn masked_diff(
    before: Option<&RegistrantFields>,
    after: &RegistrantFields,
    personal: &[String],
) -> serde_json::Value {
    let plain = |f: &RegistrantFields| serde_json::to_value(f).unwrap_or_default();
    let masked = |f: &RegistrantFields| {
        let mut f = f.clone();
        mask_fields(&mut f, personal);
        serde_json::to_value(&f).unwrap_or_default()
    };
    let none = RegistrantFields::default();
    let (b, a) = (before.unwrap_or(&none), after);
    let (bp, ap, bm, am) = (plain(b), plain(a), masked(b), masked(a));
    let mut changes = serde_json::Map::new();
    if let (Some(bp), Some(ap)) = (bp.as_object(), ap.as_object()) {
        // Empty values are left out of the JSON: a field cleared is in `before` only.
        let keys: std::collections::BTreeSet<&String> = bp.keys().chain(ap.keys()).collect();
        let shown = |v: &serde_json::Value, k: &str| v.get(k).cloned().unwrap_or(serde_json::Value::Null);
        for k in keys.into_iter().filter(|k| bp.get(*k) != ap.get(*k)) {
            let entry = if before.is_some() {
                serde_json::json!({ "before": shown(&bm, k), "after": shown(&am, k) })
            } else {
                shown(&am, k)
            };
            changes.insert(k.clone(), entry);
        }
    }
    serde_json::Value::Object(changes)
}

/// Resolves an id or a reference number to the stored row.
pub fn resolve(conn: &Connection, key: &RegistrantKey) -> Result<StoredRow> {
    let found = match key {
        RegistrantKey::Id(id) => write::find_by_id(conn, *id)?,
        RegistrantKey::Reference(r) => write::find_by_reference(conn, r)?,
    };
    found.ok_or_else(|| CoreError::not_found("registrant"))
}

/// The stored registrant behind a row already resolved in this transaction or read.
pub(crate) fn load_existing(conn: &Connection, row: &StoredRow) -> Result<Registrant> {
    read::load(conn, row.rowid)?.ok_or_else(|| CoreError::not_found("registrant"))
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RegistrantKey {
    Id(Uuid),
    Reference(String),
}

pub fn update(
    store: &Store,
    session: &Session,
    key: &RegistrantKey,
    mut fields: RegistrantFields,
    expected_version: Option<String>,
) -> Result<Registrant> {
    require(store, session, Permission::RegistrantWrite, "registrant.update")?;
    store.write_as(session.username(), |tx| {
        let row = resolve(tx.conn(), key)?;
        if let Some(v) = expected_version {
            if v != row.version.to_string() {
                return Err(CoreError::InvalidInput(format!(
                    "registrant {} was changed by someone else since it was opened; reload it",
                    row.reference
                )));
            }
        }
        if row.status == RegistrantStatus::Disabled {
            return Err(CoreError::InvalidInput(format!("registrant {} is disabled", row.reference)));
        }
        super::settings::load(tx.conn())?
            .validate(row.kind, &mut fields)
            .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
        let before = load_existing(tx.conn(), &row)?.fields;
        if write::update(tx, &row, &fields, None)? {
            let personal = personal_custom(tx.conn())?;
            tx.audit(
                AuditEvent::new(session, "registrant.update")
                    .on("registrant", row.id.to_string())
                    .details(masked_diff(Some(&before), &fields, &personal)),
            )?;
        }
        load_existing(tx.conn(), &row)
    })
}

pub fn disable(store: &Store, session: &Session, key: &RegistrantKey, reason: &str) -> Result<Registrant> {
    require(store, session, Permission::RegistrantWrite, "registrant.disable")?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(CoreError::InvalidInput("disabling a registrant needs a reason".into()));
    }
    store.write_as(session.username(), |tx| {
        let row = resolve(tx.conn(), key)?;
        if row.status == RegistrantStatus::Disabled {
            return Err(CoreError::InvalidInput(format!("registrant {} is already disabled", row.reference)));
        }
        write::set_disabled(tx, &row, reason)?;
        tx.audit(
            AuditEvent::new(session, "registrant.disable")
                .on("registrant", row.id.to_string())
                .details(serde_json::json!({ "reason": reason })),
        )?;
        load_existing(tx.conn(), &row)
    })
}

pub fn add_member(
    store: &Store,
    session: &Session,
    group: &RegistrantKey,
    member: &RegistrantKey,
    kind: &str,
) -> Result<()> {
    require(store, session, Permission::RegistrantWrite, "membership.add")?;
    store.write_as(session.username(), |tx| {
        super::settings::load(tx.conn())?
            .check_code(ListName::MembershipKind, "kind", kind)
            .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
        let g = resolve(tx.conn(), group)?;
        let m = resolve(tx.conn(), member)?;
        if g.kind != RegistrantKind::Group || m.kind != RegistrantKind::Individual {
            return Err(CoreError::InvalidInput("only an individual can join a group".into()));
        }
        write::upsert_membership(tx, &g, &m, kind, false)?;
        tx.audit(
            AuditEvent::new(session, "membership.add")
                .on("registrant", g.id.to_string())
                .details(serde_json::json!({ "member": m.reference, "kind": kind })),
        )
    })
}

pub fn list_items(store: &Store, session: &Session, list: ListName) -> Result<Vec<ListItem>> {
    require(store, session, Permission::RegistryRead, "settings.view")?;
    store.read(|c| {
        let mut stmt =
            c.prepare_cached("SELECT code, label, parent, active FROM list_items WHERE list = ?1 ORDER BY code")?;
        let rows = stmt.query_map([list.as_str()], |r| {
            Ok(ListItem { code: r.get(0)?, label: r.get(1)?, parent: r.get(2)?, active: r.get(3)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })
}

pub fn upsert_list_item(store: &Store, session: &Session, list: ListName, item: ListItem) -> Result<()> {
    require(store, session, Permission::SettingsManage, "settings.list_item")?;
    let code = item.code.trim();
    if code.is_empty() || code.len() > 64 || code.chars().any(|c| c.is_whitespace() || c == ',' || c == ';') {
        return Err(CoreError::InvalidInput(
            "a code has 1 to 64 characters, without spaces, commas or semicolons".into(),
        ));
    }
    store.write_as(session.username(), |tx| {
        save_list_item(tx, list, code, &item)?;
        tx.audit(
            AuditEvent::new(session, "settings.list_item")
                .details(serde_json::json!({ "list": list.as_str(), "code": code, "active": item.active })),
        )
    })
}

pub fn list_custom_fields(store: &Store, session: &Session) -> Result<Vec<CustomField>> {
    require(store, session, Permission::RegistryRead, "settings.view")?;
    store.read(read_custom_fields)
}

pub fn define_custom_field(store: &Store, session: &Session, field: CustomField) -> Result<()> {
    require(store, session, Permission::SettingsManage, "settings.custom_field")?;
    let ok = !field.name.is_empty()
        && field.name.len() <= 64
        && field.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(CoreError::InvalidInput(
            "a custom field name has lower-case letters, digits and underscores".into(),
        ));
    }
    if field.field_type == CustomFieldType::Choice && field.choices.is_empty() {
        return Err(CoreError::InvalidInput("a choice field needs at least one choice".into()));
    }
    store.write_as(session.username(), |tx| {
        save_custom_field(tx, &field)?;
        tx.audit(
            AuditEvent::new(session, "settings.custom_field")
                .details(serde_json::json!({ "name": field.name, "type": field.field_type.as_str() })),
        )
    })
}

/// The writer of list items: the row and its change-log op.
pub(crate) fn save_list_item(tx: &mut Tx<'_>, list: ListName, code: &str, item: &ListItem) -> Result<()> {
    let label = item.label.trim();
    save_list_item_row(tx, list, code, &ListItem { label: label.to_string(), ..item.clone() })?;
    tx.append_op(
        &Op::ListItemSaved {
            list,
            code: code.to_string(),
            label: label.to_string(),
            parent: item.parent.clone(),
            active: item.active,
        },
        None,
    )?;
    Ok(())
}

/// The writer of custom-field definitions: the row and its change-log op.
pub(crate) fn save_custom_field(tx: &mut Tx<'_>, field: &CustomField) -> Result<()> {
    save_custom_field_row(tx, field)?;
    let record = CustomFieldRecord {
        name: field.name.clone(),
        label: field.label.clone(),
        field_type: field.field_type,
        choices: field.choices.clone(),
        required: field.required,
        personal: field.personal,
    };
    tx.append_op(&Op::CustomFieldDefined { field: record }, None)?;
    Ok(())
}

/// The list item's row alone (its op is the caller's).
pub(crate) fn save_list_item_row(tx: &mut Tx<'_>, list: ListName, code: &str, item: &ListItem) -> Result<()> {
    tx.conn().execute(
        "INSERT INTO list_items (list, code, label, parent, active) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (list, code) DO UPDATE SET label = excluded.label, parent = excluded.parent, active = excluded.active",
        params![list.as_str(), code, item.label, item.parent, item.active],
    )?;
    Ok(())
}

/// The custom field's row alone (its op is the caller's).
pub(crate) fn save_custom_field_row(tx: &mut Tx<'_>, field: &CustomField) -> Result<()> {
    tx.conn().execute(
        "INSERT INTO custom_fields (name, label, field_type, choices, required, personal) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (name) DO UPDATE SET label = excluded.label, field_type = excluded.field_type,
            choices = excluded.choices, required = excluded.required, personal = excluded.personal",
        params![
            field.name,
            field.label,
            field.field_type.as_str(),
            serde_json::to_string(&field.choices)?,
            field.required,
            field.personal
        ],
    )?;
    Ok(())
}

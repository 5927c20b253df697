//! The office's configurable lists and custom fields, loaded once per operation; the validation against
//! them is br-model's (`validation.rs`), shared with the server.

use rusqlite::Connection;

use super::model::{CustomField, CustomFieldType, ListName};
use crate::error::Result;

pub use br_model::clock::parse_date;
pub use br_model::validation::{looks_like_formula, FieldError, Settings, MAX_TEXT_CHARS};

/// The registry's active list codes, custom fields and privacy profile, as its validation needs them.
pub fn load(conn: &Connection) -> Result<Settings> {
    let mut codes = Vec::new();
    let mut stmt = conn.prepare_cached("SELECT list, code FROM list_items WHERE active = 1")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let list: String = r.get(0)?;
        if let Some(name) = ListName::parse(&list) {
            codes.push((name, r.get(1)?));
        }
    }
    Ok(Settings::new(codes, read_custom_fields(conn)?).with_privacy(super::privacy::load(conn)?))
}

/// The registry's custom-field definitions, by name.
pub fn read_custom_fields(conn: &Connection) -> Result<Vec<CustomField>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, label, field_type, choices, required, personal FROM custom_fields ORDER BY name",
    )?;
    let rows = stmt.query_map([], |r| {
        let choices: Option<String> = r.get(3)?;
        Ok(CustomField {
            name: r.get(0)?,
            label: r.get(1)?,
            field_type: CustomFieldType::parse(&r.get::<_, String>(2)?).unwrap_or(CustomFieldType::Text),
            choices: choices.and_then(|c| serde_json::from_str(&c).ok()).unwrap_or_default(),
            required: r.get(4)?,
            personal: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

//! CSV export in the import format, so an export re-imports as it is. Personal columns are masked unless
//! the user may see them and asked to; cells a spreadsheet would run as formulas are neutralised.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::error::{CoreError, Result};
use crate::files::output::OutputFile;
use crate::registry::model::RegistrantKind;
use crate::registry::read::{self, mask_fields};
use crate::store::Store;

/// Prefixes a cell that a spreadsheet would evaluate with an apostrophe (the import strips it again).
pub fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct ExportOptions {
    /// Write names, IDs, phones and birth dates unmasked (needs the permission; audited).
    pub include_personal: bool,
    /// Include disabled registrants.
    pub include_disabled: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ExportSummary {
    pub rows: u64,
    /// Whether the file holds personal data unmasked: handle it accordingly.
    pub contains_personal_data: bool,
    pub path: String,
}

/// Writes the export to `path`; an existing file there is replaced only with `overwrite` (the person
/// confirmed it).
pub fn export_csv(
    store: &Store,
    session: &Session,
    path: &Path,
    overwrite: bool,
    options: &ExportOptions,
) -> Result<ExportSummary> {
    require(store, session, Permission::ExportRun, "export.run")?;
    if options.include_personal {
        require(store, session, Permission::PersonalDataReveal, "export.personal")?;
    }
    let mut out = OutputFile::create(store.dir(), path, overwrite)?;
    let rows = store.read(|conn| {
        let id_types: Vec<String> = conn
            .prepare("SELECT code FROM list_items WHERE list = 'id_type' ORDER BY code")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let customs = crate::registry::service::read_custom_fields(conn)?;
        let personal: Vec<String> = customs.iter().filter(|c| c.personal).map(|c| c.name.clone()).collect();
        let mut header: Vec<String> = [
            "reference", "external_id", "given_name", "family_name", "sex", "birth_date", "birth_date_approx", "phone",
            "financial_address", "area", "tags", "household_ref", "household_name", "relationship", "status",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        header.extend(id_types.iter().map(|t| format!("id:{t}")));
        header.extend(customs.iter().map(|c| format!("custom:{}", c.name)));
        let mut w = csv::Writer::from_writer(out.file());
        w.write_record(&header).map_err(|e| CoreError::io("writing the export", e.into()))?;
        let mut household = conn.prepare_cached(
            "SELECT g.external_id, g.reference, g.group_name, m.kind FROM memberships m JOIN registrants g ON g.rowid = m.group_rowid
             WHERE m.individual_rowid = ?1 AND m.end_date IS NULL ORDER BY m.start_date LIMIT 1",
        )?;
        let mut all = conn.prepare(
            "SELECT rowid FROM registrants WHERE kind = 'individual' AND (?1 OR status = 'active') ORDER BY rowid",
        )?;
        let rowids = all.query_map([options.include_disabled], |r| r.get::<_, i64>(0))?;
        let mut n = 0u64;
        for rowid in rowids {
            let rowid = rowid?;
            let Some(mut reg) = read::load(conn, rowid)? else { continue };
            if reg.kind != RegistrantKind::Individual {
                continue;
            }
            if !options.include_personal {
                mask_fields(&mut reg.fields, &personal);
            }
            let f = &reg.fields;
            let hh: Option<(Option<String>, String, Option<String>, String)> = household
                .query_row([rowid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .map(Some)
                .or_else(|e| if e == rusqlite::Error::QueryReturnedNoRows { Ok(None) } else { Err(e) })?;
            let tags: BTreeSet<&String> = f.tags.iter().collect();
            let mut rec: Vec<String> = vec![
                reg.reference.clone(),
                f.external_id.clone().unwrap_or_default(),
                f.given_name.clone().unwrap_or_default(),
                f.family_name.clone().unwrap_or_default(),
                f.sex.clone().unwrap_or_default(),
                f.birth_date.clone().unwrap_or_default(),
                if f.birth_date_approx { "true".into() } else { String::new() },
                f.phone.clone().unwrap_or_default(),
                f.financial_address.clone().unwrap_or_default(),
                f.area.clone().unwrap_or_default(),
                tags.into_iter().cloned().collect::<Vec<_>>().join(";"),
                hh.as_ref().map(|h| h.0.clone().unwrap_or_else(|| h.1.clone())).unwrap_or_default(),
                hh.as_ref().and_then(|h| h.2.clone()).unwrap_or_default(),
                hh.as_ref().map(|h| h.3.clone()).unwrap_or_default(),
                reg.status.as_str().to_string(),
            ];
            for t in &id_types {
                rec.push(f.ids.iter().find(|d| &d.id_type == t).map(|d| d.value.clone()).unwrap_or_default());
            }
            for c in &customs {
                rec.push(match f.custom.get(&c.name) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Null) | None => String::new(),
                    Some(v) => v.to_string(),
                });
            }
            let rec: Vec<String> = rec.iter().map(|c| neutralise(c)).collect();
            w.write_record(&rec).map_err(|e| CoreError::io("writing the export", e.into()))?;
            n += 1;
        }
        w.flush().map_err(|e| CoreError::io("writing the export", e))?;
        Ok(n)
    })?;
    out.finish()?;
    store.write_as(session.username(), |tx| {
        tx.audit(AuditEvent::new(session, "export.run").details(serde_json::json!({
            "rows": rows,
            "contains_personal_data": options.include_personal,
            "include_disabled": options.include_disabled,
        })))
    })?;
    Ok(ExportSummary { rows, contains_personal_data: options.include_personal, path: path.display().to_string() })
}

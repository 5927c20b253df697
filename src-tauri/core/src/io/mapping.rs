//! The import format's columns and the column-mapping file that lets another system's export import
//! without editing it. See docs/import-format.md.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::error::{CoreError, Result};
use crate::store::Store;

/// A column mapping, usually read from a JSON file:
/// `{"columns": {"Their header": "our_column"}, "values": {"sex": {"M": "male"}}, "date_format": "[day]/[month]/[year]"}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct ColumnMapping {
    /// Source header -> one of the import format's columns.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Per target column, source value -> our value (e.g. sex codes, relationship words).
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    /// Date format of the source, in the `time` crate's description syntax; ISO `YYYY-MM-DD` when absent.
    #[serde(default)]
    pub date_format: Option<String>,
}

/// What a column holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    ExternalId,
    GivenName,
    FamilyName,
    Sex,
    BirthDate,
    BirthDateApprox,
    Phone,
    FinancialAddress,
    Area,
    Tags,
    HouseholdRef,
    HouseholdName,
    Relationship,
    Id(String),
    Custom(String),
}

/// The import format's own columns, by name; IDs (`id:<type>`) and custom fields (`custom:<name>`) come
/// from each registry's lists. The UI's column chooser is generated from this table.
pub const FIXED_COLUMNS: [(&str, Target); 13] = [
    ("external_id", Target::ExternalId),
    ("given_name", Target::GivenName),
    ("family_name", Target::FamilyName),
    ("sex", Target::Sex),
    ("birth_date", Target::BirthDate),
    ("birth_date_approx", Target::BirthDateApprox),
    ("phone", Target::Phone),
    ("financial_address", Target::FinancialAddress),
    ("area", Target::Area),
    ("tags", Target::Tags),
    ("household_ref", Target::HouseholdRef),
    ("household_name", Target::HouseholdName),
    ("relationship", Target::Relationship),
];

impl Target {
    pub fn parse(s: &str) -> Option<Target> {
        let lower = s.trim().to_ascii_lowercase();
        if let Some((_, target)) = FIXED_COLUMNS.iter().find(|(name, _)| *name == lower) {
            return Some(target.clone());
        }
        if let Some(t) = lower.strip_prefix("id:") {
            Some(Target::Id(t.trim().to_string()))
        } else {
            lower.strip_prefix("custom:").map(|c| Target::Custom(c.trim().to_string()))
        }
    }

    pub fn name(&self) -> String {
        match self {
            Target::Id(t) => format!("id:{t}"),
            Target::Custom(c) => format!("custom:{c}"),
            fixed => FIXED_COLUMNS
                .iter()
                .find(|(_, target)| target == fixed)
                .map(|(name, _)| name.to_string())
                .expect("every other target is in FIXED_COLUMNS"),
        }
    }
}

/// Columns a rejects file adds; the importer skips them so a fixed rejects file imports as it is.
pub const REJECT_COLUMNS: [&str; 3] = ["br_line", "br_column", "br_reason"];

/// How the file's columns map onto targets.
pub struct ResolvedColumns {
    /// Per source column, its target, if any.
    pub targets: Vec<Option<Target>>,
    pub unmapped: Vec<String>,
    pub date_format: Option<Vec<time::format_description::OwnedFormatItem>>,
    /// Import columns every file needs that no column fills: `external_id`, and `given_name` standing for
    /// a given or a family name.
    pub missing: Vec<String>,
    /// The file's first column names, for the error that says what is missing.
    found: String,
}

impl ResolvedColumns {
    /// Refuses a file without an external id or a name column (the wizard's mapping step fills them).
    pub fn require_identity(&self) -> Result<()> {
        if self.missing.is_empty() {
            return Ok(());
        }
        Err(CoreError::ImportFileInvalid(format!(
            "required columns missing: the file needs external_id and given_name or family_name ({}); map its columns to them",
            self.found
        )))
    }
}

impl ColumnMapping {
    pub fn from_json(text: &str) -> Result<ColumnMapping> {
        let m: ColumnMapping = serde_json::from_str(text).map_err(|e| CoreError::MappingInvalid(e.to_string()))?;
        for (source, target) in &m.columns {
            if Target::parse(target).is_none() {
                return Err(CoreError::MappingInvalid(format!("column {source:?} maps to unknown column {target:?}")));
            }
        }
        for target in m.values.keys() {
            if !matches!(
                Target::parse(target),
                Some(Target::Sex | Target::Relationship | Target::BirthDateApprox | Target::Area)
            ) {
                return Err(CoreError::MappingInvalid(format!(
                    "value mappings apply to sex, relationship, birth_date_approx and area, not {target:?}"
                )));
            }
        }
        Ok(m)
    }

    pub fn resolve(&self, headers: &csv::StringRecord) -> Result<ResolvedColumns> {
        let mut targets = Vec::with_capacity(headers.len());
        let mut unmapped = Vec::new();
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for (i, h) in headers.iter().enumerate() {
            let h = if i == 0 { h.trim_start_matches('\u{feff}') } else { h };
            let target = self.columns.get(h).and_then(|t| Target::parse(t)).or_else(|| Target::parse(h));
            match target {
                Some(t) => {
                    if let Some(prev) = seen.insert(t.name(), h.to_string()) {
                        return Err(CoreError::MappingInvalid(format!(
                            "columns {prev:?} and {h:?} both map to {}",
                            t.name()
                        )));
                    }
                    targets.push(Some(t));
                }
                None => {
                    if !REJECT_COLUMNS.contains(&h) {
                        unmapped.push(h.to_string());
                    }
                    targets.push(None);
                }
            }
        }
        let mut missing = Vec::new();
        if !seen.contains_key("external_id") {
            missing.push("external_id".to_string());
        }
        if !(seen.contains_key("given_name") || seen.contains_key("family_name")) {
            missing.push("given_name".to_string());
        }
        // The columns found help a person map them; a first line that is not a row of column names
        // (any other file) is not repeated back, it may hold anything.
        let names: Vec<&str> = headers.iter().take(30).collect();
        let found = if names.len() > 1 && names.iter().all(|h| h.chars().count() <= 64) {
            format!("found: {}", names.join(", "))
        } else {
            "the first line is not a row of column names".to_string()
        };
        let date_format = match &self.date_format {
            Some(f) => Some(vec![time::format_description::parse_owned::<2>(f)
                .map_err(|e| CoreError::MappingInvalid(format!("date_format: {e}")))?]),
            None => None,
        };
        Ok(ResolvedColumns { targets, unmapped, date_format, missing, found })
    }

    pub fn map_value<'a>(&'a self, target: &str, value: &'a str) -> &'a str {
        self.values.get(target).and_then(|m| m.get(value)).map(String::as_str).unwrap_or(value)
    }
}

/// A column mapping kept in the registry under a name, so next month's file imports the same way.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SavedMapping {
    pub name: String,
    pub mapping: ColumnMapping,
}

pub fn list_saved(store: &Store, session: &Session) -> Result<Vec<SavedMapping>> {
    require(store, session, Permission::ImportRun, "import.mappings")?;
    store.read(|conn| {
        let mut stmt = conn.prepare("SELECT name, mapping FROM saved_mappings ORDER BY name")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|row| {
            let (name, json) = row?;
            Ok(SavedMapping { name, mapping: ColumnMapping::from_json(&json)? })
        })
        .collect()
    })
}

/// Saves (or replaces) a mapping; it is checked as it would be at import time, so a broken one is refused.
pub fn save(store: &Store, session: &Session, saved: &SavedMapping) -> Result<()> {
    require(store, session, Permission::ImportRun, "import.mapping_save")?;
    let name = saved.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(CoreError::InvalidInput("a mapping needs a name of 1 to 100 characters".into()));
    }
    let json = serde_json::to_string(&saved.mapping).map_err(|e| CoreError::InvalidInput(e.to_string()))?;
    ColumnMapping::from_json(&json)?;
    store.write_as(session.username(), |tx| {
        tx.conn().execute(
            "INSERT INTO saved_mappings (name, mapping) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET mapping = excluded.mapping",
            rusqlite::params![name, json],
        )?;
        tx.audit(AuditEvent::new(session, "import.mapping_save").details(serde_json::json!({ "name": name })))
    })
}

//! Reading an import's rows: each row mapped onto the import's columns and checked on its own (every
//! problem of a row named, not only the first), and rows grouped into units, one household's contiguous
//! rows or one individual, which are written whole or not at all.

use std::sync::mpsc;

use super::mapping::{ColumnMapping, ResolvedColumns, Target};
use super::rejects::{Problem, Reject};
use super::table::{SourceRow, Table};
use crate::error::Result;
use crate::registry::model::{IdDocument, ListName, RegistrantFields, RegistrantKind};
use crate::registry::privacy::DroppedFields;
use crate::registry::settings::{FieldError, Settings};

/// Longest accepted cell; longer ones reject their row.
pub const MAX_FIELD_BYTES: usize = 64 * 1024;

pub(super) struct Row {
    pub line: u64,
    pub raw: csv::StringRecord,
    pub fields: RegistrantFields,
    pub household_name: Option<String>,
    pub relationship: Option<String>,
    /// What the privacy profile did not keep of the row.
    pub dropped: DroppedFields,
}

/// A row's fields, household reference, household name, relationship, and what the privacy profile cut.
pub(super) type ParsedRow = (RegistrantFields, Option<String>, Option<String>, Option<String>, DroppedFields);

/// Rows written together or not at all.
pub(super) struct Unit {
    pub household: Option<String>,
    pub rows: Vec<Row>,
}

pub(super) struct Batch {
    pub units: Vec<Unit>,
    pub rejects: Vec<Reject>,
    pub bytes_done: u64,
    pub rows_read: u64,
}

impl Batch {
    fn new() -> Batch {
        Batch { units: Vec::new(), rejects: Vec::new(), bytes_done: 0, rows_read: 0 }
    }
}

pub(super) struct Parser<'a> {
    pub cols: ResolvedColumns,
    pub mapping: &'a ColumnMapping,
    pub settings: &'a Settings,
    pub headers: csv::StringRecord,
}

/// A cell as the spreadsheet-formula neutraliser wrote it (`'=...`) reads back as the original.
fn unneutralise(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if matches!(rest.chars().next(), Some('=' | '+' | '-' | '@')) => rest,
        _ => s,
    }
}

impl Parser<'_> {
    /// The column as the file names it, with the import column it fills: `Gender (sex)`.
    pub fn column_name(&self, target: &str) -> String {
        let idx = self.cols.targets.iter().position(|t| t.as_ref().map(|t| t.name()) == Some(target.to_string()));
        match idx.and_then(|i| self.headers.get(i)) {
            Some(h) if h != target => format!("{h} ({target})"),
            _ => target.to_string(),
        }
    }

    pub fn problems(&self, errors: Vec<FieldError>) -> Vec<Problem> {
        errors.into_iter().map(|e| Problem { column: self.column_name(&e.field), reason: e.reason }).collect()
    }

    /// The row's fields, or every reason to reject it.
    pub fn parse_row(&self, row: &SourceRow) -> std::result::Result<ParsedRow, Vec<FieldError>> {
        let rec = &row.cells;
        if rec.len() != self.cols.targets.len() {
            return Err(vec![FieldError::new(
                "(row)",
                format!("has {} cells, the header has {}", rec.len(), self.cols.targets.len()),
            )]);
        }
        let mut errors: Vec<FieldError> = row
            .cell_errors
            .iter()
            .filter_map(|(i, why)| self.cols.targets.get(*i)?.as_ref().map(|t| FieldError::new(t.name(), why.clone())))
            .collect();
        let mut f = RegistrantFields::default();
        let (mut hh_ref, mut hh_name, mut relationship) = (None, None, None);
        for (i, (cell, target)) in rec.iter().zip(&self.cols.targets).enumerate() {
            let Some(target) = target else { continue };
            if row.cell_errors.iter().any(|(at, _)| *at == i) {
                continue;
            }
            if cell.len() > MAX_FIELD_BYTES {
                errors.push(FieldError::new(target.name(), format!("longer than {MAX_FIELD_BYTES} bytes")));
                continue;
            }
            let cell = unneutralise(cell.trim());
            if cell.is_empty() {
                continue;
            }
            let name = target.name();
            let value = self.mapping.map_value(&name, cell).to_string();
            match target {
                Target::ExternalId => f.external_id = Some(value),
                Target::GivenName => f.given_name = Some(value),
                Target::FamilyName => f.family_name = Some(value),
                Target::Sex => f.sex = Some(value),
                Target::BirthDate => match &self.cols.date_format {
                    Some(fmt) => match time::Date::parse(&value, &fmt[0]) {
                        Ok(d) => f.birth_date = Some(d.to_string()),
                        Err(_) => errors.push(FieldError::new(name, "not a date in the mapping's date format")),
                    },
                    None => f.birth_date = Some(value),
                },
                Target::BirthDateApprox => match value.to_ascii_lowercase().as_str() {
                    "true" | "yes" | "1" => f.birth_date_approx = true,
                    "false" | "no" | "0" => f.birth_date_approx = false,
                    _ => errors.push(FieldError::new(name, "not true or false")),
                },
                Target::Phone => f.phone = Some(value),
                Target::FinancialAddress => f.financial_address = Some(value),
                Target::Area => f.area = Some(value),
                Target::Tags => f.tags = value.split(';').map(str::to_string).collect(),
                Target::HouseholdRef => hh_ref = Some(value),
                Target::HouseholdName => hh_name = Some(value),
                Target::Relationship => relationship = Some(value.to_lowercase()),
                Target::Id(t) => f.ids.push(IdDocument { id_type: t.clone(), value, expiry: None }),
                Target::Custom(c) => {
                    f.custom.insert(c.clone(), serde_json::Value::String(value));
                }
            }
        }
        if f.external_id.is_none() {
            errors.push(FieldError::new("external_id", "is required"));
        }
        let dropped = match self.settings.validate_all(RegistrantKind::Individual, &mut f) {
            Ok(dropped) => dropped,
            Err(field_errors) => {
                errors.extend(field_errors);
                DroppedFields::default()
            }
        };
        if !self.settings.privacy().profile().names {
            // A household's name is most often its head's family name.
            hh_name = None;
        }
        if let Some(r) = &relationship {
            if let Err(e) = self.settings.check_code(ListName::MembershipKind, "relationship", r) {
                errors.push(e);
            }
        }
        if hh_ref.is_some() && relationship.is_none() {
            errors.push(FieldError::new("relationship", "is required for a member of a household"));
        }
        if let Some(h) = &hh_ref {
            if h.chars().count() > 200 || crate::registry::settings::looks_like_formula(h) {
                errors.push(FieldError::new("household_ref", "not a valid household reference"));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok((f, hh_ref, hh_name, relationship, dropped))
    }

    /// The household a row names, read even from a row that is rejected: it still belongs to it.
    fn household_of(&self, row: &SourceRow) -> Option<String> {
        self.cols
            .targets
            .iter()
            .position(|t| t == &Some(Target::HouseholdRef))
            .and_then(|i| row.cells.get(i))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }

    /// Reads the whole table, sending batches of units; stops early when the writer hangs up.
    pub fn run(&self, table: &mut Table, batch_rows: usize, tx: mpsc::SyncSender<Result<Batch>>) {
        let mut batch = Batch::new();
        let mut batch_len = 0usize;
        let mut current: Option<Unit> = None;
        let mut current_rejects: Vec<Reject> = Vec::new();
        let mut row = SourceRow::default();
        // Rows of a unit whose other row failed are rejected too: a household is never half-imported.
        let close_unit = |unit: Unit, unit_rejects: &mut Vec<Reject>, batch: &mut Batch| {
            let Some(first) = unit_rejects.first() else {
                batch.units.push(unit);
                return;
            };
            batch.rejects.extend(reject_with_household(&unit.rows, first.line, &first.problems[0]));
            batch.rejects.append(unit_rejects);
        };
        loop {
            let more = match table.next_row(&mut row) {
                Ok(m) => m,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            if !more {
                if let Some(u) = current.take() {
                    close_unit(u, &mut current_rejects, &mut batch);
                }
                batch.bytes_done = u64::MAX;
                let _ = tx.send(Ok(batch));
                return;
            }
            let line = row.line;
            batch.rows_read += 1;
            batch_len += 1;
            let parsed = self.parse_row(&row);
            let hh = match &parsed {
                Ok((_, h, _, _, _)) => h.clone(),
                Err(_) => self.household_of(&row),
            };
            let same_unit = hh.is_some() && current.as_ref().map(|u| u.household == hh).unwrap_or(false);
            if !same_unit {
                if let Some(u) = current.take() {
                    close_unit(u, &mut current_rejects, &mut batch);
                }
                if batch_len >= batch_rows {
                    batch.bytes_done = row.bytes_done;
                    let full = std::mem::replace(&mut batch, Batch::new());
                    batch_len = 1;
                    if tx.send(Ok(full)).is_err() {
                        return;
                    }
                }
                current = Some(Unit { household: hh, rows: Vec::new() });
            }
            let unit = current.as_mut().expect("unit opened above");
            match parsed {
                Ok((fields, _, household_name, relationship, dropped)) => {
                    if relationship.as_deref() == Some("head")
                        && unit.rows.iter().any(|r| r.relationship.as_deref() == Some("head"))
                    {
                        current_rejects.push(Reject::new(
                            line,
                            row.cells.clone(),
                            self.column_name("relationship"),
                            "a second head for the same household",
                        ));
                    } else {
                        unit.rows.push(Row {
                            line,
                            raw: row.cells.clone(),
                            fields,
                            household_name,
                            relationship,
                            dropped,
                        });
                    }
                }
                Err(errors) => {
                    current_rejects.push(Reject { line, raw: row.cells.clone(), problems: self.problems(errors) })
                }
            }
        }
    }
}

/// Rejects the rows of a household because another of its rows (at `line`) failed: a household is never
/// half-imported, and each row says which line to fix.
pub(super) fn reject_with_household<'a>(
    rows: impl IntoIterator<Item = &'a Row>,
    line: u64,
    problem: &Problem,
) -> Vec<Reject> {
    let why = format!("household rejected with line {line} ({}: {})", problem.column, problem.reason);
    rows.into_iter().map(|row| Reject::new(row.line, row.raw.clone(), "household_ref", why.clone())).collect()
}

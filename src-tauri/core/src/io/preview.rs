//! The import wizard's look at a file before anything is written: its first rows with the verdict the
//! import would give each (every reason, not only the first), which required columns are still missing,
//! and guesses for the rest: the import column each header means, the code each value means, the date
//! format. Any file that can be read gets here, whatever its headers.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::guess;
use super::import::open_table;
use super::mapping::{ColumnMapping, Target};
use super::rows::Parser;
use super::table::{SourceRow, TableInfo};
use crate::auth::{require, Permission, Session};
use crate::error::{CoreError, Result};
use crate::registry::model::ListName;
use crate::store::Store;

/// Most rows a preview shows.
pub const MAX_PREVIEW_ROWS: usize = 1_000;
/// Rows read for the values of coded columns and the date format, the shown ones included.
const SAMPLE_ROWS: usize = 2_000;
/// Distinct values listed per coded column.
const MAX_VALUES: usize = 50;
/// Longest value listed; longer ones are not codes of anything.
const MAX_VALUE_CHARS: usize = 100;

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct PreviewOptions {
    pub mapping: Option<ColumnMapping>,
    /// As in the import's options.
    pub sheet: Option<String>,
    /// Rows to show; 20 when absent, at most 1,000.
    pub rows: Option<u32>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PreviewRow {
    /// The row's line (in a workbook, its row number).
    pub line: u64,
    pub cells: Vec<String>,
    /// Every reason the import would reject this row; empty when it would not.
    pub errors: Vec<PreviewError>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PreviewError {
    pub column: String,
    pub reason: String,
}

/// A value seen in a coded column that is not one of its codes.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SeenValue {
    pub value: String,
    /// Rows of the sample that hold it.
    pub rows: u32,
    /// The code the mapping turns it into, if it does.
    pub mapped: Option<String>,
    /// The code it most likely means.
    pub suggested: Option<String>,
}

/// The values of a coded import column (sex, relationship, birth_date_approx) that need matching.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ColumnValues {
    pub column: String,
    pub codes: Vec<String>,
    pub values: Vec<SeenValue>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ImportPreview {
    /// What the file is, and its other sheets.
    pub source: TableInfo,
    pub headers: Vec<String>,
    /// Per header, the import column it fills under the mapping, if any.
    pub targets: Vec<Option<String>>,
    pub unmapped: Vec<String>,
    /// Import columns every import needs that no header fills yet (`external_id`, `given_name`).
    pub missing: Vec<String>,
    /// For headers the mapping leaves unmapped: the import column each most likely means.
    pub suggested_columns: BTreeMap<String, String>,
    /// When the mapping has no date format and the birth dates are not `YYYY-MM-DD`: the format they are in.
    pub suggested_date_format: Option<String>,
    /// Values of coded columns (under the mapping and the suggested columns) that are not codes.
    pub values: Vec<ColumnValues>,
    pub rows: Vec<PreviewRow>,
    pub file_bytes: u64,
}

/// The registry's lists as the guesses need them.
struct Lists {
    /// (list, code, label) of every active item.
    items: Vec<(String, String, String)>,
    custom_fields: Vec<(String, String)>,
}

impl Lists {
    fn read(conn: &Connection) -> Result<Lists> {
        let mut stmt = conn.prepare("SELECT list, code, label FROM list_items WHERE active = 1 ORDER BY list, code")?;
        let items = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<Vec<(String, String, String)>>>()?;
        let custom_fields =
            crate::registry::settings::read_custom_fields(conn)?.into_iter().map(|f| (f.name, f.label)).collect();
        Ok(Lists { items, custom_fields })
    }

    fn pairs(&self, list: ListName) -> Vec<(String, String)> {
        self.items
            .iter()
            .filter(|(l, _, _)| l == list.as_str())
            .map(|(_, c, label)| (c.clone(), label.clone()))
            .collect()
    }

    /// The codes a coded import column takes.
    fn codes(&self, column: &str) -> Vec<String> {
        match column {
            "sex" => self.pairs(ListName::Sex).into_iter().map(|(c, _)| c).collect(),
            "relationship" => self.pairs(ListName::MembershipKind).into_iter().map(|(c, _)| c).collect(),
            _ => vec!["true".into(), "false".into()],
        }
    }
}

const CODED_COLUMNS: [&str; 3] = ["sex", "relationship", "birth_date_approx"];

/// The file's first rows, each with the verdict the import would give it on its own (checks that need the
/// whole household or the database, such as a repeated external id, happen during the import).
pub fn preview_file(store: &Store, session: &Session, path: &Path, options: &PreviewOptions) -> Result<ImportPreview> {
    require(store, session, Permission::ImportRun, "import.preview")?;
    let file_bytes =
        std::fs::metadata(path).map_err(|e| CoreError::io(format!("opening {}", path.display()), e))?.len();
    let default_mapping = ColumnMapping::default();
    let mapping = options.mapping.as_ref().unwrap_or(&default_mapping);
    let (mut table, cols) = open_table(path, options.sheet.as_deref(), mapping)?;
    let headers: Vec<String> = table.headers.iter().map(str::to_string).collect();
    let targets: Vec<Option<String>> = cols.targets.iter().map(|t| t.as_ref().map(Target::name)).collect();
    let (unmapped, missing) = (cols.unmapped.clone(), cols.missing.clone());
    let (settings, lists) = store.read(|c| Ok((crate::registry::settings::load(c)?, Lists::read(c)?)))?;
    let suggested_columns =
        guess::columns(&headers, &mapping.columns, &lists.pairs(ListName::IdType), &lists.custom_fields);
    // What each header holds under the mapping and the guesses, for the values and the date format.
    let effective: Vec<Option<String>> =
        headers.iter().zip(&targets).map(|(h, t)| t.clone().or_else(|| suggested_columns.get(h).cloned())).collect();
    let parser = Parser { cols, mapping, settings: &settings, headers: table.headers.clone() };
    let shown = (options.rows.unwrap_or(20) as usize).min(MAX_PREVIEW_ROWS);
    let mut rows = Vec::new();
    let mut sample = Sample::default();
    let mut row = SourceRow::default();
    for _ in 0..shown.max(SAMPLE_ROWS) {
        if !table.next_row(&mut row)? {
            break;
        }
        sample.add(&row, &effective);
        if rows.len() < shown {
            let errors = match parser.parse_row(&row) {
                Ok(_) => Vec::new(),
                Err(errors) => parser
                    .problems(errors)
                    .into_iter()
                    .map(|p| PreviewError { column: p.column, reason: p.reason })
                    .collect(),
            };
            rows.push(PreviewRow { line: row.line, cells: row.cells.iter().map(str::to_string).collect(), errors });
        }
    }
    let suggested_date_format = match mapping.date_format {
        Some(_) => None,
        None => guess::date_format(sample.birth_dates.iter().map(String::as_str)),
    };
    let values =
        CODED_COLUMNS.iter().filter_map(|column| sample.values_of(column, mapping, &lists.codes(column))).collect();
    Ok(ImportPreview {
        source: table.info.clone(),
        headers,
        targets,
        unmapped,
        missing,
        suggested_columns,
        suggested_date_format,
        values,
        rows,
        file_bytes,
    })
}

/// Whether the import takes `value` as it is (codes are matched without regard to case).
fn is_code(column: &str, value: &str, codes: &[String]) -> bool {
    codes.iter().any(|c| c.eq_ignore_ascii_case(value))
        || (column == "birth_date_approx" && ["yes", "no", "1", "0"].iter().any(|w| w.eq_ignore_ascii_case(value)))
}

/// Values of the coded columns and birth dates, from the first rows.
#[derive(Default)]
struct Sample {
    /// Per coded column, each distinct value (first seen first) and its rows.
    coded: BTreeMap<String, Vec<(String, u32)>>,
    birth_dates: Vec<String>,
}

impl Sample {
    fn add(&mut self, row: &SourceRow, effective: &[Option<String>]) {
        for (cell, target) in row.cells.iter().zip(effective) {
            let (Some(target), value) = (target, cell.trim()) else { continue };
            if value.is_empty() || value.chars().count() > MAX_VALUE_CHARS {
                continue;
            }
            if target == "birth_date" {
                self.birth_dates.push(value.to_string());
            } else if CODED_COLUMNS.contains(&target.as_str()) {
                let seen = self.coded.entry(target.clone()).or_default();
                if let Some((_, n)) = seen.iter_mut().find(|(v, _)| v == value) {
                    *n += 1;
                } else if seen.len() < MAX_VALUES {
                    seen.push((value.to_string(), 1));
                }
            }
        }
    }

    fn values_of(&self, column: &str, mapping: &ColumnMapping, codes: &[String]) -> Option<ColumnValues> {
        let values: Vec<SeenValue> = self
            .coded
            .get(column)?
            .iter()
            .filter(|(value, _)| !is_code(column, value, codes))
            .map(|(value, rows)| SeenValue {
                value: value.clone(),
                rows: *rows,
                mapped: mapping.values.get(column).and_then(|m| m.get(value)).cloned(),
                suggested: guess::value(column, value, codes),
            })
            .collect();
        (!values.is_empty()).then(|| ColumnValues { column: column.to_string(), codes: codes.to_vec(), values })
    }
}

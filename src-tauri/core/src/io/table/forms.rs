//! Which sheet is read, and a form's repeat group read as people. KoboToolbox's workbook puts a repeat
//! group (a household's members) on a sheet of its own whose rows name their submission's row by
//! `_parent_index` (the submission's `_index`); ODK Central's zip puts it in a CSV file of its own whose
//! rows name theirs by `PARENT_KEY` (the submission's `KEY`). A member's row is read with its submission's
//! columns and two more: `household_key`, the submission (Kobo's `_uuid`, ODK's `KEY`: both stay the same
//! from one export to the next), and `member_key`, the member (ODK's `KEY`; for Kobo, the household key and
//! the member's place in it). The forms' own bookkeeping columns are left out.

use std::collections::HashMap;

use super::cells::RowCells;
use super::{RowSender, SourceKind, SourceRow, TableInfo};
use crate::error::{CoreError, Result};

pub(crate) struct SheetRow {
    pub line: u64,
    pub cells: RowCells,
    /// How far through the sheet the row is, out of `total` (rows or bytes, as the sheet knows it).
    pub done: u64,
    pub total: u64,
}

pub(crate) trait Sheets {
    fn names(&self) -> Vec<String>;
    /// Calls `each` with every row of `sheet` in order, until it answers false.
    fn rows(&mut self, sheet: &str, each: &mut dyn FnMut(SheetRow) -> Result<bool>) -> Result<()>;
}

/// The added columns of a member's row.
pub const HOUSEHOLD_KEY: &str = "household_key";
pub const MEMBER_KEY: &str = "member_key";

/// How one form server marks a repeat group's rows.
struct Dialect {
    /// The column of a repeat row that names its submission's row.
    parent_ref: &'static str,
    /// The column of a submission that `parent_ref` names.
    own_key: &'static str,
    /// The submission's column that stays the same across exports, first found.
    household_id: &'static [&'static str],
    /// The repeat row's own stable key, where the server gives one.
    member_id: Option<&'static str>,
    bookkeeping: fn(&str) -> bool,
}

const KOBO: Dialect = Dialect {
    parent_ref: "_parent_index",
    own_key: "_index",
    household_id: &["_uuid", "_index"],
    member_id: None,
    bookkeeping: |name| name.starts_with('_'),
};

const ODK_BOOKKEEPING: [&str; 15] = [
    "KEY",
    "PARENT_KEY",
    "SubmissionDate",
    "meta-instanceID",
    "meta-instanceName",
    "SubmitterID",
    "SubmitterName",
    "AttachmentsPresent",
    "AttachmentsExpected",
    "Status",
    "ReviewState",
    "DeviceID",
    "Edits",
    "FormVersion",
    "instanceID",
];

const ODK: Dialect = Dialect {
    parent_ref: "PARENT_KEY",
    own_key: "KEY",
    household_id: &["KEY"],
    member_id: Some("KEY"),
    bookkeeping: |name| ODK_BOOKKEEPING.contains(&name),
};

fn dialect(header: &[String]) -> Option<&'static Dialect> {
    [&KOBO, &ODK].into_iter().find(|d| header.iter().any(|h| h == d.parent_ref))
}

/// A sheet's header (its first row that is not blank), the header's line, and the first row after it.
struct Head {
    names: Vec<String>,
    line: u64,
    first_row: Option<Vec<String>>,
}

fn head(sheets: &mut dyn Sheets, sheet: &str) -> Result<Head> {
    let mut names: Option<(Vec<String>, u64)> = None;
    let mut first_row = None;
    sheets.rows(sheet, &mut |row| {
        if row.cells.is_blank() {
            return Ok(true);
        }
        if names.is_none() {
            names = Some((row.cells.into_names(), row.line));
            return Ok(true);
        }
        first_row = Some(row.cells.into_names());
        Ok(false)
    })?;
    let (names, line) = names.ok_or_else(|| CoreError::ImportFileInvalid(format!("the sheet {sheet:?} is empty")))?;
    Ok(Head { names, line, first_row })
}

fn column(header: &[String], name: &str) -> Option<usize> {
    header.iter().position(|h| h == name)
}

/// Reads the chosen sheet (or the default one) through `out`.
pub(crate) fn read(sheets: &mut dyn Sheets, kind: SourceKind, sheet: Option<&str>, out: &mut RowSender) -> Result<()> {
    let names = sheets.names();
    let chosen = match sheet {
        Some(s) if names.iter().any(|n| n == s) => Chosen::Named(s.to_string()),
        Some(s) => {
            return Err(CoreError::InvalidInput(format!("the file has no sheet {s:?}; it has: {}", names.join(", "))))
        }
        None => default_sheet(sheets, &names)?,
    };
    // The default was chosen by its header: read again only a sheet that was named.
    let (chosen, head) = match chosen {
        Chosen::Named(name) => {
            let head = head(sheets, &name)?;
            (name, head)
        }
        Chosen::Default(name, head) => (name, head),
    };
    let mut info = TableInfo { kind, sheets: names.clone(), sheet: Some(chosen.clone()), joined_with: None };
    match dialect(&head.names) {
        None => {
            let width = head.names.len();
            if !out.open(info, head.names) {
                return Ok(());
            }
            let bytes_total = out.bytes_total;
            sheets.rows(&chosen, &mut |row| {
                if row.line <= head.line || row.cells.is_blank() {
                    return Ok(true);
                }
                let bytes_done = bytes_total * row.done / row.total.max(1);
                Ok(out.row(row.cells.finish(row.line, width, bytes_done)))
            })
        }
        Some(d) => {
            let parent = parent_sheet(d, &names, &chosen, &head)?;
            info.joined_with = Some(parent.clone());
            let submissions = Submissions::read(sheets, d, &parent, &head.names)?;
            join(sheets, d, &chosen, &head, &submissions, info, out)
        }
    }
}

/// The sheet to read: the one named, or the default with the header it was chosen by.
enum Chosen {
    Named(String),
    Default(String, Head),
}

/// A form's repeat group when there is one (its rows are people), otherwise the first sheet.
fn default_sheet(sheets: &mut dyn Sheets, names: &[String]) -> Result<Chosen> {
    let first = names.first().ok_or_else(|| CoreError::ImportFileInvalid("the file has no sheets".into()))?;
    let mut first_head = None;
    for name in names {
        match head(sheets, name) {
            Ok(h) if dialect(&h.names).is_some() => return Ok(Chosen::Default(name.clone(), h)),
            read if first_head.is_none() => first_head = Some(read),
            _ => {}
        }
    }
    let head = first_head.expect("the first sheet's header was read")?;
    Ok(Chosen::Default(first.clone(), head))
}

/// Kobo names the submissions' sheet in each repeat row (`_parent_table_name`); ODK's repeat file is named
/// after its form's (`Form-members.csv` beside `Form.csv`). The first sheet otherwise.
fn parent_sheet(d: &Dialect, names: &[String], chosen: &str, head: &Head) -> Result<String> {
    let named = if d.parent_ref == KOBO.parent_ref {
        column(&head.names, "_parent_table_name").and_then(|i| head.first_row.as_ref().and_then(|r| r.get(i)).cloned())
    } else {
        chosen.strip_suffix(".csv").and_then(|stem| stem.rsplit_once('-')).map(|(form, _)| format!("{form}.csv"))
    };
    named
        .filter(|n| n != chosen && names.contains(n))
        .or_else(|| names.first().filter(|n| *n != chosen).cloned())
        .ok_or_else(|| {
            CoreError::ImportFileInvalid(format!(
                "{chosen:?} is a repeat group, but the file has no sheet of submissions"
            ))
        })
}

/// The submissions a repeat group's rows are joined to, by the key its rows name them with.
struct Submissions {
    names: Vec<String>,
    by_key: HashMap<String, Submission>,
    sheet: String,
}

struct Submission {
    household_id: String,
    /// The kept columns' cells.
    cells: Vec<String>,
    /// Cells that held a spreadsheet error, by their place among the kept columns.
    errors: Vec<(usize, String)>,
}

impl Submissions {
    fn read(sheets: &mut dyn Sheets, d: &Dialect, sheet: &str, member_names: &[String]) -> Result<Submissions> {
        let head = head(sheets, sheet)?;
        let missing = || {
            CoreError::ImportFileInvalid(format!(
                "the sheet {sheet:?} has no {} column to join its repeat group on",
                d.own_key
            ))
        };
        let key = column(&head.names, d.own_key).ok_or_else(missing)?;
        let id = d.household_id.iter().find_map(|c| column(&head.names, c)).ok_or_else(missing)?;
        let kept: Vec<usize> = (0..head.names.len())
            .filter(|&i| !(d.bookkeeping)(&head.names[i]) && !member_names.contains(&head.names[i]))
            .collect();
        let mut by_key = HashMap::new();
        sheets.rows(sheet, &mut |row| {
            if row.line <= head.line || row.cells.is_blank() {
                return Ok(true);
            }
            let row = row.cells.finish(row.line, 0, 0);
            let cell = |i: usize| row.cells.get(i).unwrap_or("").to_string();
            let errors = row
                .cell_errors
                .iter()
                .filter_map(|(c, why)| kept.iter().position(|k| k == c).map(|at| (at, why.clone())))
                .collect();
            let submission =
                Submission { household_id: cell(id), cells: kept.iter().map(|&i| cell(i)).collect(), errors };
            by_key.insert(cell(key), submission);
            Ok(true)
        })?;
        let names = kept.iter().map(|&i| head.names[i].clone()).collect();
        Ok(Submissions { names, by_key, sheet: sheet.to_string() })
    }
}

fn join(
    sheets: &mut dyn Sheets,
    d: &Dialect,
    chosen: &str,
    head: &Head,
    submissions: &Submissions,
    info: TableInfo,
    out: &mut RowSender,
) -> Result<()> {
    let parent_ref = column(&head.names, d.parent_ref).expect("the dialect was chosen by this column");
    let member_id = d.member_id.and_then(|c| column(&head.names, c));
    let kept: Vec<usize> = (0..head.names.len()).filter(|&i| !(d.bookkeeping)(&head.names[i])).collect();
    let mut names = vec![HOUSEHOLD_KEY.to_string(), MEMBER_KEY.to_string()];
    names.extend(kept.iter().map(|&i| head.names[i].clone()));
    names.extend(submissions.names.iter().cloned());
    let width = names.len();
    if !out.open(info, names) {
        return Ok(());
    }
    let bytes_total = out.bytes_total;
    let mut members_seen: HashMap<String, u64> = HashMap::new();
    sheets.rows(chosen, &mut |row| {
        if row.line <= head.line || row.cells.is_blank() {
            return Ok(true);
        }
        let bytes_done = bytes_total * row.done / row.total.max(1);
        let member = row.cells.finish(row.line, 0, bytes_done);
        let cell = |i: usize| member.cells.get(i).unwrap_or("").to_string();
        let mut cells: Vec<String> = Vec::with_capacity(width);
        let mut cell_errors: Vec<(usize, String)> = member
            .cell_errors
            .iter()
            .filter_map(|(c, why)| kept.iter().position(|k| k == c).map(|at| (at + 2, why.clone())))
            .collect();
        let parent_key = cell(parent_ref);
        match submissions.by_key.get(&parent_key) {
            Some(submission) => {
                let household = &submission.household_id;
                let place = members_seen.entry(household.clone()).or_default();
                *place += 1;
                cells.push(household.clone());
                cells.push(member_id.map(cell).unwrap_or_else(|| format!("{household}/{place}")));
                cells.extend(kept.iter().map(|&i| cell(i)));
                let offset = cells.len();
                cells.extend(submission.cells.iter().cloned());
                cell_errors.extend(submission.errors.iter().map(|(at, why)| (offset + at, why.clone())));
            }
            None => {
                cells.push(String::new());
                cells.push(member_id.map(cell).unwrap_or_default());
                cells.extend(kept.iter().map(|&i| cell(i)));
                cells.resize(width, String::new());
                let why = format!("no submission in {:?} has the {} {parent_key:?}", submissions.sheet, d.own_key);
                cell_errors.push((0, why));
            }
        }
        Ok(out.row(SourceRow { line: row.line, cells: csv::StringRecord::from(cells), cell_errors, bytes_done }))
    })
}

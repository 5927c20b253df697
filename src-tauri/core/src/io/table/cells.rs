//! A spreadsheet's cell as the text the same data holds in a CSV file: a date cell (a serial number
//! shown as a date) as `YYYY-MM-DD`, a whole number without `.0`, a formula as the value it last showed.

use calamine::DataType;

use super::{SourceRow, MAX_COLUMNS};
use crate::error::{CoreError, Result};

/// The cell's text, or the spreadsheet error it holds (`#DIV/0!`, `#N/A`).
pub(crate) fn cell_text<D: DataType>(cell: &D) -> std::result::Result<String, String> {
    if let Some(error) = cell.get_error() {
        return Err(error.to_string());
    }
    if let Some(s) = cell.get_string() {
        return Ok(s.to_string());
    }
    if let Some(i) = cell.get_int() {
        return Ok(i.to_string());
    }
    if let Some(f) = cell.get_float() {
        return Ok(number_text(f));
    }
    if let Some(b) = cell.get_bool() {
        return Ok(if b { "true" } else { "false" }.to_string());
    }
    if let Some(dt) = cell.get_datetime() {
        if dt.is_duration() {
            return Ok(number_text(dt.as_f64()));
        }
        let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
        return Ok(if (h, mi, s, ms) == (0, 0, 0, 0) {
            format!("{y:04}-{mo:02}-{d:02}")
        } else {
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")
        });
    }
    if let Some(iso) = cell.get_datetime_iso() {
        // OpenDocument writes a date cell as `2019-03-07`, or with a midnight time.
        return Ok(iso.strip_suffix("T00:00:00").unwrap_or(iso).to_string());
    }
    if let Some(iso) = cell.get_duration_iso() {
        return Ok(iso.to_string());
    }
    Ok(String::new())
}

/// A whole number as digits (a phone or an ID typed into a number cell), anything else as the shortest
/// text that reads back as the same number.
fn number_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

/// Gathers one spreadsheet row's cells, which arrive by column.
#[derive(Default)]
pub(crate) struct RowCells {
    cells: Vec<String>,
    errors: Vec<(usize, String)>,
}

impl RowCells {
    pub(crate) fn put<D: DataType>(&mut self, column: usize, cell: &D) -> Result<()> {
        if cell.is_empty() {
            return Ok(());
        }
        if column >= MAX_COLUMNS {
            return Err(CoreError::ImportFileInvalid(format!("the sheet has values beyond column {MAX_COLUMNS}")));
        }
        if self.cells.len() <= column {
            self.cells.resize(column + 1, String::new());
        }
        match cell_text(cell) {
            Ok(text) => self.cells[column] = text,
            Err(error) => {
                self.cells[column] = error.clone();
                self.errors.push((column, format!("the cell holds the spreadsheet error {error}")));
            }
        }
        Ok(())
    }

    /// A row of a CSV file in a zip.
    pub(crate) fn from_texts(texts: impl Iterator<Item = String>) -> RowCells {
        RowCells { cells: texts.collect(), errors: Vec::new() }
    }

    pub(crate) fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }

    /// The row, `width` cells wide unless it holds values beyond that (which its check then refuses).
    pub(crate) fn finish(mut self, line: u64, width: usize, bytes_done: u64) -> SourceRow {
        let used = self.cells.iter().rposition(|c| !c.is_empty()).map(|i| i + 1).unwrap_or(0);
        self.cells.truncate(used);
        if self.cells.len() < width {
            self.cells.resize(width, String::new());
        }
        SourceRow { line, cells: csv::StringRecord::from(self.cells), cell_errors: self.errors, bytes_done }
    }

    /// The header's names, without empty columns after the last name.
    pub(crate) fn into_names(self) -> Vec<String> {
        let mut cells = self.cells;
        let used = cells.iter().rposition(|c| !c.trim().is_empty()).map(|i| i + 1).unwrap_or(0);
        cells.truncate(used);
        cells
    }
}

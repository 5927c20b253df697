//! Files that are zips: an .xlsx or .ods workbook, or ODK Central's export (one CSV per form and per
//! repeat group). What a zip holds is decided from its entries, and every entry's unpacked size is checked
//! before anything is unpacked.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::cells::RowCells;
use super::forms::{SheetRow, Sheets};
use super::{MAX_COLUMNS, MAX_UNPACKED_BYTES};
use crate::error::{CoreError, Result};

pub(crate) enum Packed {
    Xlsx,
    Ods,
    /// The CSV files in the zip, in the zip's order.
    CsvFiles(Vec<String>),
}

fn unreadable(e: impl std::fmt::Display) -> CoreError {
    CoreError::ImportFileInvalid(format!("the file could not be unpacked: {e}"))
}

fn open_zip(path: &Path) -> Result<zip::ZipArchive<BufReader<File>>> {
    let file = File::open(path).map_err(|e| CoreError::io(format!("opening {}", path.display()), e))?;
    zip::ZipArchive::new(BufReader::new(file)).map_err(unreadable)
}

impl Packed {
    pub(crate) fn inspect(path: &Path) -> Result<Packed> {
        let mut zip = open_zip(path)?;
        let mut names = Vec::new();
        for i in 0..zip.len() {
            let entry = zip.by_index_raw(i).map_err(unreadable)?;
            if entry.size() > MAX_UNPACKED_BYTES {
                return Err(CoreError::ImportFileInvalid(format!(
                    "a part of the file unpacks to more than {} GB",
                    MAX_UNPACKED_BYTES >> 30
                )));
            }
            names.push(entry.name().map_err(unreadable)?.into_owned());
        }
        if names.iter().any(|n| n == "xl/workbook.xml") {
            return Ok(Packed::Xlsx);
        }
        if names.iter().any(|n| n == "content.xml") && names.iter().any(|n| n == "mimetype") {
            return Ok(Packed::Ods);
        }
        let csv: Vec<String> = names.into_iter().filter(|n| n.to_ascii_lowercase().ends_with(".csv")).collect();
        if csv.is_empty() {
            return Err(CoreError::ImportFileInvalid(
                "the zip holds no CSV file, and is not an .xlsx or .ods workbook".into(),
            ));
        }
        Ok(Packed::CsvFiles(csv))
    }
}

/// The CSV files of a zip, read as sheets.
pub(crate) struct ZippedCsvs {
    zip: zip::ZipArchive<BufReader<File>>,
    names: Vec<String>,
}

impl ZippedCsvs {
    pub(crate) fn open(path: &Path, names: Vec<String>) -> Result<ZippedCsvs> {
        Ok(ZippedCsvs { zip: open_zip(path)?, names })
    }
}

impl Sheets for ZippedCsvs {
    fn names(&self) -> Vec<String> {
        self.names.clone()
    }

    fn rows(&mut self, sheet: &str, each: &mut dyn FnMut(SheetRow) -> Result<bool>) -> Result<()> {
        let entry = self.zip.by_name(sheet).map_err(unreadable)?;
        let total = entry.size().max(1);
        // The declared size was checked; the reader stops there even if the entry lies about it.
        let mut reader =
            csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(entry.take(MAX_UNPACKED_BYTES));
        let mut record = csv::StringRecord::new();
        loop {
            let more =
                reader.read_record(&mut record).map_err(|e| CoreError::ImportFileInvalid(format!("{sheet}: {e}")))?;
            if !more {
                return Ok(());
            }
            if record.len() > MAX_COLUMNS {
                return Err(CoreError::ImportFileInvalid(format!("{sheet} has more than {MAX_COLUMNS} columns")));
            }
            let position = record.position();
            let line = position.map(|p| p.line()).unwrap_or(0);
            let done = position.map(|p| p.byte()).unwrap_or(0);
            let cells = RowCells::from_texts(record.iter().map(|c| c.trim_start_matches('\u{feff}').to_string()));
            if !each(SheetRow { line, cells, done, total })? {
                return Ok(());
            }
        }
    }
}

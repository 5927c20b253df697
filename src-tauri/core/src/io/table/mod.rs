//! What an import reads: the rows of a CSV file, of one sheet of a workbook (.xlsx, .ods), or of one file
//! of ODK Central's export (a zip of CSV files, one per repeat group). A repeat group's rows (a form's
//! household members) are read joined to their submission's columns, so each member is one row. Every
//! kind is a header and rows of text cells; the import and its preview read them all the same way.

mod cells;
mod forms;
mod workbook;
mod zipped;

use std::collections::VecDeque;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::mpsc;

use serde::Serialize;
use ts_rs::TS;

use crate::error::{CoreError, Result};

/// Most columns a sheet's header may have.
pub const MAX_COLUMNS: usize = 1_000;
/// Largest workbook or zip read; a bigger export is read as CSV, which streams from the disk.
pub const MAX_PACKED_BYTES: u64 = 200 * 1024 * 1024;
/// Most bytes one part of a workbook or zip may unpack to: a small file that unpacks to gigabytes is refused.
pub const MAX_UNPACKED_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// Rows sent from the reading thread at a time.
const CHUNK_ROWS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Csv,
    /// An .xlsx or .ods workbook (KoboToolbox exports one).
    Workbook,
    /// ODK Central's export: a zip of CSV files.
    OdkZip,
}

/// What was read, and what else the file holds.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TableInfo {
    pub kind: SourceKind,
    /// The workbook's sheets or the zip's CSV files, in order; empty for a CSV file.
    pub sheets: Vec<String>,
    /// The sheet (or file in the zip) read.
    pub sheet: Option<String>,
    /// When the sheet is a form's repeat group: the sheet of submissions its rows were joined with.
    pub joined_with: Option<String>,
}

/// One row: its line (the spreadsheet's row number, or the CSV line), its cells, and cells that held a
/// spreadsheet error (`#DIV/0!`) or could not be read, by column.
#[derive(Debug, Clone, Default)]
pub struct SourceRow {
    pub line: u64,
    pub cells: csv::StringRecord,
    pub cell_errors: Vec<(usize, String)>,
    /// How far through the file this row is, in bytes (estimated for workbooks).
    pub bytes_done: u64,
}

enum Message {
    Opened { info: TableInfo, headers: Vec<String> },
    Rows(Vec<SourceRow>),
    Failed(CoreError),
}

enum Rows {
    Csv(Box<csv::Reader<File>>),
    /// Rows read on their own thread (workbooks and zips cannot be read in pieces from the outside).
    Streamed {
        receiver: mpsc::Receiver<Message>,
        pending: VecDeque<SourceRow>,
    },
}

/// An open source of rows.
pub struct Table {
    pub headers: csv::StringRecord,
    pub info: TableInfo,
    pub bytes_total: u64,
    rows: Rows,
}

/// Sends rows to the reader in chunks; says when the reader stopped listening.
pub(crate) struct RowSender {
    sender: mpsc::SyncSender<Message>,
    chunk: Vec<SourceRow>,
    pub(crate) bytes_total: u64,
}

impl RowSender {
    /// Sends the header once the reading thread knows it; false when nobody listens.
    pub(crate) fn open(&self, info: TableInfo, headers: Vec<String>) -> bool {
        self.sender.send(Message::Opened { info, headers }).is_ok()
    }

    /// False when nobody reads any more: the reading stops.
    pub(crate) fn row(&mut self, row: SourceRow) -> bool {
        self.chunk.push(row);
        if self.chunk.len() >= CHUNK_ROWS {
            return self.flush();
        }
        true
    }

    fn flush(&mut self) -> bool {
        self.chunk.is_empty() || self.sender.send(Message::Rows(std::mem::take(&mut self.chunk))).is_ok()
    }
}

fn file_kind(path: &Path) -> Result<Option<SourceKind>> {
    let mut magic = [0u8; 8];
    let mut file = File::open(path).map_err(|e| CoreError::io(format!("opening {}", path.display()), e))?;
    let n = file.read(&mut magic).map_err(|e| CoreError::io(format!("reading {}", path.display()), e))?;
    Ok(match &magic[..n] {
        [b'P', b'K', 3, 4, ..] => None,
        [0xD0, 0xCF, 0x11, 0xE0, ..] => {
            return Err(CoreError::ImportFileInvalid(
                "an Excel 97-2003 workbook (.xls) is not read: save it as .xlsx or as CSV UTF-8".into(),
            ))
        }
        _ => Some(SourceKind::Csv),
    })
}

impl Table {
    /// Opens `path`, deciding what it is from its content. `sheet` names the sheet or zipped file to read;
    /// absent, a form's repeat group (its members) when there is one, otherwise the first.
    pub fn open(path: &Path, sheet: Option<&str>) -> Result<Table> {
        let bytes_total =
            std::fs::metadata(path).map_err(|e| CoreError::io(format!("opening {}", path.display()), e))?.len();
        if file_kind(path)? == Some(SourceKind::Csv) {
            if sheet.is_some() {
                return Err(CoreError::InvalidInput("a CSV file has no sheets".into()));
            }
            return Table::open_csv(path, bytes_total);
        }
        if bytes_total > MAX_PACKED_BYTES {
            return Err(CoreError::ImportFileInvalid(format!(
                "the file is larger than {} MB: export it as CSV",
                MAX_PACKED_BYTES / (1024 * 1024)
            )));
        }
        let packed = zipped::Packed::inspect(path)?;
        let (sender, receiver) = mpsc::sync_channel(2);
        let mut rows = RowSender { sender, chunk: Vec::new(), bytes_total };
        let path = path.to_path_buf();
        let sheet = sheet.map(str::to_string);
        std::thread::Builder::new()
            .name("import-reader".into())
            .spawn(move || {
                let sheet = sheet.as_deref();
                let outcome = match packed {
                    zipped::Packed::Xlsx => workbook::Book::open(&path, false)
                        .and_then(|mut book| forms::read(&mut book, SourceKind::Workbook, sheet, &mut rows)),
                    zipped::Packed::Ods => workbook::Book::open(&path, true)
                        .and_then(|mut book| forms::read(&mut book, SourceKind::Workbook, sheet, &mut rows)),
                    zipped::Packed::CsvFiles(names) => zipped::ZippedCsvs::open(&path, names)
                        .and_then(|mut files| forms::read(&mut files, SourceKind::OdkZip, sheet, &mut rows)),
                };
                let sent = outcome.map(|_| rows.flush());
                if let Err(e) = sent {
                    let _ = rows.sender.send(Message::Failed(e));
                }
            })
            .map_err(|e| CoreError::io("starting the import's reader", e))?;
        match receiver.recv() {
            Ok(Message::Opened { info, headers }) => Ok(Table {
                headers: csv::StringRecord::from(headers),
                info,
                bytes_total,
                rows: Rows::Streamed { receiver, pending: VecDeque::new() },
            }),
            Ok(Message::Failed(e)) => Err(e),
            Ok(Message::Rows(_)) | Err(_) => Err(CoreError::ImportFileInvalid("the file could not be read".into())),
        }
    }

    fn open_csv(path: &Path, bytes_total: u64) -> Result<Table> {
        let invalid = |e: csv::Error| CoreError::ImportFileInvalid(e.to_string());
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(path).map_err(invalid)?;
        let headers = reader.headers().map_err(invalid)?.clone();
        let info = TableInfo { kind: SourceKind::Csv, sheets: Vec::new(), sheet: None, joined_with: None };
        Ok(Table { headers, info, bytes_total, rows: Rows::Csv(Box::new(reader)) })
    }

    /// Reads the next row into `row`; false at the end.
    pub fn next_row(&mut self, row: &mut SourceRow) -> Result<bool> {
        match &mut self.rows {
            Rows::Csv(reader) => {
                let more =
                    reader.read_record(&mut row.cells).map_err(|e| CoreError::ImportFileInvalid(e.to_string()))?;
                let position = row.cells.position();
                row.line = position.map(|p| p.line()).unwrap_or(0);
                row.bytes_done = position.map(|p| p.byte()).unwrap_or(0);
                row.cell_errors.clear();
                Ok(more)
            }
            Rows::Streamed { receiver, pending } => loop {
                if let Some(next) = pending.pop_front() {
                    *row = next;
                    return Ok(true);
                }
                match receiver.recv() {
                    Ok(Message::Rows(chunk)) => pending.extend(chunk),
                    Ok(Message::Failed(e)) => return Err(e),
                    Ok(Message::Opened { .. }) => {
                        return Err(CoreError::ImportFileInvalid("the file could not be read".into()))
                    }
                    Err(_) => return Ok(false),
                }
            },
        }
    }
}

//! The sheets of an .xlsx or .ods workbook. An .xlsx sheet is read cell by cell as it unpacks, so memory
//! stays small whatever its size; a sheet's declared size is never trusted to allocate.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use calamine::{Ods, Reader, Xlsx};

use super::cells::RowCells;
use super::forms::{SheetRow, Sheets};
use crate::error::{CoreError, Result};

pub(crate) enum Book {
    Xlsx(Box<Xlsx<BufReader<File>>>),
    Ods(Ods<BufReader<File>>),
}

fn unreadable(e: impl std::fmt::Display) -> CoreError {
    CoreError::ImportFileInvalid(format!("the workbook could not be read: {e}"))
}

impl Book {
    pub(crate) fn open(path: &Path, ods: bool) -> Result<Book> {
        if ods {
            calamine::open_workbook::<Ods<_>, _>(path).map(Book::Ods).map_err(unreadable)
        } else {
            calamine::open_workbook::<Xlsx<_>, _>(path).map(|b| Book::Xlsx(Box::new(b))).map_err(unreadable)
        }
    }
}

impl Sheets for Book {
    fn names(&self) -> Vec<String> {
        match self {
            Book::Xlsx(x) => x.sheet_names(),
            Book::Ods(o) => o.sheet_names(),
        }
    }

    fn rows(&mut self, sheet: &str, each: &mut dyn FnMut(SheetRow) -> Result<bool>) -> Result<()> {
        match self {
            Book::Xlsx(book) => {
                let mut reader = book.worksheet_cells_reader(sheet).map_err(unreadable)?;
                let rows_total = u64::from(reader.dimensions().end.0) + 1;
                let mut current: Option<(u32, RowCells)> = None;
                while let Some(cell) = reader.next_cell().map_err(unreadable)? {
                    let (row, column) = cell.get_position();
                    match &mut current {
                        Some((at, cells)) if *at == row => cells.put(column as usize, cell.get_value())?,
                        Some((at, _)) if *at > row => {
                            return Err(CoreError::ImportFileInvalid(format!(
                                "sheet {sheet:?}: row {} comes after row {}",
                                row + 1,
                                *at + 1
                            )))
                        }
                        _ => {
                            if let Some((at, cells)) = current.take() {
                                if !each(SheetRow {
                                    line: u64::from(at) + 1,
                                    cells,
                                    done: u64::from(at),
                                    total: rows_total,
                                })? {
                                    return Ok(());
                                }
                            }
                            let mut cells = RowCells::default();
                            cells.put(column as usize, cell.get_value())?;
                            current = Some((row, cells));
                        }
                    }
                }
                if let Some((at, cells)) = current {
                    each(SheetRow { line: u64::from(at) + 1, cells, done: rows_total, total: rows_total })?;
                }
                Ok(())
            }
            Book::Ods(book) => {
                let range = book.worksheet_range(sheet).map_err(unreadable)?;
                let (first_row, first_column) = range.start().unwrap_or((0, 0));
                let rows_total = range.height() as u64;
                for (i, values) in range.rows().enumerate() {
                    let mut cells = RowCells::default();
                    for (j, value) in values.iter().enumerate() {
                        cells.put(first_column as usize + j, value)?;
                    }
                    let line = u64::from(first_row) + i as u64 + 1;
                    if !each(SheetRow { line, cells, done: i as u64, total: rows_total })? {
                        break;
                    }
                }
                Ok(())
            }
        }
    }
}

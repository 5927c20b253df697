//! The rejects file: each rejected row as it was read, with its line, the columns at fault and why.
//! Created at the first rejected row; every cell, the header's and the reasons' included, is neutralised
//! against spreadsheet formulas, since the file is opened in a spreadsheet to be fixed.

use std::path::{Path, PathBuf};

use super::export::neutralise;
use super::output::OutputFile;
use crate::error::{CoreError, Result};

/// What was wrong with a row: the column (as the file names it) and why. A row may have several.
#[derive(Debug, Clone)]
pub(super) struct Problem {
    pub column: String,
    pub reason: String,
}

pub(super) struct Reject {
    pub line: u64,
    pub raw: csv::StringRecord,
    pub problems: Vec<Problem>,
}

impl Reject {
    pub fn new(line: u64, raw: csv::StringRecord, column: impl Into<String>, reason: impl Into<String>) -> Reject {
        Reject { line, raw, problems: vec![Problem { column: column.into(), reason: reason.into() }] }
    }
}

pub(super) struct RejectsFile<'a> {
    pub registry_dir: &'a Path,
    pub path: PathBuf,
    /// A path the person chose (checked to be free before the import starts); otherwise the default one
    /// beside the input, numbered past earlier rejects files.
    pub chosen: bool,
    pub headers: csv::StringRecord,
    pub writer: Option<(csv::Writer<std::fs::File>, OutputFile)>,
}

impl RejectsFile<'_> {
    pub fn write(&mut self, r: &Reject) -> Result<()> {
        let io = |e: csv::Error| CoreError::io("writing the rejects file", e.into());
        if self.writer.is_none() {
            let out = if self.chosen {
                OutputFile::create(self.registry_dir, &self.path, false)?
            } else {
                let (path, out) = create_beside(self.registry_dir, &self.path)?;
                self.path = path;
                out
            };
            let file = out.file_handle().map_err(|e| CoreError::io("writing the rejects file", e))?;
            let mut w = csv::Writer::from_writer(file);
            let header = self.headers.iter().chain(super::mapping::REJECT_COLUMNS.iter().copied()).map(neutralise);
            w.write_record(header).map_err(io)?;
            self.writer = Some((w, out));
        }
        let (w, _) = self.writer.as_mut().expect("opened above");
        let mut rec: Vec<String> = r.raw.iter().map(neutralise).collect();
        rec.resize(self.headers.len(), String::new());
        let joined = |part: fn(&Problem) -> &str| r.problems.iter().map(part).collect::<Vec<_>>().join("; ");
        rec.extend([r.line.to_string(), neutralise(&joined(|p| &p.column)), neutralise(&joined(|p| &p.reason))]);
        w.write_record(&rec).map_err(io)
    }

    pub fn finish(&mut self) -> Result<Option<String>> {
        match self.writer.take() {
            Some((mut w, out)) => {
                w.flush().map_err(|e| CoreError::io("writing the rejects file", e))?;
                drop(w);
                out.finish()?;
                Ok(Some(self.path.display().to_string()))
            }
            None => Ok(None),
        }
    }
}

/// `people.rejects.csv`, or `people.rejects-2.csv` and so on when an earlier import's rejects are there:
/// a person may still be fixing those.
fn create_beside(registry_dir: &Path, first: &Path) -> Result<(PathBuf, OutputFile)> {
    let stem = first.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "rejects".into());
    for n in 1..=1000 {
        let path = if n == 1 { first.to_path_buf() } else { first.with_file_name(format!("{stem}-{n}.csv")) };
        match OutputFile::create(registry_dir, &path, false) {
            Ok(out) => return Ok((path, out)),
            Err(CoreError::AlreadyExists { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(CoreError::AlreadyExists { what: format!("the rejects files beside {}", first.display()) })
}

/// Where rejects go when no path was chosen: beside the input, as `<name>.rejects.csv`.
pub fn default_rejects_path(input: &Path) -> PathBuf {
    let stem = input.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "import".into());
    input.with_file_name(format!("{stem}.rejects.csv"))
}

//! CSV import. A parser thread reads, maps and validates rows and groups them into units (one
//! household's contiguous rows, or one individual); the calling thread writes units in batches, each
//! batch one transaction and each unit all-or-nothing. Memory stays constant in the file's size: rows
//! repeated inside the file are found through the `import_run` mark on the rows themselves.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use rusqlite::params;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::export::neutralise;
use super::mapping::{ColumnMapping, ResolvedColumns, Target};
use super::output::{check_target, OutputFile};
use super::prescan::prescan;
use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::clock::now_rfc3339;
use crate::error::{CoreError, Result};
use crate::registry::model::{IdDocument, ListName, RegistrantFields, RegistrantKind};
use crate::registry::privacy::DroppedFields;
use crate::registry::settings::{FieldError, Settings};
use crate::registry::write::{self, StoredRow};
use crate::store::{Store, Tx};

/// Longest accepted cell; longer ones reject their row.
pub const MAX_FIELD_BYTES: usize = 64 * 1024;
/// Rows per transaction. Each commit encrypts and writes every page it dirtied, and randomly-keyed indexes
/// (names, birth dates, phones, IDs) dirty a page per row until a batch is large enough for rows to share
/// leaf pages: on a million rows, 50,000-row batches import 1.5x faster than 10,000-row ones.
pub const DEFAULT_BATCH_ROWS: usize = 50_000;
/// Progress is reported this often inside a batch, so a file of one batch still shows movement.
const PROGRESS_EVERY_ROWS: u64 = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ImportPhase {
    /// Reading, checking and writing rows.
    Writing,
    /// Building the list indexes after a large import.
    Indexing,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ImportProgress {
    pub phase: ImportPhase,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub rows_read: u64,
    pub inserted: u64,
    pub updated: u64,
    pub rejected: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    Completed,
    Cancelled,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ImportSummary {
    pub run_id: i64,
    pub status: ImportStatus,
    pub rows_read: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    pub households_created: u64,
    /// Source columns no field is mapped to: read, not stored.
    pub unmapped_columns: Vec<String>,
    /// Where rejected rows were written (original columns plus line, column and reason).
    pub rejects_file: Option<String>,
    /// Memberships created in programs that auto-enrol new registrants who match their rule.
    pub auto_enrolled: u64,
    /// How many written rows gave fields the registry's privacy profile does not keep (not stored).
    pub dropped: DroppedFields,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct ImportOptions {
    pub mapping: Option<ColumnMapping>,
    /// Rows per transaction; 10,000 when absent.
    pub batch_rows: Option<usize>,
    /// Where to write rejected rows; beside the input as `<name>.rejects.csv` when absent.
    pub rejects_path: Option<String>,
    /// Build the list indexes after the import instead of row by row. Absent: yes when the file is large
    /// (an estimated 100,000 rows or more) and at least half the size of the registry.
    pub defer_list_indexes: Option<bool>,
}

/// Bytes per row of a typical import file, to estimate a file's rows from its size.
const TYPICAL_ROW_BYTES: u64 = 80;
pub(crate) const DEFER_INDEXES_MIN_ROWS: u64 = 100_000;

struct Row {
    line: u64,
    raw: csv::StringRecord,
    fields: RegistrantFields,
    household_name: Option<String>,
    relationship: Option<String>,
    /// What the privacy profile did not keep of the row.
    dropped: DroppedFields,
}

/// A row's fields, household reference, household name, relationship, and what the privacy profile cut.
type ParsedRow = (RegistrantFields, Option<String>, Option<String>, Option<String>, DroppedFields);

struct Reject {
    line: u64,
    raw: csv::StringRecord,
    column: String,
    reason: String,
}

/// Rows written together or not at all.
struct Unit {
    household: Option<String>,
    rows: Vec<Row>,
}

struct Batch {
    units: Vec<Unit>,
    rejects: Vec<Reject>,
    bytes_done: u64,
    rows_read: u64,
}

struct Parser<'a> {
    cols: ResolvedColumns,
    mapping: &'a ColumnMapping,
    settings: &'a Settings,
    headers: csv::StringRecord,
}

/// A cell as the spreadsheet-formula neutraliser wrote it (`'=...`) reads back as the original.
fn unneutralise(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if matches!(rest.chars().next(), Some('=' | '+' | '-' | '@')) => rest,
        _ => s,
    }
}

impl Parser<'_> {
    fn column_name(&self, target: &str) -> String {
        let idx = self.cols.targets.iter().position(|t| t.as_ref().map(|t| t.name()) == Some(target.to_string()));
        match idx.and_then(|i| self.headers.get(i)) {
            Some(h) if h != target => format!("{h} ({target})"),
            _ => target.to_string(),
        }
    }

    fn parse_row(&self, rec: &csv::StringRecord) -> std::result::Result<ParsedRow, FieldError> {
        if rec.len() != self.cols.targets.len() {
            return Err(FieldError::new(
                "(row)",
                format!("has {} cells, the header has {}", rec.len(), self.cols.targets.len()),
            ));
        }
        let mut f = RegistrantFields::default();
        let (mut hh_ref, mut hh_name, mut relationship) = (None, None, None);
        for (cell, target) in rec.iter().zip(&self.cols.targets) {
            let Some(target) = target else { continue };
            if cell.len() > MAX_FIELD_BYTES {
                return Err(FieldError::new(target.name(), format!("longer than {MAX_FIELD_BYTES} bytes")));
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
                Target::BirthDate => {
                    let iso = match &self.cols.date_format {
                        Some(fmt) => time::Date::parse(&value, &fmt[0])
                            .map(|d| d.to_string())
                            .map_err(|_| FieldError::new(name.clone(), "not a date in the mapping's date format"))?,
                        None => value,
                    };
                    f.birth_date = Some(iso);
                }
                Target::BirthDateApprox => {
                    f.birth_date_approx = match value.to_ascii_lowercase().as_str() {
                        "true" | "yes" | "1" => true,
                        "false" | "no" | "0" => false,
                        _ => return Err(FieldError::new(name, "not true or false")),
                    }
                }
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
            return Err(FieldError::new("external_id", "is required"));
        }
        let dropped = self.settings.validate(RegistrantKind::Individual, &mut f)?;
        if !self.settings.privacy().profile().names {
            // A household's name is most often its head's family name.
            hh_name = None;
        }
        if let Some(r) = &relationship {
            self.settings.check_code(ListName::MembershipKind, "relationship", r)?;
        }
        if hh_ref.is_some() && relationship.is_none() {
            return Err(FieldError::new("relationship", "is required for a member of a household"));
        }
        if let Some(h) = &hh_ref {
            if h.chars().count() > 200 || crate::registry::settings::looks_like_formula(h) {
                return Err(FieldError::new("household_ref", "not a valid household reference"));
            }
        }
        Ok((f, hh_ref, hh_name, relationship, dropped))
    }

    /// Reads the whole file, sending batches of units; stops early when the writer hangs up.
    fn run(&self, reader: &mut csv::Reader<std::fs::File>, batch_rows: usize, tx: mpsc::SyncSender<Result<Batch>>) {
        let mut batch = Batch { units: Vec::new(), rejects: Vec::new(), bytes_done: 0, rows_read: 0 };
        let mut batch_len = 0usize;
        let mut current: Option<Unit> = None;
        let mut current_rejects: Vec<Reject> = Vec::new();
        let mut rec = csv::StringRecord::new();
        // Rows of a unit whose other row failed are rejected too: a household is never half-imported.
        let close_unit = |unit: Unit, unit_rejects: &mut Vec<Reject>, batch: &mut Batch| {
            let Some(first) = unit_rejects.first() else {
                batch.units.push(unit);
                return;
            };
            batch.rejects.extend(reject_with_household(&unit.rows, first.line, &first.column, &first.reason));
            batch.rejects.append(unit_rejects);
        };
        loop {
            let more = match reader.read_record(&mut rec) {
                Ok(m) => m,
                Err(e) => {
                    let _ = tx.send(Err(CoreError::ImportFileInvalid(format!("{e}"))));
                    return;
                }
            };
            if more {
                let line = rec.position().map(|p| p.line()).unwrap_or(0);
                batch.rows_read += 1;
                batch_len += 1;
                let parsed = self.parse_row(&rec);
                let hh = match &parsed {
                    Ok((_, h, _, _, _)) => h.clone(),
                    // A rejected row still belongs to its household, if the household column is readable.
                    Err(_) => self
                        .cols
                        .targets
                        .iter()
                        .position(|t| t == &Some(Target::HouseholdRef))
                        .and_then(|i| rec.get(i))
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty()),
                };
                let same_unit = hh.is_some() && current.as_ref().map(|u| u.household == hh).unwrap_or(false);
                if !same_unit {
                    if let Some(u) = current.take() {
                        close_unit(u, &mut current_rejects, &mut batch);
                    }
                    if batch_len >= batch_rows {
                        batch.bytes_done = rec.position().map(|p| p.byte()).unwrap_or(0);
                        let full = std::mem::replace(
                            &mut batch,
                            Batch { units: Vec::new(), rejects: Vec::new(), bytes_done: 0, rows_read: 0 },
                        );
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
                            current_rejects.push(Reject {
                                line,
                                raw: rec.clone(),
                                column: self.column_name("relationship"),
                                reason: "a second head for the same household".into(),
                            });
                        } else {
                            unit.rows.push(Row {
                                line,
                                raw: rec.clone(),
                                fields,
                                household_name,
                                relationship,
                                dropped,
                            });
                        }
                    }
                    Err(e) => current_rejects.push(Reject {
                        line,
                        raw: rec.clone(),
                        column: self.column_name(&e.field),
                        reason: e.reason,
                    }),
                }
            } else {
                if let Some(u) = current.take() {
                    close_unit(u, &mut current_rejects, &mut batch);
                }
                batch.bytes_done = u64::MAX;
                let _ = tx.send(Ok(batch));
                return;
            }
        }
    }
}

/// The rejects file, created at the first rejected row. Every cell, the header's and the reasons'
/// included, is neutralised against spreadsheet formulas: the file is opened in a spreadsheet to be fixed.
struct RejectsFile<'a> {
    registry_dir: &'a Path,
    path: PathBuf,
    /// A path the person chose (checked to be free before the import starts); otherwise the default one
    /// beside the input, numbered past earlier rejects files.
    chosen: bool,
    headers: csv::StringRecord,
    writer: Option<(csv::Writer<std::fs::File>, OutputFile)>,
}

impl RejectsFile<'_> {
    fn write(&mut self, r: &Reject) -> Result<()> {
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
        rec.extend([r.line.to_string(), neutralise(&r.column), neutralise(&r.reason)]);
        w.write_record(&rec).map_err(io)
    }

    fn finish(&mut self) -> Result<Option<String>> {
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

#[derive(Default)]
struct Counts {
    inserted: u64,
    updated: u64,
    unchanged: u64,
    households_created: u64,
    dropped: DroppedFields,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.inserted += o.inserted;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.households_created += o.households_created;
        self.dropped.add(&o.dropped);
    }
}

/// Rejects the rows of a household because another of its rows (at `line`) failed: a household is never
/// half-imported, and each row says which line to fix.
fn reject_with_household<'a>(
    rows: impl IntoIterator<Item = &'a Row>,
    line: u64,
    column: &str,
    reason: &str,
) -> Vec<Reject> {
    let why = format!("household rejected with line {line} ({column}: {reason})");
    rows.into_iter()
        .map(|row| Reject { line: row.line, raw: row.raw.clone(), column: "household_ref".into(), reason: why.clone() })
        .collect()
}

/// Why a unit could not be written; its rows go to the rejects file.
struct UnitReject {
    line: u64,
    column: &'static str,
    reason: String,
}

fn write_unit(
    tx: &mut Tx<'_>,
    unit: &Unit,
    run: i64,
    counts: &mut Counts,
) -> Result<std::result::Result<(), UnitReject>> {
    let first_line = unit.rows.first().map(|r| r.line).unwrap_or(0);
    let group = match &unit.household {
        None => None,
        Some(href) => {
            let head = unit.rows.iter().find(|r| r.relationship.as_deref() == Some("head")).or(unit.rows.first());
            let existing = write::find_by_external_id(tx.conn(), href)?;
            if let Some(g) = &existing {
                if g.kind != RegistrantKind::Group {
                    return Ok(Err(UnitReject {
                        line: first_line,
                        column: "household_ref",
                        reason: "this household reference is an individual's external id".into(),
                    }));
                }
                if g.import_run == Some(run) {
                    return Ok(Err(UnitReject {
                        line: first_line,
                        column: "household_ref",
                        reason: "this household's rows must be next to each other in the file".into(),
                    }));
                }
            }
            let name =
                unit.rows.iter().find_map(|r| r.household_name.clone()).unwrap_or_else(|| format!("Household {href}"));
            let fields = RegistrantFields {
                external_id: Some(href.clone()),
                group_name: Some(name),
                area: head.and_then(|h| h.fields.area.clone()),
                ..Default::default()
            };
            Some(match existing {
                Some(g) => {
                    write::update(tx, &g, &fields, Some(run))?;
                    g
                }
                None => {
                    counts.households_created += 1;
                    write::insert(tx, RegistrantKind::Group, &fields, Some(run))?
                }
            })
        }
    };
    for row in &unit.rows {
        let ext = row.fields.external_id.as_deref().expect("validated");
        let mut is_new = false;
        counts.dropped.add(&row.dropped);
        let stored: StoredRow = match write::find_by_external_id(tx.conn(), ext)? {
            Some(existing) => {
                if existing.import_run == Some(run) {
                    return Ok(Err(UnitReject {
                        line: row.line,
                        column: "external_id",
                        reason: "this external id appears earlier in this file".into(),
                    }));
                }
                if existing.kind != RegistrantKind::Individual {
                    return Ok(Err(UnitReject {
                        line: row.line,
                        column: "external_id",
                        reason: "this external id belongs to a household".into(),
                    }));
                }
                if write::update(tx, &existing, &row.fields, Some(run))? {
                    counts.updated += 1;
                } else {
                    counts.unchanged += 1;
                }
                existing
            }
            None => {
                counts.inserted += 1;
                is_new = true;
                write::insert(tx, RegistrantKind::Individual, &row.fields, Some(run))?
            }
        };
        if let (Some(g), false) = (&group, is_new) {
            write::end_other_memberships(tx, &stored, g)?;
        }
        if let (Some(g), Some(kind)) = (&group, &row.relationship) {
            match write::upsert_membership(tx, g, &stored, kind, is_new) {
                Ok(_) => {}
                Err(CoreError::InvalidInput(reason)) => {
                    return Ok(Err(UnitReject { line: row.line, column: "relationship", reason }))
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(Ok(()))
}

/// Writes a batch in one transaction. Units that fail only at write time (an external id repeated in
/// the file, a household split across the file, a second head already stored) are rare, so the batch is
/// first written without savepoints, which would make the full-text index flush at every unit; if a
/// unit fails, that attempt is rolled back and the batch is written again with a savepoint per unit.
fn write_batch(
    store: &Store,
    session: &Session,
    units: &[Unit],
    run: i64,
    on_rows: &dyn Fn(u64),
) -> Result<(Counts, Vec<Reject>)> {
    let fast = store.write_as(session.username(), |tx| {
        tx.defer_foreign_keys()?;
        let mut counts = Counts::default();
        let mut rows = 0u64;
        for unit in units {
            if write_unit(tx, unit, run, &mut counts)?.is_err() {
                tx.abandon();
                return Ok(None);
            }
            let before = rows;
            rows += unit.rows.len() as u64;
            if rows / PROGRESS_EVERY_ROWS != before / PROGRESS_EVERY_ROWS {
                on_rows(rows);
            }
        }
        Ok(Some(counts))
    })?;
    if let Some(counts) = fast {
        return Ok((counts, Vec::new()));
    }
    store.write_as(session.username(), |tx| {
        tx.defer_foreign_keys()?;
        let mut counts = Counts::default();
        let mut rejects = Vec::new();
        for unit in units {
            let sp = tx.savepoint()?;
            let mut unit_counts = Counts::default();
            match write_unit(tx, unit, run, &mut unit_counts)? {
                Ok(()) => {
                    tx.release()?;
                    counts.add(&unit_counts);
                }
                Err(r) => {
                    tx.rollback_to(sp)?;
                    let (failed, others): (Vec<&Row>, Vec<&Row>) = unit.rows.iter().partition(|row| row.line == r.line);
                    for row in failed {
                        rejects.push(Reject {
                            line: row.line,
                            raw: row.raw.clone(),
                            column: r.column.into(),
                            reason: r.reason.clone(),
                        });
                    }
                    rejects.extend(reject_with_household(others, r.line, r.column, &r.reason));
                }
            }
        }
        Ok((counts, rejects))
    })
}

/// What the progress bar shows while the list indexes are built: everything read.
fn indexing_progress(outcome: &Result<ImportSummary>, bytes_total: u64) -> ImportProgress {
    let (rows_read, inserted, updated, rejected) = match outcome {
        Ok(s) => (s.rows_read, s.inserted, s.updated, s.rejected),
        Err(_) => (0, 0, 0, 0),
    };
    ImportProgress {
        phase: ImportPhase::Indexing,
        bytes_done: bytes_total,
        bytes_total,
        rows_read,
        inserted,
        updated,
        rejected,
    }
}

pub fn default_rejects_path(input: &Path) -> PathBuf {
    let stem = input.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "import".into());
    input.with_file_name(format!("{stem}.rejects.csv"))
}

/// Opens the file for reading rows after its header, and resolves the header against the mapping.
fn open_csv(
    path: &Path,
    mapping: &ColumnMapping,
) -> Result<(csv::Reader<std::fs::File>, csv::StringRecord, ResolvedColumns)> {
    let invalid = |e: csv::Error| CoreError::ImportFileInvalid(e.to_string());
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(path).map_err(invalid)?;
    let headers = reader.headers().map_err(invalid)?.clone();
    let cols = mapping.resolve(&headers)?;
    Ok((reader, headers, cols))
}

/// Imports `path`. `progress` is called after each batch; setting `cancel` stops after the current batch,
/// keeping what was committed (whole households only).
pub fn import_csv(
    store: &Store,
    session: &Session,
    path: &Path,
    options: &ImportOptions,
    progress: &dyn Fn(&ImportProgress),
    cancel: &AtomicBool,
) -> Result<ImportSummary> {
    require(store, session, Permission::ImportRun, "import.run")?;
    if let Some(chosen) = &options.rejects_path {
        // Refused now, before anything is imported, rather than at the first rejected row.
        check_target(store.dir(), Path::new(chosen), false)?;
    }
    let started = Instant::now();
    let scan = prescan(path)?;
    let default_mapping = ColumnMapping::default();
    let mapping = options.mapping.as_ref().unwrap_or(&default_mapping);
    let (mut reader, headers, cols) = open_csv(path, mapping)?;
    let unmapped_columns = cols.unmapped.clone();
    let settings = store.read(crate::registry::settings::load)?;
    let file_name = path.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
    let run: i64 = store.write_as(session.username(), |tx| {
        Ok(tx.conn().query_row(
            "INSERT INTO import_runs (started_at, file_name, user_id, status) VALUES (?1, ?2, ?3, 'running') RETURNING id",
            params![now_rfc3339(), file_name, session.user_id()],
            |r| r.get(0),
        )?)
    })?;
    let defer_indexes = match options.defer_list_indexes {
        Some(defer) => defer,
        None => {
            let estimated_rows = scan.bytes / TYPICAL_ROW_BYTES;
            let existing = store.read(|c| {
                Ok(c.query_row("SELECT ifnull(max(rowid), 0) FROM registrants", [], |r| r.get::<_, i64>(0))?)
            })? as u64;
            estimated_rows >= DEFER_INDEXES_MIN_ROWS && estimated_rows * 2 >= existing
        }
    };
    if defer_indexes {
        store.write_as(session.username(), |tx| crate::store::list_indexes::drop_all(tx.conn()))?;
    }
    let outcome = (|| -> Result<ImportSummary> {
        let mut rejects = RejectsFile {
            registry_dir: store.dir(),
            path: options.rejects_path.as_ref().map(PathBuf::from).unwrap_or_else(|| default_rejects_path(path)),
            chosen: options.rejects_path.is_some(),
            headers: headers.clone(),
            writer: None,
        };
        let parser = Parser { cols, mapping, settings: &settings, headers };
        let batch_rows = options.batch_rows.unwrap_or(DEFAULT_BATCH_ROWS).max(1);
        let mut counts = Counts::default();
        let mut p = ImportProgress {
            phase: ImportPhase::Writing,
            bytes_done: 0,
            bytes_total: scan.bytes,
            rows_read: 0,
            inserted: 0,
            updated: 0,
            rejected: 0,
        };
        let mut status = ImportStatus::Completed;
        let outcome: Result<()> = std::thread::scope(|scope| {
            // One batch queued while one is written: memory stays at about two batches whatever the file's size.
            let (sender, receiver) = mpsc::sync_channel::<Result<Batch>>(1);
            let parser = &parser;
            scope.spawn(move || parser.run(&mut reader, batch_rows, sender));
            for batch in receiver.iter() {
                if cancel.load(Ordering::Relaxed) {
                    status = ImportStatus::Cancelled;
                    break;
                }
                let batch = batch?;
                let batch_rows = batch.rows_read.max(1);
                let (start_bytes, end_bytes) = (p.bytes_done, batch.bytes_done.min(scan.bytes));
                let within = |rows: u64| {
                    let mut q = p.clone();
                    q.bytes_done = start_bytes + (end_bytes - start_bytes) * rows.min(batch_rows) / batch_rows;
                    progress(&q);
                };
                let (batch_counts, unit_rejects) = write_batch(store, session, &batch.units, run, &within)?;
                counts.add(&batch_counts);
                for r in batch.rejects.iter().chain(unit_rejects.iter()) {
                    rejects.write(r)?;
                }
                p.rows_read += batch.rows_read;
                p.rejected += (batch.rejects.len() + unit_rejects.len()) as u64;
                p.inserted = counts.inserted;
                p.updated = counts.updated;
                p.bytes_done = batch.bytes_done.min(scan.bytes);
                progress(&p);
            }
            Ok(())
        });
        outcome?;
        let rejects_file = rejects.finish()?;
        let summary = ImportSummary {
            run_id: run,
            status,
            rows_read: p.rows_read,
            inserted: counts.inserted,
            updated: counts.updated,
            unchanged: counts.unchanged,
            rejected: p.rejected,
            households_created: counts.households_created,
            unmapped_columns,
            rejects_file,
            auto_enrolled: 0,
            dropped: counts.dropped,
            elapsed_ms: started.elapsed().as_millis() as u64,
        };
        store.write_as(session.username(), |tx| {
            tx.conn().execute(
                "UPDATE import_runs SET finished_at = ?2, status = ?3, rows_read = ?4, inserted = ?5, updated = ?6,
                    rejected = ?7, groups_formed = ?8 WHERE id = ?1",
                params![
                    run,
                    now_rfc3339(),
                    if status == ImportStatus::Completed { "completed" } else { "cancelled" },
                    summary.rows_read,
                    summary.inserted,
                    summary.updated,
                    summary.rejected,
                    summary.households_created
                ],
            )?;
            tx.audit(AuditEvent::new(session, "import.run").on("import_run", run.to_string()).details(
                serde_json::json!({
                    "file": file_name,
                    "status": if status == ImportStatus::Completed { "completed" } else { "cancelled" },
                    "rows_read": summary.rows_read,
                    "inserted": summary.inserted,
                    "updated": summary.updated,
                    "unchanged": summary.unchanged,
                    "rejected": summary.rejected,
                    "households_created": summary.households_created,
                    "unmapped_columns": summary.unmapped_columns,
                    "dropped": summary.dropped,
                }),
            ))
        })?;
        Ok(summary)
    })();
    // Whatever happened, the list indexes are whole again before this returns.
    let outcome = if defer_indexes {
        progress(&indexing_progress(&outcome, scan.bytes));
        match store.write_as(session.username(), |tx| crate::store::list_indexes::ensure_all(tx.conn())) {
            // The import's own error says more; a failed rebuild is also repeated at the next start.
            Err(e) if outcome.is_ok() => Err(e),
            _ => outcome,
        }
    } else {
        outcome
    };
    let mut summary = match outcome {
        Ok(summary) => summary,
        Err(e) => {
            // What was committed stays (whole households); the run says it failed and the log says why.
            let code = e.code().as_str();
            let _ = store.write_as(session.username(), |tx| {
                tx.conn().execute(
                    "UPDATE import_runs SET finished_at = ?2, status = 'failed' WHERE id = ?1",
                    params![run, now_rfc3339()],
                )?;
                tx.audit(
                    AuditEvent::new(session, "import.run")
                        .on("import_run", run.to_string())
                        .details(serde_json::json!({ "file": file_name, "status": "failed", "error": code })),
                )
            });
            return Err(e);
        }
    };
    store.optimize()?;
    summary.auto_enrolled = store.write_as(session.username(), |tx| {
        let mut n = 0;
        for kind in [RegistrantKind::Individual, RegistrantKind::Group] {
            n += crate::program::membership::auto_enrol(
                tx,
                session,
                kind,
                crate::program::select::Scope::ImportRun(run),
            )?;
        }
        Ok(n)
    })?;
    Ok(summary)
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PreviewRow {
    /// Line in the file (the header is line 1).
    pub line: u64,
    pub cells: Vec<String>,
    /// Why the import would reject this row, if it would.
    pub error: Option<PreviewError>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PreviewError {
    pub column: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ImportPreview {
    pub headers: Vec<String>,
    /// Per header, the import column it fills, if any.
    pub targets: Vec<Option<String>>,
    pub unmapped: Vec<String>,
    pub rows: Vec<PreviewRow>,
    pub file_bytes: u64,
}

/// The file's first `rows` rows, each with the verdict the import would give it on its own (checks that
/// need the whole household or the database, such as a repeated external id, happen during the import).
pub fn preview_csv(
    store: &Store,
    session: &Session,
    path: &Path,
    mapping: Option<&ColumnMapping>,
    rows: usize,
) -> Result<ImportPreview> {
    require(store, session, Permission::ImportRun, "import.preview")?;
    let file_bytes =
        std::fs::metadata(path).map_err(|e| CoreError::io(format!("opening {}", path.display()), e))?.len();
    let default_mapping = ColumnMapping::default();
    let mapping = mapping.unwrap_or(&default_mapping);
    let (mut reader, headers, cols) = open_csv(path, mapping)?;
    let targets = cols.targets.iter().map(|t| t.as_ref().map(Target::name)).collect();
    let unmapped = cols.unmapped.clone();
    let settings = store.read(crate::registry::settings::load)?;
    let parser = Parser { cols, mapping, settings: &settings, headers: headers.clone() };
    let mut out = Vec::new();
    for rec in reader.records().take(rows.min(1_000)) {
        let rec = rec.map_err(|e| CoreError::ImportFileInvalid(e.to_string()))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let error = parser
            .parse_row(&rec)
            .err()
            .map(|e| PreviewError { column: parser.column_name(&e.field), reason: e.reason });
        out.push(PreviewRow { line, cells: rec.iter().map(str::to_string).collect(), error });
    }
    Ok(ImportPreview {
        headers: headers.iter().map(str::to_string).collect(),
        targets,
        unmapped,
        rows: out,
        file_bytes,
    })
}

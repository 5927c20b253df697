//! Import. A parser thread reads, maps and checks rows (of a CSV file, a workbook's sheet or a form's
//! export: see `table`) and groups them into units (one household's contiguous rows, or one individual);
//! the calling thread writes units in batches, each batch one transaction and each unit all-or-nothing.
//! Memory stays constant in the file's size: rows repeated inside the file are found through the
//! `import_run` mark on the rows themselves.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use rusqlite::params;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::mapping::{ColumnMapping, ResolvedColumns};
use super::output::check_target;
use super::prescan::prescan;
use super::rejects::{default_rejects_path, RejectsFile};
use super::rows::{Batch, Parser};
use super::table::{SourceKind, Table};
use super::writing::{write_batch, Counts};
use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::clock::now_rfc3339;
use crate::error::Result;
use crate::registry::model::RegistrantKind;
use crate::registry::privacy::DroppedFields;
use crate::store::Store;

/// Rows per transaction. Each commit encrypts and writes every page it dirtied, and randomly-keyed indexes
/// (names, birth dates, phones, IDs) dirty a page per row until a batch is large enough for rows to share
/// leaf pages: on a million rows, 50,000-row batches import 1.5x faster than 10,000-row ones.
pub const DEFAULT_BATCH_ROWS: usize = 50_000;

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
    /// The workbook's sheet (or the zip's CSV file) to read; absent, a form's repeat group when there is
    /// one, otherwise the first.
    pub sheet: Option<String>,
    /// Rows per transaction; 50,000 when absent.
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

/// Opens the file for reading rows after its header, and resolves the header against the mapping. A CSV
/// file is first checked whole (UTF-8, balanced quotes), so a broken one imports nothing.
pub(super) fn open_table(
    path: &Path,
    sheet: Option<&str>,
    mapping: &ColumnMapping,
) -> Result<(Table, ResolvedColumns)> {
    let table = Table::open(path, sheet)?;
    if table.info.kind == SourceKind::Csv {
        prescan(path)?;
    }
    let cols = mapping.resolve(&table.headers)?;
    Ok((table, cols))
}

/// Imports `path`. `progress` is called after each batch; setting `cancel` stops after the current batch,
/// keeping what was committed (whole households only).
pub fn import_file(
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
    let default_mapping = ColumnMapping::default();
    let mapping = options.mapping.as_ref().unwrap_or(&default_mapping);
    let (mut table, cols) = open_table(path, options.sheet.as_deref(), mapping)?;
    cols.require_identity()?;
    let headers = table.headers.clone();
    let bytes_total = table.bytes_total;
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
            let estimated_rows = bytes_total / TYPICAL_ROW_BYTES;
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
            bytes_total,
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
            scope.spawn(move || parser.run(&mut table, batch_rows, sender));
            for batch in receiver.iter() {
                if cancel.load(Ordering::Relaxed) {
                    status = ImportStatus::Cancelled;
                    break;
                }
                let batch = batch?;
                let batch_rows = batch.rows_read.max(1);
                let (start_bytes, end_bytes) = (p.bytes_done, batch.bytes_done.min(bytes_total));
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
                p.bytes_done = batch.bytes_done.min(bytes_total);
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
        progress(&indexing_progress(&outcome, bytes_total));
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

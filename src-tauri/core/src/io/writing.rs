//! Writing an import's units: each household with its members, or one individual, all or nothing;
//! a batch of units in one transaction.

use super::rejects::{Problem, Reject};
use super::rows::{reject_with_household, Row, Unit};
use crate::auth::Session;
use crate::error::{CoreError, Result};
use crate::registry::model::{RegistrantFields, RegistrantKind};
use crate::registry::privacy::DroppedFields;
use crate::registry::write::{self, StoredRow};
use crate::store::{Store, Tx};

/// Progress is reported this often inside a batch, so a file of one batch still shows movement.
const PROGRESS_EVERY_ROWS: u64 = 5_000;

#[derive(Default)]
pub(super) struct Counts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub households_created: u64,
    pub dropped: DroppedFields,
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.inserted += o.inserted;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.households_created += o.households_created;
        self.dropped.add(&o.dropped);
    }
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
pub(super) fn write_batch(
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
                        rejects.push(Reject::new(row.line, row.raw.clone(), r.column, r.reason.clone()));
                    }
                    let problem = Problem { column: r.column.into(), reason: r.reason.clone() };
                    rejects.extend(reject_with_household(others, r.line, &problem));
                }
            }
        }
        Ok((counts, rejects))
    })
}

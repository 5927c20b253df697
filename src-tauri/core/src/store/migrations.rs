//! Ordered SQL migrations embedded in the binary, tracked by `PRAGMA user_version`.

use rusqlite::Connection;

use crate::error::{CoreError, Result};

/// Each entry upgrades the schema from version `index` to `index + 1`. Never edit a released entry;
/// append a new one.
pub const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_registry.sql"),
    include_str!("../../migrations/0002_birth_date_indexes.sql"),
    include_str!("../../migrations/0003_programs.sql"),
    include_str!("../../migrations/0004_disbursement.sql"),
    include_str!("../../migrations/0005_accounts.sql"),
    include_str!("../../migrations/0006_typed_change_log.sql"),
    include_str!("../../migrations/0007_sync.sql"),
    include_str!("../../migrations/0008_snapshot.sql"),
    include_str!("../../migrations/0009_dedup_scoring.sql"),
    include_str!("../../migrations/0010_privacy.sql"),
    include_str!("../../migrations/0011_registrant_counts.sql"),
    include_str!("../../migrations/0012_registrant_facts.sql"),
    include_str!("../../migrations/0013_check_lists.sql"),
    include_str!("../../migrations/0014_name_search.sql"),
];

/// The migration whose name index SQL cannot fill (see [`after`]).
const NAME_SEARCH: usize = 13;

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub fn schema_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Refuses a database newer than this binary before anything is written to it.
pub fn check_not_newer(conn: &Connection) -> Result<i64> {
    let found = schema_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(CoreError::SchemaTooNew { found, supported: SCHEMA_VERSION });
    }
    Ok(found)
}

/// The steps of a migration that SQL cannot do, in the migration's transaction.
fn after(migration: usize, tx: &Connection) -> Result<()> {
    if migration == NAME_SEARCH {
        let names = super::name_index::refill(tx)?;
        tracing::info!(names, "name index refilled with Latin forms and skeletons");
    }
    Ok(())
}

/// Applies every pending migration, each in its own transaction with its version bump.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let mut version = check_not_newer(conn)?;
    while version < SCHEMA_VERSION {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(MIGRATIONS[version as usize])?;
        after(version as usize, &tx)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
        version += 1;
        tracing::info!(version, "database migrated");
    }
    Ok(())
}

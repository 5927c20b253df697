//! What applying another desk's op did, as each entity's remote writer half reports it to replay, and how
//! those halves find the rows an op names. A leaf, so replay and the domain modules need not import each
//! other.

use rusqlite::OptionalExtension;
use uuid::Uuid;

use crate::error::{CoreError, Result};
use crate::store::Tx;

/// What a writer's remote half did with one op.
pub(crate) enum Effect {
    Applied,
    Unchanged,
    /// Not applied; the replica's side, for the conflict record.
    Conflict {
        local: serde_json::Value,
    },
}

impl Effect {
    /// Applied when the op's statement changed rows, unchanged when it found nothing left to change.
    pub(crate) fn of_rows(n: usize) -> Effect {
        if n > 0 {
            Effect::Applied
        } else {
            Effect::Unchanged
        }
    }
}

/// The rowid of the row of `table` with this id, if this registry holds it.
pub(crate) fn find_rowid(tx: &Tx<'_>, table: &'static str, id: Uuid) -> Result<Option<i64>> {
    Ok(tx
        .conn()
        .prepare_cached(&format!("SELECT rowid FROM {table} WHERE id = ?1"))?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// The rowid of a row named by its id in an op; an op about a row this registry does not hold is refused
/// (its desk's earlier ops are missing).
pub(crate) fn rowid_of(tx: &Tx<'_>, table: &'static str, id: Uuid) -> Result<i64> {
    find_rowid(tx, table, id)?.ok_or_else(|| {
        CoreError::InvalidInput(format!("an op names {table} row {id}, which this registry does not hold"))
    })
}

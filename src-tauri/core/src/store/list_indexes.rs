//! Indexes that only serve reading (lists' sorts and filters, search by phone or ID number), not
//! uniqueness or the import's own lookups. A large import drops them and builds them again at the end:
//! maintaining them row by row costs more than a third of a million-row import, building them afterwards
//! about a sixth. Opening a registry builds any that are missing, so an import cut short by a crash heals
//! at the next start.

use rusqlite::Connection;

use crate::error::Result;

/// Name and definition of each list index, exactly as the migrations create it (a test checks this).
pub const LIST_INDEXES: [(&str, &str); 10] = [
    ("registrants_phone", "CREATE INDEX registrants_phone ON registrants (phone_norm) WHERE phone_norm IS NOT NULL"),
    ("id_documents_value", "CREATE INDEX id_documents_value ON id_documents (value_norm)"),
    (
        "id_documents_unprefixed",
        "CREATE INDEX id_documents_unprefixed ON id_documents (ltrim(value_norm, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'))",
    ),
    ("registrants_sort_name", "CREATE INDEX registrants_sort_name ON registrants (sort_name, rowid)"),
    ("registrants_area", "CREATE INDEX registrants_area ON registrants (area, sort_name, rowid)"),
    ("registrants_area_reference", "CREATE INDEX registrants_area_reference ON registrants (area, rowid)"),
    (
        "registrants_birth_date",
        "CREATE INDEX registrants_birth_date ON registrants (ifnull(birth_date, ''), rowid) WHERE kind = 'individual'",
    ),
    (
        "registrants_area_birth_date",
        "CREATE INDEX registrants_area_birth_date ON registrants (area, ifnull(birth_date, ''), rowid)\n    WHERE kind = 'individual'",
    ),
    (
        "registrants_group_name",
        "CREATE INDEX registrants_group_name ON registrants (sort_name, rowid) WHERE kind = 'group'",
    ),
    (
        "registrants_area_group_name",
        "CREATE INDEX registrants_area_group_name ON registrants (area, sort_name, rowid) WHERE kind = 'group'",
    ),
];

pub fn drop_all(conn: &Connection) -> Result<()> {
    for (name, _) in LIST_INDEXES {
        conn.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))?;
    }
    Ok(())
}

/// Builds the list indexes that are missing; returns how many it built.
pub fn ensure_all(conn: &Connection) -> Result<usize> {
    let mut built = 0;
    for (name, sql) in LIST_INDEXES {
        let exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?1)",
            [name],
            |r| r.get(0),
        )?;
        if !exists {
            conn.execute_batch(sql)?;
            built += 1;
        }
    }
    if built > 0 {
        // Fresh statistics: an index without any beside others with old ones misleads the planner.
        conn.execute_batch("PRAGMA analysis_limit = 1000; ANALYZE registrants; ANALYZE id_documents;")?;
    }
    Ok(built)
}

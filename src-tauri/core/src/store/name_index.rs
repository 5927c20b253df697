//! The full-text name index: each registrant's name in its folded words, its Latin forms and its
//! consonant skeletons (`br_model::spelling`), so search finds a name across scripts and spellings. The
//! index is derived: it is written only here, from the registrant rows, and never synced.

use rusqlite::Connection;

use crate::error::Result;
use crate::spelling::{name_index_entry, NameIndexEntry};

/// The name a registrant is indexed under: a person's given and family names, a household's name.
pub(crate) fn entry_for(
    is_group: bool,
    given: Option<&str>,
    family: Option<&str>,
    group: Option<&str>,
) -> NameIndexEntry {
    if is_group {
        name_index_entry(group.unwrap_or(""))
    } else {
        name_index_entry(&format!("{} {}", given.unwrap_or(""), family.unwrap_or("")))
    }
}

pub(crate) fn add(conn: &Connection, rowid: i64, e: &NameIndexEntry) -> Result<()> {
    conn.prepare_cached("INSERT INTO name_index (rowid, name, latin, skeleton) VALUES (?1, ?2, ?3, ?4)")?
        .execute(rusqlite::params![rowid, e.name, e.latin, e.skeleton])?;
    Ok(())
}

pub(crate) fn remove(conn: &Connection, rowid: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM name_index WHERE rowid = ?1")?.execute([rowid])?;
    Ok(())
}

/// Fills the (empty) index from every registrant: the step of the migration that gave the index its
/// Latin and skeleton columns, which SQL cannot compute.
pub(crate) fn refill(conn: &Connection) -> Result<u64> {
    let mut read = conn.prepare("SELECT rowid, kind, given_name, family_name, group_name FROM registrants")?;
    let mut rows = read.query([])?;
    let mut n = 0u64;
    while let Some(r) = rows.next()? {
        let kind: String = r.get(1)?;
        let (given, family, group): (Option<String>, Option<String>, Option<String>) =
            (r.get(2)?, r.get(3)?, r.get(4)?);
        add(conn, r.get(0)?, &entry_for(kind == "group", given.as_deref(), family.as_deref(), group.as_deref()))?;
        n += 1;
    }
    Ok(n)
}

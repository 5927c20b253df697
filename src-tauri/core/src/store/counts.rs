//! The dashboard's counts (registrant_counts, birth_date_counts; migration 0011) as a transaction changes
//! them: the registrant writer adds a row's counted values here, and the transaction applies the sums
//! just before it commits. A trigger per row made every registrant insert a multi-statement write that
//! SQLite journals page by page, a fifth of an import's time; a few hundred upserts at commit cost nothing.

use std::collections::HashMap;

use rusqlite::{params, Connection};

use crate::error::Result;

/// What a registrant is counted by.
pub(crate) struct Counted<'a> {
    pub kind: &'a str,
    pub status: &'a str,
    pub area: Option<&'a str>,
    pub sex: Option<&'a str>,
    pub birth_date: Option<&'a str>,
}

#[derive(Clone, Default)]
pub(crate) struct CountChanges {
    /// (kind, status, area, sex) with '' for none, as the table keys them.
    registrants: HashMap<(String, String, String, String), i64>,
    /// Individuals by (status, birth date).
    birth_dates: HashMap<(String, String), i64>,
}

impl CountChanges {
    pub(crate) fn add(&mut self, c: &Counted<'_>, delta: i64) {
        let key = |v: Option<&str>| v.unwrap_or("").to_string();
        *self.registrants.entry((c.kind.to_string(), c.status.to_string(), key(c.area), key(c.sex))).or_default() +=
            delta;
        if c.kind == "individual" {
            *self.birth_dates.entry((c.status.to_string(), key(c.birth_date))).or_default() += delta;
        }
    }

    /// Applies the sums; a transaction that wrote no registrant prepares nothing.
    pub(crate) fn apply(&self, conn: &Connection) -> Result<()> {
        if self.registrants.is_empty() {
            return Ok(());
        }
        let mut registrants = conn.prepare_cached(
            "INSERT INTO registrant_counts (kind, status, area, sex, n) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT DO UPDATE SET n = n + excluded.n",
        )?;
        for ((kind, status, area, sex), n) in self.registrants.iter().filter(|(_, n)| **n != 0) {
            registrants.execute(params![kind, status, area, sex, n])?;
        }
        let mut birth_dates = conn.prepare_cached(
            "INSERT INTO birth_date_counts (status, birth_date, n) VALUES (?1, ?2, ?3)
             ON CONFLICT DO UPDATE SET n = n + excluded.n",
        )?;
        for ((status, birth_date), n) in self.birth_dates.iter().filter(|(_, n)| **n != 0) {
            birth_dates.execute(params![status, birth_date, n])?;
        }
        Ok(())
    }
}

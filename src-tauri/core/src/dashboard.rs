//! The home dashboard's numbers: registrants by kind, area, sex and age band, and imports over time.
//! Counts only, never a person's data, so every role that reads the registry may see them.

use rusqlite::Connection;
use serde::Serialize;
use ts_rs::TS;

use crate::auth::{require, Permission, Session};
use crate::error::Result;
use crate::store::Store;

#[derive(Debug, Clone, Serialize, TS)]
pub struct Count {
    /// The area, sex or band code; `None` where the registrant has none.
    pub key: Option<String>,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ImportDay {
    /// UTC day, `YYYY-MM-DD`.
    pub day: String,
    pub runs: i64,
    pub inserted: i64,
    pub updated: i64,
    pub rejected: i64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DashboardStats {
    pub individuals: i64,
    pub groups: i64,
    pub disabled: i64,
    pub by_area: Vec<Count>,
    pub by_sex: Vec<Count>,
    /// Active individuals by age band (`0-4`, `5-17`, `18-59`, `60+`, or `None` without a birth date).
    pub by_age_band: Vec<Count>,
    /// The last 30 days with an import.
    pub imports: Vec<ImportDay>,
}

/// Bands a program manager plans by: young children, school age, working age, elderly.
const AGE_BANDS: &[(&str, u32, Option<u32>)] =
    &[("0-4", 0, Some(4)), ("5-17", 5, Some(17)), ("18-59", 18, Some(59)), ("60+", 60, None)];

pub fn stats(store: &Store, session: &Session) -> Result<DashboardStats> {
    require(store, session, Permission::RegistryRead, "dashboard.stats")?;
    store.read(|conn| {
        let (individuals, groups, disabled) = conn.query_row(
            "SELECT count(*) FILTER (WHERE kind = 'individual' AND status = 'active'),
                    count(*) FILTER (WHERE kind = 'group' AND status = 'active'),
                    count(*) FILTER (WHERE status = 'disabled')
             FROM registrants",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        Ok(DashboardStats {
            individuals,
            groups,
            disabled,
            by_area: counts(
                conn,
                "SELECT area, count(*) FROM registrants WHERE status = 'active' AND kind = 'individual'
                 GROUP BY area ORDER BY area",
            )?,
            by_sex: counts(
                conn,
                "SELECT sex, count(*) FROM registrants WHERE status = 'active' AND kind = 'individual'
                 GROUP BY sex ORDER BY sex",
            )?,
            by_age_band: age_bands(conn)?,
            imports: imports(conn)?,
        })
    })
}

fn counts(conn: &Connection, sql: &str) -> Result<Vec<Count>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| Ok(Count { key: r.get(0)?, count: r.get(1)? }))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Birth dates are ISO text, so "born on or before today minus N years" is a string comparison.
fn age_bands(conn: &Connection) -> Result<Vec<Count>> {
    let today = crate::clock::today();
    let years_ago = |years: u32| {
        let year = today.year() - years as i32;
        // 29 February in a year without one counts from 1 March, as birthdays do.
        time::Date::from_calendar_date(year, today.month(), today.day())
            .unwrap_or_else(|_| time::Date::from_calendar_date(year, time::Month::March, 1).expect("1 March exists"))
            .to_string()
    };
    let mut sql = String::from("SELECT CASE");
    for (band, min, max) in AGE_BANDS {
        let oldest = max.map(|m| format!(" AND birth_date > '{}'", years_ago(m + 1))).unwrap_or_default();
        sql.push_str(&format!(" WHEN birth_date <= '{}'{oldest} THEN '{band}'", years_ago(*min)));
    }
    sql.push_str(
        " END AS band, count(*) FROM registrants WHERE status = 'active' AND kind = 'individual'
          GROUP BY band ORDER BY min(birth_date) DESC",
    );
    counts(conn, &sql)
}

fn imports(conn: &Connection) -> Result<Vec<ImportDay>> {
    let mut stmt = conn.prepare(
        "SELECT substr(started_at, 1, 10) AS day, count(*), sum(inserted), sum(updated), sum(rejected)
         FROM import_runs GROUP BY day ORDER BY day DESC LIMIT 30",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(ImportDay { day: r.get(0)?, runs: r.get(1)?, inserted: r.get(2)?, updated: r.get(3)?, rejected: r.get(4)? })
    })?;
    let mut days = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    days.reverse();
    Ok(days)
}

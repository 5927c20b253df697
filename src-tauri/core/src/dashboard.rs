//! The home dashboard's numbers: registrants by kind, area, sex and age band, and imports over time.
//! Counts only, never a person's data, so every role that reads the registry may see them.

use std::collections::BTreeMap;

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
        // The counts are kept by the registrant writer as rows are written (migration 0011): reading them
        // costs the same at a million registrants as at ten, where counting the rows took seconds.
        let mut stmt = conn.prepare_cached(
            "SELECT kind, status, nullif(area, ''), nullif(sex, ''), n FROM registrant_counts WHERE n <> 0",
        )?;
        let mut rows = stmt.query([])?;
        let (mut individuals, mut groups, mut disabled) = (0, 0, 0);
        let mut by_area = BTreeMap::<Option<String>, i64>::new();
        let mut by_sex = BTreeMap::<Option<String>, i64>::new();
        while let Some(r) = rows.next()? {
            let (kind, status): (String, String) = (r.get(0)?, r.get(1)?);
            let count: i64 = r.get(4)?;
            match (kind.as_str(), status.as_str()) {
                (_, "disabled") => disabled += count,
                ("group", _) => groups += count,
                _ => {
                    individuals += count;
                    *by_area.entry(r.get(2)?).or_default() += count;
                    *by_sex.entry(r.get(3)?).or_default() += count;
                }
            }
        }
        let sql = format!(
            "SELECT {} AS band, sum(n) FROM birth_date_counts WHERE status <> 'disabled' AND n <> 0 GROUP BY 1",
            age_band_expr("nullif(birth_date, '')")
        );
        let mut by_band = BTreeMap::<Option<String>, i64>::new();
        for row in conn.prepare(&sql)?.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))? {
            let (band, count) = row?;
            by_band.insert(band, count);
        }
        let counts =
            |m: BTreeMap<Option<String>, i64>| m.into_iter().map(|(key, count)| Count { key, count }).collect();
        // Bands in age order, youngest first, then people without a birth date.
        let mut by_age_band: Vec<Count> = AGE_BANDS
            .iter()
            .filter_map(|(band, _, _)| {
                by_band.remove(&Some(band.to_string())).map(|count| Count { key: Some(band.to_string()), count })
            })
            .collect();
        by_age_band.extend(counts(by_band));
        Ok(DashboardStats {
            individuals,
            groups,
            disabled,
            by_area: counts(by_area),
            by_sex: counts(by_sex),
            by_age_band,
            imports: imports(conn)?,
        })
    })
}

/// Birth dates are ISO text, so "born on or before today minus N years" is a string comparison.
fn age_band_expr(birth_date: &str) -> String {
    let today = crate::clock::today();
    let years_ago = |years: u32| crate::clock::years_before(today, years).to_string();
    let mut sql = String::from("CASE");
    for (band, min, max) in AGE_BANDS {
        let oldest = max.map(|m| format!(" AND {birth_date} > '{}'", years_ago(m + 1))).unwrap_or_default();
        sql.push_str(&format!(" WHEN {birth_date} <= '{}'{oldest} THEN '{band}'", years_ago(*min)));
    }
    sql.push_str(" END");
    sql
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

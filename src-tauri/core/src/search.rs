//! Finding registrants: exact lookups (reference, normalised ID value, phone), name search through the
//! full-text index, filters, sort, and keyset paging (never OFFSET).

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use rusqlite::types::Value;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::error::{CoreError, Result};
use crate::normalize::{fold_name, normalize_id_value, normalize_phone};
use crate::registry::model::{RegistrantKind, RegistrantStatus, RegistrantSummary};
use crate::registry::read::{summary_from_row, SUMMARY_COLUMNS};
use crate::store::Store;

pub const MAX_PAGE: u32 = 500;
/// The oldest age a filter may ask for.
pub const MAX_AGE: u32 = 150;
/// A reference, an ID, a phone or a few names fit many times over.
const MAX_QUERY_BYTES: usize = 500;

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct Filters {
    pub area: Option<String>,
    pub sex: Option<String>,
    /// Inclusive, in whole years today.
    pub age_min: Option<u32>,
    pub age_max: Option<u32>,
    pub tag: Option<String>,
    pub status: Option<RegistrantStatus>,
    pub kind: Option<RegistrantKind>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    /// Registration order (the reference sequence).
    #[default]
    Reference,
    Name,
    /// Individuals only: households have no birth date.
    BirthDate,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct SearchRequest {
    /// One box for a reference number, an ID value, a phone or a name (prefixes match).
    pub query: Option<String>,
    pub filters: Filters,
    pub sort: SortKey,
    pub descending: bool,
    /// Rows per page, 1 to 500; 50 when absent.
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Show personal fields unmasked (needs the permission; audited).
    pub reveal: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    Reference,
    IdValue,
    Phone,
    Name,
    /// No query: filters only.
    List,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SearchResponse {
    pub items: Vec<RegistrantSummary>,
    pub next_cursor: Option<String>,
    pub matched_by: MatchedBy,
}

#[derive(Serialize, Deserialize)]
struct Cursor {
    key: Option<String>,
    rowid: i64,
}

fn encode_cursor(c: &Cursor) -> String {
    B64.encode(serde_json::to_vec(c).expect("cursor serialises"))
}

fn decode_cursor(s: &str) -> Result<Cursor> {
    B64.decode(s)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| CoreError::InvalidInput("the page cursor is invalid; start from the first page".into()))
}

/// A full-text query from what a person typed: every word must match as a prefix.
fn fts_query(q: &str) -> Option<String> {
    let folded = fold_name(q);
    let terms: Vec<String> = folded.split(' ').filter(|t| !t.is_empty()).map(|t| format!("\"{t}\"*")).collect();
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

/// Birth-date bounds for an age range, as ISO strings.
fn age_bounds(min: Option<u32>, max: Option<u32>) -> (Option<String>, Option<String>) {
    let today = crate::clock::today();
    // Aged at least `min`: born on or before today minus min years.
    let latest = min.map(|m| crate::clock::years_before(today, m).to_string());
    // Aged at most `max`: born after today minus (max + 1) years.
    let earliest = max.and_then(|m| crate::clock::years_before(today, m + 1).next_day()).map(|d| d.to_string());
    (earliest, latest)
}

struct Query {
    sql: String,
    params: Vec<Value>,
}

/// A condition that narrows the rows before filters apply, with at most one parameter written `?P`.
struct Restrict {
    clause: String,
    param: Option<Value>,
}

fn build(req: &SearchRequest, restrict: Option<Restrict>, limit: u32) -> Result<Query> {
    // Households have no birth date: sorted "by birth date" they come in registration order.
    let sort = match (req.sort, req.filters.kind) {
        (SortKey::BirthDate, Some(RegistrantKind::Group)) => SortKey::Reference,
        (sort, _) => sort,
    };
    let mut sql = format!("SELECT {SUMMARY_COLUMNS}, ");
    let sort_expr = match sort {
        SortKey::Reference => "NULL",
        SortKey::Name => "r.sort_name",
        SortKey::BirthDate => "ifnull(r.birth_date, '')",
    };
    sql.push_str(sort_expr);
    sql.push_str(", r.rowid FROM registrants r WHERE 1 = 1");
    let mut params: Vec<Value> = Vec::new();
    if let Some(r) = restrict {
        match r.param {
            Some(p) => {
                params.push(p);
                sql.push_str(&r.clause.replace("?P", &format!("?{}", params.len())));
            }
            None => sql.push_str(&r.clause),
        }
    }
    let f = &req.filters;
    let mut eq = |col: &str, v: &Option<String>, sql: &mut String| {
        if let Some(v) = v {
            params.push(Value::Text(v.clone()));
            sql.push_str(&format!(" AND {col} = ?{}", params.len()));
        }
    };
    eq("r.area", &f.area, &mut sql);
    eq("r.sex", &f.sex, &mut sql);
    eq("r.status", &f.status.map(|s| s.as_str().to_string()), &mut sql);
    // Only people have birth dates: a list sorted by birth date is a list of individuals. The kind is
    // written as a literal, not a parameter, so the planner can use the birth-date indexes, which hold
    // individuals only.
    let kind = match (f.kind, sort) {
        (None, SortKey::BirthDate) => Some(RegistrantKind::Individual),
        (kind, _) => kind,
    };
    if let Some(kind) = kind {
        // In registration order the rowid is the order: a unary `+` keeps the planner off the indexes of one
        // kind, which would sort every household to show a page of them.
        let col = if sort == SortKey::Reference { "+r.kind" } else { "r.kind" };
        sql.push_str(&format!(" AND {col} = '{}'", kind.as_str()));
    }
    if let Some(tag) = &f.tag {
        params.push(Value::Text(tag.clone()));
        sql.push_str(&format!(
            " AND r.rowid IN (SELECT registrant FROM registrant_tags WHERE tag = ?{})",
            params.len()
        ));
    }
    if f.age_min.is_some() || f.age_max.is_some() {
        let (earliest, latest) = age_bounds(f.age_min, f.age_max);
        // Unless the list is sorted by birth date, a unary `+` keeps the planner from driving the page from
        // the birth-date index: an age band holds a large share of a registry, and sorting it all to show
        // fifty rows is what made filtered pages slow.
        let col = if sort == SortKey::BirthDate { "ifnull(r.birth_date, '')" } else { "+ifnull(r.birth_date, '')" };
        // Always a lower bound: people without a birth date sit at the start of the birth-date index (as
        // ''), and a scan that starts there walks past all of them before the first match.
        params.push(Value::Text(earliest.unwrap_or_else(|| "0".into())));
        sql.push_str(&format!(" AND {col} >= ?{}", params.len()));
        params.push(Value::Text(latest.unwrap_or_else(|| "9999".into())));
        sql.push_str(&format!(" AND {col} <= ?{} AND r.birth_date IS NOT NULL", params.len()));
    }
    let (cmp, dir) = if req.descending { ("<", "DESC") } else { (">", "ASC") };
    if let Some(c) = &req.cursor {
        let c = decode_cursor(c)?;
        if sort == SortKey::Reference {
            params.push(Value::Integer(c.rowid));
            sql.push_str(&format!(" AND r.rowid {cmp} ?{}", params.len()));
        } else {
            params.push(Value::Text(c.key.unwrap_or_default()));
            params.push(Value::Integer(c.rowid));
            let n = params.len();
            sql.push_str(&format!(" AND ({sort_expr}, r.rowid) {cmp} (?{}, ?{n})", n - 1));
        }
    }
    if sort == SortKey::Reference {
        sql.push_str(&format!(" ORDER BY r.rowid {dir}"));
    } else {
        sql.push_str(&format!(" ORDER BY {sort_expr} {dir}, r.rowid {dir}"));
    }
    params.push(Value::Integer(limit as i64 + 1));
    sql.push_str(&format!(" LIMIT ?{}", params.len()));
    Ok(Query { sql, params })
}

fn run(
    conn: &rusqlite::Connection,
    q: &Query,
    limit: u32,
    reveal: bool,
) -> Result<(Vec<RegistrantSummary>, Option<String>)> {
    let mut stmt = conn.prepare_cached(&q.sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(q.params.iter()))?;
    let mut items = Vec::new();
    let mut last: Option<Cursor> = None;
    let mut more = false;
    while let Some(r) = rows.next()? {
        if items.len() as u32 == limit {
            more = true;
            break;
        }
        items.push(summary_from_row(r, reveal)?);
        last = Some(Cursor { key: r.get(10)?, rowid: r.get(11)? });
    }
    Ok((items, if more { last.as_ref().map(encode_cursor) } else { None }))
}

fn exact_rowids(conn: &rusqlite::Connection, q: &str) -> Result<Option<(MatchedBy, Vec<i64>)>> {
    let collect = |sql: &str, v: &str| -> Result<Vec<i64>> {
        let mut stmt = conn.prepare_cached(sql)?;
        let ids = stmt.query_map([v], |r| r.get(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(ids)
    };
    let reference = q.trim().to_uppercase();
    let by_ref = collect("SELECT rowid FROM registrants WHERE reference = ?1", &reference)?;
    if !by_ref.is_empty() {
        return Ok(Some((MatchedBy::Reference, by_ref)));
    }
    // Under a profile that keeps ID numbers as keyed hashes, the typed number is hashed alike.
    let id_norm = if normalize_id_value(q).is_empty() {
        String::new()
    } else {
        crate::registry::privacy::load(conn)?.id_lookup(q)
    };
    if !id_norm.is_empty() {
        let by_id = collect("SELECT registrant FROM id_documents WHERE value_norm = ?1 LIMIT 1000", &id_norm)?;
        if !by_id.is_empty() {
            return Ok(Some((MatchedBy::IdValue, by_id)));
        }
    }
    let looks_like_phone = q.chars().filter(|c| c.is_ascii_digit()).count() >= 6
        && q.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if looks_like_phone {
        if let Some(p) = normalize_phone(q) {
            let by_phone = collect("SELECT rowid FROM registrants WHERE phone_norm = ?1 LIMIT 1000", &p)?;
            if !by_phone.is_empty() {
                return Ok(Some((MatchedBy::Phone, by_phone)));
            }
        }
    }
    Ok(None)
}

pub fn search(store: &Store, session: &Session, req: &SearchRequest) -> Result<SearchResponse> {
    require(store, session, Permission::RegistryRead, "registrant.search")?;
    if req.reveal {
        require(store, session, Permission::PersonalDataReveal, "registrant.reveal")?;
    }
    let limit = req.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(CoreError::InvalidInput(format!("limit must be between 1 and {MAX_PAGE}")));
    }
    for (name, age) in [("age_min", req.filters.age_min), ("age_max", req.filters.age_max)] {
        if age.is_some_and(|a| a > MAX_AGE) {
            return Err(CoreError::InvalidInput(format!("{name} must be between 0 and {MAX_AGE} years")));
        }
    }
    if req.query.as_deref().is_some_and(|q| q.len() > MAX_QUERY_BYTES) {
        return Err(CoreError::InvalidInput(format!("a search has at most {MAX_QUERY_BYTES} characters")));
    }
    let query = req.query.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let response = store.read(|conn| {
        let Some(q) = query else {
            let built = build(req, None, limit)?;
            let (items, next_cursor) = run(conn, &built, limit, req.reveal)?;
            return Ok(SearchResponse { items, next_cursor, matched_by: MatchedBy::List });
        };
        if let Some((matched_by, rowids)) = exact_rowids(conn, q)? {
            let list = rowids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            let built = build(req, Some(Restrict { clause: format!(" AND r.rowid IN ({list})"), param: None }), limit)?;
            let (items, next_cursor) = run(conn, &built, limit, req.reveal)?;
            return Ok(SearchResponse { items, next_cursor, matched_by });
        }
        let Some(fts) = fts_query(q) else {
            return Ok(SearchResponse { items: Vec::new(), next_cursor: None, matched_by: MatchedBy::Name });
        };
        let restrict = Restrict {
            clause: " AND r.rowid IN (SELECT rowid FROM name_index WHERE name_index MATCH ?P)".into(),
            param: Some(Value::Text(fts)),
        };
        let built = build(req, Some(restrict), limit)?;
        let (items, next_cursor) = run(conn, &built, limit, req.reveal)?;
        Ok(SearchResponse { items, next_cursor, matched_by: MatchedBy::Name })
    })?;
    if req.reveal && !response.items.is_empty() {
        store.write_as(session.username(), |tx| {
            tx.audit(AuditEvent::new(session, "registrant.reveal").details(serde_json::json!({
                "search": true,
                "references": response.items.iter().map(|i| i.reference.as_str()).collect::<Vec<_>>(),
            })))
        })?;
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_query_quotes_each_folded_word_as_prefix() {
        assert_eq!(fts_query("Éli DU").as_deref(), Some("\"eli\"* AND \"du\"*"));
        assert_eq!(fts_query("  -- "), None);
    }

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = encode_cursor(&Cursor { key: Some("x".into()), rowid: 7 });
        assert_eq!(decode_cursor(&c).unwrap().rowid, 7);
        assert!(decode_cursor("!!").is_err());
    }
}

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
use crate::spelling::word_forms;
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
    /// A name search: the items from this index on match the name in another script or spelling (Lukasz
    /// for Łukasz, Mohamed for محمد or Muhammad), not the letters typed. Those come after every exact match.
    pub similar_from: Option<u32>,
}

/// Where the next page starts: after `(key, rowid)` in the list's order, or at the start of its tier when
/// `rowid` is absent. A name search lists exact matches, then similar ones (`similar`).
#[derive(Serialize, Deserialize, Default)]
struct Cursor {
    key: Option<String>,
    rowid: Option<i64>,
    #[serde(default)]
    similar: bool,
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

/// A full-text query for the letters typed: every word a prefix of a word of the name as written.
fn exact_name_query(q: &str) -> Option<String> {
    let folded = fold_name(q);
    let terms: Vec<String> = folded.split(' ').filter(|t| !t.is_empty()).map(|t| format!("name : \"{t}\"*")).collect();
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

/// A full-text query for the same name in any script or spelling: each word typed matches a word of the
/// name as written or transliterated (as a prefix), or has its consonant skeleton.
fn similar_name_query(q: &str) -> Option<String> {
    let words = word_forms(q);
    let clauses: Vec<String> = words
        .iter()
        .map(|w| {
            let mut any = vec![format!("name : \"{}\"*", w.folded)];
            if !w.latin.is_empty() {
                any.push(format!("name : \"{}\"*", w.latin));
                any.push(format!("latin : \"{}\"*", w.latin));
            }
            if !w.skeleton.is_empty() {
                any.push(format!("skeleton : \"{}\"", w.skeleton));
            }
            any.dedup();
            format!("({})", any.join(" OR "))
        })
        .collect();
    (!clauses.is_empty()).then(|| clauses.join(" AND "))
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

/// A condition that narrows the rows before filters apply; its parameters are written `?P0`, `?P1`, ...
struct Restrict {
    clause: String,
    params: Vec<Value>,
}

fn build(req: &SearchRequest, cursor: Option<&Cursor>, restrict: Option<Restrict>, limit: u32) -> Result<Query> {
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
        let mut clause = r.clause;
        for (i, p) in r.params.into_iter().enumerate() {
            params.push(p);
            clause = clause.replace(&format!("?P{i}"), &format!("?{}", params.len()));
        }
        sql.push_str(&clause);
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
    if let Some((key, rowid)) = cursor.and_then(|c| Some((&c.key, c.rowid?))) {
        if sort == SortKey::Reference {
            params.push(Value::Integer(rowid));
            sql.push_str(&format!(" AND r.rowid {cmp} ?{}", params.len()));
        } else {
            params.push(Value::Text(key.clone().unwrap_or_default()));
            params.push(Value::Integer(rowid));
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
    similar: bool,
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
        last = Some(Cursor { key: r.get(10)?, rowid: Some(r.get(11)?), similar });
    }
    // A page that ends where its tier does continues from the start of the next.
    Ok((items, more.then(|| encode_cursor(&last.unwrap_or(Cursor { similar, ..Cursor::default() })))))
}

/// Exact matches of the letters typed first, then the same name in other scripts and spellings; one
/// page may hold the last exact matches and the first similar ones.
fn search_names(
    conn: &rusqlite::Connection,
    req: &SearchRequest,
    q: &str,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<SearchResponse> {
    let (Some(exact), Some(similar)) = (exact_name_query(q), similar_name_query(q)) else {
        return Ok(SearchResponse {
            items: Vec::new(),
            next_cursor: None,
            matched_by: MatchedBy::Name,
            similar_from: None,
        });
    };
    const EXACT: &str = "SELECT rowid FROM name_index WHERE name_index MATCH ?P0";
    let mut items = Vec::new();
    let in_similar = cursor.is_some_and(|c| c.similar);
    if !in_similar {
        let restrict =
            Restrict { clause: format!(" AND r.rowid IN ({EXACT})"), params: vec![Value::Text(exact.clone())] };
        let built = build(req, cursor, Some(restrict), limit)?;
        let (found, next_cursor) = run(conn, &built, limit, req.reveal, false)?;
        if next_cursor.is_some() {
            return Ok(SearchResponse { items: found, next_cursor, matched_by: MatchedBy::Name, similar_from: None });
        }
        items = found;
    }
    let restrict = Restrict {
        clause: format!(
            " AND r.rowid IN (SELECT rowid FROM name_index WHERE name_index MATCH ?P1) AND r.rowid NOT IN ({EXACT})"
        ),
        params: vec![Value::Text(exact), Value::Text(similar)],
    };
    let rest = limit - items.len() as u32;
    let built = build(req, cursor.filter(|_| in_similar), Some(restrict), rest)?;
    let (found, next_cursor) = run(conn, &built, rest, req.reveal, true)?;
    let similar_from = (!found.is_empty()).then_some(items.len() as u32);
    items.extend(found);
    Ok(SearchResponse { items, next_cursor, matched_by: MatchedBy::Name, similar_from })
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
    // The digits of an ID whose value starts with letters (110336044 for NID110336044). Under a profile
    // that keeps ID numbers as keyed hashes, the letters are not there to strip.
    let id_digits = normalize_id_value(q);
    if !id_digits.is_empty() && id_digits.bytes().all(|b| b.is_ascii_digit()) && id_norm == id_digits {
        let by_digits = collect(
            "SELECT registrant FROM id_documents
             WHERE ltrim(value_norm, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') = ?1 LIMIT 1000",
            &id_digits,
        )?;
        if !by_digits.is_empty() {
            return Ok(Some((MatchedBy::IdValue, by_digits)));
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
    let cursor = req.cursor.as_deref().map(decode_cursor).transpose()?;
    let response = store.read(|conn| {
        let Some(q) = query else {
            let built = build(req, cursor.as_ref(), None, limit)?;
            let (items, next_cursor) = run(conn, &built, limit, req.reveal, false)?;
            return Ok(SearchResponse { items, next_cursor, matched_by: MatchedBy::List, similar_from: None });
        };
        if let Some((matched_by, rowids)) = exact_rowids(conn, q)? {
            let list = rowids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            let restrict = Restrict { clause: format!(" AND r.rowid IN ({list})"), params: Vec::new() };
            let built = build(req, cursor.as_ref(), Some(restrict), limit)?;
            let (items, next_cursor) = run(conn, &built, limit, req.reveal, false)?;
            return Ok(SearchResponse { items, next_cursor, matched_by, similar_from: None });
        }
        search_names(conn, req, q, cursor.as_ref(), limit)
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
    fn an_exact_query_asks_each_folded_word_as_a_prefix_of_the_name_as_written() {
        assert_eq!(exact_name_query("Éli DU").as_deref(), Some("name : \"eli\"* AND name : \"du\"*"));
        assert_eq!(exact_name_query("  -- "), None);
    }

    #[test]
    fn a_similar_query_asks_each_word_in_any_of_its_forms() {
        assert_eq!(
            similar_name_query("محمد Aya").as_deref(),
            Some(concat!(
                "(name : \"محمد\"* OR name : \"mhmd\"* OR latin : \"mhmd\"* OR skeleton : \"md\")",
                " AND (name : \"aya\"* OR latin : \"aya\"*)"
            ))
        );
        assert_eq!(similar_name_query("  -- "), None);
    }

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = encode_cursor(&Cursor { key: Some("x".into()), rowid: Some(7), similar: true });
        let back = decode_cursor(&c).unwrap();
        assert_eq!((back.rowid, back.similar), (Some(7), true));
        assert!(decode_cursor("!!").is_err());
    }
}

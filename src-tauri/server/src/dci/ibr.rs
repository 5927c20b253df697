//! The Integrated Beneficiary Registry profile, server side: who is in which program, what they were
//! entitled to and whether it was paid, by a person's ID, within the caller's scope.

use deadpool_postgres::GenericClient;
use uuid::Uuid;

use super::envelope::{Rejection, Status};
use super::oauth::Caller;
use super::{query, records};
use crate::error::Result;

/// How many requests one message may carry.
pub const MAX_REQUESTS: usize = 100;
const MAX_PAGE: i64 = 1_000;

/// One request's answer: its status, and the data or the reason.
pub struct Answered {
    pub item: serde_json::Value,
    pub status: Status,
    /// Registrants whose data the answer reveals (for the audit).
    pub people: usize,
}

fn text<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(|x| x.as_str())
}

fn rejected(reference: &str, r: Rejection) -> Answered {
    Answered {
        item: serde_json::json!({
            "reference_id": reference, "timestamp": super::envelope::now(), "status": "rjct",
            "status_reason_code": r.code, "status_reason_message": r.message,
        }),
        status: Status::Rejected,
        people: 0,
    }
}

/// The requests of a message under `key`, each with a `reference_id` of at most 99 characters.
pub fn requests<'a>(
    message: &'a serde_json::Value,
    key: &str,
) -> std::result::Result<&'a Vec<serde_json::Value>, Rejection> {
    let list = message
        .get(key)
        .and_then(|v| v.as_array())
        .ok_or_else(|| Rejection::new("rjct.search_criteria.invalid", format!("the message has no `{key}` list")))?;
    Ok(list)
}

fn reference(item: &serde_json::Value) -> std::result::Result<String, Rejection> {
    match text(item, "reference_id") {
        Some(r) if !r.is_empty() && r.len() <= 99 => Ok(r.to_string()),
        _ => Err(Rejection::new("rjct.reference_id.invalid", "reference_id is 1 to 99 characters")),
    }
}

/// One `search_request`: `idtype-value` (or the older `idtype`) or `predicate`, a page of records.
pub async fn search(client: &impl GenericClient, caller: &Caller, item: &serde_json::Value) -> Result<Answered> {
    let reference = match reference(item) {
        Ok(r) => r,
        Err(r) => return Ok(rejected("", r)),
    };
    let criteria = item.get("search_criteria").cloned().unwrap_or_default();
    let names = caller.may("ibr.names");
    let (size, page) = match query::pagination(criteria.get("pagination"), MAX_PAGE) {
        Ok(p) => p,
        Err(r) => return Ok(rejected(&reference, r)),
    };
    let query = criteria.get("query").cloned().unwrap_or_default();
    let (people, total) = match text(&criteria, "query_type") {
        Some("idtype-value" | "idtype") => {
            let (Some(id_type), Some(value)) = (
                text(&query, "type"),
                query
                    .get("value")
                    .and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_i64().map(|n| n.to_string()))),
            ) else {
                return Ok(rejected(
                    &reference,
                    Rejection::new("rjct.search_criteria.invalid", "an idtype-value query has a type and a value"),
                ));
            };
            if id_type.len() > 64 || value.len() > 200 {
                return Ok(rejected(
                    &reference,
                    Rejection::new("rjct.search_criteria.invalid", "the id type or value is too long"),
                ));
            }
            let all = records::by_id(client, id_type, &value).await?;
            let total = all.len() as i64;
            (all.into_iter().skip(((page - 1) * size) as usize).take(size as usize).collect::<Vec<Uuid>>(), total)
        }
        Some("predicate") => match query::predicate(&query, names) {
            Ok(filter) => query::search(client, &filter, size, page).await?,
            Err(r) => return Ok(rejected(&reference, r)),
        },
        Some("expression") => {
            return Ok(rejected(
                &reference,
                Rejection::new(
                    "rjct.search_criteria.invalid",
                    "expression queries are not taken here: use idtype-value or predicate",
                ),
            ))
        }
        _ => {
            return Ok(rejected(
                &reference,
                Rejection::new("rjct.search_criteria.invalid", "query_type is idtype-value or predicate"),
            ))
        }
    };
    if page > 1 && (page - 1) * size >= total {
        return Ok(rejected(
            &reference,
            Rejection::new(
                "rjct.pagination.invalid",
                format!("there are {total} records: page {page} is beyond the end"),
            ),
        ));
    }
    let found = records::records(client, &people, names).await?;
    let n = found.len();
    Ok(Answered {
        item: serde_json::json!({
            "reference_id": reference,
            "timestamp": super::envelope::now(),
            "status": "succ",
            "data": { "version": "1.0.0", "reg_record_type": "Person", "reg_records": found },
            "pagination": { "page_size": size, "page_number": page, "total_count": total },
        }),
        status: Status::Success,
        people: n,
    })
}

/// One `enrolled_request`: the programs a person (named by an ID) is in, optionally one program.
pub async fn enrolled(client: &impl GenericClient, caller: &Caller, item: &serde_json::Value) -> Result<Answered> {
    let reference = match reference(item) {
        Ok(r) => r,
        Err(r) => return Ok(rejected("", r)),
    };
    let identifier = item.get("identifier").cloned().unwrap_or_default();
    let (Some(id_type), Some(value)) = (text(&identifier, "identifier_type"), text(&identifier, "identifier_value"))
    else {
        return Ok(rejected(
            &reference,
            Rejection::new("rjct.search_criteria.invalid", "identifier has identifier_type and identifier_value"),
        ));
    };
    if id_type.len() > 64 || value.len() > 200 {
        return Ok(rejected(
            &reference,
            Rejection::new("rjct.search_criteria.invalid", "the id type or value is too long"),
        ));
    }
    let people = records::by_id(client, id_type, value).await?;
    let mut found = records::records(client, &people, caller.may("ibr.names")).await?;
    if let Some(code) = text(item, "programme_identifier") {
        for record in &mut found {
            if let Some(list) = record["programmes"].as_array_mut() {
                list.retain(|p| p["programme_identifier"] == code);
            }
        }
    }
    let n = found.len();
    Ok(Answered {
        item: serde_json::json!({
            "reference_id": reference, "timestamp": super::envelope::now(), "status": "succ",
            "person_found": n > 0, "reg_records": found,
        }),
        status: Status::Success,
        people: n,
    })
}

/// `enrollment/updates`: membership changes after an opaque cursor (the change log's), a page at a time,
/// optionally for one program. The caller keeps `next_cursor` for its next call.
pub async fn updates(
    client: &impl GenericClient,
    caller: &Caller,
    message: &serde_json::Value,
) -> Result<std::result::Result<(serde_json::Value, usize), Rejection>> {
    let request = message.get("updates_request").cloned().unwrap_or_default();
    let after: i64 = match request.get("cursor") {
        None => 0,
        Some(v) => match v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_i64()) {
            Some(c) if c >= 0 => c,
            _ => {
                return Ok(Err(Rejection::new(
                    "rjct.search_criteria.invalid",
                    "cursor is a value an earlier answer gave",
                )))
            }
        },
    };
    let size = match query::pagination(request.get("pagination"), MAX_PAGE) {
        Ok((size, 1)) => size,
        Ok(_) => return Ok(Err(Rejection::new("rjct.pagination.invalid", "updates page by cursor, not page_number"))),
        Err(r) => return Ok(Err(r)),
    };
    let program = text(&request, "programme_identifier").map(str::to_string);
    let rows = client
        .query(
            "SELECT m.registrant, m.changed_at_cursor FROM registry_memberships m JOIN registry_programs p ON p.id = m.program
             WHERE m.changed_at_cursor > $1 AND ($2::text IS NULL OR p.code = $2)
             ORDER BY m.changed_at_cursor, m.id LIMIT $3",
            &[&after, &program, &size],
        )
        .await?;
    let mut people: Vec<Uuid> = rows.iter().map(|r| r.get(0)).collect();
    people.dedup();
    let next = rows.last().map(|r| r.get::<_, i64>(1)).unwrap_or(after);
    let mut found = records::records(client, &people, caller.may("ibr.names")).await?;
    if let Some(code) = &program {
        for record in &mut found {
            if let Some(list) = record["programmes"].as_array_mut() {
                list.retain(|p| p["programme_identifier"] == code.as_str());
            }
        }
    }
    let n = found.len();
    Ok(Ok((
        serde_json::json!({
            "updates": found, "next_cursor": next.to_string(), "more": rows.len() as i64 == size,
        }),
        n,
    )))
}

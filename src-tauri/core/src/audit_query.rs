//! Reading the audit log, for those who may (`audit_read`).

use std::collections::BTreeMap;

use rusqlite::OptionalExtension;
use uuid::Uuid;

use crate::audit::{entry_from_row, AuditPage, AuditQuery, ENTRY_COLUMNS};
use crate::auth::{require, Permission, Session};
use crate::error::Result;
use crate::store::Store;

pub fn list(store: &Store, session: &Session, query: &AuditQuery) -> Result<AuditPage> {
    require(store, session, Permission::AuditRead, "audit.list")?;
    let limit = query.limit.unwrap_or(100).clamp(1, 500);
    let mut sql = format!("SELECT {ENTRY_COLUMNS} FROM audit_log WHERE seq < ?1");
    let mut args: Vec<Box<dyn rusqlite::ToSql>> = vec![Box::new(query.before.unwrap_or(i64::MAX))];
    let mut add = |clause: &str, value: Box<dyn rusqlite::ToSql>| {
        args.push(value);
        sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
    };
    if let Some(a) = query.action.as_deref().filter(|a| !a.is_empty()) {
        // substr instead of LIKE: an action typed with `%` or `_` matches literally.
        add(" AND substr(action, 1, length(?)) = ?", Box::new(a.to_string()));
    }
    if let Some(u) = query.username.as_deref().filter(|u| !u.is_empty()) {
        add(" AND username = ?", Box::new(u.to_string()));
    }
    if let Some(e) = query.entity_id.as_deref().filter(|e| !e.is_empty()) {
        add(" AND entity_id = ?", Box::new(e.to_string()));
    }
    if let Some(o) = query.outcome {
        add(" AND outcome = ?", Box::new(o.as_str().to_string()));
    }
    if let Some(f) = query.from.as_deref().filter(|f| !f.is_empty()) {
        add(" AND at >= ?", Box::new(f.to_string()));
    }
    if let Some(t) = query.to.as_deref().filter(|t| !t.is_empty()) {
        // A bare day includes the whole of that day.
        let bound = if t.len() == 10 { format!("{t}T99") } else { t.to_string() };
        add(" AND at <= ?", Box::new(bound));
    }
    add(" ORDER BY seq DESC LIMIT ?", Box::new(i64::from(limit) + 1));
    store.read(|conn| {
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter().map(|a| a.as_ref())), entry_from_row)?;
        let mut entries = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        let next_before = if entries.len() > limit as usize {
            entries.truncate(limit as usize);
            entries.last().map(|e| e.seq)
        } else {
            None
        };
        let labels = labels(conn, &entries)?;
        Ok(AuditPage { entries, next_before, labels })
    })
}

/// The name each entry's record goes by, for the records that still exist.
fn labels(conn: &rusqlite::Connection, entries: &[crate::audit::AuditEntry]) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for e in entries {
        let (Some(entity), Some(id)) = (e.entity.as_deref(), e.entity_id.as_deref()) else { continue };
        if out.contains_key(id) {
            continue;
        }
        let sql = match entity {
            "registrant" => "SELECT reference FROM registrants WHERE id = ?1",
            "program" => "SELECT code || ' · ' || name FROM programs WHERE id = ?1",
            "cycle" => {
                "SELECT p.code || ' · ' || c.name FROM cycles c JOIN programs p ON p.rowid = c.program WHERE c.id = ?1"
            }
            "user" => "SELECT username FROM users WHERE id = ?1",
            "import_run" => {
                let Ok(run) = id.parse::<i64>() else { continue };
                let sql = "SELECT file_name FROM import_runs WHERE id = ?1";
                if let Some(file) = conn.query_row(sql, [run], |r| r.get::<_, String>(0)).optional()? {
                    out.insert(id.to_string(), file);
                }
                continue;
            }
            _ => continue,
        };
        let Ok(uuid) = Uuid::parse_str(id) else { continue };
        if let Some(label) = conn.query_row(sql, [uuid], |r| r.get::<_, String>(0)).optional()? {
            out.insert(id.to_string(), label);
        }
    }
    Ok(out)
}

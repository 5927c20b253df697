//! The append-only audit log. Each entry carries HMAC-SHA256(previous mac || its own content) under a key
//! derived from the database key, and the office row keeps the head, so edits, deletions and a cut-off
//! tail are all detected by `verify`.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::clock::now_rfc3339;
use crate::error::Result;
use crate::session::Session;
use crate::store::{Store, Tx};

pub use br_model::audit::AuditEntry;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
        }
    }
}

/// What happened. `details` must already be masked: callers pass field names and masked values only.
pub struct AuditEvent<'s> {
    pub actor: Option<&'s Session>,
    pub action: &'static str,
    pub entity: Option<&'static str>,
    pub entity_id: Option<String>,
    pub outcome: Outcome,
    pub details: serde_json::Value,
}

impl<'s> AuditEvent<'s> {
    pub fn new(actor: &'s Session, action: &'static str) -> Self {
        AuditEvent {
            actor: Some(actor),
            action,
            entity: None,
            entity_id: None,
            outcome: Outcome::Ok,
            details: serde_json::Value::Null,
        }
    }
    pub fn on(mut self, entity: &'static str, id: impl Into<String>) -> Self {
        self.entity = Some(entity);
        self.entity_id = Some(id.into());
        self
    }
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
    pub fn denied(mut self) -> Self {
        self.outcome = Outcome::Denied;
        self
    }
}

struct EntryFields<'a> {
    seq: i64,
    at: &'a str,
    user_id: Option<&'a [u8]>,
    username: Option<&'a str>,
    action: &'a str,
    entity: Option<&'a str>,
    entity_id: Option<&'a str>,
    outcome: &'a str,
    details: &'a str,
}

fn mac_of(key: &ring::hmac::Key, prev_mac: &[u8], e: &EntryFields<'_>) -> Vec<u8> {
    let mut ctx = ring::hmac::Context::with_key(key);
    // Length-prefixed fields: no two different entries encode to the same bytes.
    let mut put = |b: &[u8]| {
        ctx.update(&(b.len() as u64).to_be_bytes());
        ctx.update(b);
    };
    put(prev_mac);
    put(&e.seq.to_be_bytes());
    put(e.at.as_bytes());
    put(e.user_id.unwrap_or_default());
    put(e.username.unwrap_or_default().as_bytes());
    put(e.action.as_bytes());
    put(e.entity.unwrap_or_default().as_bytes());
    put(e.entity_id.unwrap_or_default().as_bytes());
    put(e.outcome.as_bytes());
    put(e.details.as_bytes());
    ctx.sign().as_ref().to_vec()
}

impl Tx<'_> {
    pub fn audit(&mut self, event: AuditEvent<'_>) -> Result<()> {
        if self.audit.is_none() {
            let (seq, mac): (i64, Option<Vec<u8>>) = self.conn().query_row(
                "SELECT audit_head_seq, audit_head_mac FROM office WHERE singleton = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            self.audit = Some((seq + 1, mac.unwrap_or_default()));
        }
        let (seq, prev) = self.audit.take().expect("loaded above");
        let at = now_rfc3339();
        let details = event.details.to_string();
        let user_id = event.actor.map(|s| s.user_id.as_bytes().to_vec());
        let username = event.actor.map(|s| s.username.clone());
        let fields = EntryFields {
            seq,
            at: &at,
            user_id: user_id.as_deref(),
            username: username.as_deref(),
            action: event.action,
            entity: event.entity,
            entity_id: event.entity_id.as_deref(),
            outcome: event.outcome.as_str(),
            details: &details,
        };
        let mac = mac_of(self.store().audit_key(), &prev, &fields);
        self.conn()
            .prepare_cached(
                "INSERT INTO audit_log (seq, at, user_id, username, action, entity, entity_id, outcome, details, mac)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                seq,
                at,
                user_id,
                username,
                event.action,
                event.entity,
                event.entity_id,
                fields.outcome,
                details,
                mac
            ])?;
        self.audit = Some((seq + 1, mac));
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AuditVerifyReport {
    pub entries_checked: i64,
    pub ok: bool,
    /// The first entry whose link does not hold, if any.
    pub first_broken_seq: Option<i64>,
    pub reason: Option<String>,
}

pub fn verify(store: &Store) -> Result<AuditVerifyReport> {
    store.read(|conn| verify_on(conn, store.audit_key()))
}

fn verify_on(conn: &Connection, key: &ring::hmac::Key) -> Result<AuditVerifyReport> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, user_id, username, action, entity, entity_id, outcome, details, mac FROM audit_log ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut prev: Vec<u8> = Vec::new();
    let mut expected = 1i64;
    let mut checked = 0i64;
    let broken = |seq: i64, reason: &str, checked: i64| AuditVerifyReport {
        entries_checked: checked,
        ok: false,
        first_broken_seq: Some(seq),
        reason: Some(reason.to_string()),
    };
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        if seq != expected {
            return Ok(broken(expected, "entry missing (deleted)", checked));
        }
        let at: String = r.get(1)?;
        let user_id: Option<Vec<u8>> = r.get(2)?;
        let username: Option<String> = r.get(3)?;
        let action: String = r.get(4)?;
        let entity: Option<String> = r.get(5)?;
        let entity_id: Option<String> = r.get(6)?;
        let outcome: String = r.get(7)?;
        let details: String = r.get(8)?;
        let mac: Vec<u8> = r.get(9)?;
        let fields = EntryFields {
            seq,
            at: &at,
            user_id: user_id.as_deref(),
            username: username.as_deref(),
            action: &action,
            entity: entity.as_deref(),
            entity_id: entity_id.as_deref(),
            outcome: &outcome,
            details: &details,
        };
        let want = mac_of(key, &prev, &fields);
        if want != mac {
            return Ok(broken(seq, "entry altered or chain re-linked", checked));
        }
        prev = mac;
        expected += 1;
        checked += 1;
    }
    let head: Option<(i64, Option<Vec<u8>>)> = conn
        .query_row("SELECT audit_head_seq, audit_head_mac FROM office WHERE singleton = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    if let Some((head_seq, head_mac)) = head {
        if head_seq != checked || head_mac.unwrap_or_default() != prev {
            return Ok(broken(checked + 1, "entries cut off the end of the log", checked));
        }
    }
    Ok(AuditVerifyReport { entries_checked: checked, ok: true, first_broken_seq: None, reason: None })
}

/// Filters of the audit log screen; every field narrows the list.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct AuditQuery {
    /// Actions starting with this, e.g. `registrant.` or `registrant.reveal`.
    pub action: Option<String>,
    pub username: Option<String>,
    pub entity_id: Option<String>,
    pub outcome: Option<Outcome>,
    /// Inclusive UTC bounds, RFC 3339 or `YYYY-MM-DD`.
    pub from: Option<String>,
    pub to: Option<String>,
    /// The `next_before` of the previous page: entries older than this.
    pub before: Option<i64>,
    /// 1 to 500; 100 when absent.
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AuditPage {
    /// Newest first.
    pub entries: Vec<AuditEntry>,
    pub next_before: Option<i64>,
    /// What the entries' records are called where people see them, by entity id: a registrant's
    /// reference, a program's code, a cycle's name, an import's file, a user's name. No personal data.
    pub labels: std::collections::BTreeMap<String, String>,
}

/// The columns `entry_from_row` reads, in its order.
pub(crate) const ENTRY_COLUMNS: &str = "seq, at, username, action, entity, entity_id, outcome, details";

pub(crate) fn entry_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    let details: String = r.get(7)?;
    Ok(AuditEntry {
        seq: r.get(0)?,
        at: r.get(1)?,
        username: r.get(2)?,
        action: r.get(3)?,
        entity: r.get(4)?,
        entity_id: r.get(5)?,
        outcome: r.get(6)?,
        details: serde_json::from_str(&details).unwrap_or(serde_json::Value::String(details)),
    })
}

//! This desk's enrolment and sync bookmarks (`sync_server`), and the status people see.

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::auth::{require, Permission, Session};
use crate::error::Result;
use crate::store::Store;

/// The enrolment as stored.
pub(super) struct Enrolment {
    pub url: String,
    pub ca_pem: Option<String>,
    pub device_key: Zeroizing<Vec<u8>>,
    pub pushed_seq: i64,
    pub pull_cursor: i64,
    /// A first sync's snapshot being applied (its manifest, as JSON) and the next chunk to apply.
    pub snapshot_manifest: Option<String>,
    pub snapshot_next: i64,
    pub first_sync_done: bool,
    /// The desk's office sees every office's data and sends payment batches through the engine.
    pub headquarters: bool,
}

pub(super) fn enrolment(conn: &Connection) -> Result<Option<Enrolment>> {
    Ok(conn
        .query_row(
            "SELECT url, ca_pem, device_key, pushed_seq, pull_cursor, snapshot_manifest, snapshot_next,
                    first_sync_at IS NOT NULL, headquarters
             FROM sync_server WHERE singleton = 1",
            [],
            |r| {
                Ok(Enrolment {
                    url: r.get(0)?,
                    ca_pem: r.get(1)?,
                    device_key: Zeroizing::new(r.get(2)?),
                    pushed_seq: r.get(3)?,
                    pull_cursor: r.get(4)?,
                    snapshot_manifest: r.get(5)?,
                    snapshot_next: r.get(6)?,
                    first_sync_done: r.get(7)?,
                    headquarters: r.get(8)?,
                })
            },
        )
        .optional()?)
}

/// Where this desk stands with its central server.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SyncStatus {
    pub enrolled: bool,
    pub server: Option<String>,
    pub device_id: Uuid,
    pub office_code: String,
    pub office_name: String,
    pub headquarters: bool,
    pub desk_number: Option<i64>,
    pub enrolled_at: Option<String>,
    pub last_success_at: Option<String>,
    pub last_attempt_at: Option<String>,
    pub last_error: Option<String>,
    /// This desk's ops the server does not hold yet.
    pub ops_waiting: i64,
    pub pulled_to: i64,
    /// The server's newest cursor at the last pull.
    pub server_head: i64,
    pub conflicts_open: i64,
    pub rejected: i64,
}

pub fn status(store: &Store, session: &Session) -> Result<SyncStatus> {
    require(store, session, Permission::RegistryRead, "sync.status")?;
    let office = store.office();
    store.read(|conn| {
        let row = conn
            .query_row(
                "SELECT url, office_code, office_name, headquarters, desk_number, enrolled_at, last_success_at,
                        last_attempt_at, last_error, pushed_seq, pull_cursor, server_head
                 FROM sync_server WHERE singleton = 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, bool>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, Option<String>>(7)?,
                        r.get::<_, Option<String>>(8)?,
                        r.get::<_, i64>(9)?,
                        r.get::<_, i64>(10)?,
                        r.get::<_, i64>(11)?,
                    ))
                },
            )
            .optional()?;
        let pushed = row.as_ref().map_or(0, |r| r.9);
        let ops_waiting: i64 =
            conn.query_row("SELECT count(*) FROM outbox WHERE seq > ?1 AND format > 0", [pushed], |r| r.get(0))?;
        let conflicts_open: i64 =
            conn.query_row("SELECT count(*) FROM sync_conflicts WHERE resolved_at IS NULL", [], |r| r.get(0))?;
        let rejected: i64 = conn.query_row("SELECT count(*) FROM sync_rejections", [], |r| r.get(0))?;
        Ok(match row {
            Some((url, code, name, hq, desk, enrolled_at, success, attempt, error, _, cursor, head)) => SyncStatus {
                enrolled: true,
                server: Some(url),
                device_id: office.device_id,
                office_code: code,
                office_name: name,
                headquarters: hq,
                desk_number: Some(desk),
                enrolled_at: Some(enrolled_at),
                last_success_at: success,
                last_attempt_at: attempt,
                last_error: error,
                ops_waiting,
                pulled_to: cursor,
                server_head: head,
                conflicts_open,
                rejected,
            },
            None => SyncStatus {
                enrolled: false,
                server: None,
                device_id: office.device_id,
                office_code: office.code.clone(),
                office_name: office.name.clone(),
                headquarters: false,
                desk_number: None,
                enrolled_at: None,
                last_success_at: None,
                last_attempt_at: None,
                last_error: None,
                ops_waiting,
                pulled_to: 0,
                server_head: 0,
                conflicts_open,
                rejected,
            },
        })
    })
}

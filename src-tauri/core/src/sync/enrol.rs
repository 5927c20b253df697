//! Enrolment: this desk makes its signing key, trades a one-time code for a place in an office, and takes
//! that office's identity: the rows it created and the ops it has not pushed yet are rewritten to the
//! server's office id and a fresh device id, in one transaction.

use base64::Engine as _;
use br_protocol::signing::DeviceKey;
use br_protocol::wire::{EnrolRequest as WireEnrol, EnrolResponse};
use br_protocol::PROTOCOL_VERSION;
use rusqlite::params;
use serde::Deserialize;
use ts_rs::TS;
use uuid::Uuid;

use super::state::{enrolment, status, SyncStatus};
use super::transport::Transport;
use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::clock::now_rfc3339;
use crate::error::{CoreError, Result};
use crate::store::{OfficeInfo, Store};

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SyncEnrolRequest {
    /// `https://…` (or `http://` on this computer).
    pub url: String,
    /// The one-time code the server's operator gave (`br-server device code OFFICE`).
    pub code: String,
    /// A CA certificate (PEM text) to trust for this server, when its certificate is not from a public CA.
    pub ca_pem: Option<String>,
    /// How the server's operator will see this desk; defaults to the office name and the host name.
    pub desk_name: Option<String>,
}

pub fn enrol(store: &Store, session: &Session, request: &SyncEnrolRequest) -> Result<SyncStatus> {
    require(store, session, Permission::SettingsManage, "sync.enrol")?;
    if request.code.trim().is_empty() || request.code.len() > 64 {
        return Err(CoreError::InvalidInput("an enrolment code is 1 to 64 characters".into()));
    }
    let old = store.office();
    let (enrolled, registrants) = store.read(|conn| {
        let registrants: i64 =
            conn.query_row("SELECT count(*) FROM registrants WHERE office_id = ?1", [old.office_id], |r| r.get(0))?;
        Ok((enrolment(conn)?.is_some(), registrants))
    })?;
    if enrolled {
        return Err(CoreError::AlreadyExists { what: "this desk's enrolment with a central server".into() });
    }
    let transport = Transport::new(&request.url, request.ca_pem.as_deref())?;
    let (key, pkcs8) = DeviceKey::generate().map_err(|e| CoreError::Internal(e.to_string()))?;
    let pkcs8 = zeroize::Zeroizing::new(pkcs8);
    let device_id = Uuid::now_v7();
    let host = std::env::var("HOSTNAME").unwrap_or_default();
    let desk_name = request
        .desk_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| format!("{} {}", old.name, host).trim().to_string());
    let answer: std::result::Result<EnrolResponse, CoreError> = transport.post(
        "/sync/v1/enrol",
        &WireEnrol {
            protocol: PROTOCOL_VERSION,
            code: request.code.trim().to_string(),
            device_id,
            public_key: key.public_key_base64(),
            desk_name: desk_name.chars().take(100).collect(),
            office_code: old.code.clone(),
            registrants: registrants as u64,
            privacy: store.read(crate::registry::privacy::profile)?,
        },
    );
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            store.write_as(session.username(), |tx| {
                tx.audit(
                    AuditEvent::new(session, "sync.enrol")
                        .details(serde_json::json!({ "result": "failed", "error": e.code().as_str() })),
                )
            })?;
            return Err(e);
        }
    };
    let id_key = match &answer.id_key {
        None => None,
        Some(k) => Some(zeroize::Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(k)
                .map_err(|_| CoreError::Internal("the server sent an unreadable ID key".into()))?,
        )),
    };
    // Checked before anything is written: a profile this desk cannot keep is refused whole.
    crate::registry::privacy::Privacy::new(answer.privacy, id_key.as_deref().map(|k| &k[..]))
        .map_err(|e| CoreError::Internal(format!("the server's privacy profile: {e}")))?;
    let prefix = if answer.desk_number <= 1 {
        answer.office.code.clone()
    } else {
        format!("{}.{}", answer.office.code, answer.desk_number)
    };
    let new = OfficeInfo {
        office_id: answer.office.id,
        device_id,
        code: answer.office.code.clone(),
        name: answer.office.name.clone(),
        reference_prefix: prefix.clone(),
        registry_id: old.registry_id.clone(),
    };
    let written = store.write_as(session.username(), |tx| {
        // The rows that carry the office that created them, and the ops not pushed yet (none is, before
        // enrolment): the same rows and ops under the office's and the desk's new ids.
        let ids = params![new.office_id, old.office_id];
        tx.conn().execute("UPDATE registrants SET office_id = ?1 WHERE office_id = ?2", ids)?;
        tx.conn().execute("UPDATE programs SET office_id = ?1 WHERE office_id = ?2", ids)?;
        tx.conn().execute("UPDATE cycles SET office_id = ?1 WHERE office_id = ?2", ids)?;
        tx.conn().execute("UPDATE outbox SET office_id = ?1 WHERE office_id = ?2", ids)?;
        tx.conn().execute("UPDATE outbox SET device_id = ?1 WHERE device_id = ?2", params![device_id, old.device_id])?;
        tx.conn().execute(
            "UPDATE office SET office_id = ?1, device_id = ?2, code = ?3, name = ?4, reference_prefix = ?5 WHERE singleton = 1",
            params![new.office_id, device_id, new.code, new.name, prefix],
        )?;
        tx.conn().execute(
            "INSERT INTO sync_server (singleton, url, ca_pem, device_key, office_code, office_name, headquarters, desk_number, enrolled_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                request.url.trim().trim_end_matches('/'),
                request.ca_pem,
                &pkcs8[..],
                answer.office.code,
                answer.office.name,
                answer.office.headquarters,
                answer.desk_number,
                now_rfc3339()
            ],
        )?;
        // The registry's profile: the server refused the enrolment if this desk's records were kept otherwise.
        crate::registry::privacy::save(tx.conn(), answer.privacy, id_key.as_deref().map(|k| &k[..]))?;
        tx.audit(AuditEvent::new(session, "sync.enrol").details(serde_json::json!({
            "office": answer.office.code, "device": device_id, "desk_number": answer.desk_number,
            "privacy": answer.privacy.keep_list(),
        })))?;
        // Taken while the writer is still held, so no write between the commit and this sees the old ids.
        tx.store().set_office(new.clone());
        Ok(())
    });
    if let Err(e) = written {
        store.set_office(old);
        return Err(e);
    }
    status(store, session)
}

//! A headquarters desk's payment batch through the central server's disbursement engine (docs/interop.md,
//! "Disbursement"): the cycle page sends it, asks the engine for results, and shows how it stands. The
//! server does the work after it answers; the results come back as payment results at the next sync, as
//! a reconciliation file's would.

use std::sync::atomic::AtomicBool;

use br_protocol::disburse::{DisburseAction, DisburseRequest, DisburseStatus};
use rusqlite::OptionalExtension;
use uuid::Uuid;

use super::state::enrolment;
use super::transport::Transport;
use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::error::{CoreError, Result};
use crate::store::Store;

/// Asks the server to send `batch` through the engine, to ask the engine for its results, or how it
/// stands. Sending first syncs, so the server holds the batch as this desk prepared it.
pub fn engine_batch(store: &Store, session: &Session, batch: Uuid, ask: DisburseAction) -> Result<DisburseStatus> {
    let action = match ask {
        DisburseAction::Status => "payment.engine_status",
        DisburseAction::Send => "payment.engine_send",
        DisburseAction::Poll => "payment.engine_poll",
    };
    require(store, session, Permission::PaymentManage, action)?;
    let enrolled = store.read(enrolment)?.ok_or(CoreError::NotEnrolled)?;
    if !enrolled.headquarters {
        return Err(CoreError::InvalidInput(
            "only a headquarters desk sends payment batches through the engine; a district's batches are sent by headquarters".into(),
        ));
    }
    let state: Option<String> = store.read(|c| {
        Ok(c.query_row("SELECT state FROM payment_batches WHERE id = ?1", [batch], |r| r.get(0)).optional()?)
    })?;
    let state = state.ok_or_else(|| CoreError::NotFound { what: format!("payment batch {}", batch) })?;
    if ask == DisburseAction::Send {
        if state != "prepared" {
            return Err(CoreError::TransitionNotAllowed {
                entity: "payment batch".into(),
                from: state,
                to: "sent through the engine".into(),
            });
        }
        super::run(store, session, &|_| {}, &AtomicBool::new(false))?;
    }
    let transport = Transport::signed_for(store, &enrolled)?;
    let answer: DisburseStatus = transport
        .post("/sync/v1/disburse", &DisburseRequest { batch, action: ask, user: session.username().to_string() })?;
    if ask != DisburseAction::Status {
        store.write_as(session.username(), |tx| {
            tx.audit(
                AuditEvent::new(session, action)
                    .on("payment_batch", batch.to_string())
                    .details(serde_json::json!({ "engine": answer.engine })),
            )
        })?;
    }
    Ok(answer)
}

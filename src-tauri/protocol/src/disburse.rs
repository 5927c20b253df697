//! `POST /sync/v1/disburse`: a headquarters desk asks the server to send one of its payment batches through
//! the disbursement engine, to ask the engine for results, or how the batch stands (docs/interop.md,
//! "Disbursement"). Sending and asking run on the server, after the answer: the desk reads their progress
//! with `status` and receives the results as payment results at its next sync.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DisburseAction {
    /// How the batch stands with the engine.
    Status,
    /// Send the payments the engine does not hold yet (safe to ask again).
    Send,
    /// Ask the engine for results and pass new ones on to the desks.
    Poll,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisburseRequest {
    pub batch: Uuid,
    pub action: DisburseAction,
    /// Who asked at the desk, for the server's audit.
    pub user: String,
}

/// One envelope the batch was sent in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DisburseEnvelope {
    pub engine: String,
    /// The engine's id for it, once the engine gave one.
    pub engine_envelope_id: Option<String>,
    pub state: String,
    pub declared_count: i64,
    /// Minor units.
    pub declared_total: i64,
    pub created_at: String,
}

/// One thing that happened to the batch (sent a page, retried, stuck, results), newest last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DisburseEvent {
    pub at: String,
    pub kind: String,
    pub message: String,
}

/// A batch's standing with the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DisburseStatus {
    pub batch: Uuid,
    /// The engine this server sends through (`g2p_bridge` or `g2p_connect`).
    pub engine: String,
    /// `send` or `poll` while the server works on the batch.
    pub running: Option<DisburseAction>,
    /// Payments by their state with the engine (`pending`, `sending`, `sent`, `paid`, `failed`,
    /// `reversed`).
    pub counts: BTreeMap<String, i64>,
    pub envelopes: Vec<DisburseEnvelope>,
    /// The last 30 events.
    pub events: Vec<DisburseEvent>,
}

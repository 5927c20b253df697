//! What travels between a desk and the server under `/sync/v1/`, as JSON.

use br_model::op::OpRecord;
use br_model::privacy::PrivacyProfile;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::codes::RejectCode;

/// `POST /sync/v1/enrol`: the only unsigned request; the one-time code stands for the signature.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    pub protocol: u32,
    pub code: String,
    /// The desk's own id: its change-log records already name it.
    pub device_id: Uuid,
    /// Ed25519, base64.
    pub public_key: String,
    /// A name for operators to tell desks apart (`device list`).
    pub desk_name: String,
    /// The desk's own office code, and how many registrants it holds already: a desk that registered
    /// people before enrolling joins only the office of the same code, as its first desk, so the
    /// references it gave out stay unique.
    pub office_code: String,
    pub registrants: u64,
    /// The desk's privacy profile: a desk that holds registrants joins only a registry that keeps the same
    /// fields and does not hash ID numbers (its numbers were not hashed with the registry's key).
    #[serde(default)]
    pub privacy: PrivacyProfile,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeView {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub headquarters: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrolResponse {
    pub device_id: Uuid,
    pub office: OfficeView,
    /// 1 for an office's first desk, then 2, 3…: desks after the first prefix their references with it.
    pub desk_number: i32,
    pub server_time_ms: i64,
    /// The registry's privacy profile, which the desk takes.
    #[serde(default)]
    pub privacy: PrivacyProfile,
    /// The key ID numbers are hashed with (base64), when the profile keeps them only as keyed hashes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_key: Option<String>,
}

/// `POST /sync/v1/push`: the desk's ops after `after`, the last sequence the server acknowledged.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub after: i64,
    pub ops: Vec<OpRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushResponse {
    /// The highest sequence of this desk the server now holds (applied, duplicate, rejected or conflict).
    pub acked: i64,
    pub results: Vec<OpResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpResult {
    pub op_id: Uuid,
    pub seq: i64,
    #[serde(flatten)]
    pub outcome: OpOutcome,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum OpOutcome {
    Applied,
    /// The server had this op already (a page sent again).
    Duplicate,
    Rejected {
        code: RejectCode,
        reason: String,
    },
    /// Kept and passed on, but it was a stale transition: `current` is the server's state.
    Conflict {
        current: serde_json::Value,
    },
}

/// `POST /sync/v1/pull`: the server's change log after `cursor`, as this desk's office may see it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullRequest {
    pub cursor: i64,
    pub limit: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PullResponse {
    pub ops: Vec<PulledOp>,
    /// Where the next pull starts: past every op this page covered, shown or filtered out.
    pub cursor: i64,
    /// The server's newest cursor when the page was read.
    pub head: i64,
    pub more: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PulledOp {
    pub cursor: i64,
    pub record: OpRecord,
}

/// `POST /sync/v1/snapshot`: the office's scope up to one cursor, for a desk's first sync. The server may
/// hand out a snapshot it made a little earlier for another desk of the office; pull covers the rest.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotRequest {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotManifest {
    pub id: Uuid,
    /// Pull continues from here once every chunk is applied.
    pub cursor: i64,
    pub ops: i64,
    pub chunks: Vec<SnapshotChunk>,
}

/// One chunk, `GET /sync/v1/snapshot/{id}/{n}`: ops as JSON lines, compressed with zstd. The desk applies
/// a chunk only when its bytes hash to `sha256`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotChunk {
    pub n: u32,
    pub ops: u32,
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the compressed bytes.
    pub sha256: String,
}

/// `GET /sync/v1/whoami`: the desk as the server knows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WhoAmI {
    pub device_id: Uuid,
    pub office: OfficeView,
    pub acked: i64,
    pub head: i64,
}

/// Every refusal: a code from [`crate::codes::SyncErrorCode`], a message for people, and details.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub details: serde_json::Value,
}

//! The closed list of error codes the sync endpoints answer, and of what happened to each pushed op.
//! docs/sync.md documents each; the desk translates them.

use serde::{Deserialize, Serialize};

/// Why the server refused a whole request. Nothing changed on the server when it answers one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncErrorCode {
    /// The desk speaks another protocol version than the server.
    UpgradeRequired,
    /// Headers missing or malformed, or a body that is not the expected JSON.
    InvalidRequest,
    /// The body is larger than the server reads.
    PayloadTooLarge,
    /// No device with that id is enrolled.
    UnknownDevice,
    /// The device was revoked by an operator.
    DeviceRevoked,
    /// The signature does not match the request and the device's public key.
    BadSignature,
    /// The timestamp is too far from the server's clock.
    StaleRequest,
    /// The nonce was used before by this device.
    ReplayedRequest,
    /// The enrolment code is not known.
    EnrolmentCodeUnknown,
    /// The enrolment code was used already.
    EnrolmentCodeUsed,
    /// The enrolment code has expired.
    EnrolmentCodeExpired,
    /// A device with that id is enrolled already.
    DeviceExists,
    /// A desk that holds registrants may join only the office of its own code, as its first desk.
    EnrolmentMismatch,
    /// A push page starts past the last op the server acknowledged: pages are missing in between.
    OpsMissing,
    /// The snapshot asked for is not kept any more (or was never this office's): ask for a new one.
    SnapshotGone,
    /// The desk may not ask this (a payment batch is sent through the engine by a headquarters desk only).
    Forbidden,
    /// What the request names is not on the server (a payment batch not pushed yet).
    NotFound,
    /// The server is not set up for this (no disbursement engine in its config file).
    NotConfigured,
    /// The database is not reachable or refused; try again later.
    Unavailable,
    /// A fault on the server; the request may be retried.
    Internal,
}

impl SyncErrorCode {
    pub fn as_str(self) -> &'static str {
        use SyncErrorCode::*;
        match self {
            UpgradeRequired => "upgrade_required",
            InvalidRequest => "invalid_request",
            PayloadTooLarge => "payload_too_large",
            UnknownDevice => "unknown_device",
            DeviceRevoked => "device_revoked",
            BadSignature => "bad_signature",
            StaleRequest => "stale_request",
            ReplayedRequest => "replayed_request",
            EnrolmentCodeUnknown => "enrolment_code_unknown",
            EnrolmentCodeUsed => "enrolment_code_used",
            EnrolmentCodeExpired => "enrolment_code_expired",
            DeviceExists => "device_exists",
            EnrolmentMismatch => "enrolment_mismatch",
            OpsMissing => "ops_missing",
            SnapshotGone => "snapshot_gone",
            Forbidden => "forbidden",
            NotFound => "not_found",
            NotConfigured => "not_configured",
            Unavailable => "unavailable",
            Internal => "internal",
        }
    }

    /// The HTTP status that carries the code.
    pub fn http_status(self) -> u16 {
        use SyncErrorCode::*;
        match self {
            UpgradeRequired => 426,
            InvalidRequest => 400,
            PayloadTooLarge => 413,
            UnknownDevice | DeviceRevoked | BadSignature | StaleRequest | ReplayedRequest => 401,
            EnrolmentCodeUnknown | EnrolmentCodeUsed | EnrolmentCodeExpired => 403,
            DeviceExists | EnrolmentMismatch | OpsMissing => 409,
            SnapshotGone => 410,
            Forbidden => 403,
            NotFound => 404,
            NotConfigured => 501,
            Unavailable => 503,
            Internal => 500,
        }
    }

    pub const ALL: [SyncErrorCode; 20] = {
        use SyncErrorCode::*;
        [
            UpgradeRequired,
            InvalidRequest,
            PayloadTooLarge,
            UnknownDevice,
            DeviceRevoked,
            BadSignature,
            StaleRequest,
            ReplayedRequest,
            EnrolmentCodeUnknown,
            EnrolmentCodeUsed,
            EnrolmentCodeExpired,
            DeviceExists,
            EnrolmentMismatch,
            OpsMissing,
            SnapshotGone,
            Forbidden,
            NotFound,
            NotConfigured,
            Unavailable,
            Internal,
        ]
    };
}

/// Why one pushed op was rejected. A rejected op is kept on the server for a person to see and does not
/// block the ops after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectCode {
    /// The op changes a row that another office owns.
    NotOwner,
    /// The op names a row the server has never seen.
    UnknownRow,
    /// The op creates a row whose id is taken.
    RowExists,
    /// Only a headquarters office may change shared settings (lists, custom fields).
    HeadquartersOnly,
    /// The op's sequence number was used by another op of the same desk.
    SequenceReused,
    /// The op does not say it comes from the desk and office that pushed it, or its format is unknown.
    InvalidOp,
}

impl RejectCode {
    pub fn as_str(self) -> &'static str {
        match self {
            RejectCode::NotOwner => "not_owner",
            RejectCode::UnknownRow => "unknown_row",
            RejectCode::RowExists => "row_exists",
            RejectCode::HeadquartersOnly => "headquarters_only",
            RejectCode::SequenceReused => "sequence_reused",
            RejectCode::InvalidOp => "invalid_op",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            RejectCode::NotOwner,
            RejectCode::UnknownRow,
            RejectCode::RowExists,
            RejectCode::HeadquartersOnly,
            RejectCode::SequenceReused,
            RejectCode::InvalidOp,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

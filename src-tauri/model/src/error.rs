//! The closed list of error codes every transport shows, and the model's own error.

use serde::Serialize;
use ts_rs::TS;

/// The closed list of error codes at the API boundary. The UI translates these; `docs/error-codes.md`
/// documents each. Adding a code is an API change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request was malformed or a value in it is invalid.
    InvalidInput,
    /// No such record, user or file.
    NotFound,
    /// The record already exists (unique value taken).
    AlreadyExists,
    /// The session's role lacks the permission; the attempt was audited.
    PermissionDenied,
    /// Username or password is wrong, or the account is disabled.
    AuthenticationFailed,
    /// The session expired or does not exist.
    SessionInvalid,
    /// The recovery passphrase does not unwrap the key file.
    WrongPassphrase,
    /// The key file beside the database is missing.
    KeyFileMissing,
    /// The key file is unreadable or not a key file.
    KeyFileInvalid,
    /// Neither the credential store nor a passphrase could provide the key.
    KeyUnavailable,
    /// The database file is truncated, corrupted or not encrypted with this registry's key.
    DatabaseCorrupt,
    /// The database was written by a newer version of the application.
    SchemaTooNew,
    /// There is no registry in the given folder.
    RegistryNotFound,
    /// A registry already exists in the given folder.
    RegistryExists,
    /// The import file cannot be used at all (encoding, header, quotes); nothing was imported.
    ImportFileInvalid,
    /// The column-mapping file is invalid.
    MappingInvalid,
    /// The operation was cancelled; what was committed before is consistent.
    Cancelled,
    /// The audit chain is broken.
    AuditChainBroken,
    /// The registry is busy with another writer; try again.
    Busy,
    /// A file could not be read or written.
    Io,
    /// An eligibility rule or score is invalid; details give the position and the names that exist.
    RuleInvalid,
    /// The state machine does not allow this move (details: entity, from, to).
    TransitionNotAllowed,
    /// Records cannot be merged as they are (for example conflicting states in one program).
    MergeConflict,
    /// Approving would commit more than the program's posted funds (details: needed, available, shortfall,
    /// currency).
    FundsInsufficient,
    /// An entitlement expression failed or gave an invalid amount for some registrants; nothing was
    /// generated (details: count and examples of reference and reason).
    EntitlementInvalid,
    /// Separation of duties: the person who prepared or submitted a cycle may not approve it; one person
    /// decides one stage of a cycle; whoever corrected an entitlement may not approve it.
    SelfApproval,
    /// Too many failed attempts (login, unlock): wait `retry_after_s` seconds (in details) and try again.
    RateLimited,
    /// An HTTP request from another site or host name, or not JSON, was refused before it was read.
    RequestRefused,
    /// This desk is not enrolled with a central server (`br sync enrol`).
    NotEnrolled,
    /// The central server could not be reached (network, TLS, time-out); nothing changed. Try later.
    ServerUnreachable,
    /// The central server refused the request; `details.server_code` is its code (docs/sync.md).
    ServerRefused,
    /// This desk and the central server speak different sync protocol versions: update the older one.
    UpgradeRequired,
    /// An unexpected internal error; details are in the log.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::NotFound => "not_found",
            ErrorCode::AlreadyExists => "already_exists",
            ErrorCode::PermissionDenied => "permission_denied",
            ErrorCode::AuthenticationFailed => "authentication_failed",
            ErrorCode::SessionInvalid => "session_invalid",
            ErrorCode::WrongPassphrase => "wrong_passphrase",
            ErrorCode::KeyFileMissing => "key_file_missing",
            ErrorCode::KeyFileInvalid => "key_file_invalid",
            ErrorCode::KeyUnavailable => "key_unavailable",
            ErrorCode::DatabaseCorrupt => "database_corrupt",
            ErrorCode::SchemaTooNew => "schema_too_new",
            ErrorCode::RegistryNotFound => "registry_not_found",
            ErrorCode::RegistryExists => "registry_exists",
            ErrorCode::ImportFileInvalid => "import_file_invalid",
            ErrorCode::MappingInvalid => "mapping_invalid",
            ErrorCode::Cancelled => "cancelled",
            ErrorCode::AuditChainBroken => "audit_chain_broken",
            ErrorCode::Busy => "busy",
            ErrorCode::Io => "io",
            ErrorCode::RuleInvalid => "rule_invalid",
            ErrorCode::TransitionNotAllowed => "transition_not_allowed",
            ErrorCode::MergeConflict => "merge_conflict",
            ErrorCode::FundsInsufficient => "funds_insufficient",
            ErrorCode::EntitlementInvalid => "entitlement_invalid",
            ErrorCode::SelfApproval => "self_approval",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::RequestRefused => "request_refused",
            ErrorCode::NotEnrolled => "not_enrolled",
            ErrorCode::ServerUnreachable => "server_unreachable",
            ErrorCode::ServerRefused => "server_refused",
            ErrorCode::UpgradeRequired => "upgrade_required",
            ErrorCode::Internal => "internal",
        }
    }

    pub const ALL: [ErrorCode; 33] = [
        ErrorCode::InvalidInput,
        ErrorCode::NotFound,
        ErrorCode::AlreadyExists,
        ErrorCode::PermissionDenied,
        ErrorCode::AuthenticationFailed,
        ErrorCode::SessionInvalid,
        ErrorCode::WrongPassphrase,
        ErrorCode::KeyFileMissing,
        ErrorCode::KeyFileInvalid,
        ErrorCode::KeyUnavailable,
        ErrorCode::DatabaseCorrupt,
        ErrorCode::SchemaTooNew,
        ErrorCode::RegistryNotFound,
        ErrorCode::RegistryExists,
        ErrorCode::ImportFileInvalid,
        ErrorCode::MappingInvalid,
        ErrorCode::Cancelled,
        ErrorCode::AuditChainBroken,
        ErrorCode::Busy,
        ErrorCode::Io,
        ErrorCode::RuleInvalid,
        ErrorCode::TransitionNotAllowed,
        ErrorCode::MergeConflict,
        ErrorCode::FundsInsufficient,
        ErrorCode::EntitlementInvalid,
        ErrorCode::SelfApproval,
        ErrorCode::RateLimited,
        ErrorCode::RequestRefused,
        ErrorCode::NotEnrolled,
        ErrorCode::ServerUnreachable,
        ErrorCode::ServerRefused,
        ErrorCode::UpgradeRequired,
        ErrorCode::Internal,
    ];
}

/// What the model itself refuses: a value out of range, a word that is not a role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("{0}")]
    InvalidInput(String),
}

impl ModelError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ModelError::InvalidInput(_) => ErrorCode::InvalidInput,
        }
    }
}

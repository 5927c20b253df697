//! The one error type of `br-core`, and the closed list of codes every transport shows.
//!
//! Messages never carry personal data (names, ID values, phones): they name fields, lines and record
//! references, which is what a person needs to fix the problem.

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
            ErrorCode::Internal => "internal",
        }
    }

    pub const ALL: [ErrorCode; 29] = [
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
        ErrorCode::Internal,
    ];
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("{0}")]
    InvalidInput(String),
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("{what} already exists")]
    AlreadyExists { what: String },
    #[error("permission denied: role {role} may not {permission}")]
    PermissionDenied { role: String, permission: String },
    #[error("wrong username or password, or the account is disabled")]
    AuthenticationFailed,
    #[error("the session has expired or does not exist; log in again")]
    SessionInvalid,
    #[error("the recovery passphrase does not open this registry's key file")]
    WrongPassphrase,
    #[error("the key file {path} is missing; restore it from a backup")]
    KeyFileMissing { path: String },
    #[error("the key file {path} is not a valid key file: {reason}")]
    KeyFileInvalid { path: String, reason: String },
    #[error("no database key: {reason}")]
    KeyUnavailable { reason: String },
    #[error("the database file {path} is damaged or does not belong to this key ({reason}); restore a backup — the file was left untouched")]
    DatabaseCorrupt { path: String, reason: String },
    #[error("the database has schema version {found}, newer than this application supports ({supported}); install a newer version")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("no registry in {path}")]
    RegistryNotFound { path: String },
    #[error("a registry already exists in {path}")]
    RegistryExists { path: String },
    #[error("the import file cannot be used: {0}; nothing was imported")]
    ImportFileInvalid(String),
    #[error("the column mapping is invalid: {0}")]
    MappingInvalid(String),
    #[error("cancelled")]
    Cancelled,
    #[error("the audit chain is broken at entry {seq}: {reason}")]
    AuditChainBroken { seq: i64, reason: String },
    #[error("the registry is busy; try again")]
    Busy,
    /// `br check` found rows that contradict each other (the names of the broken checks).
    #[error("the registry breaks {} of its invariants: {}", .checks.len(), .checks.join(", "))]
    InvariantsBroken { checks: Vec<String> },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the rule is invalid: {0}")]
    RuleInvalid(Box<crate::program::rules::RuleError>),
    #[error("a {entity} cannot go from {from} to {to}")]
    TransitionNotAllowed { entity: String, from: String, to: String },
    #[error("cannot merge: {0}")]
    MergeConflict(String),
    #[error("approving needs {} but only {} of the posted funds are not yet committed: {} short", crate::money::format(*.needed, .currency), crate::money::format(*.available, .currency), crate::money::format(*.shortfall, .currency))]
    FundsInsufficient { needed: i64, available: i64, shortfall: i64, currency: String },
    #[error("the entitlement expression failed for {count} registrants (for example {}); nothing was generated", .examples.iter().map(|(r, why)| format!("{r}: {why}")).collect::<Vec<_>>().join("; "))]
    EntitlementInvalid { count: u64, examples: Vec<(String, String)> },
    #[error("{0} prepared or submitted this cycle and may not approve it")]
    SelfApproval(String),
    /// Another separation-of-duties rule: the message says which.
    #[error("{0}")]
    DutyConflict(String),
    #[error("too many failed attempts; try again in {retry_after_s} seconds")]
    RateLimited { retry_after_s: u64 },
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    pub fn code(&self) -> ErrorCode {
        match self {
            CoreError::InvalidInput(_) => ErrorCode::InvalidInput,
            CoreError::NotFound { .. } => ErrorCode::NotFound,
            CoreError::AlreadyExists { .. } => ErrorCode::AlreadyExists,
            CoreError::PermissionDenied { .. } => ErrorCode::PermissionDenied,
            CoreError::AuthenticationFailed => ErrorCode::AuthenticationFailed,
            CoreError::SessionInvalid => ErrorCode::SessionInvalid,
            CoreError::WrongPassphrase => ErrorCode::WrongPassphrase,
            CoreError::KeyFileMissing { .. } => ErrorCode::KeyFileMissing,
            CoreError::KeyFileInvalid { .. } => ErrorCode::KeyFileInvalid,
            CoreError::KeyUnavailable { .. } => ErrorCode::KeyUnavailable,
            CoreError::DatabaseCorrupt { .. } | CoreError::InvariantsBroken { .. } => ErrorCode::DatabaseCorrupt,
            CoreError::SchemaTooNew { .. } => ErrorCode::SchemaTooNew,
            CoreError::RegistryNotFound { .. } => ErrorCode::RegistryNotFound,
            CoreError::RegistryExists { .. } => ErrorCode::RegistryExists,
            CoreError::ImportFileInvalid(_) => ErrorCode::ImportFileInvalid,
            CoreError::MappingInvalid(_) => ErrorCode::MappingInvalid,
            CoreError::Cancelled => ErrorCode::Cancelled,
            CoreError::AuditChainBroken { .. } => ErrorCode::AuditChainBroken,
            CoreError::Busy => ErrorCode::Busy,
            CoreError::Io { .. } => ErrorCode::Io,
            CoreError::RuleInvalid(_) => ErrorCode::RuleInvalid,
            CoreError::TransitionNotAllowed { .. } => ErrorCode::TransitionNotAllowed,
            CoreError::MergeConflict(_) => ErrorCode::MergeConflict,
            CoreError::FundsInsufficient { .. } => ErrorCode::FundsInsufficient,
            CoreError::EntitlementInvalid { .. } => ErrorCode::EntitlementInvalid,
            CoreError::SelfApproval(_) | CoreError::DutyConflict(_) => ErrorCode::SelfApproval,
            CoreError::RateLimited { .. } => ErrorCode::RateLimited,
            CoreError::Internal(_) => ErrorCode::Internal,
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        CoreError::NotFound { what: what.into() }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        CoreError::Io { context: context.into(), source }
    }
}

impl From<rusqlite::Error> for CoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        if let rusqlite::Error::SqliteFailure(f, _) = &e {
            match f.code {
                C::DatabaseBusy | C::DatabaseLocked => return CoreError::Busy,
                C::DatabaseCorrupt | C::NotADatabase => {
                    return CoreError::DatabaseCorrupt { path: "registry database".into(), reason: e.to_string() }
                }
                _ => {}
            }
        }
        // SQLite messages can quote values (constraint failures do not, but be safe): keep only the kind.
        tracing::error!(error = %e, "database error");
        CoreError::Internal(format!("database error ({})", sqlite_kind(&e)))
    }
}

fn sqlite_kind(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => format!("{:?}", f.code),
        other => format!("{:?}", std::mem::discriminant(other)),
    }
}

impl From<serde_json::Error> for CoreError {
    fn from(e: serde_json::Error) -> Self {
        CoreError::InvalidInput(format!("invalid JSON: {e}"))
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;

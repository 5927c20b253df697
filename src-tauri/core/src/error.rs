//! The one error type of `br-core`. Its codes are the model's closed list (`br_model::ErrorCode`).
//!
//! Messages never carry personal data (names, ID values, phones): they name fields, lines and record
//! references, which is what a person needs to fix the problem.

pub use br_model::ErrorCode;

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
    RuleInvalid(Box<br_model::rules::RuleError>),
    #[error("a {entity} cannot go from {from} to {to}")]
    TransitionNotAllowed { entity: String, from: String, to: String },
    #[error("cannot merge: {0}")]
    MergeConflict(String),
    #[error("approving needs {} but only {} of the posted funds are not yet committed: {} short", br_model::money::format(*.needed, .currency), br_model::money::format(*.available, .currency), br_model::money::format(*.shortfall, .currency))]
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
    #[error("this desk is not enrolled with a central server; enrol it first")]
    NotEnrolled,
    #[error("the central server could not be reached: {0}")]
    ServerUnreachable(String),
    #[error("the central server refused: {message} ({code})")]
    ServerRefused { code: String, message: String, details: serde_json::Value },
    #[error("{0}")]
    UpgradeRequired(String),
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
            CoreError::NotEnrolled => ErrorCode::NotEnrolled,
            CoreError::ServerUnreachable(_) => ErrorCode::ServerUnreachable,
            CoreError::ServerRefused { .. } => ErrorCode::ServerRefused,
            CoreError::UpgradeRequired(_) => ErrorCode::UpgradeRequired,
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        CoreError::NotFound { what: what.into() }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        CoreError::Io { context: context.into(), source }
    }
}

impl From<br_model::ModelError> for CoreError {
    fn from(e: br_model::ModelError) -> Self {
        match e {
            br_model::ModelError::InvalidInput(m) => CoreError::InvalidInput(m),
        }
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

//! The server's one error type. At the HTTP boundary each becomes `{code, message, details}` with a code
//! from br-protocol's closed list; messages never carry personal data.

use br_protocol::codes::SyncErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A refusal the desk can act on, with its code.
    #[error("{message}")]
    Refused { code: SyncErrorCode, message: String, details: serde_json::Value },
    #[error("database: {0}")]
    Database(#[from] tokio_postgres::Error),
    #[error("database pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("configuration: {0}")]
    Config(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    /// An operator's command that cannot be carried out (an unknown office, a code already taken).
    #[error("{0}")]
    Command(String),
}

impl ServerError {
    pub fn refused(code: SyncErrorCode, message: impl Into<String>) -> ServerError {
        ServerError::Refused { code, message: message.into(), details: serde_json::Value::Null }
    }

    pub fn with_details(code: SyncErrorCode, message: impl Into<String>, details: serde_json::Value) -> ServerError {
        ServerError::Refused { code, message: message.into(), details }
    }

    /// The code a desk sees. A database that cannot be reached is `unavailable` (retry later), any other
    /// fault `internal`.
    pub fn code(&self) -> SyncErrorCode {
        match self {
            ServerError::Refused { code, .. } => *code,
            ServerError::Pool(_) => SyncErrorCode::Unavailable,
            ServerError::Database(e) if e.is_closed() || e.as_db_error().is_none() => SyncErrorCode::Unavailable,
            _ => SyncErrorCode::Internal,
        }
    }
}

pub type Result<T> = std::result::Result<T, ServerError>;

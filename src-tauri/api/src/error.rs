//! The boundary error: `{code, message, details}` with the closed code list of `br_core::ErrorCode`.

use serde::Serialize;
use ts_rs::TS;

pub use br_core::ErrorCode;

#[derive(Debug, Clone, Serialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    /// English, for logs and the CLI; the UI shows its own translation of `code`.
    pub message: String,
    #[ts(type = "unknown")]
    pub details: Option<serde_json::Value>,
}

impl From<br_core::ModelError> for ApiError {
    fn from(e: br_core::ModelError) -> Self {
        ApiError::from(br_core::CoreError::from(e))
    }
}

impl From<br_core::CoreError> for ApiError {
    fn from(e: br_core::CoreError) -> Self {
        let details = match &e {
            br_core::CoreError::SchemaTooNew { found, supported } => {
                Some(serde_json::json!({ "found": found, "supported": supported }))
            }
            br_core::CoreError::AuditChainBroken { seq, .. } => Some(serde_json::json!({ "seq": seq })),
            br_core::CoreError::PermissionDenied { permission, .. } => {
                Some(serde_json::json!({ "permission": permission }))
            }
            br_core::CoreError::RuleInvalid(e) => serde_json::to_value(e).ok(),
            br_core::CoreError::TransitionNotAllowed { entity, from, to } => {
                Some(serde_json::json!({ "entity": entity, "from": from, "to": to }))
            }
            br_core::CoreError::FundsInsufficient { needed, available, shortfall, currency } => Some(
                serde_json::json!({ "needed": needed, "available": available, "shortfall": shortfall, "currency": currency }),
            ),
            br_core::CoreError::EntitlementInvalid { count, examples } => Some(serde_json::json!({
                "count": count,
                "examples": examples.iter().map(|(r, why)| serde_json::json!({ "reference": r, "reason": why })).collect::<Vec<_>>(),
            })),
            br_core::CoreError::RateLimited { retry_after_s } => {
                Some(serde_json::json!({ "retry_after_s": retry_after_s }))
            }
            br_core::CoreError::ServerRefused { code, details, .. } => {
                Some(serde_json::json!({ "server_code": code, "server_details": details }))
            }
            _ => None,
        };
        ApiError { code: e.code(), message: e.to_string(), details }
    }
}

impl ApiError {
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError { code: ErrorCode::InvalidInput, message: message.into(), details: None }
    }
}

//! An audit log entry as it is shown and exported (already masked when it was written).

use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, TS)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub username: Option<String>,
    pub action: String,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub outcome: String,
    /// Already masked when it was written.
    pub details: serde_json::Value,
}

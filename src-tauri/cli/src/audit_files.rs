//! Reading an audit anchor the user kept: a backup's `manifest.json` or the output of `br audit head`.

use std::path::Path;

use br_api::ApiError;
use br_core::audit_anchor::SignedHead;

/// A manifest or a head is a few hundred bytes; anything this large is neither.
const MAX_BYTES: u64 = 64 * 1024;

pub fn read_anchor(file: &Path) -> Result<SignedHead, ApiError> {
    let size =
        std::fs::metadata(file).map_err(|e| ApiError::invalid(format!("cannot read {}: {e}", file.display())))?.len();
    if size > MAX_BYTES {
        return Err(ApiError::invalid(format!(
            "{} is too large to be an audit head or a backup manifest",
            file.display()
        )));
    }
    let text =
        std::fs::read_to_string(file).map_err(|e| ApiError::invalid(format!("cannot read {}: {e}", file.display())))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|_| {
        ApiError::invalid(format!(
            "{} is not JSON: give a backup's manifest.json or a saved `br audit head`",
            file.display()
        ))
    })?;
    let head = value.get("audit_head").cloned().unwrap_or(value);
    serde_json::from_value(head).map_err(|_| {
        ApiError::invalid(format!(
            "{} holds no audit head (a backup made before anchors existed has none)",
            file.display()
        ))
    })
}

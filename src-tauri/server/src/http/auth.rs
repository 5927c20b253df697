//! Who is asking: every request after enrolment is signed by an enrolled, unrevoked device, with a fresh
//! nonce and a timestamp near the server's clock. A refusal changes nothing but the audit log.

use axum::http::{HeaderMap, Method};
use br_protocol::codes::SyncErrorCode;
use br_protocol::signing::{verify, SignedParts};
use br_protocol::wire::OfficeView;
use br_protocol::{headers, MAX_CLOCK_SKEW_MS, PROTOCOL_VERSION};
use uuid::Uuid;

use super::AppState;
use crate::error::{Result, ServerError};

/// An authenticated device and its office.
#[derive(Debug, Clone)]
pub struct Device {
    pub id: Uuid,
    pub office: OfficeView,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ServerError::refused(SyncErrorCode::InvalidRequest, format!("the {name} header is missing")))
}

/// Refuses a desk of another protocol version before anything else is read.
pub fn check_protocol(found: u32) -> Result<()> {
    if found != PROTOCOL_VERSION {
        return Err(ServerError::with_details(
            SyncErrorCode::UpgradeRequired,
            format!("this server speaks sync protocol {PROTOCOL_VERSION}, the desk {found}: update the older one"),
            serde_json::json!({ "server": PROTOCOL_VERSION, "desk": found }),
        ));
    }
    Ok(())
}

pub async fn authenticate(
    state: &AppState,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Device> {
    let protocol: u32 = header(headers, headers::PROTOCOL)?
        .parse()
        .map_err(|_| ServerError::refused(SyncErrorCode::InvalidRequest, "the protocol header is not a number"))?;
    check_protocol(protocol)?;
    let device: Uuid = header(headers, headers::DEVICE)?
        .parse()
        .map_err(|_| ServerError::refused(SyncErrorCode::InvalidRequest, "the device header is not an id"))?;
    let timestamp_ms: i64 = header(headers, headers::TIMESTAMP)?
        .parse()
        .map_err(|_| ServerError::refused(SyncErrorCode::InvalidRequest, "the timestamp header is not a number"))?;
    let nonce = header(headers, headers::NONCE)?;
    if nonce.is_empty() || nonce.len() > 64 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ServerError::refused(SyncErrorCode::InvalidRequest, "the nonce is 1 to 64 hex digits"));
    }
    let signature = header(headers, headers::SIGNATURE)?;
    let client = state.pool.get().await?;
    let row = client
        .query_opt(
            "SELECT d.public_key, d.revoked_at IS NOT NULL, o.id, o.code, o.name, o.headquarters
             FROM devices d JOIN offices o ON o.id = d.office WHERE d.id = $1",
            &[&device],
        )
        .await?
        .ok_or_else(|| ServerError::refused(SyncErrorCode::UnknownDevice, "no desk with this id is enrolled"))?;
    if row.get::<_, bool>(1) {
        return Err(ServerError::refused(SyncErrorCode::DeviceRevoked, "this desk was revoked: enrol it again"));
    }
    let public_key: Vec<u8> = row.get(0);
    let parts = SignedParts { method: method.as_str(), path, body, timestamp_ms, nonce, device };
    if !verify(&public_key, &parts, signature) {
        return Err(ServerError::refused(SyncErrorCode::BadSignature, "the request's signature does not match"));
    }
    let now = time::OffsetDateTime::now_utc();
    let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    if (now_ms - timestamp_ms).abs() > MAX_CLOCK_SKEW_MS {
        return Err(ServerError::with_details(
            SyncErrorCode::StaleRequest,
            "the request's time is too far from the server's: check the desk's clock",
            serde_json::json!({ "server_time_ms": now_ms, "max_skew_ms": MAX_CLOCK_SKEW_MS }),
        ));
    }
    // Nonces older than twice the skew window cannot pass the timestamp check any more.
    client
        .execute(
            "DELETE FROM nonces WHERE device = $1 AND seen_at < now() - make_interval(secs => $2)",
            &[&device, &((2 * MAX_CLOCK_SKEW_MS / 1000) as f64)],
        )
        .await?;
    let fresh = client
        .execute("INSERT INTO nonces (device, nonce) VALUES ($1, $2) ON CONFLICT DO NOTHING", &[&device, &nonce])
        .await?;
    if fresh == 0 {
        return Err(ServerError::refused(SyncErrorCode::ReplayedRequest, "this request was received before"));
    }
    client.execute("UPDATE devices SET last_seen_at = now() WHERE id = $1", &[&device]).await?;
    Ok(Device {
        id: device,
        office: OfficeView { id: row.get(2), code: row.get(3), name: row.get(4), headquarters: row.get(5) },
    })
}

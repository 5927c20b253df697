//! Enrolment: a desk trades a one-time code for a place in an office. The code is checked, spent and the
//! device recorded in one transaction, so a code enrols exactly one desk.

use base64::Engine as _;
use br_protocol::codes::SyncErrorCode;
use br_protocol::signing::decode_public_key;
use br_protocol::wire::{EnrolRequest, EnrolResponse, OfficeView};
use deadpool_postgres::Pool;

use crate::admin::code_hash;
use crate::db::audit;
use crate::error::{Result, ServerError};
use crate::http::check_protocol;

pub async fn enrol(pool: &Pool, request: EnrolRequest) -> Result<EnrolResponse> {
    check_protocol(request.protocol)?;
    let public_key = decode_public_key(&request.public_key).map_err(|_| {
        ServerError::refused(SyncErrorCode::InvalidRequest, "the public key is not a base64 Ed25519 key")
    })?;
    let desk_name = request.desk_name.trim();
    if desk_name.is_empty()
        || desk_name.chars().count() > 100
        || request.code.len() > 64
        || request.office_code.len() > 64
    {
        return Err(ServerError::refused(
            SyncErrorCode::InvalidRequest,
            "a desk name is 1 to 100 characters; a code at most 64",
        ));
    }
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let code = tx
        .query_opt(
            "SELECT c.office, c.used_at IS NOT NULL, c.expires_at < now(), o.code, o.name, o.headquarters
             FROM enrolment_codes c JOIN offices o ON o.id = c.office WHERE c.code_hash = $1 FOR UPDATE OF c",
            &[&code_hash(&request.code)],
        )
        .await?
        .ok_or_else(|| ServerError::refused(SyncErrorCode::EnrolmentCodeUnknown, "this enrolment code is not known"))?;
    if code.get::<_, bool>(1) {
        return Err(ServerError::refused(SyncErrorCode::EnrolmentCodeUsed, "this enrolment code was used already"));
    }
    if code.get::<_, bool>(2) {
        return Err(ServerError::refused(SyncErrorCode::EnrolmentCodeExpired, "this enrolment code has expired"));
    }
    let office = OfficeView { id: code.get(0), code: code.get(3), name: code.get(4), headquarters: code.get(5) };
    // Desks of one office are numbered in turn: the office's row is the lock.
    tx.execute("SELECT 1 FROM offices WHERE id = $1 FOR UPDATE", &[&office.id]).await?;
    // The server's own writer (desk number 0) is not a desk.
    let desks: i64 =
        tx.query_one("SELECT count(*) FROM devices WHERE office = $1 AND desk_number > 0", &[&office.id]).await?.get(0);
    if request.registrants > 0 && (request.office_code != office.code || desks > 0) {
        return Err(ServerError::refused(
            SyncErrorCode::EnrolmentMismatch,
            format!(
                "this desk holds registrants of office {}; it can join only office {} and only as its first desk",
                request.office_code, request.office_code
            ),
        ));
    }
    // Taken in share mode, so the operator cannot choose another profile while a desk enrols under this one.
    tx.execute("LOCK TABLE registry_privacy IN SHARE MODE", &[]).await?;
    let (privacy, id_key) = crate::privacy::stored(&tx).await?.unwrap_or_default();
    if request.registrants > 0 && (request.privacy != privacy || privacy.hashes_ids()) {
        return Err(ServerError::refused(
            SyncErrorCode::EnrolmentMismatch,
            format!(
                "this desk holds registrants kept as `{}`; this registry keeps `{}`{}: enrol a desk that holds nobody yet",
                request.privacy.keep_list(),
                privacy.keep_list(),
                if privacy.hashes_ids() { " with ID numbers hashed by its own key" } else { "" }
            ),
        ));
    }
    let desk_number = desks as i32 + 1;
    let inserted = tx
        .execute(
            "INSERT INTO devices (id, office, name, public_key, protocol, desk_number) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO NOTHING",
            &[&request.device_id, &office.id, &desk_name, &public_key, &(request.protocol as i32), &desk_number],
        )
        .await?;
    if inserted == 0 {
        return Err(ServerError::refused(SyncErrorCode::DeviceExists, "a desk with this id is enrolled already"));
    }
    tx.execute(
        "UPDATE enrolment_codes SET used_at = now(), used_by = $2 WHERE code_hash = $1",
        &[&code_hash(&request.code), &request.device_id],
    )
    .await?;
    audit(
        &tx,
        &format!("device:{}", request.device_id),
        "sync.enrol",
        "ok",
        serde_json::json!({ "office": office.id }),
    )
    .await?;
    tx.commit().await?;
    let server_time_ms = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
    Ok(EnrolResponse {
        device_id: request.device_id,
        office,
        desk_number,
        server_time_ms,
        privacy,
        id_key: id_key.map(|k| base64::engine::general_purpose::STANDARD.encode(k)),
    })
}

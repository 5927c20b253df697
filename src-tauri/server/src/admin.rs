//! The operator's commands: offices, enrolment codes, devices. Each is audited under the operator's
//! system user.

use deadpool_postgres::Pool;
use rand::Rng;
use serde::Serialize;
use uuid::Uuid;

use crate::db::audit;
use crate::error::{Result, ServerError};

/// Who ran an operator command, for the audit log.
pub fn operator() -> String {
    format!("operator:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
}

pub async fn office_add(pool: &Pool, code: &str, name: &str, headquarters: bool) -> Result<Uuid> {
    let code = code.trim();
    if code.is_empty() || code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(ServerError::Command("an office code is 1 to 32 letters, digits, '-' or '_'".into()));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ServerError::Command("an office name is 1 to 200 characters".into()));
    }
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let id = Uuid::now_v7();
    let inserted = tx
        .execute(
            "INSERT INTO offices (id, code, name, headquarters) VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING",
            &[&id, &code, &name, &headquarters],
        )
        .await?;
    if inserted == 0 {
        return Err(ServerError::Command(format!("an office with code {code} exists already")));
    }
    audit(
        &tx,
        &operator(),
        "office.add",
        "ok",
        serde_json::json!({ "office": id, "code": code, "headquarters": headquarters }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Letters that cannot be mistaken for one another when read over a phone.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// The SHA-256 under which a code is kept.
pub fn code_hash(code: &str) -> Vec<u8> {
    let normal: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase();
    ring::digest::digest(&ring::digest::SHA256, normal.as_bytes()).as_ref().to_vec()
}

#[derive(Debug, Serialize)]
pub struct EnrolmentCode {
    pub code: String,
    pub office: String,
    pub expires_at: String,
}

/// A one-time code for one desk of `office_code`, valid for `hours`.
pub async fn device_code(pool: &Pool, office_code: &str, hours: u32) -> Result<EnrolmentCode> {
    if hours == 0 || hours > 24 * 30 {
        return Err(ServerError::Command("a code is valid for 1 hour to 30 days".into()));
    }
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let office: Uuid = tx
        .query_opt("SELECT id FROM offices WHERE code = $1", &[&office_code])
        .await?
        .ok_or_else(|| ServerError::Command(format!("no office has code {office_code}")))?
        .get(0);
    let mut rng = rand::rng();
    let raw: String = (0..12).map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char).collect();
    let code = format!("{}-{}-{}", &raw[0..4], &raw[4..8], &raw[8..12]);
    let row = tx
        .query_one(
            "INSERT INTO enrolment_codes (code_hash, office, expires_at) VALUES ($1, $2, now() + make_interval(hours => $3))
             RETURNING to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
            &[&code_hash(&code), &office, &(hours as i32)],
        )
        .await?;
    audit(&tx, &operator(), "device.code", "ok", serde_json::json!({ "office": office, "hours": hours })).await?;
    tx.commit().await?;
    Ok(EnrolmentCode { code, office: office_code.to_string(), expires_at: row.get(0) })
}

#[derive(Debug, Serialize)]
pub struct DeviceRow {
    pub id: Uuid,
    pub office: String,
    pub name: String,
    pub enrolled_at: String,
    pub last_seen_at: Option<String>,
    pub revoked_at: Option<String>,
    pub acked_seq: i64,
    pub pulled_to: i64,
    pub rejected_ops: i64,
}

pub async fn device_list(pool: &Pool) -> Result<Vec<DeviceRow>> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT d.id, o.code, d.name, to_char(d.enrolled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                    to_char(d.last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                    to_char(d.revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                    d.acked_seq, d.pulled_to,
                    (SELECT count(*) FROM ops x WHERE x.device = d.id AND x.outcome = 'rejected')
             FROM devices d JOIN offices o ON o.id = d.office ORDER BY o.code, d.enrolled_at",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| DeviceRow {
            id: r.get(0),
            office: r.get(1),
            name: r.get(2),
            enrolled_at: r.get(3),
            last_seen_at: r.get(4),
            revoked_at: r.get(5),
            acked_seq: r.get(6),
            pulled_to: r.get(7),
            rejected_ops: r.get(8),
        })
        .collect())
}

/// Revokes a device: its next request is refused with `device_revoked`. What it pushed stays.
pub async fn device_revoke(pool: &Pool, id: Uuid) -> Result<()> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let n = tx.execute("UPDATE devices SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", &[&id]).await?;
    if n == 0 {
        let known = tx.query_opt("SELECT 1 FROM devices WHERE id = $1", &[&id]).await?.is_some();
        return Err(ServerError::Command(if known {
            format!("device {id} is revoked already")
        } else {
            format!("no device has id {id}")
        }));
    }
    audit(&tx, &operator(), "device.revoke", "ok", serde_json::json!({ "device": id })).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct RejectedOp {
    pub cursor: i64,
    pub device: Uuid,
    pub seq: i64,
    pub kind: String,
    pub code: String,
    pub reason: String,
}

/// Ops the server refused, newest first, for a person to see.
pub async fn rejected(pool: &Pool, limit: i64) -> Result<Vec<RejectedOp>> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT cursor, device, seq, kind, reject_code, reason FROM ops WHERE outcome = 'rejected'
             ORDER BY cursor DESC LIMIT $1",
            &[&limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| RejectedOp {
            cursor: r.get(0),
            device: r.get(1),
            seq: r.get(2),
            kind: r.get(3),
            code: r.get(4),
            reason: r.get(5),
        })
        .collect())
}

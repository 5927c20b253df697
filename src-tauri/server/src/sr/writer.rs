//! The server's own writer in an office: the ops of a Social Registry pull enter the change log exactly
//! as a desk's push would (through `push::push`, so the same ownership rules decide them), under a device
//! of that office that never signs a request, and reach the office's desks at their next sync.

use br_model::clock::HlcStamp;
use br_model::op::{Op, OpRecord};
use br_protocol::wire::{OfficeView, OpOutcome, PushRequest};
use deadpool_postgres::Pool;
use uuid::Uuid;

use crate::error::{Result, ServerError};
use crate::http::{AppState, Device};

/// The schema version the writer's ops claim: the first one, which every desk reads (the registrant and
/// household ops have not changed since).
const WRITER_SCHEMA: i64 = 1;

pub struct Writer {
    pub device: Device,
    /// The office's code, the prefix of the references the writer hands out (`NTH.SR-0000001`).
    prefix: String,
    seq: i64,
    hlc: i64,
    actor: String,
}

impl Writer {
    /// The writer of `office` (made on first need), positioned after its last op.
    pub async fn of(pool: &Pool, office: &OfficeView, actor: &str) -> Result<Writer> {
        let client = pool.get().await?;
        let device: Option<Uuid> = client
            .query_opt("SELECT device FROM writer_devices WHERE office = $1", &[&office.id])
            .await?
            .map(|r| r.get(0));
        let device = match device {
            Some(d) => d,
            None => {
                let id = Uuid::now_v7();
                client
                    .execute(
                        "INSERT INTO devices (id, office, name, public_key, protocol, desk_number)
                         VALUES ($1, $2, 'br-server writer', ''::bytea, 0, 0)",
                        &[&id, &office.id],
                    )
                    .await?;
                client
                    .execute("INSERT INTO writer_devices (office, device) VALUES ($1, $2)", &[&office.id, &id])
                    .await?;
                id
            }
        };
        let row = client
            .query_one(
                "SELECT d.acked_seq, coalesce((SELECT max(hlc) FROM ops WHERE device = d.id), 0) FROM devices d WHERE d.id = $1",
                &[&device],
            )
            .await?;
        Ok(Writer {
            device: Device { id: device, office: office.clone() },
            prefix: format!("{}.SR", office.code),
            seq: row.get(0),
            hlc: row.get(1),
            actor: actor.to_string(),
        })
    }

    /// `n` new references, counted in the database so that no two pulls hand out the same one.
    pub async fn references(&self, pool: &Pool, n: usize) -> Result<Vec<String>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let client = pool.get().await?;
        let first: i64 = client
            .query_one(
                "UPDATE writer_devices SET next_reference = next_reference + $2 WHERE office = $1 RETURNING next_reference - $2",
                &[&self.device.office.id, &(n as i64)],
            )
            .await?
            .get(0);
        Ok((0..n as i64).map(|k| format!("{}-{:07}", self.prefix, first + k)).collect())
    }

    fn stamp(&mut self) -> i64 {
        let now =
            HlcStamp { wall_ms: time::OffsetDateTime::now_utc().unix_timestamp_nanos() as u64 / 1_000_000, counter: 0 }
                .to_i64();
        self.hlc = now.max(self.hlc + 1);
        self.hlc
    }

    /// Stamps ops as the next of this writer's change log.
    pub fn records(&mut self, ops: Vec<Op>) -> Vec<OpRecord> {
        let at = br_model::clock::now_rfc3339();
        ops.into_iter()
            .map(|op| {
                self.seq += 1;
                OpRecord {
                    op_id: Uuid::now_v7(),
                    device_id: self.device.id,
                    seq: self.seq,
                    hlc: self.stamp(),
                    at: at.clone(),
                    owner_office: self.device.office.id,
                    base_version: None,
                    schema_version: WRITER_SCHEMA,
                    actor: Some(self.actor.clone()),
                    op,
                }
            })
            .collect()
    }

    /// Pushes a page of this writer's ops; the ops the server refused, with the reason.
    pub async fn push(&self, state: &AppState, ops: Vec<OpRecord>) -> Result<Vec<(Uuid, String)>> {
        let Some(first) = ops.first() else { return Ok(Vec::new()) };
        let after = first.seq - 1;
        let answer = crate::push::push(state, &self.device, PushRequest { after, ops }).await?;
        let refused = answer
            .results
            .into_iter()
            .filter_map(|r| match r.outcome {
                OpOutcome::Rejected { code, reason } => Some((r.op_id, format!("{}: {reason}", code.as_str()))),
                _ => None,
            })
            .collect();
        Ok(refused)
    }
}

/// The offices by code.
pub async fn offices(pool: &Pool) -> Result<std::collections::HashMap<String, OfficeView>> {
    let client = pool.get().await?;
    let rows = client.query("SELECT id, code, name, headquarters FROM offices", &[]).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let office = OfficeView { id: r.get(0), code: r.get(1), name: r.get(2), headquarters: r.get(3) };
            (office.code.clone(), office)
        })
        .collect())
}

pub fn unknown_office(code: &str) -> ServerError {
    ServerError::Command(format!("the mapping names office {code}, which the server does not know"))
}

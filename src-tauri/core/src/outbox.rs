//! The change log for sync: every change to a synced entity appends one typed op (br-model's `Op`) in the
//! same transaction, with a gapless per-desk sequence and a hybrid-logical-clock stamp. docs/sync-ops.md
//! lists the ops and how another registry replays them.

use br_model::clock::HlcStamp;
use br_model::op::{Op, OpRecord, OP_FORMAT};
use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

use crate::error::Result;
use crate::store::migrations::SCHEMA_VERSION;
use crate::store::Tx;

impl Tx<'_> {
    /// Appends one op and returns its stamp, which becomes the changed entity's new version. This is the
    /// only writer of the outbox.
    pub fn append_op(&mut self, op: &Op, base_version: Option<i64>) -> Result<i64> {
        let seq = match self.outbox_next {
            Some(s) => s,
            None => {
                let last: Option<i64> =
                    self.conn().query_row("SELECT max(seq) FROM outbox", [], |r| r.get(0)).optional()?.flatten();
                last.unwrap_or(0) + 1
            }
        };
        let office = self.store().office();
        let (owner, device) = (office.office_id, office.device_id);
        let stamp = self.store().hlc().tick().to_i64();
        let (entity, entity_id) = op.entity();
        let payload = serde_json::to_string(op)?;
        self.conn()
            .prepare_cached(
                "INSERT INTO outbox (seq, op_id, office_id, entity, entity_id, kind, payload, base_version, hlc,
                     schema_version, device_id, actor, format)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?
            .execute(params![
                seq,
                Uuid::now_v7(),
                owner,
                entity,
                entity_id,
                op.kind(),
                payload,
                base_version,
                stamp,
                SCHEMA_VERSION,
                device,
                self.actor,
                OP_FORMAT
            ])?;
        self.outbox_next = Some(seq + 1);
        Ok(stamp)
    }
}

/// Reads the typed records from `after` (a sequence number) on, at most `limit` of them. Records written
/// before the log was typed are skipped: they are not a contract.
pub fn read_records(conn: &rusqlite::Connection, after: i64, limit: usize) -> Result<Vec<OpRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, op_id, device_id, hlc, office_id, base_version, schema_version, actor, payload
         FROM outbox WHERE seq > ?1 AND format = ?2 ORDER BY seq LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![after, OP_FORMAT, limit as i64], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Uuid>(1)?,
            r.get::<_, Uuid>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, Uuid>(4)?,
            r.get::<_, Option<i64>>(5)?,
            r.get::<_, i64>(6)?,
            r.get::<_, Option<String>>(7)?,
            r.get::<_, String>(8)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, op_id, device_id, hlc, owner_office, base_version, schema_version, actor, payload) = row?;
        // The stamp's wall time is when the change was made: stored once, in the stamp.
        let at = br_model::clock::rfc3339_of_ms(HlcStamp::from_i64(hlc).wall_ms);
        out.push(OpRecord {
            op_id,
            device_id,
            seq,
            hlc,
            at,
            owner_office,
            base_version,
            schema_version,
            actor,
            op: serde_json::from_str(&payload)?,
        });
    }
    Ok(out)
}

//! The change log for sync: every change to a synced entity appends one op in the same transaction, with a
//! gapless per-office sequence and a hybrid-logical-clock stamp. Nothing reads it yet; the sync issue will.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use uuid::Uuid;

use crate::error::Result;
use crate::store::migrations::SCHEMA_VERSION;
use crate::store::Tx;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Create,
    Update,
    Disable,
}

impl OpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Create => "create",
            OpKind::Update => "update",
            OpKind::Disable => "disable",
        }
    }
}

impl Tx<'_> {
    /// Appends one op and returns its stamp, which becomes the entity's new version.
    pub fn append_op(
        &mut self,
        entity: &'static str,
        entity_id: Uuid,
        kind: OpKind,
        payload: &impl Serialize,
        base_version: Option<i64>,
    ) -> Result<i64> {
        let seq = match self.outbox_next {
            Some(s) => s,
            None => {
                let last: Option<i64> =
                    self.conn().query_row("SELECT max(seq) FROM outbox", [], |r| r.get(0)).optional()?.flatten();
                last.unwrap_or(0) + 1
            }
        };
        let office = self.store().office().office_id;
        let stamp = self.store().hlc().tick().to_i64();
        let payload = serde_json::to_string(payload)?;
        self.conn()
            .prepare_cached(
                "INSERT INTO outbox (seq, op_id, office_id, entity, entity_id, kind, payload, base_version, hlc, schema_version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                seq,
                Uuid::now_v7(),
                office,
                entity,
                entity_id,
                kind.as_str(),
                payload,
                base_version,
                stamp,
                SCHEMA_VERSION
            ])?;
        self.outbox_next = Some(seq + 1);
        Ok(stamp)
    }
}

//! The registry view: registrants, their IDs and households, programs, memberships, cycles, entitlements
//! and payments as the accepted ops make them, in PostgreSQL, for the DCI answers (docs/interop.md).
//!
//! The view follows the change log: `catch_up` applies the ops after `registry_view_state.cursor` in the
//! order the server accepted them, a page per transaction, under an advisory lock so that processes take
//! turns. Pushes commit their cursors in order (push.rs), so a page never skips an op that commits late.
//! It applies each op as a desk's replay does (field-wise last writer wins, the same state moves), so the
//! view equals what a headquarters desk holds; the national sync test checks it.

mod bulk;
mod money;
mod people;

use br_model::op::{Op, OpRecord};
use deadpool_postgres::{GenericClient, Pool};

use crate::error::Result;

const VIEW_LOCK: i64 = 7201003;
const PAGE: i64 = 2_000;

/// Where the view stands after a catch-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caught {
    pub cursor: i64,
    pub applied: u64,
}

/// Brings the view up to the last accepted op. Cheap when nothing is new (one indexed query).
pub async fn catch_up(pool: &Pool) -> Result<Caught> {
    let mut applied = 0;
    {
        let client = pool.get().await?;
        let stmt = client
            .prepare_cached(
                "SELECT cursor, cursor >= coalesce((SELECT max(cursor) FROM ops), 0) FROM registry_view_state",
            )
            .await?;
        let row = client.query_one(&stmt, &[]).await?;
        if row.get::<_, bool>(1) {
            return Ok(Caught { cursor: row.get(0), applied });
        }
    }
    loop {
        let mut client = pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&VIEW_LOCK]).await?;
        let from: i64 = tx.query_one("SELECT cursor FROM registry_view_state", &[]).await?.get(0);
        let rows = tx
            .query(
                "SELECT cursor, record FROM ops WHERE cursor > $1 AND outcome <> 'rejected' ORDER BY cursor LIMIT $2",
                &[&from, &PAGE],
            )
            .await?;
        let Some(last) = rows.last().map(|r| r.get::<_, i64>(0)) else {
            tx.commit().await?;
            return Ok(Caught { cursor: from, applied });
        };
        let started = std::time::Instant::now();
        let records = rows
            .iter()
            .map(|row| Ok((row.get::<_, i64>(0), serde_json::from_value::<OpRecord>(row.get(1))?)))
            .collect::<Result<Vec<_>>>()?;
        let mut i = 0;
        while i < records.len() {
            let (cursor, record) = &records[i];
            if bulk::batched(&record.op) {
                let kind = std::mem::discriminant(&record.op);
                let end = records[i..]
                    .iter()
                    .position(|(_, r)| std::mem::discriminant(&r.op) != kind)
                    .map_or(records.len(), |n| i + n);
                bulk::apply(&tx, &records[i..end]).await?;
                i = end;
            } else {
                apply(&tx, *cursor, record).await?;
                i += 1;
            }
        }
        tracing::debug!(ops = rows.len(), ms = started.elapsed().as_millis() as u64, "view page applied");
        tx.execute("UPDATE registry_view_state SET cursor = $1", &[&last]).await?;
        tx.commit().await?;
        applied += rows.len() as u64;
    }
}

/// Empties the view and builds it again from the whole change log (`br-server view rebuild`).
pub async fn rebuild(pool: &Pool) -> Result<Caught> {
    {
        let mut client = pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&VIEW_LOCK]).await?;
        tx.batch_execute(
            "TRUNCATE registry_registrants, registry_ids, registry_household_members, registry_programs,
                      registry_memberships, registry_cycles, registry_entitlements, registry_payment_batches, registry_payments,
                      registry_list_items, registry_custom_fields;
             UPDATE registry_view_state SET cursor = 0;",
        )
        .await?;
        tx.commit().await?;
    }
    catch_up(pool).await
}

async fn apply(tx: &impl GenericClient, cursor: i64, rec: &OpRecord) -> Result<()> {
    match &rec.op {
        Op::RegistrantUpdated { .. }
        | Op::RegistrantDisabled { .. }
        | Op::RegistrantMerged { .. }
        | Op::IdDocumentMoved { .. }
        | Op::HouseholdMemberChanged { .. }
        | Op::HouseholdMemberLeft { .. }
        | Op::HouseholdMemberReplaced { .. } => people::apply(tx, rec).await,
        Op::ProgramCreated { .. } | Op::ProgramChanged { .. } | Op::ProgramMembershipTransferred { .. } => {
            people::apply_program(tx, cursor, rec).await
        }
        // Applied in runs (bulk.rs).
        Op::RegistrantCreated { .. } | Op::HouseholdMemberJoined { .. } | Op::ProgramMembershipMoved(_) => Ok(()),
        Op::CycleCreated { .. }
        | Op::CycleMembersRemoved { .. }
        | Op::CycleStateSet { .. }
        | Op::CycleEntitlementsMoved { .. }
        | Op::CycleDeleted { .. }
        | Op::EntitlementsDiscarded { .. }
        | Op::EntitlementsGenerated(_)
        | Op::EntitlementEdited { .. }
        | Op::EntitlementsDecided(_)
        | Op::EntitlementsExpired { .. }
        | Op::PaymentsPrepared(_)
        | Op::PaymentBatchSent { .. }
        | Op::PaymentResults { .. } => money::apply(tx, rec).await,
        Op::ListItemSaved { list, code, active, .. } => {
            tx.execute(
                "INSERT INTO registry_list_items (list, code, active) VALUES ($1, $2, $3)
                 ON CONFLICT (list, code) DO UPDATE SET active = excluded.active",
                &[&list.as_str(), code, active],
            )
            .await?;
            Ok(())
        }
        Op::CustomFieldDefined { field } => {
            tx.execute(
                "INSERT INTO registry_custom_fields (name, definition) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET definition = excluded.definition",
                &[&field.name, &serde_json::to_value(field)?],
            )
            .await?;
            Ok(())
        }
        // Nothing the DCI answers carry: duplicate reviews, cycle membership pages (entitlements name their
        // people), funds and settled conflicts.
        Op::DuplicatesDecided(_)
        | Op::CycleMembersAdded { .. }
        | Op::CyclePrepared { .. }
        | Op::FundCreated { .. }
        | Op::FundStateSet { .. }
        | Op::ConflictResolved { .. } => Ok(()),
    }
}

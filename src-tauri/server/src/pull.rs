//! Pull: the server's change log after a cursor, as the desk's office may see it (docs/sync.md, "Scope"),
//! read in one snapshot so a page and the head it reports agree.

use std::sync::atomic::Ordering;

use br_model::op::OpRecord;
use br_protocol::codes::SyncErrorCode;
use br_protocol::wire::{PullRequest, PullResponse, PulledOp, WhoAmI};
use br_protocol::MAX_PAGE_OPS;
use deadpool_postgres::Pool;

use crate::db::audit;
use crate::error::{Result, ServerError};
use crate::http::{AppState, Device};

pub async fn pull(state: &AppState, device: &Device, request: PullRequest) -> Result<PullResponse> {
    if request.limit == 0 || request.limit as usize > MAX_PAGE_OPS || request.cursor < 0 {
        return Err(ServerError::refused(
            SyncErrorCode::InvalidRequest,
            format!("a pull asks for 1 to {MAX_PAGE_OPS} ops from a cursor of 0 or more"),
        ));
    }
    let mut client = state.pool.get().await?;
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let head: i64 = tx.query_one("SELECT coalesce(max(cursor), 0) FROM ops", &[]).await?.get(0);
    let limit = request.limit as i64;
    let rows = if device.office.headquarters {
        tx.query(
            "SELECT cursor, record FROM ops
             WHERE cursor > $1 AND outcome <> 'rejected' AND device <> $2 ORDER BY cursor LIMIT $3",
            &[&request.cursor, &device.id, &limit],
        )
        .await?
    } else {
        tx.query(
            "SELECT o.cursor, coalesce(s.record, o.record) FROM ops o
             LEFT JOIN op_slices s ON s.cursor = o.cursor AND s.office = $4
             WHERE o.cursor > $1 AND o.outcome <> 'rejected' AND o.device <> $2
               AND (o.visibility = 'all' OR o.office = $4 OR s.office IS NOT NULL)
             ORDER BY o.cursor LIMIT $3",
            &[&request.cursor, &device.id, &limit, &device.office.id],
        )
        .await?
    };
    tx.commit().await?;
    let mut ops = Vec::with_capacity(rows.len());
    for row in &rows {
        let record: serde_json::Value = row.get(1);
        ops.push(PulledOp { cursor: row.get(0), record: serde_json::from_value::<OpRecord>(record)? });
    }
    // A short page covered everything up to the head, including ops this office may not see.
    let cursor = if (rows.len() as i64) < limit {
        head.max(request.cursor)
    } else {
        ops.last().map_or(request.cursor, |o| o.cursor)
    };
    client.execute("UPDATE devices SET pulled_to = $2 WHERE id = $1", &[&device.id, &cursor]).await?;
    if !ops.is_empty() {
        audit(
            &client,
            &format!("device:{}", device.id),
            "sync.pull",
            "ok",
            serde_json::json!({ "from": request.cursor, "to": cursor, "ops": ops.len() }),
        )
        .await?;
    }
    state.metrics.ops_pulled.fetch_add(ops.len() as u64, Ordering::Relaxed);
    state.metrics.pull_lag.store(head - cursor, Ordering::Relaxed);
    Ok(PullResponse { ops, cursor, head, more: cursor < head })
}

pub async fn whoami(pool: &Pool, device: Device) -> Result<WhoAmI> {
    let client = pool.get().await?;
    let acked: i64 = client.query_one("SELECT acked_seq FROM devices WHERE id = $1", &[&device.id]).await?.get(0);
    let head: i64 = client.query_one("SELECT coalesce(max(cursor), 0) FROM ops", &[]).await?.get(0);
    Ok(WhoAmI { device_id: device.id, office: device.office, acked, head })
}

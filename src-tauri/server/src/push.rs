//! Push: a desk's ops after the sequence the server acknowledged, decided and kept in one transaction per
//! page. Pushes take turns on an advisory lock, so cursors commit in the order they are numbered and a
//! pull never skips an op that commits late.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use br_model::disbursement::CycleState;
use br_protocol::codes::SyncErrorCode;
use br_protocol::ownership::Visibility;
use br_protocol::wire::{OpOutcome, OpResult, PushRequest, PushResponse};
use br_protocol::MAX_PAGE_OPS;
use uuid::Uuid;

use crate::db::audit;
use crate::error::{Result, ServerError};
use crate::http::{AppState, Device};
use crate::ledger::{cycle_named, ids_named, Decision, Ledger, Pusher};

const PUSH_LOCK: i64 = 7201002;

/// One row of `ops` to insert.
struct Kept {
    op_id: Uuid,
    seq: i64,
    kind: &'static str,
    hlc: i64,
    visibility: &'static str,
    outcome: &'static str,
    reject_code: Option<&'static str>,
    reason: Option<String>,
    record: serde_json::Value,
    slices: Vec<(Uuid, serde_json::Value)>,
}

pub async fn push(state: &AppState, device: &Device, request: PushRequest) -> Result<PushResponse> {
    if request.ops.len() > MAX_PAGE_OPS {
        return Err(ServerError::refused(
            SyncErrorCode::InvalidRequest,
            format!("a push page holds at most {MAX_PAGE_OPS} ops"),
        ));
    }
    let mut previous = request.after;
    for rec in &request.ops {
        if rec.seq <= previous {
            return Err(ServerError::refused(
                SyncErrorCode::InvalidRequest,
                "a push page's ops follow `after` in increasing sequence",
            ));
        }
        previous = rec.seq;
    }
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PUSH_LOCK]).await?;
    let acked: i64 =
        tx.query_one("SELECT acked_seq FROM devices WHERE id = $1 FOR UPDATE", &[&device.id]).await?.get(0);
    if request.after > acked {
        return Err(ServerError::with_details(
            SyncErrorCode::OpsMissing,
            format!("the server holds this desk's ops up to {acked}; push from there"),
            serde_json::json!({ "acked": acked }),
        ));
    }
    let op_ids: Vec<Uuid> = request.ops.iter().map(|r| r.op_id).collect();
    let held: HashMap<Uuid, (Uuid, i64)> = tx
        .query("SELECT op_id, device, seq FROM ops WHERE op_id = ANY($1)", &[&op_ids])
        .await?
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect();
    let mut ledger = load_ledger(&tx, &request).await?;
    let pusher = Pusher { device: device.id, office: device.office.id, headquarters: device.office.headquarters };
    let mut results = Vec::with_capacity(request.ops.len());
    let mut kept: Vec<Kept> = Vec::new();
    let mut new_acked = acked;
    for rec in &request.ops {
        let outcome = if let Some((by, seq)) = held.get(&rec.op_id) {
            if *by == device.id && *seq == rec.seq {
                OpOutcome::Duplicate
            } else {
                rejected(br_protocol::codes::RejectCode::InvalidOp, "another op has this id")
            }
        } else if rec.seq <= acked {
            rejected(br_protocol::codes::RejectCode::SequenceReused, "the server holds another op under this sequence")
        } else {
            let record = serde_json::to_value(rec)?;
            let (outcome, row) = match ledger.decide(rec, pusher) {
                Decision::Accepted { visibility, conflict, slices } => {
                    let slices = slices
                        .into_iter()
                        .map(|(office, op)| {
                            let mut part = rec.clone();
                            part.op = op;
                            serde_json::to_value(&part).map(|v| (office, v))
                        })
                        .collect::<std::result::Result<Vec<_>, _>>()?;
                    let outcome = match conflict {
                        Some(now) => OpOutcome::Conflict { current: serde_json::json!({ "state": now.as_str() }) },
                        None => OpOutcome::Applied,
                    };
                    let name = if conflict.is_some() { "conflict" } else { "applied" };
                    (outcome, (visibility_name(visibility), name, None, None, slices))
                }
                Decision::Rejected { code, reason } => (
                    OpOutcome::Rejected { code, reason: reason.clone() },
                    ("none", "rejected", Some(code.as_str()), Some(reason), Vec::new()),
                ),
            };
            let (visibility, name, reject_code, reason, slices) = row;
            kept.push(Kept {
                op_id: rec.op_id,
                seq: rec.seq,
                kind: rec.op.kind(),
                hlc: rec.hlc,
                visibility,
                outcome: name,
                reject_code,
                reason,
                record,
                slices,
            });
            outcome
        };
        new_acked = new_acked.max(rec.seq);
        results.push(OpResult { op_id: rec.op_id, seq: rec.seq, outcome });
    }
    write(&tx, device, &kept, &ledger).await?;
    tx.execute("UPDATE devices SET acked_seq = $2 WHERE id = $1", &[&device.id, &new_acked]).await?;
    let count = |f: fn(&OpOutcome) -> bool| results.iter().filter(|r| f(&r.outcome)).count() as u64;
    let applied = count(|o| matches!(o, OpOutcome::Applied));
    let duplicate = count(|o| matches!(o, OpOutcome::Duplicate));
    let rejected_n = count(|o| matches!(o, OpOutcome::Rejected { .. }));
    let conflict = count(|o| matches!(o, OpOutcome::Conflict { .. }));
    audit(
        &tx,
        &format!("device:{}", device.id),
        "sync.push",
        "ok",
        serde_json::json!({ "applied": applied, "duplicate": duplicate, "rejected": rejected_n, "conflict": conflict, "acked": new_acked }),
    )
    .await?;
    tx.commit().await?;
    let m = &state.metrics;
    m.ops_applied.fetch_add(applied, Ordering::Relaxed);
    m.ops_duplicate.fetch_add(duplicate, Ordering::Relaxed);
    m.ops_rejected.fetch_add(rejected_n, Ordering::Relaxed);
    m.ops_conflict.fetch_add(conflict, Ordering::Relaxed);
    Ok(PushResponse { acked: new_acked, results })
}

fn rejected(code: br_protocol::codes::RejectCode, reason: &str) -> OpOutcome {
    OpOutcome::Rejected { code, reason: reason.to_string() }
}

fn visibility_name(v: Visibility) -> &'static str {
    match v {
        Visibility::All => "all",
        Visibility::Owner => "owner",
        Visibility::Sliced => "sliced",
    }
}

/// The owners, people, audiences and cycle states of every row the page names, and the headquarters
/// offices.
async fn load_ledger(tx: &deadpool_postgres::Transaction<'_>, request: &PushRequest) -> Result<Ledger> {
    let ids: Vec<Uuid> = request.ops.iter().flat_map(ids_named).collect();
    let cycles: Vec<Uuid> = request.ops.iter().filter_map(|r| cycle_named(&r.op)).collect();
    let mut ledger = Ledger::default();
    for row in tx.query("SELECT id, office FROM owners WHERE id = ANY($1)", &[&ids]).await? {
        ledger.owners.insert(row.get(0), row.get(1));
    }
    for row in tx.query("SELECT id, office FROM people WHERE id = ANY($1)", &[&ids]).await? {
        ledger.people.insert(row.get(0), row.get(1));
    }
    for row in tx.query("SELECT id, state FROM cycle_states WHERE id = ANY($1)", &[&cycles]).await? {
        let state: String = row.get(1);
        if let Some(s) = CycleState::parse(&state) {
            ledger.cycles.insert(row.get(0), s);
        }
    }
    for row in tx.query("SELECT id, office FROM audiences WHERE id = ANY($1)", &[&ids]).await? {
        ledger.audiences.entry(row.get(0)).or_default().insert(row.get(1));
    }
    for row in tx.query("SELECT id FROM offices WHERE headquarters", &[]).await? {
        ledger.headquarters.insert(row.get(0));
    }
    Ok(ledger)
}

/// Writes a decided page: its ops (numbered in sequence order), their slices, and the ledger's new rows.
async fn write(tx: &deadpool_postgres::Transaction<'_>, device: &Device, kept: &[Kept], ledger: &Ledger) -> Result<()> {
    if !kept.is_empty() {
        let op_ids: Vec<Uuid> = kept.iter().map(|k| k.op_id).collect();
        let seqs: Vec<i64> = kept.iter().map(|k| k.seq).collect();
        let kinds: Vec<&str> = kept.iter().map(|k| k.kind).collect();
        let hlcs: Vec<i64> = kept.iter().map(|k| k.hlc).collect();
        let visibilities: Vec<&str> = kept.iter().map(|k| k.visibility).collect();
        let outcomes: Vec<&str> = kept.iter().map(|k| k.outcome).collect();
        let codes: Vec<Option<&str>> = kept.iter().map(|k| k.reject_code).collect();
        let reasons: Vec<Option<&str>> = kept.iter().map(|k| k.reason.as_deref()).collect();
        let records: Vec<&serde_json::Value> = kept.iter().map(|k| &k.record).collect();
        let rows = tx
            .query(
                "INSERT INTO ops (op_id, device, seq, office, kind, hlc, visibility, outcome, reject_code, reason, record)
                 SELECT t.op_id, $2, t.seq, $3, t.kind, t.hlc, t.visibility, t.outcome, t.code, t.reason, t.record
                 FROM unnest($1::uuid[], $4::int8[], $5::text[], $6::int8[], $7::text[], $8::text[], $9::text[], $10::text[], $11::jsonb[])
                      AS t(op_id, seq, kind, hlc, visibility, outcome, code, reason, record)
                 ORDER BY t.seq
                 RETURNING op_id, cursor",
                &[&op_ids, &device.id, &device.office.id, &seqs, &kinds, &hlcs, &visibilities, &outcomes, &codes, &reasons, &records],
            )
            .await?;
        let cursors: HashMap<Uuid, i64> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        let mut slice_cursors = Vec::new();
        let mut slice_offices = Vec::new();
        let mut slice_records = Vec::new();
        for k in kept {
            for (office, record) in &k.slices {
                slice_cursors.push(cursors[&k.op_id]);
                slice_offices.push(*office);
                slice_records.push(record);
            }
        }
        if !slice_cursors.is_empty() {
            tx.execute(
                "INSERT INTO op_slices (cursor, office, record) SELECT * FROM unnest($1::int8[], $2::uuid[], $3::jsonb[])",
                &[&slice_cursors, &slice_offices, &slice_records],
            )
            .await?;
        }
    }
    let pairs = |rows: &[(Uuid, Uuid)]| -> (Vec<Uuid>, Vec<Uuid>) { rows.iter().copied().unzip() };
    let (ids, offices) = pairs(&ledger.new_owners);
    tx.execute(
        "INSERT INTO owners (id, office) SELECT * FROM unnest($1::uuid[], $2::uuid[]) ON CONFLICT (id) DO NOTHING",
        &[&ids, &offices],
    )
    .await?;
    let (ids, offices) = pairs(&ledger.new_people);
    tx.execute(
        "INSERT INTO people (id, office) SELECT * FROM unnest($1::uuid[], $2::uuid[]) ON CONFLICT (id) DO NOTHING",
        &[&ids, &offices],
    )
    .await?;
    let (ids, offices) = pairs(&ledger.new_audiences);
    tx.execute(
        "INSERT INTO audiences (id, office) SELECT * FROM unnest($1::uuid[], $2::uuid[]) ON CONFLICT DO NOTHING",
        &[&ids, &offices],
    )
    .await?;
    for (id, state) in &ledger.cycle_changes {
        tx.execute(
            "INSERT INTO cycle_states (id, state) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET state = excluded.state",
            &[id, &state.as_str()],
        )
        .await?;
    }
    Ok(())
}

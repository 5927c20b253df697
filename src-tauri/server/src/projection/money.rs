//! Cycles, entitlements and payments in the view, moved as a desk's replay moves them (core's
//! disbursement/remote.rs): states only along their machines, stage decisions only when exactly the
//! decided entitlements still await the stage.

use br_model::disbursement::{ApprovalStage, CycleState, PaymentState};
use br_model::op::{CycleSetAction, Op, OpRecord, PaymentResult, StageDecision, StageVerdict};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use crate::error::Result;

pub(super) async fn apply(tx: &impl GenericClient, rec: &OpRecord) -> Result<()> {
    match &rec.op {
        Op::CycleCreated { id, program, sequence, name, start_date, end_date } => {
            tx.execute(
                "INSERT INTO registry_cycles (id, program, sequence, name, start_date, end_date, state)
                 VALUES ($1, $2, $3, $4, $5, $6, 'draft') ON CONFLICT (id) DO NOTHING",
                &[id, program, sequence, name, start_date, end_date],
            )
            .await?;
        }
        Op::CycleMembersRemoved { cycle, members } => {
            tx.execute(
                "DELETE FROM registry_entitlements WHERE cycle = $1 AND registrant = ANY($2) AND state = 'draft'",
                &[cycle, members],
            )
            .await?;
        }
        Op::CycleStateSet { id, to, .. } => {
            let now = cycle_state(tx, *id).await?;
            if now.is_some_and(|s| s != *to && s.may_become(*to)) {
                tx.execute("UPDATE registry_cycles SET state = $2 WHERE id = $1", &[id, &to.as_str()]).await?;
            }
        }
        Op::CycleEntitlementsMoved { cycle, action, stages } => {
            moved(tx, rec, *cycle, *action, stages.as_ref()).await?
        }
        // A cycle is deleted only as a draft; a stale delete of a cycle that moved on changes nothing.
        Op::CycleDeleted { id } if cycle_state(tx, *id).await? == Some(CycleState::Draft) => {
            tx.execute("DELETE FROM registry_entitlements WHERE cycle = $1", &[id]).await?;
            tx.execute("DELETE FROM registry_cycles WHERE id = $1", &[id]).await?;
        }
        Op::EntitlementsDiscarded { cycle } => {
            tx.execute("DELETE FROM registry_entitlements WHERE cycle = $1", &[cycle]).await?;
        }
        Op::EntitlementsGenerated(g) => {
            let ids: Vec<Uuid> = g.rows.iter().map(|r| r.0).collect();
            let people: Vec<Uuid> = g.rows.iter().map(|r| r.1).collect();
            let amounts: Vec<i64> = g.rows.iter().map(|r| r.2).collect();
            let fees: Vec<i64> = g.rows.iter().map(|r| r.3).collect();
            let quantities: Vec<Option<i64>> = g.rows.iter().map(|r| r.4).collect();
            tx.execute(
                "INSERT INTO registry_entitlements (id, cycle, registrant, kind, amount, fee, currency, quantity, unit,
                     product, valid_from, valid_until, state, changed_at)
                 SELECT i, $1, r, $2, a, f, $3, q, $4, $5, $6, $7, 'draft', $8
                 FROM unnest($9::uuid[], $10::uuid[], $11::int8[], $12::int8[], $13::int8[]) AS x(i, r, a, f, q)
                 ON CONFLICT (id) DO NOTHING",
                &[
                    &g.cycle,
                    &g.kind.as_str(),
                    &g.currency,
                    &g.unit,
                    &g.product,
                    &g.valid_from,
                    &g.valid_until,
                    &rec.at,
                    &ids,
                    &people,
                    &amounts,
                    &fees,
                    &quantities,
                ],
            )
            .await?;
        }
        Op::EntitlementEdited { id, amount, fee, quantity, .. } => {
            tx.execute(
                "UPDATE registry_entitlements SET amount = $2, fee = $3, quantity = $4, changed_at = $5
                 WHERE id = $1 AND state IN ('draft', 'pending')",
                &[id, amount, fee, quantity, &rec.at],
            )
            .await?;
        }
        Op::EntitlementsDecided(d) => decided(tx, rec, d).await?,
        Op::EntitlementsExpired { cycle, on } => {
            tx.execute(
                "UPDATE registry_entitlements SET state = 'expired', changed_at = $3
                 WHERE cycle = $1 AND state = 'approved' AND valid_until < $2",
                &[cycle, on, &rec.at],
            )
            .await?;
        }
        Op::PaymentsPrepared(b) => {
            tx.execute(
                "INSERT INTO registry_payment_batches (id, cycle, sequence, currency, state) VALUES ($1, $2, $3, $4, 'prepared')
                 ON CONFLICT (id) DO NOTHING",
                &[&b.id, &b.cycle, &b.sequence, &b.currency],
            )
            .await?;
            let ids: Vec<Uuid> = b.rows.iter().map(|p| p.0).collect();
            let entitlements: Vec<Uuid> = b.rows.iter().map(|p| p.1).collect();
            let amounts: Vec<i64> = b.rows.iter().map(|p| p.2).collect();
            let accounts: Vec<Option<String>> = b.rows.iter().map(|p| p.3.clone()).collect();
            let n = tx
                .execute(
                    "INSERT INTO registry_payments (id, batch, entitlement, account, amount, currency, state, changed_at)
                     SELECT i, $1, e, acc, a, $2, 'queued', $3
                     FROM unnest($4::uuid[], $5::uuid[], $6::int8[], $7::text[]) AS x(i, e, a, acc)
                     ON CONFLICT (id) DO NOTHING",
                    &[&b.id, &b.currency, &rec.at, &ids, &entitlements, &amounts, &accounts],
                )
                .await?;
            if n > 0 {
                tx.execute(
                    "UPDATE registry_entitlements SET state = 'in_payment', changed_at = $2 WHERE id = ANY($1)",
                    &[&entitlements, &rec.at],
                )
                .await?;
            }
        }
        Op::PaymentBatchSent { id } => {
            tx.execute("UPDATE registry_payment_batches SET state = 'sent' WHERE id = $1", &[id]).await?;
            tx.execute(
                "UPDATE registry_payments SET state = 'sent', changed_at = $2 WHERE batch = $1 AND state = 'queued'",
                &[id, &rec.at],
            )
            .await?;
        }
        Op::PaymentResults { results } => {
            for r in results {
                result(tx, rec, r).await?;
            }
        }
        _ => {}
    }
    Ok(())
}

async fn cycle_state(tx: &impl GenericClient, id: Uuid) -> Result<Option<CycleState>> {
    let row = tx.query_opt("SELECT state FROM registry_cycles WHERE id = $1", &[&id]).await?;
    Ok(row.and_then(|r| CycleState::parse(r.get(0))))
}

/// The first stage after `after` (0-based count of stages passed) that an entitlement of each amount goes
/// through, as SQL over `amount`; NULL when none is left. Amounts are integers, so formatting them in is
/// safe.
fn next_stage_sql(stages: &[ApprovalStage], after: usize) -> String {
    let arms: Vec<String> = stages
        .iter()
        .enumerate()
        .skip(after)
        .map(|(i, s)| match s.above_amount {
            None => format!("WHEN true THEN {}", i + 1),
            Some(min) => format!("WHEN amount > {min} THEN {}", i + 1),
        })
        .collect();
    if arms.is_empty() {
        "NULL::int".into()
    } else {
        format!("(CASE {} ELSE NULL END)", arms.join(" "))
    }
}

async fn moved(
    tx: &impl GenericClient,
    rec: &OpRecord,
    cycle: Uuid,
    action: CycleSetAction,
    stages: Option<&serde_json::Value>,
) -> Result<()> {
    match action {
        CycleSetAction::Submit => {
            let Some(value) = stages else { return Ok(()) };
            let parsed: Vec<ApprovalStage> = serde_json::from_value(value.clone())?;
            let next = next_stage_sql(&parsed, 0);
            tx.execute(
                &format!(
                    "UPDATE registry_entitlements SET stage = {next},
                         state = CASE WHEN {next} IS NULL THEN 'approved' ELSE 'pending' END, changed_at = $2
                     WHERE cycle = $1 AND state = 'draft'"
                ),
                &[&cycle, &rec.at],
            )
            .await?;
            tx.execute("UPDATE registry_cycles SET stages = $2 WHERE id = $1", &[&cycle, value]).await?;
        }
        CycleSetAction::SendBack => {
            tx.execute(
                "UPDATE registry_entitlements SET state = 'draft', stage = NULL, changed_at = $2
                 WHERE cycle = $1 AND state = 'pending'",
                &[&cycle, &rec.at],
            )
            .await?;
            tx.execute("UPDATE registry_cycles SET stages = NULL WHERE id = $1", &[&cycle]).await?;
        }
        CycleSetAction::Cancel => {
            tx.execute(
                "UPDATE registry_entitlements SET state = 'cancelled', stage = NULL, changed_at = $2
                 WHERE cycle = $1 AND state IN ('draft', 'pending', 'approved')",
                &[&cycle, &rec.at],
            )
            .await?;
        }
    }
    Ok(())
}

/// One stage decided, applied only when exactly the decided entitlements still await it (as on a desk).
async fn decided(tx: &impl GenericClient, rec: &OpRecord, d: &StageDecision) -> Result<()> {
    let Some(row) = tx.query_opt("SELECT stages FROM registry_cycles WHERE id = $1", &[&d.cycle]).await? else {
        return Ok(());
    };
    let Some(frozen) = row.get::<_, Option<serde_json::Value>>(0) else { return Ok(()) };
    let stages: Vec<ApprovalStage> = serde_json::from_value(frozen)?;
    let stage = d.stage as i32;
    let chosen: Option<Vec<Uuid>> = d.entitlements.clone();
    let target = "cycle = $1 AND state = 'pending' AND stage = $2 AND ($3::uuid[] IS NULL OR id = ANY($3))";
    let awaiting: i64 = tx
        .query_one(&format!("SELECT count(*) FROM registry_entitlements WHERE {target}"), &[&d.cycle, &stage, &chosen])
        .await?
        .get(0);
    let expected = chosen.as_ref().map_or(d.count, |ids| ids.len() as i64);
    if awaiting != d.count || awaiting != expected {
        return Ok(());
    }
    let next = next_stage_sql(&stages, d.stage as usize);
    let sql = match d.verdict {
        StageVerdict::Approved => format!(
            "UPDATE registry_entitlements SET stage = {next},
                 state = CASE WHEN {next} IS NULL THEN 'approved' ELSE 'pending' END, changed_at = $4
             WHERE {target}"
        ),
        StageVerdict::Rejected => {
            format!("UPDATE registry_entitlements SET state = 'rejected', changed_at = $4 WHERE {target}")
        }
    };
    tx.execute(&sql, &[&d.cycle, &stage, &chosen, &rec.at]).await?;
    Ok(())
}

/// One provider result, as reconciliation applies it on a desk: a first result pays or fails the payment
/// and its entitlement; a late success of a failed payment pays both if nothing else paid it since; a
/// failure of a paid payment reverses the payment only.
async fn result(tx: &impl GenericClient, rec: &OpRecord, r: &PaymentResult) -> Result<()> {
    let PaymentResult(payment, to, external_ref, reason) = r;
    let Some(row) = tx
        .query_opt(
            "SELECT p.state, e.state, e.id FROM registry_payments p JOIN registry_entitlements e ON e.id = p.entitlement
             WHERE p.id = $1 FOR UPDATE OF p, e",
            &[payment],
        )
        .await?
    else {
        return Ok(());
    };
    let from = PaymentState::parse(row.get(0)).unwrap_or(PaymentState::Queued);
    let entitlement_state: &str = row.get(1);
    let entitlement: Uuid = row.get(2);
    let entitlement_to = match (from, to) {
        (PaymentState::Queued | PaymentState::Sent, PaymentState::Paid) => Some("paid"),
        (PaymentState::Queued | PaymentState::Sent, PaymentState::Failed) => Some("failed"),
        (PaymentState::Failed, PaymentState::Paid) if entitlement_state == "failed" => Some("paid"),
        (PaymentState::Paid, PaymentState::Reversed) => None,
        _ => return Ok(()),
    };
    tx.execute(
        "UPDATE registry_payments SET state = $2, external_ref = coalesce($3, external_ref), reason = $4, changed_at = $5
         WHERE id = $1",
        &[payment, &to.as_str(), external_ref, reason, &rec.at],
    )
    .await?;
    if let Some(e) = entitlement_to {
        tx.execute(
            "UPDATE registry_entitlements SET state = $2, changed_at = $3 WHERE id = $1",
            &[&entitlement, &e, &rec.at],
        )
        .await?;
    }
    Ok(())
}

//! A payment batch as the disbursement work sees it: its payments from the registry view, and what the
//! engine holds of them (`disbursement_payments`, `disbursement_envelopes`), each change committed before
//! the next engine call.

use br_protocol::disburse::{DisburseEnvelope, DisburseEvent, DisburseStatus};
use deadpool_postgres::{Object, Pool};
use uuid::Uuid;

use super::engine::{EngineConfig, Envelope, Instruction};
use crate::error::{Result, ServerError};

pub struct Batch {
    pub id: Uuid,
    pub state: String,
    program: String,
    cycle: String,
    currency: String,
    lock: Object,
    key: i64,
}

/// A payment the engine holds.
pub struct Held {
    pub payment: Uuid,
    pub engine_id: String,
    pub state: String,
}

pub async fn event(pool: &Pool, batch: Uuid, kind: &str, message: &str) -> Result<()> {
    let client = pool.get().await?;
    client
        .execute(
            "INSERT INTO disbursement_events (batch, kind, message) VALUES ($1, $2, $3)",
            &[&batch, &kind, &message],
        )
        .await?;
    Ok(())
}

impl Batch {
    /// Takes the batch's lock (one send or poll at a time) and reads it from the view.
    pub async fn lock(pool: &Pool, id: Uuid) -> Result<Batch> {
        crate::projection::catch_up(pool).await?;
        let lock = pool.get().await?;
        let bytes = id.as_bytes();
        let key = i64::from_be_bytes(bytes[8..16].try_into().unwrap_or_default()) ^ 0x7201_0050;
        let got: bool = lock.query_one("SELECT pg_try_advisory_lock($1)", &[&key]).await?.get(0);
        if !got {
            return Err(ServerError::Command("another send or status of this batch is running".into()));
        }
        let row = lock
            .query_opt(
                "SELECT b.state, p.code, c.name, b.currency FROM registry_payment_batches b
                 JOIN registry_cycles c ON c.id = b.cycle JOIN registry_programs p ON p.id = c.program WHERE b.id = $1",
                &[&id],
            )
            .await?;
        let Some(row) = row else {
            lock.execute("SELECT pg_advisory_unlock($1)", &[&key]).await?;
            return Err(ServerError::Command(format!("the server holds no payment batch {id}")));
        };
        Ok(Batch { id, state: row.get(0), program: row.get(1), cycle: row.get(2), currency: row.get(3), lock, key })
    }

    pub async fn unlock(self) -> Result<()> {
        self.lock.execute("SELECT pg_advisory_unlock($1)", &[&self.key]).await?;
        Ok(())
    }

    /// The batch's payments that have no result yet, as the engine is asked to make them; each gets its
    /// row in `disbursement_payments` the first time.
    pub async fn instructions(&self, pool: &Pool, names: bool) -> Result<Vec<Instruction>> {
        let client = pool.get().await?;
        client
            .execute(
                "INSERT INTO disbursement_payments (payment, batch, state)
                 SELECT id, batch, 'pending' FROM registry_payments WHERE batch = $1 AND state IN ('queued', 'sent')
                 ON CONFLICT (payment) DO NOTHING",
                &[&self.id],
            )
            .await?;
        let rows = client
            .query(
                "SELECT p.id, p.amount, p.currency, p.account, r.id, r.fields ->> 'external_id',
                        concat_ws(' ', r.fields ->> 'given_name', r.fields ->> 'family_name')
                 FROM registry_payments p JOIN registry_entitlements e ON e.id = p.entitlement
                 JOIN registry_registrants r ON r.id = e.registrant
                 WHERE p.batch = $1 ORDER BY p.id",
                &[&self.id],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let registrant: Uuid = r.get(4);
                Instruction {
                    payment: r.get(0),
                    amount: r.get(1),
                    currency: r.get(2),
                    account: r.get(3),
                    beneficiary: r.get::<_, Option<String>>(5).unwrap_or_else(|| registrant.to_string()),
                    name: names.then(|| r.get(6)),
                    narrative: format!("{} {}", self.program, self.cycle),
                }
            })
            .collect())
    }

    /// What an envelope for `pending` declares.
    pub fn envelope(&self, pending: &[Instruction]) -> Envelope {
        let mut people: Vec<&str> = pending.iter().map(|i| i.beneficiary.as_str()).collect();
        people.sort_unstable();
        people.dedup();
        Envelope {
            program: self.program.clone(),
            cycle: self.cycle.clone(),
            count: pending.len() as i64,
            beneficiaries: people.len() as i64,
            total: pending.iter().map(|i| i.amount).sum(),
            currency: self.currency.clone(),
            schedule_date: br_model::clock::today().to_string(),
        }
    }

    pub async fn count(&self, pool: &Pool, states: &[&str]) -> Result<i64> {
        let client = pool.get().await?;
        let states: Vec<String> = states.iter().map(|s| s.to_string()).collect();
        Ok(client
            .query_one(
                "SELECT count(*) FROM disbursement_payments WHERE batch = $1 AND state = ANY($2)",
                &[&self.id, &states],
            )
            .await?
            .get(0))
    }

    pub async fn count_in(&self, pool: &Pool, ids: &[Uuid], state: &str) -> Result<i64> {
        let client = pool.get().await?;
        Ok(client
            .query_one(
                "SELECT count(*) FROM disbursement_payments WHERE payment = ANY($1) AND state = $2",
                &[&ids, &state],
            )
            .await?
            .get(0))
    }

    /// The payments of a page that was in flight when a run stopped: its envelope, the engine's envelope id,
    /// and the page.
    pub async fn in_flight(&self, pool: &Pool) -> Result<Option<(Uuid, String, Vec<Uuid>)>> {
        let client = pool.get().await?;
        let rows = client
            .query(
                "SELECT p.payment, p.envelope, e.engine_envelope_id FROM disbursement_payments p
                 JOIN disbursement_envelopes e ON e.id = p.envelope WHERE p.batch = $1 AND p.state = 'sending'",
                &[&self.id],
            )
            .await?;
        let Some(first) = rows.first() else { return Ok(None) };
        Ok(Some((
            first.get(1),
            first.get::<_, Option<String>>(2).unwrap_or_default(),
            rows.iter().map(|r| r.get(0)).collect(),
        )))
    }

    /// How many of the batch's payments the engine holds in an envelope.
    pub async fn held_by(&self, pool: &Pool, envelope: Uuid) -> Result<i64> {
        let client = pool.get().await?;
        Ok(client
            .query_one(
                "SELECT count(*) FROM disbursement_payments WHERE envelope = $1 AND state IN ('sent', 'paid', 'failed', 'reversed')",
                &[&envelope],
            )
            .await?
            .get(0))
    }

    pub async fn pending(&self, pool: &Pool, all: &[Instruction]) -> Result<Vec<Instruction>> {
        let client = pool.get().await?;
        let ids: Vec<Uuid> = client
            .query("SELECT payment FROM disbursement_payments WHERE batch = $1 AND state = 'pending'", &[&self.id])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        Ok(all.iter().filter(|i| ids.contains(&i.payment)).cloned().collect())
    }

    pub async fn open_envelope(&self, pool: &Pool) -> Result<Option<(Uuid, String)>> {
        let client = pool.get().await?;
        let row = client
            .query_opt(
                "SELECT id, engine_envelope_id FROM disbursement_envelopes WHERE batch = $1 AND state = 'open'
                 AND engine_envelope_id IS NOT NULL ORDER BY created_at DESC LIMIT 1",
                &[&self.id],
            )
            .await?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    /// Records an envelope the engine opened, before anything else is sent.
    pub async fn record_envelope(
        &self,
        pool: &Pool,
        config: &EngineConfig,
        engine_id: &str,
        pending: &[Instruction],
    ) -> Result<Uuid> {
        let id = Uuid::now_v7();
        let declared = self.envelope(pending);
        let client = pool.get().await?;
        client
            .execute(
                "INSERT INTO disbursement_envelopes (id, batch, engine, engine_envelope_id, state, declared_count, declared_total)
                 VALUES ($1, $2, $3, $4, 'open', $5, $6)",
                &[&id, &self.id, &config.kind, &engine_id, &declared.count, &declared.total],
            )
            .await?;
        event(pool, self.id, "envelope", &format!("engine envelope {engine_id}: {} payments", declared.count)).await?;
        Ok(id)
    }

    pub async fn mark_sending(&self, pool: &Pool, envelope: Uuid, page: i32, ids: &[Uuid]) -> Result<()> {
        let client = pool.get().await?;
        client
            .execute(
                "UPDATE disbursement_payments SET state = 'sending', envelope = $2, page = $3, attempts = attempts + 1, updated_at = now()
                 WHERE payment = ANY($1) AND state = 'pending'",
                &[&ids, &envelope, &page],
            )
            .await?;
        Ok(())
    }

    pub async fn mark_pending(&self, pool: &Pool, ids: &[Uuid]) -> Result<()> {
        let client = pool.get().await?;
        client
            .execute(
                "UPDATE disbursement_payments SET state = 'pending', updated_at = now() WHERE payment = ANY($1) AND state = 'sending'",
                &[&ids],
            )
            .await?;
        Ok(())
    }

    /// The engine's ids of a page, recorded in one transaction the moment they are known.
    pub async fn record_ids(&self, pool: &Pool, envelope: Uuid, ids: &[(Uuid, String)]) -> Result<()> {
        let payments: Vec<Uuid> = ids.iter().map(|(p, _)| *p).collect();
        let engine: Vec<&str> = ids.iter().map(|(_, e)| e.as_str()).collect();
        let client = pool.get().await?;
        client
            .execute(
                "UPDATE disbursement_payments d SET state = 'sent', engine_id = x.e, envelope = $3, updated_at = now()
                 FROM unnest($1::uuid[], $2::text[]) AS x(p, e) WHERE d.payment = x.p AND d.state IN ('sending', 'pending')",
                &[&payments, &engine, &envelope],
            )
            .await?;
        Ok(())
    }

    /// Gives an envelope up: the engine cancelled it, so its payments are sent again in a new one.
    pub async fn cancel_envelope(&self, pool: &Pool, envelope: Uuid) -> Result<()> {
        let mut client = pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "UPDATE disbursement_envelopes SET state = 'cancelled', cancelled_at = now() WHERE id = $1",
            &[&envelope],
        )
        .await?;
        tx.execute(
            "UPDATE disbursement_payments SET state = 'pending', engine_id = NULL, envelope = NULL, page = NULL, updated_at = now()
             WHERE envelope = $1 AND state IN ('sending', 'sent')",
            &[&envelope],
        )
        .await?;
        tx.commit().await?;
        event(pool, self.id, "envelope_cancelled", "cancelled at the engine; its payments go in a new envelope").await
    }

    /// The payments the engine holds whose result may still change (sent, or paid and not yet reversed).
    pub async fn with_engine(&self, pool: &Pool) -> Result<Vec<Held>> {
        let client = pool.get().await?;
        let rows = client
            .query(
                "SELECT payment, engine_id, state FROM disbursement_payments
                 WHERE batch = $1 AND state IN ('sent', 'paid') AND engine_id IS NOT NULL ORDER BY payment",
                &[&self.id],
            )
            .await?;
        Ok(rows.iter().map(|r| Held { payment: r.get(0), engine_id: r.get(1), state: r.get(2) }).collect())
    }

    pub async fn record_results(&self, pool: &Pool, changes: &[(Uuid, br_model::op::PaymentResult)]) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let payments: Vec<Uuid> = changes.iter().map(|(p, _)| *p).collect();
        let states: Vec<&str> = changes.iter().map(|(_, r)| r.1.as_str()).collect();
        let references: Vec<Option<&str>> = changes.iter().map(|(_, r)| r.2.as_deref()).collect();
        let reasons: Vec<Option<&str>> = changes.iter().map(|(_, r)| r.3.as_deref()).collect();
        let client = pool.get().await?;
        client
            .execute(
                "UPDATE disbursement_payments d SET state = x.s, reference = coalesce(x.r, d.reference), reason = x.why, updated_at = now()
                 FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS x(p, s, r, why) WHERE d.payment = x.p",
                &[&payments, &states, &references, &reasons],
            )
            .await?;
        Ok(())
    }
}

/// A batch's standing with the engine, for `disburse status`, the headquarters desk, and a person deciding
/// about a stuck batch. `engine` and `running` are the caller's to fill.
pub async fn status(pool: &Pool, batch: Uuid) -> Result<DisburseStatus> {
    let client = pool.get().await?;
    let counts = client
        .query(
            "SELECT state, count(*) FROM disbursement_payments WHERE batch = $1 GROUP BY state ORDER BY state",
            &[&batch],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let envelopes = client
        .query(
            "SELECT engine, engine_envelope_id, state, declared_count, declared_total,
                    to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
             FROM disbursement_envelopes WHERE batch = $1 ORDER BY created_at",
            &[&batch],
        )
        .await?
        .iter()
        .map(|r| DisburseEnvelope {
            engine: r.get(0),
            engine_envelope_id: r.get(1),
            state: r.get(2),
            declared_count: r.get(3),
            declared_total: r.get(4),
            created_at: r.get(5),
        })
        .collect();
    let events = client
        .query(
            "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), kind, message
             FROM (SELECT * FROM disbursement_events WHERE batch = $1 ORDER BY id DESC LIMIT 30) e ORDER BY id",
            &[&batch],
        )
        .await?
        .iter()
        .map(|r| DisburseEvent { at: r.get(0), kind: r.get(1), message: r.get(2) })
        .collect();
    Ok(DisburseStatus { batch, engine: String::new(), running: None, counts, envelopes, events })
}

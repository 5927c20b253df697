//! Paying a prepared batch through a disbursement engine (docs/interop.md, "Disbursement"). The engine
//! makes its own ids, so a blind retry would pay twice: every id is recorded the moment it is known; a page
//! whose answer never came is sent again only once the engine says it holds none of it; a page it holds
//! without telling us its ids is given up with its envelope (cancelled before anything in it is paid) and
//! sent again in a new one. Results come back as payment results, exactly as a reconciliation file's would,
//! written by the batch's office's server writer, so they reach the desks at their next sync.

mod batch;
pub mod bridge;
pub mod connect;
pub mod desk;
pub mod engine;

use std::time::Duration;

use br_model::disbursement::PaymentState;
use br_model::op::{Op, PaymentResult};
use deadpool_postgres::Pool;
use uuid::Uuid;

use crate::error::{Result, ServerError};
use crate::http::AppState;
use crate::sr::writer::{offices, Writer};
use batch::Batch;
use engine::{Engine, EngineConfig, Failure, Instruction, Landed, Outcome};

/// How often a batch starts over in a new envelope before it stops as stuck.
const MAX_RESTARTS: u32 = 3;
/// Results per engine status call.
const STATUS_PAGE: usize = 500;

/// What a send did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct SendReport {
    pub batch: Uuid,
    pub sent: u64,
    pub already_with_engine: u64,
    pub pages: u64,
    pub restarts: u32,
    /// Why the batch stopped before every payment was with the engine; a person decides.
    pub stuck: Option<String>,
}

/// What a status poll found.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct PollReport {
    pub paid: u64,
    pub failed: u64,
    pub reversed: u64,
    pub pending: u64,
}

type Boxed = Box<dyn Engine>;

/// Runs one engine call off the async runtime, giving the engine back.
async fn blocking<T: Send + 'static>(
    engine: Boxed,
    call: impl FnOnce(&mut dyn Engine) -> std::result::Result<T, Failure> + Send + 'static,
) -> Result<(Boxed, std::result::Result<T, Failure>)> {
    tokio::task::spawn_blocking(move || {
        let mut engine = engine;
        let out = call(engine.as_mut());
        (engine, out)
    })
    .await
    .map_err(|e| ServerError::Command(format!("the engine call stopped: {e}")))
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250 * (1 << attempt.min(6)))
}

/// Sends a batch's payments that the engine does not hold yet.
pub async fn send(
    pool: &Pool,
    config: &EngineConfig,
    batch_id: Uuid,
    progress: &(dyn Fn(&SendReport) + Sync),
) -> Result<SendReport> {
    let batch = Batch::lock(pool, batch_id).await?;
    let result = send_locked(pool, config, &batch, progress).await;
    batch.unlock().await?;
    result
}

async fn send_locked(
    pool: &Pool,
    config: &EngineConfig,
    batch: &Batch,
    progress: &(dyn Fn(&SendReport) + Sync),
) -> Result<SendReport> {
    let mut report = SendReport { batch: batch.id, ..SendReport::default() };
    let mut engine = engine::open(config)?;
    let instructions = batch.instructions(pool, config.send_names).await?;
    report.already_with_engine = batch.count(pool, &["sent", "paid", "failed", "reversed"]).await? as u64;
    // A page that was in flight when an earlier run stopped is settled first.
    if let Some((envelope, engine_envelope, page)) = batch.in_flight(pool).await? {
        let ready = instructions.iter().filter(|i| page.contains(&i.payment)).cloned().collect::<Vec<_>>();
        let before = batch.held_by(pool, envelope).await?;
        let (back, landed) = blocking(engine, move |e| e.landed(&engine_envelope, before, &ready)).await?;
        engine = back;
        let landed = match landed {
            Ok(l) => l,
            Err(f) => {
                report.stuck = Some(format!("a page was in flight and the engine could not say what it holds: {f}"));
                return Ok(report);
            }
        };
        if let Landed::All(None) = landed {
            report.stuck = Some("the engine holds a page of an earlier run whose ids it never sent back: cancel its envelope at the engine, then send again".into());
            return Ok(report);
        }
        if let Some(stuck) = settle(pool, batch, envelope, &page, landed).await? {
            report.stuck = Some(stuck);
            return Ok(report);
        }
    }
    loop {
        let pending: Vec<Instruction> = batch.pending(pool, &instructions).await?;
        if pending.is_empty() {
            break;
        }
        let (envelope, engine_envelope) = match batch.open_envelope(pool).await? {
            Some(open) => open,
            None => {
                let declared = batch.envelope(&pending);
                let (back, made) = blocking(engine, move |e| e.create_envelope(&declared)).await?;
                engine = back;
                match made {
                    Ok(id) => (batch.record_envelope(pool, config, &id, &pending).await?, id),
                    Err(f) => {
                        event(pool, batch.id, "envelope_failed", &f.to_string()).await?;
                        report.stuck = Some(format!("the engine did not open an envelope: {f}"));
                        return Ok(report);
                    }
                }
            }
        };
        let mut restart = false;
        for (n, page) in pending.chunks(config.page_size).enumerate() {
            let ids: Vec<Uuid> = page.iter().map(|i| i.payment).collect();
            let mut attempt = 0;
            loop {
                attempt += 1;
                let before = batch.held_by(pool, envelope).await?;
                batch.mark_sending(pool, envelope, n as i32, &ids).await?;
                let (eng, page_owned) = (engine_envelope.clone(), page.to_vec());
                let (back, sent) = blocking(engine, move |e| e.create(&eng, &page_owned)).await?;
                engine = back;
                let landed = match sent {
                    Ok(engine_ids) => Landed::All(Some(engine_ids)),
                    Err(Failure::Refused(why)) => {
                        batch.mark_pending(pool, &ids).await?;
                        event(pool, batch.id, "page_refused", &why).await?;
                        report.stuck = Some(format!("the engine refused a page: {why}"));
                        return Ok(report);
                    }
                    Err(Failure::Transient(why)) => {
                        event(pool, batch.id, "page_unanswered", &why).await?;
                        let (eng, page_owned) = (engine_envelope.clone(), page.to_vec());
                        let (back, asked) = blocking(engine, move |e| e.landed(&eng, before, &page_owned)).await?;
                        engine = back;
                        match asked {
                            Ok(landed) => landed,
                            Err(f) => {
                                report.stuck = Some(format!(
                                    "a page went unanswered and the engine could not say what it holds: {f}"
                                ));
                                return Ok(report);
                            }
                        }
                    }
                };
                let cancel = matches!(landed, Landed::All(None));
                if let Some(stuck) = settle(pool, batch, envelope, &ids, landed).await? {
                    report.stuck = Some(stuck);
                    return Ok(report);
                }
                if cancel {
                    let eng = engine_envelope.clone();
                    let (back, cancelled) = blocking(engine, move |e| e.cancel_envelope(&eng)).await?;
                    engine = back;
                    if let Err(f) = cancelled {
                        report.stuck =
                            Some(format!("an envelope holding payments of unknown ids could not be cancelled: {f}"));
                        return Ok(report);
                    }
                    batch.cancel_envelope(pool, envelope).await?;
                    report.restarts += 1;
                    if report.restarts > MAX_RESTARTS {
                        report.stuck = Some(format!("started over {MAX_RESTARTS} times"));
                        return Ok(report);
                    }
                    restart = true;
                    break;
                }
                if batch.count_in(pool, &ids, "sent").await? == ids.len() as i64 {
                    report.sent += ids.len() as u64;
                    report.pages += 1;
                    progress(&report);
                    break;
                }
                if attempt >= config.tries {
                    report.stuck = Some(format!("a page went unanswered {attempt} times"));
                    return Ok(report);
                }
                tokio::time::sleep(backoff(attempt)).await;
            }
            if restart {
                break;
            }
        }
        if !restart {
            break;
        }
    }
    if report.stuck.is_none() {
        mark_sent(pool, batch).await?;
        event(
            pool,
            batch.id,
            "sent",
            &format!("{} payments with the engine", report.sent + report.already_with_engine),
        )
        .await?;
    }
    Ok(report)
}

/// Records what the engine holds of a page. `Some(reason)` when a person must look.
async fn settle(pool: &Pool, batch: &Batch, envelope: Uuid, page: &[Uuid], landed: Landed) -> Result<Option<String>> {
    match landed {
        Landed::Nothing => {
            batch.mark_pending(pool, page).await?;
            Ok(None)
        }
        Landed::All(Some(ids)) => {
            batch.record_ids(pool, envelope, &ids).await?;
            Ok(None)
        }
        // The caller cancels the envelope and starts over.
        Landed::All(None) => {
            event(pool, batch.id, "page_landed_unknown", "the engine holds a page whose ids it did not send back")
                .await?;
            Ok(None)
        }
        Landed::Part => {
            event(pool, batch.id, "page_partly_landed", "the engine holds part of a page").await?;
            Ok(Some(
                "the engine holds part of a page that went unanswered: look at the engine before sending again".into(),
            ))
        }
    }
}

/// The batch's payments are with the engine: desks see it sent.
async fn mark_sent(pool: &Pool, batch: &Batch) -> Result<()> {
    if batch.state != "prepared" {
        return Ok(());
    }
    push_ops(pool, batch, vec![Op::PaymentBatchSent { id: batch.id }]).await
}

/// Writes ops as the batch's office's server writer.
async fn push_ops(pool: &Pool, batch: &Batch, ops: Vec<Op>) -> Result<()> {
    let client = pool.get().await?;
    let owner: Uuid = client
        .query_opt("SELECT office FROM owners WHERE id = $1", &[&batch.id])
        .await?
        .map(|r| r.get(0))
        .ok_or_else(|| ServerError::Command("the server holds no owner for this batch".into()))?;
    drop(client);
    let office = offices(pool)
        .await?
        .into_values()
        .find(|o| o.id == owner)
        .ok_or_else(|| ServerError::Command("the batch's office is gone".into()))?;
    let mut writer = Writer::of(pool, &office, "disbursement-engine").await?;
    let state = AppState::writer(pool);
    let records = writer.records(ops);
    let refused = writer.push(&state, records).await?;
    if let Some((op, why)) = refused.first() {
        return Err(ServerError::Command(format!("the server refused op {op}: {why}")));
    }
    Ok(())
}

/// Asks the engine for the results of the batch's payments it holds, and passes new ones on as payment
/// results.
pub async fn poll(pool: &Pool, config: &EngineConfig, batch_id: Uuid) -> Result<PollReport> {
    let batch = Batch::lock(pool, batch_id).await?;
    let result = poll_locked(pool, config, &batch).await;
    batch.unlock().await?;
    result
}

async fn poll_locked(pool: &Pool, config: &EngineConfig, batch: &Batch) -> Result<PollReport> {
    let mut engine = engine::open(config)?;
    let held = batch.with_engine(pool).await?;
    let mut changes: Vec<(Uuid, PaymentResult)> = Vec::new();
    let mut report = PollReport::default();
    for chunk in held.chunks(STATUS_PAGE) {
        let ids: Vec<String> = chunk.iter().map(|h| h.engine_id.clone()).collect();
        let (back, answered) = blocking(engine, move |e| e.results(&ids)).await?;
        engine = back;
        let answered = answered.map_err(|f| ServerError::Command(format!("the engine did not give results: {f}")))?;
        for (id, outcome) in answered {
            let Some(h) = chunk.iter().find(|h| h.engine_id == id) else { continue };
            let result = match (&outcome, h.state.as_str()) {
                (Outcome::Paid { reference }, "sent") => {
                    Some(PaymentResult(h.payment, PaymentState::Paid, reference.clone(), None))
                }
                (Outcome::Failed { reason }, "sent") => {
                    Some(PaymentResult(h.payment, PaymentState::Failed, None, Some(reason.clone())))
                }
                (Outcome::Reversed { reason }, "paid" | "sent") => {
                    Some(PaymentResult(h.payment, PaymentState::Reversed, None, Some(reason.clone())))
                }
                _ => None,
            };
            match outcome {
                Outcome::Pending => report.pending += 1,
                Outcome::Paid { .. } => report.paid += 1,
                Outcome::Failed { .. } => report.failed += 1,
                Outcome::Reversed { .. } => report.reversed += 1,
            }
            if let Some(r) = result {
                changes.push((h.payment, r));
            }
        }
    }
    // A reversal of a payment never seen paid is passed on as paid first, as a bank statement would show it.
    let mut results: Vec<PaymentResult> = Vec::new();
    for (payment, r) in &changes {
        if r.1 == PaymentState::Reversed && held.iter().any(|h| h.payment == *payment && h.state == "sent") {
            results.push(PaymentResult(*payment, PaymentState::Paid, None, None));
        }
        results.push(r.clone());
    }
    for page in results.chunks(br_model::op::PAGE) {
        push_ops(pool, batch, vec![Op::PaymentResults { results: page.to_vec() }]).await?;
    }
    batch.record_results(pool, &changes).await?;
    if !changes.is_empty() {
        event(pool, batch.id, "results", &format!("{} new results passed on", changes.len())).await?;
    }
    Ok(report)
}

pub use batch::{event, status};

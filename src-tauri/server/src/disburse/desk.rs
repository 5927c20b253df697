//! What the headquarters desk's cycle page asks of the disbursement engine, through `POST
//! /sync/v1/disburse`: the same send and poll as `br-server disburse send|status`, run on the server after
//! the answer (a batch of 100,000 takes longer than a request should), one at a time per batch. The desk
//! reads their progress with `status`; results reach it as payment results at its next sync.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use br_protocol::codes::SyncErrorCode;
use br_protocol::disburse::{DisburseAction, DisburseRequest, DisburseStatus};
use deadpool_postgres::Pool;
use uuid::Uuid;

use super::engine::EngineConfig;
use super::{event, poll, send, status};
use crate::db::audit;
use crate::error::{Result, ServerError};
use crate::http::{AppState, Device};

/// The engine batches are sent through, and the batches this server is working on.
#[derive(Clone, Default)]
pub struct Disbursing {
    engine: Option<Arc<EngineConfig>>,
    running: Arc<Mutex<HashMap<Uuid, DisburseAction>>>,
}

impl Disbursing {
    pub fn through(engine: Option<EngineConfig>) -> Disbursing {
        Disbursing { engine: engine.map(Arc::new), running: Arc::default() }
    }

    fn running(&self, batch: Uuid) -> Option<DisburseAction> {
        self.running.lock().expect("disbursing lock").get(&batch).copied()
    }

    /// Starts `action` on `batch` unless something already runs on it.
    fn start(&self, pool: &Pool, config: Arc<EngineConfig>, batch: Uuid, action: DisburseAction) {
        {
            let mut running = self.running.lock().expect("disbursing lock");
            if running.contains_key(&batch) {
                return;
            }
            running.insert(batch, action);
        }
        let (pool, running) = (pool.clone(), self.running.clone());
        tokio::spawn(async move {
            let stopped = match action {
                DisburseAction::Send => send(&pool, &config, batch, &|_| {}).await.map(|r| r.stuck),
                DisburseAction::Poll => poll(&pool, &config, batch).await.map(|_| None),
                DisburseAction::Status => Ok(None),
            };
            // Why it stopped is the batch's history, where the desk and the operator read it.
            let why = match stopped {
                Ok(None) => None,
                Ok(Some(stuck)) => Some(("stuck", stuck)),
                Err(e) => Some(("failed", e.to_string())),
            };
            if let Some((kind, message)) = why {
                if let Err(e) = event(&pool, batch, kind, &message).await {
                    tracing::error!(error = %e, %batch, "a batch's stop could not be recorded");
                }
            }
            running.lock().expect("disbursing lock").remove(&batch);
        });
    }
}

/// Answers a headquarters desk: starts what it asked for, and says how the batch stands.
pub async fn ask(state: &AppState, device: &Device, request: DisburseRequest) -> Result<DisburseStatus> {
    if !device.office.headquarters {
        return Err(ServerError::refused(
            SyncErrorCode::Forbidden,
            "only a headquarters desk sends payment batches through the engine",
        ));
    }
    let Some(config) = state.disbursing.engine.clone() else {
        return Err(ServerError::refused(
            SyncErrorCode::NotConfigured,
            "this server has no disbursement engine: set disbursement_engine in its config file",
        ));
    };
    crate::projection::catch_up(&state.pool).await?;
    let client = state.pool.get().await?;
    let held = client.query_opt("SELECT 1 FROM registry_payment_batches WHERE id = $1", &[&request.batch]).await?;
    if held.is_none() {
        return Err(ServerError::refused(
            SyncErrorCode::NotFound,
            format!("the server holds no payment batch {}: sync this desk, then ask again", request.batch),
        ));
    }
    let action = match request.action {
        DisburseAction::Status => "disburse.status",
        DisburseAction::Send => "disburse.send",
        DisburseAction::Poll => "disburse.poll",
    };
    let user: String = request.user.chars().take(64).collect();
    audit(
        &client,
        &format!("device:{}", device.id),
        action,
        "ok",
        serde_json::json!({ "batch": request.batch, "user": user }),
    )
    .await?;
    drop(client);
    if request.action != DisburseAction::Status {
        state.disbursing.start(&state.pool, config.clone(), request.batch, request.action);
    }
    let mut answer = status(&state.pool, request.batch).await?;
    answer.engine = config.kind.clone();
    answer.running = state.disbursing.running(request.batch);
    Ok(answer)
}

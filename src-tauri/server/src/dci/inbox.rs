//! Our `/registry/on-search` and `/registry/notify`: a Social Registry, calling as an API client with the
//! `sr` scope, delivers the answers to our asynchronous searches and the notifications of a subscription.
//! Each is kept as it came (`sr_deliveries`) and acknowledged; a pull takes it (sr/inbox.rs).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::envelope::{self, HttpRefusal};
use super::{audit_answer, callback, caller};
use crate::http::AppState;

async fn deliver(state: &AppState, headers: &HeaderMap, body: &Bytes, kind: &'static str) -> Response {
    let mut actor = "unknown".to_string();
    let name = if kind == "notify" { "sr.notify" } else { "sr.on_search" };
    let result: Result<Response, HttpRefusal> = async {
        let caller = caller(state, headers, "sr").await?;
        actor = format!("client:{}", caller.client_id);
        let env = envelope::read(body)?;
        if env.header.action != kind {
            return Err(HttpRefusal::bad(format!("this endpoint's action is `{kind}`")));
        }
        let transaction = env.message["transaction_id"].as_str().unwrap_or_default().chars().take(99).collect::<String>();
        let reference = env.message["search_response"][0]["reference_id"].as_str().map(|r| r.chars().take(99).collect::<String>());
        let unavailable = |_| {
            HttpRefusal::new(axum::http::StatusCode::SERVICE_UNAVAILABLE, "err.service.unavailable", "try again later")
        };
        let client = state.pool.get().await.map_err(|e| unavailable(crate::error::ServerError::from(e)))?;
        let whole: serde_json::Value = serde_json::from_slice(body).map_err(|_| HttpRefusal::bad("not JSON"))?;
        client
            .execute(
                "INSERT INTO sr_deliveries (client_id, kind, transaction_id, reference_id, body) VALUES ($1, $2, $3, $4, $5)",
                &[&caller.client_id, &kind, &transaction, &reference, &whole],
            )
            .await
            .map_err(|e| unavailable(e.into()))?;
        Ok(callback::acknowledged(uuid::Uuid::now_v7()))
    }
    .await;
    match result {
        Ok(response) => {
            audit_answer(state, &actor, name, "kept", 0).await;
            response
        }
        Err(refusal) => {
            audit_answer(state, &actor, name, &format!("refused:{}", refusal.code), 0).await;
            refusal.into_response()
        }
    }
}

pub async fn on_search(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    deliver(&state, &headers, &body, "on-search").await
}

pub async fn notify(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    deliver(&state, &headers, &body, "notify").await
}

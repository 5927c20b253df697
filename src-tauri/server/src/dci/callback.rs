//! Asynchronous DCI calls: the request is acknowledged at once and the answer is posted to the callback
//! address the client registered (`client add --callback`), never to an address a request names, so the
//! server cannot be steered into calling anywhere else. The answer carries a token we sign for that client,
//! which it can check with our JWKS; it is kept for `txn/status` whether or not delivery succeeds.

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::envelope::{self, HttpRefusal, Rejection, RequestHeader, Status};
use super::oauth::{self, Caller};
use super::{audit_answer, Work, SENDER_ID};
use crate::http::AppState;

const TRIES: u32 = 3;

/// Where this caller's answers go: its registered callback, which a `sender_uri` may only repeat.
pub fn address(caller: &Caller, sender_uri: Option<&str>) -> Result<String, HttpRefusal> {
    let Some(registered) = &caller.callback_url else {
        return Err(HttpRefusal::new(
            StatusCode::FORBIDDEN,
            "err.sender_uri.invalid",
            "this client has no registered callback: ask the operator to add one",
        ));
    };
    if sender_uri.is_some_and(|uri| uri != registered) {
        return Err(HttpRefusal::new(
            StatusCode::FORBIDDEN,
            "err.sender_uri.invalid",
            "sender_uri is not the client's registered callback",
        ));
    }
    Ok(registered.clone())
}

pub fn acknowledged(correlation: uuid::Uuid) -> Response {
    Json(serde_json::json!({ "message": {
        "ack_status": "ACK", "timestamp": envelope::now(), "correlation_id": correlation.to_string()
    }}))
    .into_response()
}

/// An answer to deliver once it is made.
pub struct Job {
    pub state: AppState,
    pub url: String,
    pub request: RequestHeader,
    pub answer_action: &'static str,
    pub items: usize,
    pub name: &'static str,
    pub actor: String,
    pub client_id: String,
    pub message_id: String,
}

impl Job {
    pub async fn deliver(self, done: crate::error::Result<std::result::Result<Work, Rejection>>) {
        let failed = Rejection::new("rjct.search_criteria.invalid", "the server could not answer; ask again");
        let (message, status, people, completed, rejection) = match done {
            Ok(Ok((message, status, people, completed))) => (message, status, people, completed, None),
            Ok(Err(r)) => (serde_json::json!({}), Status::Rejected, 0, 0, Some(r)),
            Err(e) => {
                tracing::error!(error = %e, "an asynchronous answer could not be made");
                (serde_json::json!({}), Status::Rejected, 0, 0, Some(failed))
            }
        };
        let header = envelope::answer_header(
            &self.request,
            self.answer_action,
            status,
            rejection.as_ref(),
            self.items,
            completed,
            SENDER_ID,
        );
        let body = serde_json::json!({ "signature": "", "header": header, "message": message });
        if let Ok(client) = self.state.pool.get().await {
            let kept = client
                .execute(
                    "UPDATE dci_transactions SET status = $3, answer = $4, people = $5 WHERE client_id = $1 AND message_id = $2",
                    &[&self.client_id, &self.message_id, &status.as_str(), &message, &(people as i32)],
                )
                .await;
            if let Err(e) = kept {
                tracing::error!(error = %e, "an asynchronous answer could not be kept");
            }
        }
        let token = match oauth::callback_token(&self.state.pool, &self.client_id).await {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "no token for a callback");
                audit_answer(&self.state, &self.actor, self.name, "undelivered", people).await;
                return;
            }
        };
        let url = self.url.clone();
        let delivered = tokio::task::spawn_blocking(move || post(&url, &token, &body)).await.unwrap_or(false);
        let outcome = if delivered { "delivered" } else { "undelivered" };
        audit_answer(&self.state, &self.actor, self.name, outcome, people).await;
    }
}

/// Posts the answer, trying again after 1 and 2 seconds; whether the callback took it.
fn post(url: &str, token: &str, body: &serde_json::Value) -> bool {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    for attempt in 0..TRIES {
        if attempt > 0 {
            std::thread::sleep(Duration::from_secs(1 << (attempt - 1)));
        }
        let sent = agent.post(url).header("authorization", &format!("Bearer {token}")).send_json(body);
        match sent {
            Ok(r) if r.status().is_success() => return true,
            Ok(r) if r.status().is_client_error() => return false,
            _ => {}
        }
    }
    false
}

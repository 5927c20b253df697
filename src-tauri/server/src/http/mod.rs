//! The HTTP surface: `/health`, `/metrics` and the sync protocol under `/sync/v1/` (docs/sync.md). Handlers
//! are thin: they authenticate, parse with bounds, and hand over to `enrol`, `push` and `pull`.

mod auth;

pub use auth::check_protocol;

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use br_protocol::codes::SyncErrorCode;
use br_protocol::wire::{EnrolRequest, ErrorBody, PullRequest, PushRequest, SnapshotRequest};
use br_protocol::MAX_BODY_BYTES;
use deadpool_postgres::Pool;
use serde::de::DeserializeOwned;

pub use auth::Device;

use crate::db::audit;
use crate::error::{Result, ServerError};
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub metrics: Arc<Metrics>,
    /// Ops per snapshot chunk (at most `br_protocol::SNAPSHOT_CHUNK_OPS`).
    pub snapshot_chunk_ops: usize,
    /// The disbursement engine a headquarters desk's batches are sent through, and the batches being
    /// worked on.
    pub disbursing: crate::disburse::desk::Disbursing,
}

impl AppState {
    /// The state a command writing ops as the server's writer needs (no engine, default chunks).
    pub fn writer(pool: &Pool) -> AppState {
        AppState {
            pool: pool.clone(),
            metrics: Arc::default(),
            snapshot_chunk_ops: br_protocol::SNAPSHOT_CHUNK_OPS,
            disbursing: crate::disburse::desk::Disbursing::default(),
        }
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/sync/v1/enrol", post(enrol))
        .route("/sync/v1/whoami", get(whoami))
        .route("/sync/v1/push", post(push))
        .route("/sync/v1/pull", post(pull))
        .route("/sync/v1/snapshot", post(snapshot))
        .route("/sync/v1/snapshot/{id}/{n}", get(snapshot_chunk))
        .route("/sync/v1/disburse", post(disburse))
        .merge(crate::dci::routes())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// One JSON log line and one counter per request; never a body, so never personal data.
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route =
        request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "other".into());
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    state.metrics.request(&route, status);
    tracing::info!(%method, route, status, ms = started.elapsed().as_millis() as u64, "request");
    response
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let code = self.code();
        let (message, details) = match self {
            ServerError::Refused { message, details, .. } => (message, details),
            other => {
                tracing::error!(error = %other, "request failed");
                let message = if code == SyncErrorCode::Unavailable {
                    "the server's database is not reachable; try again later"
                } else {
                    "the server failed; try again"
                };
                (message.to_string(), serde_json::Value::Null)
            }
        };
        let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(ErrorBody { code: code.as_str().to_string(), message, details })).into_response()
    }
}

/// Turns a failed request into its response, auditing and counting every refusal.
async fn answer<T: IntoResponse>(state: &AppState, action: &str, who: Option<String>, result: Result<T>) -> Response {
    match result {
        Ok(body) => body.into_response(),
        Err(e) => {
            if let ServerError::Refused { code, .. } = &e {
                state.metrics.refusals.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let actor = who.unwrap_or_else(|| "unknown".into());
                if let Ok(client) = state.pool.get().await {
                    if let Err(failed) =
                        audit(&client, &actor, action, &format!("refused:{}", code.as_str()), serde_json::Value::Null)
                            .await
                    {
                        tracing::error!(error = %failed, "a refusal could not be audited");
                    }
                }
            }
            e.into_response()
        }
    }
}

fn body_of(body: std::result::Result<Bytes, BytesRejection>) -> Result<Bytes> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ServerError::with_details(
                SyncErrorCode::PayloadTooLarge,
                "the request is larger than the server reads",
                serde_json::json!({ "max_bytes": MAX_BODY_BYTES }),
            )
        } else {
            ServerError::refused(SyncErrorCode::InvalidRequest, "the request body could not be read")
        }
    })
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        ServerError::refused(SyncErrorCode::InvalidRequest, format!("the request is not what this endpoint takes: {e}"))
    })
}

/// The device behind a signed request, and the body it signed.
async fn signed(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
    who: &mut Option<String>,
) -> Result<(Device, Bytes)> {
    if let Some(device) = headers.get(br_protocol::headers::DEVICE).and_then(|v| v.to_str().ok()) {
        *who = Some(format!("device:{}", device.chars().take(36).collect::<String>()));
    }
    let body = body_of(body)?;
    let device = auth::authenticate(state, method, uri.path(), headers, &body).await?;
    Ok((device, body))
}

async fn health(State(state): State<AppState>) -> Response {
    let reachable = match state.pool.get().await {
        Ok(client) => client.query_one("SELECT 1", &[]).await.is_ok(),
        Err(_) => false,
    };
    let status = if reachable { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = serde_json::json!({ "status": if reachable { "ok" } else { "database_unreachable" }, "protocol": br_protocol::PROTOCOL_VERSION });
    (status, Json(body)).into_response()
}

async fn metrics(State(state): State<AppState>) -> Response {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}

async fn enrol(State(state): State<AppState>, body: std::result::Result<Bytes, BytesRejection>) -> Response {
    let result = async {
        let body = body_of(body)?;
        let request: EnrolRequest = parse(&body)?;
        crate::enrol::enrol(&state.pool, request).await.map(Json)
    }
    .await;
    answer(&state, "sync.enrol", None, result).await
}

/// A signed request's answer: who sent it is known as soon as the header is read, for the audit of a
/// refusal; `work` gets the authenticated device and the body it signed.
async fn signed_answer<T, F, Fut>(
    state: &AppState,
    action: &str,
    parts: (Method, Uri, HeaderMap),
    body: std::result::Result<Bytes, BytesRejection>,
    work: F,
) -> Response
where
    T: IntoResponse,
    F: FnOnce(Device, Bytes) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let (method, uri, headers) = parts;
    let mut who = None;
    let result = async {
        let (device, body) = signed(state, &method, &uri, &headers, body, &mut who).await?;
        work(device, body).await
    }
    .await;
    answer(state, action, who, result).await
}

async fn whoami(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Response {
    signed_answer(&state, "sync.whoami", (method, uri, headers), body, |device, _| async {
        crate::pull::whoami(&state.pool, device).await.map(Json)
    })
    .await
}

async fn push(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Response {
    let shared = &state;
    signed_answer(shared, "sync.push", (method, uri, headers), body, |device, body| async move {
        crate::push::push(shared, &device, parse::<PushRequest>(&body)?).await.map(Json)
    })
    .await
}

async fn pull(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Response {
    let shared = &state;
    signed_answer(shared, "sync.pull", (method, uri, headers), body, |device, body| async move {
        crate::pull::pull(shared, &device, parse::<PullRequest>(&body)?).await.map(Json)
    })
    .await
}

async fn disburse(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Response {
    let shared = &state;
    signed_answer(shared, "sync.disburse", (method, uri, headers), body, |device, body| async move {
        crate::disburse::desk::ask(shared, &device, parse(&body)?).await.map(Json)
    })
    .await
}

async fn snapshot(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Response {
    let shared = &state;
    signed_answer(shared, "sync.snapshot", (method, uri, headers), body, |device, body| async move {
        parse::<SnapshotRequest>(&body)?;
        crate::snapshot::snapshot(shared, &device).await.map(Json)
    })
    .await
}

/// One snapshot chunk as zstd bytes. The path is signed like any request; a malformed id or number is
/// refused before the database is asked.
async fn snapshot_chunk(
    State(state): State<AppState>,
    Path((id, n)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Response {
    let shared = &state;
    signed_answer(shared, "sync.snapshot_chunk", (method, uri, headers), body, |device, _| async move {
        let (Ok(id), Ok(n)) = (id.parse::<uuid::Uuid>(), n.parse::<u32>()) else {
            return Err(ServerError::refused(
                SyncErrorCode::InvalidRequest,
                "a chunk is named by a snapshot id and a number",
            ));
        };
        let bytes = crate::snapshot::chunk(shared, &device, id, n).await?;
        Ok(([(axum::http::header::CONTENT_TYPE, "application/zstd")], bytes))
    })
    .await
}

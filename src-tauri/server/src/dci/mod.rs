//! The DCI endpoints (docs/interop.md): the OAuth2 token endpoint and JWKS, and the IBR profile's
//! synchronous endpoints. Every answer and every refusal is audited with counts, never personal data.

mod callback;
pub mod envelope;
mod ibr;
mod inbox;
pub mod oauth;
mod query;
mod records;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use serde::Deserialize;

use crate::db::audit;
use crate::http::AppState;
use envelope::{HttpRefusal, Rejection, Status};
use oauth::{Caller, TokenRefusal};

/// The `sender_id` of our answers.
pub const SENDER_ID: &str = "br-server";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/oauth2/token", post(token))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/registry/on-search", post(inbox::on_search))
        .route("/registry/notify", post(inbox::notify))
        .route("/ibr/search", post(search))
        .route("/ibr/sync/search", post(sync_search))
        .route("/ibr/sync/enrolled", post(sync_enrolled))
        .route("/ibr/sync/enrollment/updates", post(sync_updates))
        .route("/ibr/sync/txn/status", post(sync_txn_status))
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

/// HTTP Basic credentials, as RFC 6749 prefers for a client's secret.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: std::result::Result<Form<TokenForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return token_refusal(TokenRefusal::InvalidRequest("the body is a form: grant_type, client_id, client_secret"));
    };
    let (id, secret) =
        basic(&headers).or_else(|| Some((form.client_id.clone()?, form.client_secret.clone()?))).unwrap_or_default();
    match oauth::issue(&state.pool, &form.grant_type, &id, &secret, form.scope.as_deref()).await {
        Ok(Ok(body)) => (StatusCode::OK, [(axum::http::header::CACHE_CONTROL, "no-store")], Json(body)).into_response(),
        Ok(Err(refusal)) => {
            let actor = format!("client:{}", id.chars().take(100).collect::<String>());
            if let Ok(client) = state.pool.get().await {
                let outcome = format!("refused:{}", token_error(&refusal).1);
                if let Err(e) = audit(&client, &actor, "oauth.token", &outcome, serde_json::Value::Null).await {
                    tracing::error!(error = %e, "a refusal could not be audited");
                }
            }
            token_refusal(refusal)
        }
        Err(e) => e.into_response(),
    }
}

fn token_error(r: &TokenRefusal) -> (StatusCode, &'static str, &'static str) {
    match r {
        TokenRefusal::InvalidRequest(why) => (StatusCode::BAD_REQUEST, "invalid_request", why),
        TokenRefusal::InvalidClient => (StatusCode::UNAUTHORIZED, "invalid_client", "unknown client or wrong secret"),
        TokenRefusal::UnsupportedGrantType => {
            (StatusCode::BAD_REQUEST, "unsupported_grant_type", "only client_credentials is granted")
        }
        TokenRefusal::InvalidScope => {
            (StatusCode::BAD_REQUEST, "invalid_scope", "a scope asked for is not the client's")
        }
    }
}

fn token_refusal(r: TokenRefusal) -> Response {
    let (status, error, description) = token_error(&r);
    (status, Json(serde_json::json!({ "error": error, "error_description": description }))).into_response()
}

async fn jwks(State(state): State<AppState>) -> Response {
    match oauth::jwks(&state.pool).await {
        Ok(keys) => Json(keys).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The caller of a DCI endpoint, from its bearer token, holding `scope`.
pub(crate) async fn caller(state: &AppState, headers: &HeaderMap, scope: &str) -> Result<Caller, HttpRefusal> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .filter(|t| t.len() <= 4096)
        .ok_or_else(|| {
            HttpRefusal::new(StatusCode::UNAUTHORIZED, "err.request.unauthorized", "a bearer token is required")
        })?;
    let caller = oauth::verify(&state.pool, token.trim())
        .await
        .map_err(|_| HttpRefusal::new(StatusCode::SERVICE_UNAVAILABLE, "err.service.unavailable", "try again later"))?
        .ok_or_else(|| {
            HttpRefusal::new(
                StatusCode::UNAUTHORIZED,
                "err.request.unauthorized",
                "the token is not valid or has expired",
            )
        })?;
    if !caller.may(scope) {
        return Err(HttpRefusal::new(
            StatusCode::FORBIDDEN,
            "err.request.forbidden",
            format!("this needs the {scope} scope"),
        ));
    }
    Ok(caller)
}

/// What an endpoint makes of a checked message: the answer's message and status, and how many people's
/// data it reveals.
pub(crate) type Work = (serde_json::Value, Status, usize, usize);

/// The steps every synchronous IBR endpoint takes: the caller, the envelope, the header, a repeated
/// message_id, the view brought up to date, the work, the record kept for `txn/status`, the audit.
/// Whether an endpoint answers at once or acknowledges and delivers the answer to the caller's callback.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Delivery {
    Sync,
    Callback,
}

async fn endpoint<F, Fut>(
    state: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
    name: &'static str,
    (action, answer_action, list, delivery): (&'static str, &'static str, Option<&'static str>, Delivery),
    work: F,
) -> Response
where
    F: FnOnce(Caller, serde_json::Value, String, uuid::Uuid) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = crate::error::Result<std::result::Result<Work, Rejection>>> + Send + 'static,
{
    let mut actor = "unknown".to_string();
    let result: std::result::Result<Response, HttpRefusal> = async {
        let caller = caller(state, headers, "ibr").await?;
        let client_id = caller.client_id.clone();
        actor = format!("client:{client_id}");
        let env = envelope::read(body)?;
        if env.header.sender_id != caller.client_id {
            return Err(HttpRefusal::new(
                StatusCode::FORBIDDEN,
                "err.sender_id.invalid",
                "sender_id is not the token's client",
            ));
        }
        let items = list.map(|key| env.message.get(key).and_then(|v| v.as_array()).map_or(0, Vec::len)).unwrap_or(1);
        let reply = |status, rejection: Option<&Rejection>, done, message| {
            let header = envelope::answer_header(&env.header, answer_action, status, rejection, items, done, SENDER_ID);
            envelope::answer(header, message)
        };
        let transaction = env.message.get("transaction_id").and_then(|v| v.as_str()).unwrap_or_default().to_string();
        if let Err(r) = env.header.check(action, items, ibr::MAX_REQUESTS) {
            audit_answer(state, &actor, name, &format!("rejected:{}", r.code), 0).await;
            return Ok(reply(Status::Rejected, Some(&r), 0, serde_json::json!({ "transaction_id": transaction })));
        }
        let unavailable =
            |_| HttpRefusal::new(StatusCode::SERVICE_UNAVAILABLE, "err.service.unavailable", "try again later");
        let callback = match delivery {
            Delivery::Sync => None,
            Delivery::Callback => Some(callback::address(&caller, env.header.sender_uri.as_deref())?),
        };
        let correlation = uuid::Uuid::now_v7();
        let client = state.pool.get().await.map_err(|e| unavailable(crate::error::ServerError::from(e)))?;
        let fresh = crate::db::run(
            &client,
            "INSERT INTO dci_transactions (client_id, message_id, transaction_id, correlation_id, action, status)
                 VALUES ($1, $2, $3, $4, $5, 'rcvd') ON CONFLICT DO NOTHING",
            &[&caller.client_id, &env.header.message_id, &transaction, &correlation, &action],
        )
        .await
        .map_err(unavailable)?;
        if fresh == 0 {
            let r = Rejection::new("rjct.message_id.duplicate", "this message_id was sent before");
            audit_answer(state, &actor, name, "rejected:rjct.message_id.duplicate", 0).await;
            return Ok(reply(Status::Rejected, Some(&r), 0, serde_json::json!({ "transaction_id": transaction })));
        }
        if let Some(url) = callback {
            let job = callback::Job {
                state: state.clone(),
                url,
                request: env.header.clone(),
                answer_action,
                items,
                name,
                actor: actor.clone(),
                client_id,
                message_id: env.header.message_id.clone(),
            };
            let message = env.message.clone();
            tokio::spawn(async move {
                let done = match crate::projection::catch_up(&job.state.pool).await {
                    Ok(_) => work(caller, message, transaction, correlation).await,
                    Err(e) => Err(e),
                };
                job.deliver(done).await;
            });
            audit_answer(state, &actor, name, "acknowledged", 0).await;
            return Ok(callback::acknowledged(correlation));
        }
        crate::projection::catch_up(&state.pool).await.map_err(unavailable)?;
        let done = work(caller, env.message.clone(), transaction.clone(), correlation).await.map_err(unavailable)?;
        let (message, status, people, completed, rejection) = match done {
            Ok((message, status, people, completed)) => (message, status, people, completed, None),
            Err(r) => (serde_json::json!({ "transaction_id": transaction }), Status::Rejected, 0, 0, Some(r)),
        };
        crate::db::run(
            &client,
            "UPDATE dci_transactions SET status = $3, answer = $4, people = $5 WHERE client_id = $1 AND message_id = $2",
            &[&client_id, &env.header.message_id, &status.as_str(), &message, &(people as i32)],
        )
        .await
        .map_err(unavailable)?;
        let outcome = rejection.as_ref().map_or("ok".to_string(), |r| format!("rejected:{}", r.code));
        audit_answer(state, &actor, name, &outcome, people).await;
        Ok(reply(status, rejection.as_ref(), completed, message))
    }
    .await;
    match result {
        Ok(response) => response,
        Err(refusal) => {
            audit_answer(state, &actor, name, &format!("refused:{}", refusal.code), 0).await;
            refusal.into_response()
        }
    }
}

pub(crate) async fn audit_answer(state: &AppState, actor: &str, name: &str, outcome: &str, people: usize) {
    let Ok(client) = state.pool.get().await else {
        tracing::error!("an answer could not be audited: no database");
        return;
    };
    if let Err(e) = audit(&client, actor, name, outcome, serde_json::json!({ "people": people })).await {
        tracing::error!(error = %e, "an answer could not be audited");
    }
}

/// Answers each request of a list, and the message holding them.
async fn each<F, Fut>(
    state: &AppState,
    message: &serde_json::Value,
    list: &str,
    answers: &str,
    one: F,
    transaction: String,
    correlation: uuid::Uuid,
) -> crate::error::Result<std::result::Result<Work, Rejection>>
where
    F: Fn(deadpool_postgres::Object, serde_json::Value) -> Fut,
    Fut: std::future::Future<Output = crate::error::Result<ibr::Answered>>,
{
    let items = match ibr::requests(message, list) {
        Ok(items) => items.clone(),
        Err(r) => return Ok(Err(r)),
    };
    let mut out = Vec::with_capacity(items.len());
    let mut people = 0;
    let mut succeeded = 0;
    for item in items {
        let answered = one(state.pool.get().await?, item).await?;
        people += answered.people;
        succeeded += usize::from(answered.status == Status::Success);
        out.push(answered.item);
    }
    let count = out.len();
    let message =
        serde_json::json!({ "transaction_id": transaction, "correlation_id": correlation.to_string(), answers: out });
    let status = if succeeded == 0 && count > 0 { Status::Rejected } else { Status::Success };
    Ok(Ok((message, status, people, count)))
}

async fn sync_search(state: State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    searching(state, headers, body, Delivery::Sync).await
}

/// `/ibr/search`: acknowledged at once; the answer goes to the client's registered callback.
async fn search(state: State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    searching(state, headers, body, Delivery::Callback).await
}

async fn searching(State(state): State<AppState>, headers: HeaderMap, body: Bytes, delivery: Delivery) -> Response {
    let s = state.clone();
    let name = if delivery == Delivery::Sync { "dci.ibr.search" } else { "dci.ibr.search_async" };
    endpoint(
        &state,
        &headers,
        &body,
        name,
        ("search", "on-search", Some("search_request"), delivery),
        |caller, message, txn, corr| async move {
            each(
                &s,
                &message,
                "search_request",
                "search_response",
                |client, item| {
                    let caller = caller.clone();
                    async move { ibr::search(&client, &caller, &item).await }
                },
                txn,
                corr,
            )
            .await
        },
    )
    .await
}

async fn sync_enrolled(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let s = state.clone();
    endpoint(
        &state,
        &headers,
        &body,
        "dci.ibr.enrolled",
        ("enrolled", "on-enrolled", Some("enrolled_request"), Delivery::Sync),
        |caller, message, txn, corr| async move {
            each(
                &s,
                &message,
                "enrolled_request",
                "enrolled_response",
                |client, item| {
                    let caller = caller.clone();
                    async move { ibr::enrolled(&client, &caller, &item).await }
                },
                txn,
                corr,
            )
            .await
        },
    )
    .await
}

async fn sync_updates(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let s = state.clone();
    endpoint(
        &state,
        &headers,
        &body,
        "dci.ibr.enrollment_updates",
        ("enrollment-updates", "on-enrollment-updates", None, Delivery::Sync),
        |caller, message, txn, corr| async move {
            let client = s.pool.get().await?;
            Ok(ibr::updates(&client, &caller, &message).await?.map(|(mut answer, people)| {
                answer["transaction_id"] = txn.into();
                answer["correlation_id"] = corr.to_string().into();
                (answer, Status::Success, people, 1)
            }))
        },
    )
    .await
}

async fn sync_txn_status(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let s = state.clone();
    endpoint(&state, &headers, &body, "dci.ibr.txn_status", ("txn-status", "txn-on-status", None, Delivery::Sync), |caller, message, txn, corr| async move {
        let request = message.get("txnstatus_request").cloned().unwrap_or_default();
        let value = request.get("attribute_value").and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let sql = match request.get("attribute_type").and_then(|v| v.as_str()) {
            Some("transaction_id") => "transaction_id = $2",
            Some("correlation_id") => "correlation_id::text = $2",
            _ => return Ok(Err(Rejection::new("rjct.search_criteria.invalid", "attribute_type is transaction_id or correlation_id"))),
        };
        let client = s.pool.get().await?;
        let row = client
            .query_opt(
                &format!(
                    "SELECT action, status, answer, people FROM dci_transactions WHERE client_id = $1 AND {sql} AND answer IS NOT NULL
                     ORDER BY received_at DESC LIMIT 1"
                ),
                &[&caller.client_id, &value],
            )
            .await?;
        let Some(row) = row else {
            return Ok(Err(Rejection::new(
                "rjct.reference_id.invalid",
                "no transaction of this client has that id (answers are kept 7 days)",
            )));
        };
        let answer: serde_json::Value = row.get(2);
        let people = row.get::<_, i32>(3) as usize;
        Ok(Ok((
            serde_json::json!({
                "transaction_id": txn, "correlation_id": corr.to_string(),
                "txnstatus_response": { "txn_type": row.get::<_, String>(0), "txn_status": answer },
            }),
            Status::Success,
            people,
            1,
        )))
    })
    .await
}

//! `br serve`: the built UI and the same API over HTTP, so the registry also works in a browser (the
//! browser tests, and an office that shares one PC's registry with a few others on its network).
//!
//! - `POST /api/app` takes the same `AppRequest` JSON the desktop shell takes; the session token travels
//!   inside it, so a cross-site form cannot forge a call (and JSON bodies need CORS, which is not offered).
//! - `GET /api/events?token=…` streams `AppEvent`s as server-sent events.
//! - Everything else is the UI's files, with `index.html` for the app's own paths.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use br_api::app::{App, AppEvent, AppRequest};
use br_api::files::Transfers;
use br_api::{ApiError, ErrorCode};
use futures_util::{Stream, StreamExt};
use tokio::sync::{broadcast, watch};
use tokio_stream::wrappers::BroadcastStream;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::credentials;
use crate::http_guard::{self, AllowedHosts};

/// The UI's own content policy: its scripts and styles only, no remote anything.
const CSP: &str =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
                   font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

#[derive(Clone)]
struct Shared {
    app: Arc<App>,
    events: broadcast::Sender<AppEvent>,
    /// Becomes true when the server is asked to stop: event streams end so the stop does not wait for
    /// browsers to close their tabs.
    stopping: watch::Receiver<bool>,
}

pub struct ServeOptions {
    pub registry: PathBuf,
    pub listen: SocketAddr,
    pub ui: PathBuf,
    /// HTTPS with these; required beyond loopback.
    pub tls: Option<crate::tls::TlsFiles>,
    /// Names browsers use for this server, beside its address.
    pub server_names: Vec<String>,
}

fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::SessionInvalid | ErrorCode::AuthenticationFailed => StatusCode::UNAUTHORIZED,
        ErrorCode::PermissionDenied => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Busy => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Internal | ErrorCode::Io | ErrorCode::DatabaseCorrupt => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

fn error_response(e: ApiError) -> Response {
    (status_of(e.code), Json(e)).into_response()
}

async fn app_request(State(shared): State<Shared>, body: axum::body::Bytes) -> Response {
    // Parsed here rather than by the Json extractor so a malformed request gets our error shape.
    let request: AppRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error_response(ApiError::invalid(format!("not a valid request: {e}"))),
    };
    let app = shared.app.clone();
    match tokio::task::spawn_blocking(move || app.handle(request)).await {
        Ok(Ok(value)) => Json(value).into_response(),
        Ok(Err(e)) => error_response(e),
        Err(e) => error_response(ApiError {
            code: ErrorCode::Internal,
            message: format!("the request stopped unexpectedly: {e}"),
            details: None,
        }),
    }
}

#[derive(serde::Deserialize)]
struct EventsQuery {
    token: String,
}

/// How often an open event stream checks that its session still lives (logout, idle end, account change).
const STREAM_SESSION_CHECK: std::time::Duration = std::time::Duration::from_secs(5);

async fn events(
    State(shared): State<Shared>,
    Query(q): Query<EventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Response> {
    let Some(own_session) = shared.app.session_public_id(&q.token) else {
        return Err(error_response(ApiError {
            code: ErrorCode::SessionInvalid,
            message: "log in first".into(),
            details: None,
        }));
    };
    // A client that falls behind skips events rather than slowing the registry down; change events are
    // hints to refetch, and progress is superseded by the next one. A session sees its own progress only,
    // and the stream ends when the session does.
    let mut stopping = shared.stopping.clone();
    let (app, token) = (shared.app.clone(), q.token.clone());
    let ended = async move {
        let mut check = tokio::time::interval(STREAM_SESSION_CHECK);
        loop {
            tokio::select! {
                _ = stopping.wait_for(|stop| *stop) => return,
                _ = check.tick() => {
                    if app.session_public_id(&token).is_none() {
                        return;
                    }
                }
            }
        }
    };
    let (app, token) = (shared.app.clone(), q.token);
    let stream = BroadcastStream::new(shared.events.subscribe())
        .filter_map(move |event| {
            let live = app.session_public_id(&token).is_some();
            let own_session = own_session.clone();
            async move {
                let event = event.ok().filter(|_| live)?;
                if let AppEvent::Progress { session, .. } = &event {
                    if *session != own_session {
                        return None;
                    }
                }
                Some(Ok(Event::default().event("br-event").json_data(&event).ok()?))
            }
        })
        .take_until(ended);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// The largest API request: calls are small JSON documents (files never travel in them).
const MAX_REQUEST_BYTES: usize = 1 << 20;
/// The largest upload: a registry's CSV of a million people is about 150 MB.
const MAX_UPLOAD_BYTES: usize = 1 << 30;

#[derive(serde::Deserialize)]
struct UploadQuery {
    name: String,
}

/// `POST /api/upload?name=FILE` with `Authorization: Bearer TOKEN` and the file as the body: the file is
/// kept for the session and named in later calls as `{"upload": ID}`.
async fn upload(
    State(shared): State<Shared>,
    Query(q): Query<UploadQuery>,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let (id, path) = match shared.app.begin_upload(token, &q.name) {
        Ok(staged) => staged,
        Err(e) => return error_response(e),
    };
    match receive(body, &path).await {
        Ok(bytes) => Json(serde_json::json!({ "upload": id, "bytes": bytes })).into_response(),
        Err(e) => {
            shared.app.discard_upload(&id);
            error_response(e)
        }
    }
}

/// Streams a request body into `path`, within the upload limit.
async fn receive(body: axum::body::Body, path: &std::path::Path) -> Result<u64, ApiError> {
    use tokio::io::AsyncWriteExt;
    let io = |e: std::io::Error| ApiError {
        code: ErrorCode::Io,
        message: format!("receiving the file: {e}"),
        details: None,
    };
    let mut file = tokio::fs::File::create(path).await.map_err(io)?;
    let mut stream = body.into_data_stream();
    let mut bytes = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::invalid(format!("the upload stopped: {e}")))?;
        bytes += chunk.len() as u64;
        file.write_all(&chunk).await.map_err(io)?;
    }
    file.flush().await.map_err(io)?;
    Ok(bytes)
}

/// `GET /api/download/{id}`: a file an operation wrote for this browser, once.
async fn download(State(shared): State<Shared>, axum::extract::Path(id): axum::extract::Path<String>) -> Response {
    let app = shared.app.clone();
    let Some((path, name)) = app.take_download(&id) else {
        return error_response(ApiError {
            code: ErrorCode::NotFound,
            message: "no such download (each is fetched once, within 15 minutes, by its session)".into(),
            details: None,
        });
    };
    // Streamed from the open file, which leaves the disk at once: a payment file of a million rows is not
    // held in memory, and nothing of it stays behind once sent (or if the browser goes away).
    let file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) => {
            return error_response(ApiError {
                code: ErrorCode::Io,
                message: format!("reading the file: {e}"),
                details: None,
            })
        }
    };
    let length = file.metadata().await.map(|m| m.len()).ok();
    let _ = tokio::fs::remove_file(&path).await;
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024));
    let disposition = format!("attachment; filename=\"{}\"", name.replace(['"', '\\'], "_"));
    let mut response = (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response();
    if let Some(length) = length {
        response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    response
}

fn router(shared: Shared, ui: PathBuf, allowed: AllowedHosts, tls: bool) -> Router {
    let index = ui.join("index.html");
    let files = ServeDir::new(&ui).fallback(ServeFile::new(index));
    let router = Router::new()
        .route("/api/app", post(app_request).layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES)))
        .route("/api/upload", post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)))
        .route("/api/download/{id}", get(download))
        .route("/api/events", get(events))
        .fallback_service(files)
        .with_state(shared)
        .layer(axum::middleware::from_fn_with_state(allowed, http_guard::guard))
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")));
    if !tls {
        return router;
    }
    // Browsers that reached this name over HTTPS keep to HTTPS for it.
    router.layer(SetResponseHeaderLayer::overriding(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    ))
}

pub fn serve(options: ServeOptions) -> Result<(), ApiError> {
    if !options.listen.ip().is_loopback() && options.tls.is_none() {
        // Sessions, passwords and personal data would cross the network in clear text.
        return Err(ApiError::invalid(format!(
            "{} is not a loopback address: beyond this computer br serve needs --tls-cert and --tls-key, so \
             that passwords and personal data never travel unencrypted",
            options.listen
        )));
    }
    let tls = options.tls.as_ref().map(crate::tls::server_config).transpose()?;
    if !options.ui.join("index.html").exists() {
        return Err(ApiError::invalid(format!(
            "no built UI in {} (run `npm run build`, or pass --ui)",
            options.ui.display()
        )));
    }
    let (sender, _) = broadcast::channel(1024);
    let events = sender.clone();
    let unlock = credentials::unlock();
    let transfers = Transfers::new()
        .map_err(|e| ApiError::invalid(format!("cannot make a folder for uploads and downloads: {e}")))?;
    let app = App::start(
        &options.registry,
        unlock.use_credential_store,
        unlock.passphrase,
        Box::new(move |event| {
            // No subscriber is not an error: nobody is looking.
            let _ = events.send(event);
        }),
    )
    .with_transfers(transfers);
    let (stop, stopping) = watch::channel(false);
    let shared = Shared { app: Arc::new(app), events: sender, stopping };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ApiError::invalid(format!("could not start the server: {e}")))?;
    runtime.block_on(async move {
        let listener = std::net::TcpListener::bind(options.listen)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| ApiError::invalid(format!("cannot listen on {}: {e}", options.listen)))?;
        let address = listener.local_addr().map_err(|e| ApiError::invalid(e.to_string()))?;
        let allowed = AllowedHosts::for_address(address, &options.server_names, tls.is_some());
        let router = router(shared, options.ui, allowed, tls.is_some());
        let scheme = if tls.is_some() { "https" } else { "http" };
        // Scripts (and the browser tests) wait for this line; with port 0 it is the only way to learn the port.
        println!("serving the registry at {scheme}://{address}/ (Ctrl-C stops)");
        let handle = axum_server::Handle::new();
        let stopper = handle.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop.send(true);
            // Requests already running finish; event streams end on `stop`.
            stopper.graceful_shutdown(Some(std::time::Duration::from_secs(30)));
        });
        let served = match tls {
            Some(config) => {
                let config = axum_server::tls_rustls::RustlsConfig::from_config(config);
                axum_server::from_tcp_rustls(listener, config).handle(handle).serve(router.into_make_service()).await
            }
            None => axum_server::from_tcp(listener).handle(handle).serve(router.into_make_service()).await,
        };
        served.map_err(|e| ApiError::invalid(format!("the server stopped: {e}")))
    })
}

/// Ctrl-C or SIGTERM: the server stops taking requests, finishes those running, and the registry closes
/// cleanly (its write-ahead log checkpointed).
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}

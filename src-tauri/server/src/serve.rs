//! `br-server serve`: the HTTP server, over TLS when given a certificate, stopping cleanly on Ctrl-C or
//! SIGTERM (requests running finish; nothing is lost if it is killed instead, since every page commits
//! whole or not at all).

use std::sync::Arc;

use deadpool_postgres::Pool;

use crate::config::Listen;
use crate::disburse::desk::Disbursing;
use crate::disburse::engine::EngineConfig;
use crate::error::{Result, ServerError};
use crate::http::{router, AppState};
use crate::metrics::Metrics;

pub async fn serve(pool: Pool, listen: Listen, snapshot_chunk_ops: usize, engine: Option<EngineConfig>) -> Result<()> {
    crate::db::check_schema(&pool).await?;
    let tls = match &listen.tls {
        Some((cert, key)) => Some(br_protocol_tls(cert, key)?),
        None => None,
    };
    let listener = std::net::TcpListener::bind(listen.addr)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| ServerError::Config(format!("cannot listen on {}: {e}", listen.addr)))?;
    let address = listener.local_addr()?;
    crate::retention::every_hour(pool.clone());
    let state = AppState {
        pool,
        metrics: Arc::new(Metrics::default()),
        snapshot_chunk_ops,
        disbursing: Disbursing::through(engine),
    };
    let app = router(state);
    let scheme = if tls.is_some() { "https" } else { "http" };
    // Scripts and tests wait for this line; with port 0 it is the only way to learn the port.
    println!("br-server listening at {scheme}://{address}/");
    tracing::info!(%address, scheme, "listening");
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        stopper.graceful_shutdown(Some(std::time::Duration::from_secs(30)));
    });
    let served = match tls {
        Some(config) => {
            let config = axum_server::tls_rustls::RustlsConfig::from_config(config);
            axum_server::from_tcp_rustls(listener, config).handle(handle).serve(app.into_make_service()).await
        }
        None => axum_server::from_tcp(listener).handle(handle).serve(app.into_make_service()).await,
    };
    served.map_err(ServerError::Io)
}

fn br_protocol_tls(cert: &std::path::Path, key: &std::path::Path) -> Result<Arc<rustls::ServerConfig>> {
    br_protocol::tls::server_config(cert, key).map_err(ServerError::Config)
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}

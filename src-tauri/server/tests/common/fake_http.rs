//! Serves a fake's router on a free loopback port, on a runtime of its own that lives as long as the fake.

/// The fake's base URL, and the runtime serving it (dropped with the fake).
pub fn serve(app: axum::Router, threads: usize) -> (String, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, runtime)
}

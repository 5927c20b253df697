//! Serves a fake's router on a free loopback port, on a runtime of its own that lives as long as the fake;
//! and takes a client-credentials token, as the fakes and the benches call an OAuth2-protected endpoint.

/// The fake's base URL, and the runtime serving it (dropped with the fake).
pub fn serve(app: axum::Router, threads: usize) -> (String, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, runtime)
}

/// An access token from `token_url` for client `id` (an empty one when the answer has none).
pub fn client_token(agent: &ureq::Agent, token_url: &str, id: &str, secret: &str) -> String {
    let answer: serde_json::Value = agent
        .post(token_url)
        .send_form([("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret)])
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    answer["access_token"].as_str().unwrap_or_default().to_string()
}

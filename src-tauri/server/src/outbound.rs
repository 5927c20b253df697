//! Calls the server makes to other systems (a Social Registry, a disbursement engine): JSON over HTTPS with
//! a bearer token got by client credentials, bounded in time and size. Blocking (ureq): callers run it off
//! the async runtime. A transport fault is an `Err` with its text; any HTTP answer is returned as it is,
//! for the caller to judge.

use std::time::Duration;

use serde_json::{json, Value};

/// The largest answer read from another system.
const MAX_ANSWER_BYTES: u64 = 64 * 1024 * 1024;

pub struct Outbound {
    agent: ureq::Agent,
    base: String,
    token_url: Option<String>,
    client_id: Option<String>,
    secret: Option<String>,
    token: Option<String>,
}

impl Outbound {
    pub fn new(
        base: &str,
        token_url: Option<String>,
        client_id: Option<String>,
        secret: Option<String>,
        timeout: Duration,
    ) -> Outbound {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .timeout_connect(Some(Duration::from_secs(15).min(timeout)))
            .build()
            .into();
        Outbound { agent, base: base.trim_end_matches('/').to_string(), token_url, client_id, secret, token: None }
    }

    fn read(mut r: ureq::http::Response<ureq::Body>) -> (u16, Value) {
        let status = r.status().as_u16();
        let body = r.body_mut().with_config().limit(MAX_ANSWER_BYTES).read_json::<Value>().unwrap_or(Value::Null);
        (status, body)
    }

    /// The bearer token, asked for once (and again after a 401).
    fn token(&mut self) -> Result<Option<String>, String> {
        let (Some(url), Some(id)) = (self.token_url.clone(), self.client_id.clone()) else { return Ok(None) };
        if self.token.is_none() {
            let secret = self.secret.clone().unwrap_or_default();
            let form =
                [("grant_type", "client_credentials"), ("client_id", id.as_str()), ("client_secret", secret.as_str())];
            let (status, body) = self.agent.post(&url).send_form(form).map(Self::read).map_err(|e| e.to_string())?;
            if status != 200 {
                return Err(format!("the token request answered HTTP {status}"));
            }
            let token = body["access_token"].as_str().ok_or("the token answer has no access_token")?;
            self.token = Some(token.to_string());
        }
        Ok(self.token.clone())
    }

    /// Posts JSON to `{base}{path}`; the status and the body.
    pub fn post(&mut self, path: &str, body: &Value) -> Result<(u16, Value), String> {
        let url = format!("{}{path}", self.base);
        for _ in 0..2 {
            let token = self.token()?;
            let mut req = self.agent.post(&url);
            if let Some(t) = &token {
                req = req.header("authorization", &format!("Bearer {t}"));
            }
            let answer = req.send_json(body).map(Self::read).map_err(|e| e.to_string())?;
            if answer.0 == 401 && token.is_some() {
                self.token = None;
                continue;
            }
            return Ok(answer);
        }
        Err("the token was refused twice".into())
    }
}

/// Whether the server may call `url`: over TLS, or plain HTTP only on this computer.
pub fn allowed_url(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://127.0.0.1:") || url.starts_with("http://localhost:")
}

/// A DCI request header for `action`.
pub fn header(action: &str, sender: &str, receiver: Option<&str>, count: usize) -> Value {
    json!({
        "version": "1.0.0",
        "message_id": uuid::Uuid::now_v7().to_string(),
        "message_ts": br_model::clock::now_rfc3339(),
        "action": action,
        "sender_id": sender,
        "receiver_id": receiver.unwrap_or_default(),
        "total_count": count,
        "is_msg_encrypted": false,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_server_calls_out_over_tls_or_only_on_this_computer() {
        assert!(super::allowed_url("https://sr.example.org"));
        assert!(super::allowed_url("http://127.0.0.1:8080/registry"));
        assert!(super::allowed_url("http://localhost:9000"));
        assert!(!super::allowed_url("http://sr.example.org"));
        assert!(!super::allowed_url("http://127.0.0.1.evil.org/"));
        assert!(!super::allowed_url("ftp://sr.example.org"));
    }
}

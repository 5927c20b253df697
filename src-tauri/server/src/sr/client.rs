//! Talking to a Social Registry: a token by client credentials, and `/registry/sync/search` pages in the
//! DCI envelope. Blocking (ureq), run off the async runtime; bounded in time and size; a transport fault
//! or a 5xx is tried again with back-off, anything else is reported.

use std::time::Duration;

use serde_json::{json, Value};

use super::mapping::Source;
use crate::error::{Result, ServerError};

/// The largest answer we read from a registry.
const MAX_ANSWER_BYTES: u64 = 64 * 1024 * 1024;
const TRIES: u32 = 4;

pub struct SrClient {
    agent: ureq::Agent,
    source: Source,
    secret: Option<String>,
    token: Option<String>,
}

/// One page of records, and how many the registry says match in all.
pub struct Page {
    pub records: Vec<Value>,
    pub total: Option<i64>,
}

fn now() -> String {
    br_model::clock::now_rfc3339()
}

fn failed(source: &str, what: impl std::fmt::Display) -> ServerError {
    ServerError::Command(format!("source {source}: {what}"))
}

impl SrClient {
    pub fn new(source: Source) -> Result<SrClient> {
        let secret = source.secret()?;
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .timeout_connect(Some(Duration::from_secs(15)))
            .build()
            .into();
        Ok(SrClient { agent, source, secret, token: None })
    }

    /// Retries a request on a transport fault or a 5xx, waiting 1, 2, 4 seconds.
    fn with_retries(
        &self,
        what: &str,
        mut send: impl FnMut() -> std::result::Result<(u16, Value), String>,
    ) -> Result<Value> {
        let mut last = String::new();
        for attempt in 0..TRIES {
            if attempt > 0 {
                std::thread::sleep(Duration::from_secs(1 << (attempt - 1)));
            }
            match send() {
                Ok((status, body)) if status < 300 => return Ok(body),
                Ok((status, body)) if status < 500 => {
                    let code = body["errors"][0]["code"].as_str().or(body["error"].as_str()).unwrap_or("").to_string();
                    return Err(failed(&self.source.name, format!("{what} was refused: HTTP {status} {code}")));
                }
                Ok((status, _)) => last = format!("HTTP {status}"),
                Err(e) => last = e,
            }
        }
        Err(failed(&self.source.name, format!("{what} failed {TRIES} times; last: {last}")))
    }

    fn read(mut r: ureq::http::Response<ureq::Body>) -> std::result::Result<(u16, Value), String> {
        let status = r.status().as_u16();
        let body = r.body_mut().with_config().limit(MAX_ANSWER_BYTES).read_json::<Value>().unwrap_or(Value::Null);
        Ok((status, body))
    }

    fn token(&mut self) -> Result<Option<String>> {
        let (Some(url), Some(id)) = (self.source.token_url.clone(), self.source.client_id.clone()) else {
            return Ok(None);
        };
        if self.token.is_none() {
            let secret = self.secret.clone().unwrap_or_default();
            let body = self.with_retries("the token request", || {
                let form = [
                    ("grant_type", "client_credentials"),
                    ("client_id", id.as_str()),
                    ("client_secret", secret.as_str()),
                ];
                self.agent.post(&url).send_form(form).map_err(|e| e.to_string()).and_then(Self::read)
            })?;
            let token = body["access_token"]
                .as_str()
                .ok_or_else(|| failed(&self.source.name, "the token answer has no access_token"))?;
            self.token = Some(token.to_string());
        }
        Ok(self.token.clone())
    }

    /// The envelope of a search for `criteria` (query_type and query), page `page`.
    pub fn search_envelope(&self, transaction: &str, criteria: &Value, page: u32) -> Value {
        let mut search_criteria = criteria.clone();
        search_criteria["version"] = json!("1.0.0");
        search_criteria["pagination"] = json!({ "page_size": self.source.page_size, "page_number": page });
        json!({
            "signature": "",
            "header": {
                "version": "1.0.0",
                "message_id": uuid::Uuid::now_v7().to_string(),
                "message_ts": now(),
                "action": "search",
                "sender_id": self.source.sender_id,
                "receiver_id": self.source.receiver_id.clone().unwrap_or_default(),
                "total_count": 1,
                "is_msg_encrypted": false,
            },
            "message": {
                "transaction_id": transaction,
                "search_request": [{ "reference_id": format!("{transaction}-{page}"), "timestamp": now(), "search_criteria": search_criteria }],
            },
        })
    }

    /// One page of a synchronous search.
    pub fn search_page(&mut self, transaction: &str, criteria: &Value, page: u32) -> Result<Page> {
        let token = self.token()?;
        let body = self.search_envelope(transaction, criteria, page);
        let url = format!("{}/registry/sync/search", self.source.url.trim_end_matches('/'));
        let answer = self.with_retries("a search", || {
            let mut req = self.agent.post(&url);
            if let Some(t) = &token {
                req = req.header("authorization", &format!("Bearer {t}"));
            }
            req.send_json(&body).map_err(|e| e.to_string()).and_then(Self::read)
        })?;
        read_page(&self.source.name, &answer)
    }
}

fn count(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// The records of a search answer, rejected ones reported with the registry's reason code.
pub fn read_page(source: &str, answer: &Value) -> Result<Page> {
    let header = &answer["header"];
    if header["status"] == "rjct" {
        return Err(failed(
            source,
            format!("the search was rejected: {}", header["status_reason_code"].as_str().unwrap_or("no reason")),
        ));
    }
    let item = &answer["message"]["search_response"][0];
    if item["status"] == "rjct" {
        return Err(failed(
            source,
            format!("the search was rejected: {}", item["status_reason_code"].as_str().unwrap_or("no reason")),
        ));
    }
    let records = match &item["data"]["reg_records"] {
        Value::Array(list) => list.clone(),
        Value::Null => Vec::new(),
        one @ Value::Object(_) => vec![one.clone()],
        _ => return Err(failed(source, "reg_records is not a list")),
    };
    Ok(Page { records, total: count(&item["pagination"]["total_count"]) })
}

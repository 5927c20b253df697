//! Talking to a Social Registry: `/registry/sync/search` pages in the DCI envelope, with a token by client
//! credentials (outbound.rs). A transport fault or a 5xx is tried again with back-off (a search changes
//! nothing, so asking again is safe); anything else is reported.

use std::time::Duration;

use serde_json::{json, Value};

use super::mapping::Source;
use crate::error::{Result, ServerError};
use crate::outbound::{header, Outbound};

const TRIES: u32 = 4;

pub struct SrClient {
    http: Outbound,
    source: Source,
}

/// One page of records, and how many the registry says match in all.
pub struct Page {
    pub records: Vec<Value>,
    pub total: Option<i64>,
}

fn failed(source: &str, what: impl std::fmt::Display) -> ServerError {
    ServerError::Command(format!("source {source}: {what}"))
}

impl SrClient {
    pub fn new(source: Source) -> Result<SrClient> {
        let secret = source.secret()?;
        let http = Outbound::new(
            &source.url,
            source.token_url.clone(),
            source.client_id.clone(),
            secret,
            Duration::from_secs(120),
        );
        Ok(SrClient { http, source })
    }

    /// The envelope of a search for `criteria` (query_type and query), page `page`.
    pub fn search_envelope(&self, transaction: &str, criteria: &Value, page: u32) -> Value {
        let mut search_criteria = criteria.clone();
        search_criteria["version"] = json!("1.0.0");
        search_criteria["pagination"] = json!({ "page_size": self.source.page_size, "page_number": page });
        json!({
            "signature": "",
            "header": header("search", &self.source.sender_id, self.source.receiver_id.as_deref(), 1),
            "message": {
                "transaction_id": transaction,
                "search_request": [{
                    "reference_id": format!("{transaction}-{page}"),
                    "timestamp": br_model::clock::now_rfc3339(),
                    "search_criteria": search_criteria,
                }],
            },
        })
    }

    /// Asks for page `page` asynchronously: the registry acknowledges, then posts the answer to
    /// `callback` (our `/registry/on-search`).
    pub fn search_async(&mut self, transaction: &str, criteria: &Value, page: u32, callback: &str) -> Result<()> {
        let mut body = self.search_envelope(transaction, criteria, page);
        body["header"]["sender_uri"] = json!(callback);
        self.acknowledged("/registry/search", &body, "the asynchronous search")
    }

    /// Subscribes to the registry's changes matching `criteria`, notified to `callback` (our
    /// `/registry/notify`); the subscription's code.
    pub fn subscribe(&mut self, criteria: &Value, callback: &str) -> Result<String> {
        let transaction = uuid::Uuid::now_v7().to_string();
        let mut body = json!({
            "signature": "",
            "header": header("subscribe", &self.source.sender_id, self.source.receiver_id.as_deref(), 1),
            "message": {
                "transaction_id": transaction,
                "subscribe_request": [{
                    "reference_id": format!("{transaction}-1"),
                    "timestamp": br_model::clock::now_rfc3339(),
                    "subscribe_criteria": {
                        "version": "1.0.0",
                        "reg_event_type": "REGISTER",
                        "filter_type": criteria["query_type"],
                        "filter": criteria["query"],
                        "notify_record_type": criteria["reg_record_type"],
                    },
                }],
            },
        });
        body["header"]["sender_uri"] = json!(callback);
        let answer = self.once("/registry/subscribe", &body, "the subscription")?;
        let response = &answer["message"]["subscribe_response"][0];
        response["subscriptions"][0]["code"]
            .as_str()
            .or(response["subscription_code"].as_str())
            .or(answer["message"]["subscription_code"].as_str())
            .map(str::to_string)
            .ok_or_else(|| failed(&self.source.name, "the subscription was answered without a code"))
    }

    /// Posts once; the answer of a 2xx, anything else an error.
    fn once(&mut self, path: &str, body: &Value, what: &str) -> Result<Value> {
        match self.http.post(path, body) {
            Ok((status, answer)) if status < 300 && answer["header"]["status"] != "rjct" => Ok(answer),
            Ok((status, answer)) => {
                let code = answer["header"]["status_reason_code"]
                    .as_str()
                    .or(answer["errors"][0]["code"].as_str())
                    .unwrap_or("")
                    .to_string();
                Err(failed(&self.source.name, format!("{what} was refused: HTTP {status} {code}")))
            }
            Err(e) => Err(failed(&self.source.name, format!("{what} got no answer: {e}"))),
        }
    }

    fn acknowledged(&mut self, path: &str, body: &Value, what: &str) -> Result<()> {
        let answer = self.once(path, body, what)?;
        match answer["message"]["ack_status"].as_str() {
            Some("ACK") => Ok(()),
            other => Err(failed(
                &self.source.name,
                format!("{what} was not acknowledged ({})", other.unwrap_or("no ack_status")),
            )),
        }
    }

    /// One page of a synchronous search.
    pub fn search_page(&mut self, transaction: &str, criteria: &Value, page: u32) -> Result<Page> {
        let body = self.search_envelope(transaction, criteria, page);
        let mut last = String::new();
        for attempt in 0..TRIES {
            if attempt > 0 {
                std::thread::sleep(Duration::from_secs(1 << (attempt - 1)));
            }
            match self.http.post("/registry/sync/search", &body) {
                Ok((status, answer)) if status < 300 => return read_page(&self.source.name, &answer),
                Ok((status, answer)) if status < 500 => {
                    let code =
                        answer["errors"][0]["code"].as_str().or(answer["error"].as_str()).unwrap_or("").to_string();
                    return Err(failed(&self.source.name, format!("the search was refused: HTTP {status} {code}")));
                }
                Ok((status, _)) => last = format!("HTTP {status}"),
                Err(e) => last = e,
            }
        }
        Err(failed(&self.source.name, format!("the search failed {TRIES} times; last: {last}")))
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

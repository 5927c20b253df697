//! A G2P Connect disburse engine for tests: `/disburse/sync/disburse` keeps payments by their
//! `reference_id` (a reference sent again is answered `rjct.reference_id.duplicate` and not taken twice),
//! `/disburse/sync/txn/status` answers by `reference_id_list`. Faults on demand: a disburse call taken and
//! then left unanswered past the caller's timeout; payments the bank rejects. Quirks of what engines send:
//! statuses in upper case (`SUCC`, `RJCT`, `RCVD`), `total_count` as a string, and `txn_status` as a bare
//! list on every other call (an earlier draft) instead of the published `{disbursements_status}` object.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

#[derive(Default)]
pub struct ConnectFaults {
    /// The n-th disburse call (from 1) is taken, then answered only after this delay.
    pub unanswered_call: Option<usize>,
    pub unanswered_delay: Duration,
    /// Payments (our ids) the bank rejects.
    pub fail: HashSet<String>,
}

#[derive(Default)]
pub struct Connect {
    pub faults: ConnectFaults,
    /// The references taken, each once.
    pub taken: Mutex<HashMap<String, usize>>,
    /// References sent again after the engine had taken them.
    pub duplicates: AtomicUsize,
    pub disburse_calls: AtomicUsize,
    status_calls: AtomicUsize,
    /// What the requests we received broke of the published schema.
    pub violations: Mutex<Vec<String>>,
}

pub struct FakeConnect {
    pub url: String,
    pub engine: Arc<Connect>,
    _runtime: tokio::runtime::Runtime,
}

fn answer(action: &str, message: Value) -> Json<Value> {
    Json(json!({
        "signature": "",
        "header": { "version": "1.0.0", "message_id": "m", "message_ts": "2026-01-01T00:00:00Z",
            "action": action, "status": "SUCC", "total_count": "1" },
        "message": message,
    }))
}

fn record(reference: &str, status: &str, reason: Option<&str>) -> Value {
    let mut r = json!({ "reference_id": reference, "timestamp": "2026-01-01T00:00:00Z", "status": status });
    if let Some(code) = reason {
        r["status_reason_code"] = json!(code);
    }
    r
}

async fn disburse(State(e): State<Arc<Connect>>, Json(body): Json<Value>) -> Json<Value> {
    e.violations.lock().unwrap().extend(super::schema::violations("connect_disburse", &body));
    let call = e.disburse_calls.fetch_add(1, Ordering::Relaxed) + 1;
    let rows: Vec<Value> = {
        let mut taken = e.taken.lock().unwrap();
        body["message"]["disbursements"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|d| d["reference_id"].as_str().map(str::to_string))
            .map(|reference| {
                if taken.contains_key(&reference) {
                    e.duplicates.fetch_add(1, Ordering::Relaxed);
                    record(&reference, "RJCT", Some("rjct.reference_id.duplicate"))
                } else {
                    taken.insert(reference.clone(), 1);
                    record(&reference, "RCVD", None)
                }
            })
            .collect()
    };
    if e.faults.unanswered_call == Some(call) {
        tokio::time::sleep(e.faults.unanswered_delay).await;
    }
    let transaction = body["message"]["transaction_id"].clone();
    answer("on-disburse", json!({ "transaction_id": transaction, "disbursements_status": rows }))
}

async fn txn_status(State(e): State<Arc<Connect>>, Json(body): Json<Value>) -> Json<Value> {
    e.violations.lock().unwrap().extend(super::schema::violations("connect_txn_status", &body));
    let wanted: Vec<String> = body["message"]["txnstatus_request"]["attribute_value"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let taken = e.taken.lock().unwrap();
    let rows: Vec<Value> = wanted
        .iter()
        .filter(|r| taken.contains_key(*r))
        .map(|r| {
            if e.faults.fail.contains(r) {
                record(r, "RJCT", Some("rjct.payee_fa.invalid"))
            } else {
                record(r, "SUCC", None)
            }
        })
        .collect();
    let bare = e.status_calls.fetch_add(1, Ordering::Relaxed) % 2 == 1;
    let status = if bare { Value::Array(rows) } else { json!({ "transaction_id": "t", "disbursements_status": rows }) };
    answer(
        "on-txn-status",
        json!({ "transaction_id": body["message"]["transaction_id"], "correlation_id": "c",
            "txnstatus_response": { "txn_type": "on-disburse", "txn_status": status } }),
    )
}

impl FakeConnect {
    pub fn start(faults: ConnectFaults) -> FakeConnect {
        let engine = Arc::new(Connect { faults, ..Connect::default() });
        let app = Router::new()
            .route("/disburse/sync/disburse", post(disburse))
            .route("/disburse/sync/txn/status", post(txn_status))
            .with_state(engine.clone());
        let (url, runtime) = super::fake_http::serve(app, 2);
        FakeConnect { url, engine, _runtime: runtime }
    }

    pub fn settings(&self, page_size: usize, timeout_seconds: u64) -> String {
        format!(
            "kind = \"g2p-connect\"\nurl = \"{}\"\npage_size = {page_size}\ntimeout_seconds = {timeout_seconds}\ntries = 5\npayer_fa = \"account:001@central-bank\"\n",
            self.url
        )
    }
}

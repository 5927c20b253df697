//! A G2P Bridge 1.x for tests: envelopes, disbursements with ids it makes itself, envelope status,
//! cancellation, and remittances, errors and reversals once an envelope is complete. Faults on demand: a
//! page that is created and then left unanswered past the caller's timeout, a page answered 500 without
//! being created. It counts every live disbursement per payment, so a test sees whether anything was sent
//! twice. Quirks of the published samples: `total_count` as a string, ids made from the clock.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

#[derive(Default)]
pub struct Faults {
    /// The n-th create_disbursements call (from 1) is created, then answered only after this delay.
    pub unanswered_call: Option<usize>,
    pub unanswered_delay: Duration,
    /// The n-th create_disbursements call is answered 500 and creates nothing.
    pub error_call: Option<usize>,
    /// Payments (our ids) the bank fails, and the one it pays then reverses.
    pub fail: HashSet<String>,
    pub reverse: HashSet<String>,
}

#[derive(Clone)]
pub struct Disbursement {
    pub id: String,
    pub envelope: String,
    pub reference: String,
    pub amount: f64,
    pub cancelled: bool,
}

#[derive(Default)]
pub struct Engine {
    pub faults: Mutex<Faults>,
    pub envelopes: Mutex<HashMap<String, (i64, bool)>>,
    pub disbursements: Mutex<Vec<Disbursement>>,
    pub create_calls: AtomicUsize,
    /// What the requests we received broke of the published schema.
    pub violations: Mutex<Vec<String>>,
    next: AtomicUsize,
}

impl Engine {
    fn check(&self, definition: &str, body: &Value) {
        self.violations.lock().unwrap().extend(super::schema::violations(definition, body));
    }
}

impl Engine {
    /// Live (not cancelled) disbursements per payment reference.
    pub fn live(&self) -> HashMap<String, usize> {
        let mut out = HashMap::new();
        for d in self.disbursements.lock().unwrap().iter().filter(|d| !d.cancelled) {
            *out.entry(d.reference.clone()).or_insert(0) += 1;
        }
        out
    }

    fn id(&self, prefix: &str) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
        format!("{prefix}{ms}{n:06}")
    }
}

pub struct FakeEngine {
    pub url: String,
    pub engine: Arc<Engine>,
    _runtime: tokio::runtime::Runtime,
}

fn answer(message: Value) -> Json<Value> {
    Json(json!({
        "header": { "version": "1.0.0", "message_id": "m", "message_ts": "2026-01-01T00:00:00Z", "action": "",
            "status": "succ", "total_count": "1", "completed_count": "1" },
        "message": message,
    }))
}

fn reject(code: &str) -> Json<Value> {
    Json(json!({ "header": { "status": "rjct", "status_reason_code": code, "total_count": "1" }, "message": null }))
}

async fn envelope(State(e): State<Arc<Engine>>, Json(body): Json<Value>) -> Json<Value> {
    e.check("bridge_create_envelope", &body);
    let count = body["message"]["number_of_disbursements"].as_i64().unwrap_or(0);
    let id = e.id("ENV");
    e.envelopes.lock().unwrap().insert(id.clone(), (count, false));
    answer(json!({ "disbursement_envelope_id": id }))
}

async fn disbursements(State(e): State<Arc<Engine>>, Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
    e.check("bridge_create_disbursements", &body);
    let call = e.create_calls.fetch_add(1, Ordering::Relaxed) + 1;
    let (unanswered, delay, error) = {
        let f = e.faults.lock().unwrap();
        (f.unanswered_call == Some(call), f.unanswered_delay, f.error_call == Some(call))
    };
    if error {
        return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "detail": "internal error" })));
    }
    let list = body["message"].as_array().cloned().unwrap_or_default();
    let Some(envelope) = list.first().and_then(|d| d["disbursement_envelope_id"].as_str()).map(str::to_string) else {
        return (StatusCode::OK, reject("rjct.disbursements.empty"));
    };
    let declared = match e.envelopes.lock().unwrap().get(&envelope) {
        Some((declared, false)) => *declared,
        _ => return (StatusCode::OK, reject("rjct.envelope.invalid")),
    };
    let mut out = Vec::new();
    {
        let mut held = e.disbursements.lock().unwrap();
        let already = held.iter().filter(|d| d.envelope == envelope && !d.cancelled).count() as i64;
        if already + list.len() as i64 > declared {
            return (StatusCode::OK, reject("rjct.disbursement_count.exceeds_envelope"));
        }
        for d in &list {
            let id = e.id("D");
            let reference = d["mis_reference_number"].as_str().unwrap_or("").to_string();
            held.push(Disbursement {
                id: id.clone(),
                envelope: envelope.clone(),
                reference: reference.clone(),
                amount: d["disbursement_amount"].as_f64().unwrap_or(0.0),
                cancelled: false,
            });
            out.push(json!({ "disbursement_id": id, "mis_reference_number": reference, "disbursement_envelope_id": envelope }));
        }
    }
    if unanswered {
        tokio::time::sleep(delay).await;
    }
    (StatusCode::OK, answer(Value::Array(out)))
}

async fn envelope_status(State(e): State<Arc<Engine>>, Json(body): Json<Value>) -> Json<Value> {
    e.check("bridge_envelope_status", &body);
    let id = body["message"].as_str().unwrap_or("").to_string();
    let received = e.disbursements.lock().unwrap().iter().filter(|d| d.envelope == id && !d.cancelled).count();
    let declared = e.envelopes.lock().unwrap().get(&id).map_or(0, |x| x.0);
    answer(json!({ "disbursement_envelope_id": id, "number_of_disbursements_declared": declared,
        "number_of_disbursements_received": received, "total_disbursement_quantity_received": 0 }))
}

async fn cancel(State(e): State<Arc<Engine>>, Json(body): Json<Value>) -> Json<Value> {
    e.check("bridge_cancel_envelope", &body);
    let id = body["message"]["disbursement_envelope_id"].as_str().unwrap_or("").to_string();
    if let Some(env) = e.envelopes.lock().unwrap().get_mut(&id) {
        env.1 = true;
    }
    for d in e.disbursements.lock().unwrap().iter_mut().filter(|d| d.envelope == id) {
        d.cancelled = true;
    }
    answer(json!({ "disbursement_envelope_id": id }))
}

async fn status(State(e): State<Arc<Engine>>, Json(body): Json<Value>) -> Json<Value> {
    e.check("bridge_disbursement_status", &body);
    let ids: Vec<String> = body["message"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let held = e.disbursements.lock().unwrap();
    let envelopes = e.envelopes.lock().unwrap();
    let faults = e.faults.lock().unwrap();
    let by_id: HashMap<&str, &Disbursement> = held.iter().map(|d| (d.id.as_str(), d)).collect();
    let mut live: HashMap<&str, i64> = HashMap::new();
    for d in held.iter().filter(|d| !d.cancelled) {
        *live.entry(d.envelope.as_str()).or_insert(0) += 1;
    }
    let rows: Vec<Value> = ids
        .iter()
        .filter_map(|id| by_id.get(id.as_str()).copied())
        .map(|d| {
            let complete = envelopes.get(&d.envelope).is_some_and(|(declared, cancelled)| {
                !cancelled && live.get(d.envelope.as_str()).copied().unwrap_or(0) == *declared
            });
            let records = if d.cancelled || !complete {
                json!({})
            } else if faults.fail.contains(&d.reference) {
                json!({ "disbursement_error_recon_payloads": [{ "disbursement_id": d.id, "error_reason": "invalid_account_details" }] })
            } else if faults.reverse.contains(&d.reference) {
                json!({ "disbursement_recon_payloads": [{ "bank_disbursement_batch_id": "B1", "disbursement_id": d.id,
                    "remittance_reference_number": format!("R{}", d.id), "reversal_found": true, "reversal_reason": "account_closed" }] })
            } else {
                json!({ "disbursement_recon_payloads": [{ "bank_disbursement_batch_id": "B1", "disbursement_id": d.id,
                    "remittance_reference_number": format!("R{}", d.id), "reversal_found": false }] })
            };
            json!({ "disbursement_id": d.id, "disbursement_recon_records": records })
        })
        .collect();
    answer(Value::Array(rows))
}

impl FakeEngine {
    pub fn start(faults: Faults) -> FakeEngine {
        let engine = Arc::new(Engine { faults: Mutex::new(faults), ..Engine::default() });
        let app = Router::new()
            .route("/create_disbursement_envelope", post(envelope))
            .route("/create_disbursements", post(disbursements))
            .route("/get_disbursement_envelope_status", post(envelope_status))
            .route("/cancel_disbursement_envelope", post(cancel))
            .route("/get_disbursement_status", post(status))
            .with_state(engine.clone());
        let (url, runtime) = super::fake_http::serve(app, 2);
        FakeEngine { url, engine, _runtime: runtime }
    }

    pub fn settings(&self, page_size: usize, timeout_seconds: u64) -> String {
        format!("kind = \"g2p-bridge\"\nurl = \"{}\"\npage_size = {page_size}\ntimeout_seconds = {timeout_seconds}\ntries = 5\n", self.url)
    }
}

//! A small Social Registry for tests, speaking the published DCI shapes with their known quirks
//! (`total_count` as a string, `F`/`M` outside the sex enum, `first_name` beside `given_name`, members
//! wrapped in `household_member`): a token endpoint, and `/registry/sync/search` with `predicate` (on
//! `last_update`) and `idtype-value` (on the household id) queries, paged.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Form, Json, Router};
use serde_json::{json, Value};

pub const SECRET: &str = "sr-client-secret";

#[derive(Default)]
pub struct Registry {
    pub groups: Mutex<Vec<Value>>,
    pub searches: AtomicUsize,
    /// What the requests we received broke of the published schema.
    pub violations: Mutex<Vec<String>>,
    /// How this registry calls the caller back: its token URL, client id and secret.
    pub callback_credentials: Mutex<Option<(String, String, String)>>,
    /// Where a subscription's notifications go.
    pub notify_to: Mutex<Option<String>>,
}

impl Registry {
    /// Posts `body` to the caller as its API client: a token first, then the call.
    fn call_back(&self, url: &str, body: &Value) -> u16 {
        let (token_url, id, secret) = self.callback_credentials.lock().unwrap().clone().expect("callback credentials");
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let token = super::fake_http::client_token(&agent, &token_url, &id, &secret);
        agent.post(url).header("authorization", &format!("Bearer {token}")).send_json(body).unwrap().status().as_u16()
    }

    /// Notifies the subscriber of these households.
    pub fn notify(&self, records: Vec<Value>) -> u16 {
        let to = self.notify_to.lock().unwrap().clone().expect("a subscription");
        let body = json!({
            "signature": "",
            "header": { "version": "1.0.0", "message_id": "n1", "message_ts": "2026-06-01T00:00:00Z", "action": "notify",
                "sender_id": "sr", "total_count": records.len() },
            "message": { "transaction_id": "notify-1", "notify_event": [{ "reference_id": "e1", "timestamp": "2026-06-01T00:00:00Z",
                "data": { "version": "1.0.0", "reg_record_type": "Group", "reg_records": records } }] }
        });
        self.call_back(&to, &body)
    }
}

pub struct FakeSr {
    pub url: String,
    pub registry: Arc<Registry>,
    _runtime: tokio::runtime::Runtime,
}

/// Household `n` of four people (head, spouse, two children), in region R1 (north) or R2 (south).
pub fn household(n: usize, members: usize, updated: &str) -> Value {
    let region = if n.is_multiple_of(2) { "R1" } else { "R2" };
    let list: Vec<Value> = (0..members)
        .map(|k| {
            let relation = ["self", "spouse", "son", "daughter", "son"][k.min(4)];
            let person = json!({
                "identifier": [{ "identifier_type": "UIN", "identifier_value": format!("P{n:05}{k}") }],
                "name": if k.is_multiple_of(2) {
                    json!({ "given_name": format!("Given{n}x{k}"), "surname": format!("Family{n}") })
                } else {
                    json!({ "first_name": format!("Given{n}x{k}"), "second_name": "Second", "surname": format!("Family{n}") })
                },
                "sex": if k.is_multiple_of(2) { "F" } else { "M" },
                "birth_date": format!("19{:02}-0{}-1{}T00:00:00Z", 40 + (n + k) % 60, 1 + k % 9, k % 10),
                "address": { "sub_region_code": region, "address_line1": "secret street 1" },
                "phone_number": "+251911000000",
            });
            json!({ "household_member": {
                "member_identifier": [{ "identifier_type": "UIN", "identifier_value": format!("P{n:05}{k}") }],
                "demographic_info": { "person": person },
                "relationship_head": relation,
                "is_disabled": "0",
            }})
        })
        .collect();
    json!({
        "@type": "Group",
        "group_identifier": [{ "identifier_type": "HHID", "identifier_value": format!("HH{n:05}") }],
        "place": { "sub_region_code": region },
        "poverty_score": "4.0",
        "member_list": list,
        "last_update": updated,
    })
}

fn search_answer(registry: &Registry, message: &Value) -> Value {
    let request = &message["search_request"][0];
    let criteria = &request["search_criteria"];
    let groups = registry.groups.lock().unwrap();
    let matching: Vec<&Value> = match criteria["query_type"].as_str() {
        Some("predicate") => {
            let since = criteria["query"][0]["expression1"]["attribute_value"].as_str().unwrap_or("");
            groups.iter().filter(|g| g["last_update"].as_str().unwrap_or("") >= since).collect()
        }
        Some("idtype-value") => {
            let value = criteria["query"]["value"].as_str().unwrap_or("");
            groups.iter().filter(|g| g["group_identifier"][0]["identifier_value"] == value).collect()
        }
        _ => Vec::new(),
    };
    let size = criteria["pagination"]["page_size"].as_u64().unwrap_or(100) as usize;
    let page = criteria["pagination"]["page_number"].as_u64().unwrap_or(1) as usize;
    let records: Vec<&Value> = matching.iter().skip((page - 1) * size).take(size).copied().collect();
    json!({
        "signature": "",
        "header": { "version": "1.0.0", "message_id": "m", "message_ts": "2026-01-01T00:00:00Z", "action": "on-search",
            "status": "succ", "total_count": "1", "completed_count": "1", "sender_id": "sr", "receiver_id": "br", "is_msg_encrypted": false },
        "message": { "transaction_id": message["transaction_id"], "correlation_id": "c", "search_response": [{
            "reference_id": request["reference_id"], "timestamp": "2026-01-01T00:00:00Z", "status": "succ",
            "data": { "version": "1.0.0", "reg_records": records },
            "pagination": { "page_size": size, "page_number": page, "total_count": matching.len().to_string() },
        }] }
    })
}

async fn token(Form(form): Form<std::collections::HashMap<String, String>>) -> (StatusCode, Json<Value>) {
    if form.get("client_secret").map(String::as_str) == Some(SECRET) {
        (StatusCode::OK, Json(json!({ "access_token": "sr-token", "token_type": "Bearer", "expires_in": 3600 })))
    } else {
        (StatusCode::UNAUTHORIZED, Json(json!({ "error": "invalid_client" })))
    }
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer sr-token")
}

fn unauthorized() -> (StatusCode, Json<Value>) {
    (StatusCode::UNAUTHORIZED, Json(json!({ "errors": [{ "code": "err.request.unauthorized" }] })))
}

/// The asynchronous search: acknowledged, then the answer posted to the caller's `sender_uri`.
async fn search_async(
    State(registry): State<Arc<Registry>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    if !authorized(&headers) {
        return unauthorized();
    }
    registry.violations.lock().unwrap().extend(super::schema::violations("sr_search_request", &body));
    let to = body["header"]["sender_uri"].as_str().unwrap_or_default().to_string();
    let mut answer = search_answer(&registry, &body["message"]);
    answer["header"]["action"] = json!("on-search");
    let registry = registry.clone();
    tokio::task::spawn_blocking(move || registry.call_back(&to, &answer));
    (
        StatusCode::OK,
        Json(json!({ "message": { "ack_status": "ACK", "timestamp": "2026-01-01T00:00:00Z", "correlation_id": "c" } })),
    )
}

async fn subscribe(
    State(registry): State<Arc<Registry>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    if !authorized(&headers) {
        return unauthorized();
    }
    *registry.notify_to.lock().unwrap() = body["header"]["sender_uri"].as_str().map(str::to_string);
    (
        StatusCode::OK,
        Json(json!({
            "header": { "status": "succ", "action": "on-subscribe", "message_id": "m", "message_ts": "2026-01-01T00:00:00Z" },
            "message": { "transaction_id": body["message"]["transaction_id"], "correlation_id": "c",
                "subscribe_response": [{ "reference_id": "r", "timestamp": "2026-01-01T00:00:00Z", "status": "succ",
                    "subscriptions": [{ "code": "SUB-1", "status": "subscribe" }] }] }
        })),
    )
}

async fn search(
    State(registry): State<Arc<Registry>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    if !authorized(&headers) {
        return unauthorized();
    }
    registry.searches.fetch_add(1, Ordering::Relaxed);
    registry.violations.lock().unwrap().extend(super::schema::violations("sr_search_request", &body));
    (StatusCode::OK, Json(search_answer(&registry, &body["message"])))
}

impl FakeSr {
    pub fn start(groups: Vec<Value>) -> FakeSr {
        let registry = Arc::new(Registry { groups: Mutex::new(groups), ..Registry::default() });
        let app = Router::new()
            .route("/oauth2/token", post(token))
            .route("/registry/sync/search", post(search))
            .route("/registry/search", post(search_async))
            .route("/registry/subscribe", post(subscribe))
            .with_state(registry.clone());
        let (url, runtime) = super::fake_http::serve(app, 1);
        FakeSr { url, registry, _runtime: runtime }
    }

    /// A mapping file for this registry: HHID and UIN become external ids, UIN a national ID, regions R1
    /// and R2 the areas of offices NTH and STH.
    pub fn mapping(&self, page_size: u32) -> String {
        format!(
            r#"name = "test-sr"
callback_client = "test-sr-callback"
url = "{url}"
token_url = "{url}/oauth2/token"
client_id = "br"
client_secret_env = "TEST_SR_SECRET"
record_type = "group"
page_size = {page_size}

[external_id]
group = "HHID"
person = "UIN"

[id_types]
UIN = "national_id"

[sex]
F = "female"
M = "male"

[relationship]
self = "head"
spouse = "spouse"
son = "child"
daughter = "child"

[area]
field = "sub_region_code"
codes = {{ R1 = {{ area = "D01", office = "NTH" }}, R2 = {{ area = "D02", office = "STH" }} }}
"#,
            url = self.url
        )
    }
}

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
}

pub struct FakeSr {
    pub url: String,
    pub registry: Arc<Registry>,
    _runtime: tokio::runtime::Runtime,
}

/// Household `n` of four people (head, spouse, two children), in region R1 (north) or R2 (south).
pub fn household(n: usize, members: usize, updated: &str) -> Value {
    let region = if n % 2 == 0 { "R1" } else { "R2" };
    let list: Vec<Value> = (0..members)
        .map(|k| {
            let relation = ["self", "spouse", "son", "daughter", "son"][k.min(4)];
            let person = json!({
                "identifier": [{ "identifier_type": "UIN", "identifier_value": format!("P{n:05}{k}") }],
                "name": if k % 2 == 0 {
                    json!({ "given_name": format!("Given{n}x{k}"), "surname": format!("Family{n}") })
                } else {
                    json!({ "first_name": format!("Given{n}x{k}"), "second_name": "Second", "surname": format!("Family{n}") })
                },
                "sex": if k % 2 == 0 { "F" } else { "M" },
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

async fn search(
    State(registry): State<Arc<Registry>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer sr-token") {
        return (StatusCode::UNAUTHORIZED, Json(json!({ "errors": [{ "code": "err.request.unauthorized" }] })));
    }
    registry.searches.fetch_add(1, Ordering::Relaxed);
    registry.violations.lock().unwrap().extend(super::schema::violations("sr_search_request", &body));
    (StatusCode::OK, Json(search_answer(&registry, &body["message"])))
}

impl FakeSr {
    pub fn start(groups: Vec<Value>) -> FakeSr {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let registry = Arc::new(Registry { groups: Mutex::new(groups), ..Registry::default() });
        let app = Router::new()
            .route("/oauth2/token", post(token))
            .route("/registry/sync/search", post(search))
            .with_state(registry.clone());
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeSr { url, registry, _runtime: runtime }
    }

    /// A mapping file for this registry: HHID and UIN become external ids, UIN a national ID, regions R1
    /// and R2 the areas of offices NTH and STH.
    pub fn mapping(&self, page_size: u32) -> String {
        format!(
            r#"name = "test-sr"
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

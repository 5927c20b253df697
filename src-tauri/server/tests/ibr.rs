//! The IBR endpoints against a compliance suite written from the DCI specification: a district's people
//! enrolled and paid through headquarters, then asked about by other systems with OAuth2 client
//! credentials. Positive and negative scenarios: tokens, scopes, header rules, unknown IDs, paging, the
//! personal fields a scope may and may not see, and the audit of every answer.

mod common;

use common::ibr_client::{enrolled_by, envelope, post, token, token_response};
use common::raw::agent;
use common::{admin, Central, Server};
use serde_json::{json, Value};

const PEOPLE: usize = 7;

#[test]
fn the_ibr_endpoints_answer_the_compliance_scenarios() {
    let central = Central::new(&[("HQ", true), ("NTH", false)]);
    let server = Server::start(&central.pg.url);
    let _hq = common::story::prepared_cycle(&central, &server, PEOPLE, true).hq;
    let base = server.url.as_str();
    let (partner, partner_secret) = central.api_client("partner", &["ibr"], None);
    let (named, named_secret) = central.api_client("named", &["ibr", "ibr.names"], None);

    // Tokens: the right secret, and each documented refusal.
    let t = token(base, &partner, &partner_secret);
    let bad = |form: &[(&str, &str)]| {
        let (s, b) = token_response(base, form);
        (s, b["error"].as_str().unwrap_or("").to_string())
    };
    let grant = ("grant_type", "client_credentials");
    assert_eq!(bad(&[grant, ("client_id", &partner), ("client_secret", "wrong")]), (401, "invalid_client".into()));
    assert_eq!(bad(&[("grant_type", "password"), ("client_id", &partner)]), (400, "unsupported_grant_type".into()));
    assert_eq!(
        bad(&[grant, ("client_id", &partner), ("client_secret", &partner_secret), ("scope", "ibr.names")]),
        (400, "invalid_scope".into())
    );
    // The token is signed by a key the JWKS publishes.
    let mut r = agent().get(format!("{base}/.well-known/jwks.json")).call().unwrap();
    let jwks: Value = r.body_mut().read_json().unwrap();
    let kid = jsonwebtoken::decode_header(&t).unwrap().kid.unwrap();
    assert!(jwks["keys"].as_array().unwrap().iter().any(|k| k["kid"] == kid.as_str() && k["kty"] == "OKP"));

    // No token, a forged token, an expired token, a token of another client's sender_id.
    let ask = envelope(&partner, "m1", "enrolled", json!(1), enrolled_by("NID0003"));
    let code = |(s, b): (u16, Value)| (s, b["errors"][0]["code"].as_str().unwrap_or("").to_string());
    assert_eq!(code(post(base, "/ibr/sync/enrolled", None, &ask)), (401, "err.request.unauthorized".into()));
    let forged = format!("{}x", &t[..t.len() - 1]);
    assert_eq!(code(post(base, "/ibr/sync/enrolled", Some(&forged), &ask)), (401, "err.request.unauthorized".into()));
    let expired = expired_token(&central, &partner);
    assert_eq!(code(post(base, "/ibr/sync/enrolled", Some(&expired), &ask)), (401, "err.request.unauthorized".into()));
    let theirs = envelope(&named, "m1", "enrolled", json!(1), enrolled_by("NID0003"));
    assert_eq!(code(post(base, "/ibr/sync/enrolled", Some(&t), &theirs)), (403, "err.sender_id.invalid".into()));

    // A person's programs by ID: ids and program data, no personal field without ibr.names.
    let (status, answer) = post(base, "/ibr/sync/enrolled", Some(&t), &ask);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["header"]["status"], "succ");
    assert_eq!(answer["header"]["action"], "on-enrolled");
    let item = &answer["message"]["enrolled_response"][0];
    assert_eq!(item["status"], "succ");
    let record = &item["reg_records"][0];
    assert!(record["identifier"].as_array().unwrap().iter().any(|i| i["identifier_value"] == "NID0003"));
    let oap = &record["programmes"][0];
    assert_eq!(
        (oap["programme_identifier"].as_str(), oap["enrolment_status"].as_str()),
        (Some("OAP"), Some("enrolled"))
    );
    assert_eq!(oap["benefits"][0]["amount_minor"].as_i64(), Some(10000));
    assert!(matches!(oap["benefits"][0]["payment_status"].as_str(), Some("paid" | "failed")));
    let text = answer.to_string();
    for personal in ["Aminata", "Traore", "1950-02", "female", "msisdn", "22177"] {
        assert!(!text.contains(personal), "`{personal}` is outside the ibr scope: {text}");
    }
    // The same with ibr.names: names, sex and birth date; still no phone or account.
    let tn = token(base, &named, &named_secret);
    let (_, answer) = post(
        base,
        "/ibr/sync/enrolled",
        Some(&tn),
        &envelope(&named, "m1", "enrolled", json!(1), enrolled_by("NID0003")),
    );
    let record = &answer["message"]["enrolled_response"][0]["reg_records"][0];
    assert_eq!(record["name"]["given_name"], "Aminata3");
    assert_eq!(record["sex"], "female");
    assert!(!answer.to_string().contains("msisdn"));

    // An unknown ID is a successful answer that found no one.
    let (_, answer) = post(
        base,
        "/ibr/sync/enrolled",
        Some(&t),
        &envelope(&partner, "m2", "enrolled", json!(1), enrolled_by("NID9999")),
    );
    let item = &answer["message"]["enrolled_response"][0];
    assert_eq!((item["status"].as_str(), item["person_found"].as_bool()), (Some("succ"), Some(false)));

    // Header rules: a missing field is a transport error; wrong action, count or a repeated message_id
    // are rejections in the answer's header.
    let mut missing = envelope(&partner, "m3", "enrolled", json!(1), enrolled_by("NID0001"));
    missing["header"].as_object_mut().unwrap().remove("message_id");
    assert_eq!(code(post(base, "/ibr/sync/enrolled", Some(&t), &missing)), (400, "err.request.bad".into()));
    let header = |(s, b): (u16, Value)| {
        assert_eq!(s, 200, "{b}");
        (
            b["header"]["status"].as_str().unwrap_or("").to_string(),
            b["header"]["status_reason_code"].as_str().unwrap_or("").to_string(),
        )
    };
    let wrong_action = envelope(&partner, "m4", "search", json!(1), enrolled_by("NID0001"));
    assert_eq!(
        header(post(base, "/ibr/sync/enrolled", Some(&t), &wrong_action)),
        ("rjct".into(), "rjct.action.invalid".into())
    );
    let wrong_count = envelope(&partner, "m5", "enrolled", json!("3"), enrolled_by("NID0001"));
    assert_eq!(
        header(post(base, "/ibr/sync/enrolled", Some(&t), &wrong_count)),
        ("rjct".into(), "rjct.total_count.invalid".into())
    );
    let again = envelope(&partner, "m1", "enrolled", json!(1), enrolled_by("NID0001"));
    assert_eq!(
        header(post(base, "/ibr/sync/enrolled", Some(&t), &again)),
        ("rjct".into(), "rjct.message_id.duplicate".into())
    );

    // Search by predicate, paged to the end and beyond; a personal attribute needs ibr.names.
    let search = |page: i64, id: &str| search_by(&partner, page, id);
    let mut seen = Vec::new();
    for page in 1..=3 {
        let (_, answer) = post(base, "/ibr/sync/search", Some(&t), &search(page, &format!("p{page}")));
        let item = &answer["message"]["search_response"][0];
        assert_eq!(item["status"], "succ", "{answer}");
        assert_eq!(item["pagination"]["total_count"], PEOPLE as i64);
        for r in item["data"]["reg_records"].as_array().unwrap() {
            seen.push(r["identifier"][0]["identifier_value"].as_str().unwrap().to_string());
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), PEOPLE, "three pages of three hold the seven people once each");
    let (_, answer) = post(base, "/ibr/sync/search", Some(&t), &search(4, "p4"));
    assert_eq!(answer["message"]["search_response"][0]["status_reason_code"], "rjct.pagination.invalid");
    let by_sex = envelope(
        &partner,
        "sx",
        "search",
        json!(1),
        json!({ "transaction_id": "t-sx", "search_request": [{
        "reference_id": "s1", "timestamp": "2026-01-01T00:00:00Z",
        "search_criteria": { "query_type": "predicate",
            "query": [{ "expression1": { "attribute_name": "sex", "operator": "eq", "attribute_value": "female" } }] } }] }),
    );
    let (_, answer) = post(base, "/ibr/sync/search", Some(&t), &by_sex);
    assert_eq!(answer["message"]["search_response"][0]["status_reason_code"], "rjct.search_criteria.invalid");
    assert_eq!(answer["header"]["status"], "rjct", "no request of the message succeeded");

    // Enrolment updates by cursor, until there are no more.
    let mut cursor = "0".to_string();
    let mut updated = 0;
    for n in 0..10 {
        let body = envelope(
            &partner,
            &format!("u{n}"),
            "enrollment-updates",
            json!(1),
            json!({ "transaction_id": "t-u",
            "updates_request": { "cursor": cursor, "pagination": { "page_size": 3 } } }),
        );
        let (_, answer) = post(base, "/ibr/sync/enrollment/updates", Some(&t), &body);
        assert_eq!(answer["header"]["status"], "succ", "{answer}");
        updated += answer["message"]["updates"].as_array().unwrap().len();
        cursor = answer["message"]["next_cursor"].as_str().unwrap().to_string();
        if answer["message"]["more"] == false {
            break;
        }
    }
    assert_eq!(updated, PEOPLE);

    // The status of an earlier transaction, this client's only.
    let status_of = |sender: &str, tok: &str, id: &str| {
        let body = envelope(
            sender,
            id,
            "txn-status",
            json!(1),
            json!({ "transaction_id": "t-st", "txnstatus_request": {
            "reference_id": "x", "txn_type": "search", "attribute_type": "transaction_id", "attribute_value": "t-p1" } }),
        );
        post(base, "/ibr/sync/txn/status", Some(tok), &body)
    };
    let (_, answer) = status_of(&partner, &t, "st1");
    assert_eq!(answer["message"]["txnstatus_response"]["txn_status"]["search_response"][0]["status"], "succ");
    let revealed =
        "SELECT (details ->> 'people')::int8 FROM audit WHERE action = 'dci.ibr.txn_status' AND outcome = 'ok'";
    assert_eq!(central.count(revealed), 3, "repeating an answer of three people is audited as three");
    let (_, answer) = status_of(&named, &tn, "st1");
    assert_eq!(answer["header"]["status_reason_code"], "rjct.reference_id.invalid");
    // An answer is kept a week: after that its transaction answers nothing, and its ids stay to refuse a
    // repeated message id.
    central
        .execute("UPDATE dci_transactions SET received_at = now() - interval '8 days' WHERE transaction_id = 't-p1'");
    assert!(admin(&central.pg.url, &["prune"]).contains("forgot 1 IBR answers, 0 DCI transactions"));
    let (_, answer) = status_of(&partner, &t, "st2");
    assert_eq!(answer["header"]["status_reason_code"], "rjct.reference_id.invalid", "{answer}");
    assert_eq!(central.count("SELECT count(*) FROM dci_transactions WHERE transaction_id = 't-p1'"), 1);

    // Asynchronous search: acknowledged at once, the answer posted to the client's registered callback
    // with a token of ours for that client; never to an address the request names.
    let inbox = Inbox::start();
    let (caller, caller_secret) = central.api_client("caller", &["ibr"], Some(&inbox.url));
    let tc = token(base, &caller, &caller_secret);
    let mut ask = search_by(&caller, 1, "a1");
    let (status, ack) = post(base, "/ibr/search", Some(&tc), &ask);
    assert_eq!((status, ack["message"]["ack_status"].as_str()), (200, Some("ACK")), "{ack}");
    let delivered = inbox.wait();
    assert_eq!(delivered.1["header"]["action"], "on-search");
    assert_eq!(delivered.1["message"]["correlation_id"], ack["message"]["correlation_id"]);
    assert_eq!(delivered.1["message"]["search_response"][0]["pagination"]["total_count"], PEOPLE as i64);
    common::schema::check("ibr_answer", &delivered.1);
    let public: Vec<u8> = central.value("SELECT public_key FROM signing_keys ORDER BY created_at DESC LIMIT 1");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_audience(&[caller.as_str()]);
    jsonwebtoken::decode::<Value>(&delivered.0, &jsonwebtoken::DecodingKey::from_ed_der(&public), &validation)
        .expect("the callback carries our token for this client");
    ask["header"]["message_id"] = json!("a2");
    ask["header"]["sender_uri"] = json!("https://attacker.example.org/collect");
    assert_eq!(code(post(base, "/ibr/search", Some(&tc), &ask)), (403, "err.sender_uri.invalid".into()));
    let no_callback = search_by(&named, 1, "a3");
    assert_eq!(code(post(base, "/ibr/search", Some(&tn), &no_callback)), (403, "err.sender_uri.invalid".into()));

    // A revoked client's token stops at once.
    admin(&central.pg.url, &["client", "revoke", "partner"]);
    let ask = envelope(&partner, "m9", "enrolled", json!(1), enrolled_by("NID0003"));
    assert_eq!(code(post(base, "/ibr/sync/enrolled", Some(&t), &ask)), (401, "err.request.unauthorized".into()));

    // Every answer and refusal is audited, with no personal data.
    assert!(central.count("SELECT count(*) FROM audit WHERE action LIKE 'dci.ibr.%' AND outcome = 'ok'") >= 8);
    assert!(
        central.count("SELECT count(*) FROM audit WHERE action LIKE 'dci.ibr.%' AND outcome LIKE 'refused:%'") >= 5
    );
    assert!(central.count("SELECT count(*) FROM audit WHERE action = 'oauth.token' AND outcome LIKE 'refused:%'") >= 3);
    assert_eq!(
        central.count("SELECT count(*) FROM audit WHERE details::text LIKE '%Aminata%' OR details::text LIKE '%NID0%'"),
        0
    );
}

/// A search of the OAP program's people, three a page.
fn search_by(sender: &str, page: i64, id: &str) -> Value {
    envelope(
        sender,
        id,
        "search",
        json!(1),
        json!({ "transaction_id": format!("t-{id}"), "search_request": [{
        "reference_id": "s1", "timestamp": "2026-01-01T00:00:00Z",
        "search_criteria": { "query_type": "predicate",
            "query": [{ "seq_num": 1, "expression1": { "attribute_name": "programme_identifier", "operator": "eq", "attribute_value": "OAP" } }],
            "pagination": { "page_size": 3, "page_number": page } } }] }),
    )
}

/// A caller's callback address: keeps what is posted to it, with the bearer token.
struct Inbox {
    url: String,
    got: std::sync::Arc<std::sync::Mutex<Vec<(String, Value)>>>,
    _runtime: tokio::runtime::Runtime,
}

impl Inbox {
    fn start() -> Inbox {
        let got: std::sync::Arc<std::sync::Mutex<Vec<(String, Value)>>> = std::sync::Arc::default();
        let keep = got.clone();
        let app = axum::Router::new().route(
            "/on-search",
            axum::routing::post(move |headers: axum::http::HeaderMap, axum::Json(body): axum::Json<Value>| {
                let keep = keep.clone();
                async move {
                    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
                    keep.lock().unwrap().push((auth.trim_start_matches("Bearer ").to_string(), body));
                    axum::Json(json!({ "message": { "ack_status": "ACK" } }))
                }
            }),
        );
        let (base, runtime) = common::fake_http::serve(app, 1);
        Inbox { url: format!("{base}/on-search"), got, _runtime: runtime }
    }

    /// The first delivery, waiting at most a minute.
    fn wait(&self) -> (String, Value) {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if let Some(first) = self.got.lock().unwrap().first().cloned() {
                return first;
            }
            assert!(std::time::Instant::now() < until, "no answer reached the callback");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

/// A token signed with the server's own key that expired a minute ago.
fn expired_token(central: &Central, client_id: &str) -> String {
    let kid = central.text("SELECT kid FROM signing_keys ORDER BY created_at DESC LIMIT 1");
    let pkcs8: Vec<u8> = central.value("SELECT pkcs8 FROM signing_keys ORDER BY created_at DESC LIMIT 1");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let claims = json!({ "iss": "br-server", "sub": client_id, "aud": "br-server/dci", "scope": "ibr",
        "iat": now - 1000, "exp": now - 60, "jti": "old" });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.kid = Some(kid);
    jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_ed_der(&pkcs8)).unwrap()
}

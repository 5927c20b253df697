//! A DCI caller of our IBR endpoints, for the tests: an OAuth2 token, the envelope, a post whose answer is
//! checked against the published schema.
#![allow(dead_code)]

use serde_json::{json, Value};

use super::raw::agent;

pub fn token_response(base: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let mut r = agent().post(format!("{base}/oauth2/token")).send_form(form.iter().copied()).unwrap();
    (r.status().as_u16(), r.body_mut().read_json().unwrap_or(Value::Null))
}

pub fn token(base: &str, id: &str, secret: &str) -> String {
    let (status, body) =
        token_response(base, &[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret)]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    body["access_token"].as_str().unwrap().to_string()
}

pub fn envelope(sender: &str, message_id: &str, action: &str, count: Value, message: Value) -> Value {
    json!({
        "signature": "",
        "header": {
            "version": "1.0.0", "message_id": message_id, "message_ts": "2026-01-01T00:00:00Z", "action": action,
            "sender_id": sender, "total_count": count, "is_msg_encrypted": false
        },
        "message": message
    })
}

pub fn post(base: &str, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    let mut req = agent().post(format!("{base}{path}"));
    if let Some(t) = token {
        req = req.header("authorization", &format!("Bearer {t}"));
    }
    let mut r = req.send_json(body).unwrap();
    let status = r.status().as_u16();
    let answer: Value = r.body_mut().read_json().unwrap_or(Value::Null);
    match path {
        _ if status != 200 => {}
        "/ibr/search" => super::schema::check("ack", &answer),
        "/ibr/sync/txn/status" => {}
        _ => super::schema::check("ibr_answer", &answer),
    }
    (status, answer)
}

pub fn enrolled_by(value: &str) -> Value {
    json!({ "transaction_id": "t-enrolled", "enrolled_request": [
        { "reference_id": "r1", "timestamp": "2026-01-01T00:00:00Z",
          "identifier": { "identifier_type": "national_id", "identifier_value": value } }
    ]})
}

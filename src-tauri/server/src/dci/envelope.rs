//! The DCI envelope (`signature`, `header`, `message`): reading a caller's request liberally (a
//! `total_count` sent as a string, unknown fields) and checking it strictly against the published header
//! rules; writing our answers' headers; and the errors of the HTTP layer (`{errors: [{code, message}]}`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Deserializer};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The protocol version we speak.
pub const VERSION: &str = "1.0.0";
/// How far a caller's `message_ts` may lie in the future (clock skew).
const SKEW_SECONDS: i64 = 300;

/// A refusal before the message is read: an HTTP status and a DCI error code (`err.*`).
#[derive(Debug)]
pub struct HttpRefusal {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl HttpRefusal {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> HttpRefusal {
        HttpRefusal { status, code, message: message.into() }
    }

    pub fn bad(message: impl Into<String>) -> HttpRefusal {
        HttpRefusal::new(StatusCode::BAD_REQUEST, "err.request.bad", message)
    }
}

impl IntoResponse for HttpRefusal {
    fn into_response(self) -> Response {
        let mut response =
            (self.status, Json(serde_json::json!({ "errors": [{ "code": self.code, "message": self.message }] })))
                .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"dci\""),
            );
        }
        response
    }
}

/// A refusal of the whole message, answered in the response header (`status: rjct`).
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub code: &'static str,
    pub message: String,
}

impl Rejection {
    pub fn new(code: &'static str, message: impl Into<String>) -> Rejection {
        Rejection { code, message: message.into() }
    }
}

/// A request envelope as sent: the header checked by [`RequestHeader::check`], the message left to the
/// endpoint.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    #[serde(default)]
    pub signature: Option<serde_json::Value>,
    pub header: RequestHeader,
    pub message: serde_json::Value,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RequestHeader {
    #[serde(default)]
    pub version: Option<String>,
    pub message_id: String,
    pub message_ts: String,
    pub action: String,
    pub sender_id: String,
    #[serde(default)]
    pub sender_uri: Option<String>,
    #[serde(default)]
    pub receiver_id: Option<String>,
    #[serde(deserialize_with = "count")]
    pub total_count: i64,
    #[serde(default)]
    pub is_msg_encrypted: Option<bool>,
    #[serde(default)]
    pub meta: Option<serde_json::Value>,
}

/// `total_count` is an integer in the schema but a string in the published samples: take both.
fn count<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => {
            n.as_i64().ok_or_else(|| serde::de::Error::custom("total_count is not an integer"))
        }
        serde_json::Value::String(s) => {
            s.trim().parse().map_err(|_| serde::de::Error::custom("total_count is not an integer"))
        }
        _ => Err(serde::de::Error::custom("total_count is not an integer")),
    }
}

/// Reads an envelope; anything that is not one (not JSON, a required header field missing) is an HTTP
/// 400, as the spec's transport errors say.
pub fn read(body: &[u8]) -> Result<Envelope, HttpRefusal> {
    let envelope: Envelope = serde_json::from_slice(body)
        .map_err(|e| HttpRefusal::bad(format!("the request is not a DCI envelope: {e}")))?;
    if envelope.header.message_id.is_empty() || envelope.header.message_id.len() > 99 {
        return Err(HttpRefusal::bad("message_id is empty or longer than 99 characters"));
    }
    if envelope.header.is_msg_encrypted == Some(true) {
        return Err(HttpRefusal::new(
            StatusCode::BAD_REQUEST,
            "err.encryption.invalid",
            "this server takes unencrypted messages over TLS",
        ));
    }
    Ok(envelope)
}

impl RequestHeader {
    /// The header rules the message does not decide: version, timestamp, action and count.
    pub fn check(&self, action: &str, items: usize, max_items: usize) -> Result<(), Rejection> {
        if self.version.as_deref().is_some_and(|v| v != VERSION) {
            return Err(Rejection::new("rjct.version.invalid", format!("this server speaks version {VERSION}")));
        }
        let Ok(at) = OffsetDateTime::parse(&self.message_ts, &Rfc3339) else {
            return Err(Rejection::new("rjct.message_ts.invalid", "message_ts is not an RFC 3339 timestamp"));
        };
        if (at - OffsetDateTime::now_utc()).whole_seconds() > SKEW_SECONDS {
            return Err(Rejection::new("rjct.message_ts.invalid", "message_ts is in the future"));
        }
        if self.action != action {
            return Err(Rejection::new("rjct.action.invalid", format!("this endpoint's action is `{action}`")));
        }
        if self.total_count < 0 || self.total_count as usize != items {
            return Err(Rejection::new(
                "rjct.total_count.invalid",
                format!("total_count says {} but the message holds {items}", self.total_count),
            ));
        }
        if items > max_items {
            return Err(Rejection::new(
                "rjct.total_count.limit_exceeded",
                format!("one message holds at most {max_items} requests"),
            ));
        }
        Ok(())
    }
}

/// The status of an answer or of one request in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Received,
    Pending,
    Success,
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "rcvd",
            Status::Pending => "pdng",
            Status::Success => "succ",
            Status::Rejected => "rjct",
        }
    }
}

pub fn now() -> String {
    OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default()
}

/// Our answer's header (the spec's `MsgCallbackHeader`).
pub fn answer_header(
    request: &RequestHeader,
    action: &str,
    status: Status,
    rejection: Option<&Rejection>,
    total: usize,
    completed: usize,
    sender_id: &str,
) -> serde_json::Value {
    let mut header = serde_json::json!({
        "version": VERSION,
        "message_id": uuid::Uuid::now_v7().to_string(),
        "message_ts": now(),
        "action": action,
        "status": status.as_str(),
        "total_count": total,
        "completed_count": completed,
        "sender_id": sender_id,
        "receiver_id": request.sender_id,
        "is_msg_encrypted": false,
    });
    if let Some(r) = rejection {
        header["status_reason_code"] = r.code.into();
        header["status_reason_message"] = r.message.chars().take(999).collect::<String>().into();
    }
    header
}

/// The whole answer envelope. We do not sign messages: the answer travels over TLS to a caller that
/// authenticated with a token, and the spec leaves the signature optional.
pub fn answer(header: serde_json::Value, message: serde_json::Value) -> Response {
    Json(serde_json::json!({ "header": header, "message": message })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(extra: serde_json::Value) -> RequestHeader {
        let mut h = serde_json::json!({
            "message_id": "m1", "message_ts": now(), "action": "search", "sender_id": "c", "total_count": 1
        });
        for (k, v) in extra.as_object().unwrap() {
            h[k] = v.clone();
        }
        serde_json::from_value(h).unwrap()
    }

    #[test]
    fn total_count_as_a_string_is_read() {
        assert_eq!(header(serde_json::json!({ "total_count": "1" })).total_count, 1);
        assert!(serde_json::from_value::<RequestHeader>(serde_json::json!({
            "message_id": "m1", "message_ts": now(), "action": "search", "sender_id": "c", "total_count": "x"
        }))
        .is_err());
    }

    #[test]
    fn each_header_rule_has_its_reason_code() {
        let code = |h: RequestHeader| h.check("search", 1, 10).unwrap_err().code;
        assert!(header(serde_json::json!({})).check("search", 1, 10).is_ok());
        assert_eq!(code(header(serde_json::json!({ "version": "0.1" }))), "rjct.version.invalid");
        assert_eq!(code(header(serde_json::json!({ "message_ts": "yesterday" }))), "rjct.message_ts.invalid");
        assert_eq!(
            code(header(serde_json::json!({ "message_ts": "2999-01-01T00:00:00Z" }))),
            "rjct.message_ts.invalid"
        );
        assert_eq!(code(header(serde_json::json!({ "action": "on-search" }))), "rjct.action.invalid");
        assert_eq!(code(header(serde_json::json!({ "total_count": 2 }))), "rjct.total_count.invalid");
        assert_eq!(
            header(serde_json::json!({ "total_count": 11 })).check("search", 11, 10).unwrap_err().code,
            "rjct.total_count.limit_exceeded"
        );
    }
}

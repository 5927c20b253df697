//! A device driven by hand, for requests a desk would never send: replayed, stale, forged, out of order.

use br_model::op::{Op, OpRecord};
use br_protocol::signing::{nonce, DeviceKey, SignedParts};
use br_protocol::wire::{EnrolRequest, EnrolResponse};
use br_protocol::{headers, PROTOCOL_VERSION};
use uuid::Uuid;

/// A device driven by hand: its own key, requests built byte by byte.
pub struct Raw {
    pub base: String,
    pub device: Uuid,
    pub office: Uuid,
    pub key: DeviceKey,
}

pub fn now_ms() -> i64 {
    (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()) as i64
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// (status, code) of an answer.
pub fn answer(mut r: ureq::http::Response<ureq::Body>) -> (u16, String) {
    let status = r.status().as_u16();
    let body: serde_json::Value = r.body_mut().read_json().unwrap_or(serde_json::Value::Null);
    (status, body["code"].as_str().unwrap_or("").to_string())
}

fn json(mut r: ureq::http::Response<ureq::Body>) -> (u16, serde_json::Value) {
    (r.status().as_u16(), r.body_mut().read_json().unwrap_or(serde_json::Value::Null))
}

pub fn enrol_raw(base: &str, code: &str, protocol: u32) -> (u16, String, Option<Raw>) {
    let (key, _) = DeviceKey::generate().unwrap();
    let device = Uuid::now_v7();
    let request = EnrolRequest {
        protocol,
        code: code.into(),
        device_id: device,
        public_key: key.public_key_base64(),
        desk_name: "raw".into(),
        office_code: "RAW".into(),
        registrants: 0,
        privacy: Default::default(),
    };
    let mut r = agent().post(format!("{base}/sync/v1/enrol")).send_json(&request).unwrap();
    if r.status().as_u16() == 200 {
        let e: EnrolResponse = r.body_mut().read_json().unwrap();
        return (200, String::new(), Some(Raw { base: base.into(), device, office: e.office.id, key }));
    }
    let (s, c) = answer(r);
    (s, c, None)
}

impl Raw {
    /// Sends one request signed with `key` over these parts, as a desk would (or would not).
    #[allow(clippy::too_many_arguments)]
    fn send(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        timestamp_ms: i64,
        nonce: &str,
        key: &DeviceKey,
        protocol: u32,
    ) -> ureq::http::Response<ureq::Body> {
        let sig = key.sign(&SignedParts { method, path, body, timestamp_ms, nonce, device: self.device });
        let url = format!("{}{path}", self.base);
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(url)
            .header("content-type", "application/json")
            .header(headers::PROTOCOL, protocol.to_string())
            .header(headers::DEVICE, self.device.to_string())
            .header(headers::TIMESTAMP, timestamp_ms.to_string())
            .header(headers::NONCE, nonce)
            .header(headers::SIGNATURE, sig)
            .body(body.to_vec())
            .unwrap();
        agent().run(request).unwrap()
    }

    /// A POST signed over the given parts, answered as (status, code).
    pub fn signed(
        &self,
        path: &str,
        body: &[u8],
        timestamp_ms: i64,
        nonce: &str,
        key: &DeviceKey,
        protocol: u32,
    ) -> (u16, String) {
        answer(self.send("POST", path, body, timestamp_ms, nonce, key, protocol))
    }

    pub fn push(&self, body: &[u8]) -> (u16, String) {
        self.signed("/sync/v1/push", body, now_ms(), &nonce(), &self.key, PROTOCOL_VERSION)
    }

    /// A signed push of `body`, answered as (status, JSON).
    pub fn push_json(&self, body: &[u8]) -> (u16, serde_json::Value) {
        json(self.send("POST", "/sync/v1/push", body, now_ms(), &nonce(), &self.key, PROTOCOL_VERSION))
    }

    /// A signed POST of `body` to `path`, answered as (status, JSON).
    pub fn post_json(&self, path: &str, body: &[u8]) -> (u16, serde_json::Value) {
        json(self.send("POST", path, body, now_ms(), &nonce(), &self.key, PROTOCOL_VERSION))
    }

    /// A signed GET of `path`, answered as (status, JSON).
    pub fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        json(self.send("GET", path, b"", now_ms(), &nonce(), &self.key, PROTOCOL_VERSION))
    }

    pub fn record(&self, seq: i64, op: Op) -> OpRecord {
        OpRecord {
            op_id: Uuid::now_v7(),
            device_id: self.device,
            seq,
            hlc: br_model::clock::HlcStamp { wall_ms: now_ms() as u64, counter: 0 }.to_i64(),
            at: "2026-11-30T00:00:00Z".into(),
            owner_office: self.office,
            base_version: None,
            schema_version: 7,
            actor: None,
            op,
        }
    }
}

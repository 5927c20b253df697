//! The desk's HTTP client for the central server: JSON over HTTPS (or HTTP on loopback), every request
//! after enrolment signed with the desk's key. Failures become `server_unreachable` (nothing reached the
//! server, or no answer came back) or the server's own coded refusal.

use std::time::Duration;

use br_protocol::signing::{nonce, DeviceKey, SignedParts};
use br_protocol::wire::ErrorBody;
use br_protocol::{headers, PROTOCOL_VERSION};
use serde::de::DeserializeOwned;
use serde::Serialize;
use ureq::tls::{parse_pem, PemItem, RootCerts, TlsConfig};
use ureq::Agent;
use uuid::Uuid;

use crate::error::{CoreError, Result};

/// Largest answer read (a pull page of set ops).
const MAX_RESPONSE_BYTES: u64 = 128 * 1024 * 1024;

pub struct Transport {
    base: String,
    agent: Agent,
    signer: Option<(Uuid, DeviceKey)>,
}

impl Transport {
    /// A client for the server at `url`, trusting `ca_pem` besides the usual roots when given.
    pub fn new(url: &str, ca_pem: Option<&str>) -> Result<Transport> {
        let base = url.trim().trim_end_matches('/').to_string();
        let parsed: ureq::http::Uri =
            base.parse().map_err(|_| CoreError::InvalidInput(format!("`{base}` is not a server address")))?;
        match parsed.scheme_str() {
            Some("https") => {}
            Some("http") if is_loopback(parsed.host().unwrap_or("")) => {}
            Some("http") => {
                return Err(CoreError::InvalidInput(
                    "a central server beyond this computer is reached over https only".into(),
                ))
            }
            _ => return Err(CoreError::InvalidInput(format!("`{base}` is not an http(s) address"))),
        }
        let mut config = Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(15)))
            .timeout_global(Some(Duration::from_secs(300)))
            .http_status_as_error(false);
        if let Some(pem) = ca_pem {
            let certs: Vec<_> = parse_pem(pem.as_bytes())
                .filter_map(|item| match item {
                    Ok(PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(CoreError::InvalidInput("the CA file holds no certificate".into()));
            }
            config = config.tls_config(TlsConfig::builder().root_certs(RootCerts::new_with_certs(&certs)).build());
        }
        Ok(Transport { base, agent: config.build().into(), signer: None })
    }

    /// The transport to this desk's server, signing with this desk's key.
    pub(super) fn signed_for(store: &crate::store::Store, enrolment: &super::state::Enrolment) -> Result<Transport> {
        let key = DeviceKey::from_pkcs8(&enrolment.device_key).map_err(|e| CoreError::Internal(e.to_string()))?;
        Ok(Transport::new(&enrolment.url, enrolment.ca_pem.as_deref())?.signed_by(store.device_id(), key))
    }

    pub fn signed_by(mut self, device: Uuid, key: DeviceKey) -> Transport {
        self.signer = Some((device, key));
        self
    }

    /// POSTs `body` to `path` and reads the JSON answer.
    pub fn post<Req: Serialize, Resp: DeserializeOwned>(&self, path: &str, body: &Req) -> Result<Resp> {
        let bytes = serde_json::to_vec(body)?;
        let mut request = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header(headers::PROTOCOL, PROTOCOL_VERSION.to_string());
        for (name, value) in self.signature("POST", path, &bytes) {
            request = request.header(name, value);
        }
        let response = request.send(&bytes[..]).map_err(unreachable)?;
        read(response)
    }

    /// GETs `path`, signed over an empty body, and reads the JSON answer.
    pub fn get<Resp: DeserializeOwned>(&self, path: &str) -> Result<Resp> {
        serde_json::from_slice(&self.get_bytes(path)?)
            .map_err(|e| CoreError::ServerUnreachable(format!("the server's answer could not be read: {e}")))
    }

    /// GETs `path`, signed over an empty body, and reads the raw answer (a snapshot chunk).
    pub fn get_bytes(&self, path: &str) -> Result<Vec<u8>> {
        let mut request =
            self.agent.get(format!("{}{path}", self.base)).header(headers::PROTOCOL, PROTOCOL_VERSION.to_string());
        for (name, value) in self.signature("GET", path, &[]) {
            request = request.header(name, value);
        }
        let mut response = request.call().map_err(unreachable)?;
        let status = response.status().as_u16();
        let bytes = response.body_mut().with_config().limit(MAX_RESPONSE_BYTES).read_to_vec().map_err(unreachable)?;
        if (200..300).contains(&status) {
            return Ok(bytes);
        }
        Err(refusal(status, &bytes))
    }

    fn signature(&self, method: &str, path: &str, body: &[u8]) -> Vec<(&'static str, String)> {
        let Some((device, key)) = &self.signer else { return Vec::new() };
        let timestamp_ms = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
        let nonce = nonce();
        let signature = key.sign(&SignedParts { method, path, body, timestamp_ms, nonce: &nonce, device: *device });
        vec![
            (headers::DEVICE, device.to_string()),
            (headers::TIMESTAMP, timestamp_ms.to_string()),
            (headers::NONCE, nonce),
            (headers::SIGNATURE, signature),
        ]
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn unreachable(e: ureq::Error) -> CoreError {
    CoreError::ServerUnreachable(e.to_string())
}

fn read<Resp: DeserializeOwned>(mut response: ureq::http::Response<ureq::Body>) -> Result<Resp> {
    let status = response.status().as_u16();
    let bytes = response.body_mut().with_config().limit(MAX_RESPONSE_BYTES).read_to_vec().map_err(unreachable)?;
    if (200..300).contains(&status) {
        return serde_json::from_slice(&bytes)
            .map_err(|e| CoreError::ServerUnreachable(format!("the server's answer could not be read: {e}")));
    }
    Err(refusal(status, &bytes))
}

/// The server's coded refusal, or `server_unreachable` when the answer is not one (a proxy's page).
fn refusal(status: u16, bytes: &[u8]) -> CoreError {
    match serde_json::from_slice::<ErrorBody>(bytes) {
        Ok(body) if body.code == "upgrade_required" => CoreError::UpgradeRequired(body.message),
        Ok(body) => CoreError::ServerRefused { code: body.code, message: body.message, details: body.details },
        Err(_) => CoreError::ServerUnreachable(format!("the server answered HTTP {status} without a coded error")),
    }
}

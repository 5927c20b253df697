//! What the server needs of a disbursement engine, whichever API it speaks (G2P Bridge 1.x or G2P
//! Connect disburse), and the engine's settings file.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use uuid::Uuid;

use crate::error::{Result, ServerError};
use crate::outbound::allowed_url;

/// One payment as an engine is asked to make it.
#[derive(Debug, Clone)]
pub struct Instruction {
    pub payment: Uuid,
    /// The person's id for the engine: the registrant's external id, else our id.
    pub beneficiary: String,
    /// `type:id@provider`, where the engine pays.
    pub account: Option<String>,
    pub amount: i64,
    pub currency: String,
    /// Only when the engine's settings ask for names (`send_names`).
    pub name: Option<String>,
    pub narrative: String,
}

/// A batch's totals, as an envelope declares them.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub program: String,
    pub cycle: String,
    pub count: i64,
    pub beneficiaries: i64,
    pub total: i64,
    pub currency: String,
    pub schedule_date: String,
}

/// An engine call that did not succeed.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// A timeout, a broken connection or a 5xx: the engine may or may not have acted.
    Transient(String),
    /// The engine refused the request (4xx, `rjct`): it did not act.
    Refused(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Transient(m) => write!(f, "no answer ({m})"),
            Failure::Refused(m) => write!(f, "refused: {m}"),
        }
    }
}

/// What the engine holds of a page whose answer never came.
#[derive(Debug, Clone, PartialEq)]
pub enum Landed {
    /// Nothing of it: the page may be sent again.
    Nothing,
    /// All of it, with the engine's ids when the engine can say them.
    All(Option<Vec<(Uuid, String)>>),
    /// Some of it: a person must look.
    Part,
}

/// One payment's result at the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Pending,
    Paid { reference: Option<String> },
    Failed { reason: String },
    Reversed { reason: String },
}

/// A disbursement engine. Blocking: the server calls it from blocking tasks.
pub trait Engine: Send {
    fn name(&self) -> &'static str;
    /// Opens an envelope (G2P Bridge) or a transaction; its id.
    fn create_envelope(&mut self, envelope: &Envelope) -> std::result::Result<String, Failure>;
    /// Sends a page; the engine's id of each payment.
    fn create(&mut self, envelope: &str, page: &[Instruction]) -> std::result::Result<Vec<(Uuid, String)>, Failure>;
    /// What the engine holds of a page whose answer never came, `before` being how many of the envelope's
    /// payments it held before the page.
    fn landed(&mut self, envelope: &str, before: i64, page: &[Instruction]) -> std::result::Result<Landed, Failure>;
    /// Cancels an envelope none of whose payments has been made.
    fn cancel_envelope(&mut self, envelope: &str) -> std::result::Result<(), Failure>;
    /// The results of payments by the engine's ids.
    fn results(&mut self, ids: &[String]) -> std::result::Result<Vec<(String, Outcome)>, Failure>;
}

/// The engine's settings file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    /// `g2p-bridge` or `g2p-connect`.
    pub kind: String,
    /// The engine's base URL (https; plain http only on this computer).
    pub url: String,
    #[serde(default)]
    pub token_url: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub client_secret_env: Option<String>,
    #[serde(default = "default_sender")]
    pub sender_id: String,
    #[serde(default)]
    pub receiver_id: Option<String>,
    /// Payments per page, 1 to 10,000.
    #[serde(default = "default_page")]
    pub page_size: usize,
    /// Seconds an engine call may take before it counts as no answer.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    /// How often a page is tried before the batch stops as stuck.
    #[serde(default = "default_tries")]
    pub tries: u32,
    /// The payer's financial address (G2P Connect `payer_fa`).
    #[serde(default)]
    pub payer_fa: Option<String>,
    /// Whether beneficiaries' names go to the engine (off: ids and accounts only).
    #[serde(default)]
    pub send_names: bool,
    /// `disbursement_frequency` per program code (G2P Bridge); `OnDemand` otherwise.
    #[serde(default)]
    pub frequency: BTreeMap<String, String>,
}

fn default_sender() -> String {
    "br-server".into()
}
fn default_page() -> usize {
    500
}
fn default_timeout() -> u64 {
    60
}
fn default_tries() -> u32 {
    5
}

impl EngineConfig {
    pub fn read(path: &Path) -> Result<EngineConfig> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ServerError::Config(format!("cannot read {}: {e}", path.display())))?;
        let config: EngineConfig =
            toml::from_str(&text).map_err(|e| ServerError::Config(format!("{}: {e}", path.display())))?;
        if !allowed_url(&config.url) || config.token_url.as_deref().is_some_and(|u| !allowed_url(u)) {
            return Err(ServerError::Config(
                "the engine's URLs are https:// (plain http only on this computer)".into(),
            ));
        }
        if !(1..=10_000).contains(&config.page_size)
            || !(1..=100).contains(&config.tries)
            || config.timeout_seconds == 0
        {
            return Err(ServerError::Config(
                "page_size is 1 to 10,000, tries 1 to 100, timeout_seconds above 0".into(),
            ));
        }
        if !["g2p-bridge", "g2p-connect"].contains(&config.kind.as_str()) {
            return Err(ServerError::Config(format!("engine kind `{}`: g2p-bridge or g2p-connect", config.kind)));
        }
        if config.kind == "g2p-connect" && config.payer_fa.as_deref().is_none_or(|f| f.trim().is_empty()) {
            return Err(ServerError::Config("a g2p-connect engine needs payer_fa, the account payments leave".into()));
        }
        Ok(config)
    }

    pub fn secret(&self) -> Result<Option<String>> {
        match &self.client_secret_env {
            None => Ok(None),
            Some(var) => std::env::var(var)
                .map(Some)
                .map_err(|_| ServerError::Config(format!("set {var} to the engine's client secret"))),
        }
    }
}

/// The engine a settings file names.
pub fn open(config: &EngineConfig) -> Result<Box<dyn Engine>> {
    let http = crate::outbound::Outbound::new(
        &config.url,
        config.token_url.clone(),
        config.client_id.clone(),
        config.secret()?,
        std::time::Duration::from_secs(config.timeout_seconds),
    );
    Ok(match config.kind.as_str() {
        "g2p-bridge" => Box::new(super::bridge::Bridge::new(http, config.clone())),
        _ => Box::new(super::connect::Connect::new(http, config.clone())),
    })
}

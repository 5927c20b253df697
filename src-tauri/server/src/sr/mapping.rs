//! A Social Registry source and how its records become ours (docs/interop.md, "Mapping file"): where it
//! is, how we authenticate, which identifier becomes the external id and which become ID documents, and
//! the value tables for sex, relationship and area (an area also picks the office that owns the person).
//! Every SR value the registry keeps passes through one of these tables; a value with no entry is a
//! rejection, never a guess.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Result, ServerError};
use crate::outbound::allowed_url;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The source's name, as `--source` gives it.
    pub name: String,
    /// The registry's base URL; we post to `{url}/registry/sync/search`.
    pub url: String,
    /// Where we get a token (OAuth2 client credentials); no token is sent without it.
    #[serde(default)]
    pub token_url: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    /// The environment variable holding the client secret: secrets stay out of files.
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// Our `sender_id` in their headers.
    #[serde(default = "default_sender")]
    pub sender_id: String,
    #[serde(default)]
    pub receiver_id: Option<String>,
    /// The name of our API client (scope `sr`) the registry calls back as: only its deliveries to
    /// `/registry/on-search` and `/registry/notify` count for this source.
    #[serde(default)]
    pub callback_client: Option<String>,
    /// `group` (households with members) or `person`.
    pub record_type: RecordType,
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// The attribute a `--since` pull compares with `ge`.
    #[serde(default = "default_since")]
    pub since_attribute: String,
    pub external_id: ExternalId,
    /// SR identifier type -> our ID document type. Types not listed are not kept.
    #[serde(default)]
    pub id_types: BTreeMap<String, String>,
    /// SR sex value -> our sex code.
    #[serde(default)]
    pub sex: BTreeMap<String, String>,
    /// SR relationship to the head -> our household membership kind.
    #[serde(default)]
    pub relationship: BTreeMap<String, String>,
    pub area: Area,
    /// SR attribute -> our custom field (kept only where a field of that name is defined).
    #[serde(default)]
    pub custom: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordType {
    Group,
    Person,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalId {
    /// The group identifier type whose value becomes a household's external id.
    #[serde(default)]
    pub group: Option<String>,
    /// The person identifier type whose value becomes a person's external id.
    pub person: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    /// The address attribute that names the area (looked for in the person's address, then the group's).
    pub field: String,
    /// Its values -> our area code and the office that owns people there.
    pub codes: BTreeMap<String, AreaCode>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaCode {
    pub area: String,
    pub office: String,
}

fn default_sender() -> String {
    "br-server".into()
}
fn default_page_size() -> u32 {
    500
}
fn default_since() -> String {
    "last_update".into()
}

impl Source {
    pub fn read(path: &Path) -> Result<Source> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ServerError::Config(format!("cannot read {}: {e}", path.display())))?;
        let source: Source =
            toml::from_str(&text).map_err(|e| ServerError::Config(format!("{}: {e}", path.display())))?;
        source.check()?;
        Ok(source)
    }

    fn check(&self) -> Result<()> {
        if !allowed_url(&self.url) || self.token_url.as_deref().is_some_and(|u| !allowed_url(u)) {
            return Err(ServerError::Config(format!(
                "source {}: URLs are https:// (plain http only on this computer)",
                self.name
            )));
        }
        if !(1..=5_000).contains(&self.page_size) {
            return Err(ServerError::Config(format!("source {}: page_size is 1 to 5000", self.name)));
        }
        if self.record_type == RecordType::Group && self.external_id.group.is_none() {
            return Err(ServerError::Config(format!("source {}: a group source names external_id.group", self.name)));
        }
        if self.area.codes.is_empty() {
            return Err(ServerError::Config(format!("source {}: area.codes is empty", self.name)));
        }
        Ok(())
    }

    /// The client secret from its environment variable.
    pub fn secret(&self) -> Result<Option<String>> {
        match &self.client_secret_env {
            None => Ok(None),
            Some(var) => std::env::var(var)
                .map(Some)
                .map_err(|_| ServerError::Config(format!("source {}: set {var} to the client secret", self.name))),
        }
    }
}

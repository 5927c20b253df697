//! Registrants (individuals and groups), their IDs and memberships, as the API sees them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RegistrantKind {
    Individual,
    Group,
}

impl RegistrantKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrantKind::Individual => "individual",
            RegistrantKind::Group => "group",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "individual" => Some(RegistrantKind::Individual),
            "group" => Some(RegistrantKind::Group),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RegistrantStatus {
    Active,
    Disabled,
}

impl RegistrantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrantStatus::Active => "active",
            RegistrantStatus::Disabled => "disabled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(RegistrantStatus::Active),
            "disabled" => Some(RegistrantStatus::Disabled),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct IdDocument {
    pub id_type: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub expiry: Option<String>,
}

/// The synced content of a registrant: what the change log carries and what an edit may change.
/// Empty values are left out of the JSON (the change log holds a million of these), and read back as
/// empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct RegistrantFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub family_name: Option<String>,
    /// Groups only: the household's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub group_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub sex: Option<String>,
    /// ISO date.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub birth_date: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[ts(as = "Option<bool>", optional)]
    pub birth_date_approx: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub phone: Option<String>,
    /// Where payments go, as `type:id@provider` (for example `msisdn:251911000000@telebirr`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub financial_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub area: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<String>>", optional)]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[ts(as = "Option<BTreeMap<String, serde_json::Value>>", optional)]
    pub custom: BTreeMap<String, serde_json::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<IdDocument>>", optional)]
    pub ids: Vec<IdDocument>,
}

/// A registrant as shown: personal fields masked unless the caller asked to reveal them and may.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Registrant {
    pub id: Uuid,
    pub kind: RegistrantKind,
    pub reference: String,
    pub status: RegistrantStatus,
    pub disabled_reason: Option<String>,
    pub registered_on: String,
    /// The stamp of the last change, as a decimal string (64 bits do not fit a JavaScript number).
    pub version: String,
    pub fields: RegistrantFields,
    /// True when names, IDs, phones and birth dates are masked.
    pub masked: bool,
}

/// One line of a list: enough to recognise a record without revealing it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RegistrantSummary {
    pub id: Uuid,
    pub kind: RegistrantKind,
    pub reference: String,
    /// Masked unless revealed.
    pub display_name: String,
    pub sex: Option<String>,
    /// Masked to the year unless revealed.
    pub birth_date: Option<String>,
    pub area: Option<String>,
    pub status: RegistrantStatus,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct MembershipLink {
    /// The other side: the group (on an individual's page) or the member (on a group's page).
    pub registrant: RegistrantSummary,
    pub kind: String,
    pub is_head: bool,
    pub start_date: String,
    pub end_date: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ListName {
    IdType,
    Sex,
    MembershipKind,
    Area,
    Tag,
}

impl ListName {
    pub const ALL: [ListName; 5] =
        [ListName::IdType, ListName::Sex, ListName::MembershipKind, ListName::Area, ListName::Tag];

    pub fn parse(s: &str) -> Option<ListName> {
        ListName::ALL.into_iter().find(|l| l.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ListName::IdType => "id_type",
            ListName::Sex => "sex",
            ListName::MembershipKind => "membership_kind",
            ListName::Area => "area",
            ListName::Tag => "tag",
        }
    }
    /// Lists that must be configured before use; areas and tags are checked only once an office lists some.
    pub fn strict(self) -> bool {
        matches!(self, ListName::IdType | ListName::Sex | ListName::MembershipKind)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ListItem {
    pub code: String,
    pub label: String,
    pub parent: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CustomFieldType {
    Text,
    Integer,
    Decimal,
    Date,
    Boolean,
    Choice,
}

impl CustomFieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomFieldType::Text => "text",
            CustomFieldType::Integer => "integer",
            CustomFieldType::Decimal => "decimal",
            CustomFieldType::Date => "date",
            CustomFieldType::Boolean => "boolean",
            CustomFieldType::Choice => "choice",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Text, Self::Integer, Self::Decimal, Self::Date, Self::Boolean, Self::Choice]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CustomField {
    pub name: String,
    pub label: String,
    pub field_type: CustomFieldType,
    pub choices: Vec<String>,
    pub required: bool,
    /// Personal fields are masked like names.
    pub personal: bool,
}

//! Programs and program memberships as the API sees them, and the membership state machine (design §4).

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::registry::RegistrantKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ProgramState {
    Draft,
    Active,
    Ended,
}

impl ProgramState {
    pub fn as_str(self) -> &'static str {
        match self {
            ProgramState::Draft => "draft",
            ProgramState::Active => "active",
            ProgramState::Ended => "ended",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(ProgramState::Draft),
            "active" => Some(ProgramState::Active),
            "ended" => Some(ProgramState::Ended),
            _ => None,
        }
    }
    /// `draft -> active -> ended`; nothing moves back.
    pub fn may_become(self, next: ProgramState) -> bool {
        matches!(
            (self, next),
            (ProgramState::Draft, ProgramState::Active) | (ProgramState::Active, ProgramState::Ended)
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MembershipState {
    Draft,
    Enrolled,
    NotEligible,
    Paused,
    Exited,
    Duplicated,
}

impl MembershipState {
    pub const ALL: [MembershipState; 6] = [
        MembershipState::Draft,
        MembershipState::Enrolled,
        MembershipState::NotEligible,
        MembershipState::Paused,
        MembershipState::Exited,
        MembershipState::Duplicated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MembershipState::Draft => "draft",
            MembershipState::Enrolled => "enrolled",
            MembershipState::NotEligible => "not_eligible",
            MembershipState::Paused => "paused",
            MembershipState::Exited => "exited",
            MembershipState::Duplicated => "duplicated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        MembershipState::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The membership state machine of design §4, the one place that says which move is allowed:
    /// `draft -> enrolled | not_eligible`; `enrolled <-> paused`; `enrolled | paused -> exited`;
    /// re-verification moves `enrolled -> not_eligible` and a later match `not_eligible -> enrolled`;
    /// dedup moves `draft | enrolled | paused -> duplicated`, and a person's decision moves it back.
    pub fn may_become(self, next: MembershipState) -> bool {
        use MembershipState::*;
        matches!(
            (self, next),
            (Draft, Enrolled | NotEligible)
                | (Enrolled, Paused | Exited | NotEligible)
                | (Paused, Enrolled | Exited)
                | (NotEligible, Enrolled)
                | (Draft | Enrolled | Paused, Duplicated)
                | (Duplicated, Draft | Enrolled | Paused | Exited)
        )
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Program {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub description: String,
    pub target: RegistrantKind,
    pub currency: String,
    pub state: ProgramState,
    pub archived: bool,
    pub eligibility_rule: String,
    pub pmt_expression: Option<String>,
    pub pmt_threshold: Option<f64>,
    pub auto_enrol: bool,
    /// The entitlement rule, approval stages and cycle schedule.
    pub disbursement: crate::disbursement::DisbursementSettings,
    pub created_at: String,
    pub updated_at: String,
}

/// What a person edits: everything but the state and the archive flag, which have their own operations.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ProgramFields {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub target: RegistrantKind,
    pub currency: String,
    #[serde(default)]
    pub eligibility_rule: String,
    #[serde(default)]
    #[ts(optional)]
    pub pmt_expression: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub pmt_threshold: Option<f64>,
    #[serde(default)]
    pub auto_enrol: bool,
}

/// Counts of a program's memberships by state.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct MembershipCounts {
    pub draft: u64,
    pub enrolled: u64,
    pub not_eligible: u64,
    pub paused: u64,
    pub exited: u64,
    pub duplicated: u64,
}

impl MembershipCounts {
    pub fn add(&mut self, state: MembershipState, n: u64) {
        let slot = match state {
            MembershipState::Draft => &mut self.draft,
            MembershipState::Enrolled => &mut self.enrolled,
            MembershipState::NotEligible => &mut self.not_eligible,
            MembershipState::Paused => &mut self.paused,
            MembershipState::Exited => &mut self.exited,
            MembershipState::Duplicated => &mut self.duplicated,
        };
        *slot += n;
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ProgramSummary {
    #[serde(flatten)]
    pub program: Program,
    pub counts: MembershipCounts,
}

/// One registrant's membership of one program, for the program's lists and the beneficiary's page.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ProgramMembership {
    pub id: Uuid,
    pub program_id: Uuid,
    pub program_code: String,
    pub program_name: String,
    pub registrant_id: Uuid,
    pub reference: String,
    /// Masked unless the caller may see personal data and asked to.
    pub name: String,
    pub area: Option<String>,
    pub state: MembershipState,
    pub enrolled_on: Option<String>,
    pub exited_on: Option<String>,
    pub reason: Option<String>,
    pub pmt_score: Option<f64>,
    pub updated_at: String,
}

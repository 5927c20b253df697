//! Cycles, entitlements, approvals, funds and payments as the API sees them, and their state machines
//! (design §4). Money is integer minor units of the program's currency.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::roles::Role;

/// Declares a state enum with its wire names and parser.
macro_rules! states {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),* }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)* _ => None }
            }
        }
    };
}

states!(
    /// `draft -> to_approve -> approved -> distributing -> ended`; `draft | to_approve -> cancelled`;
    /// `to_approve -> draft` (sent back).
    CycleState {
        Draft => "draft",
        ToApprove => "to_approve",
        Approved => "approved",
        Distributing => "distributing",
        Ended => "ended",
        Cancelled => "cancelled",
    }
);

impl CycleState {
    pub fn may_become(self, next: CycleState) -> bool {
        use CycleState::*;
        matches!(
            (self, next),
            (Draft, ToApprove)
                | (ToApprove, Approved | Draft)
                | (Approved, Distributing)
                | (Distributing, Ended)
                | (Approved, Ended)
                | (Draft | ToApprove, Cancelled)
        )
    }
}

states!(
    /// `draft -> pending (stage k of n) -> approved -> in_payment -> paid | failed`; `failed -> in_payment`
    /// on retry; `pending -> rejected`; `draft | pending | approved -> cancelled`; `approved -> expired`.
    /// Paid is final.
    EntitlementState {
        Draft => "draft",
        Pending => "pending",
        Approved => "approved",
        InPayment => "in_payment",
        Paid => "paid",
        Failed => "failed",
        Rejected => "rejected",
        Cancelled => "cancelled",
        Expired => "expired",
    }
);

states!(
    /// `queued -> sent -> paid | failed`; a provider's late failure of a paid payment makes it `reversed`.
    PaymentState {
        Queued => "queued",
        Sent => "sent",
        Paid => "paid",
        Failed => "failed",
        Reversed => "reversed",
    }
);

states!(
    /// `draft -> posted`; `draft -> cancelled`.
    FundState {
        Draft => "draft",
        Posted => "posted",
        Cancelled => "cancelled",
    }
);

states!(
    EntitlementKind {
        Cash => "cash",
        InKind => "in_kind",
        Voucher => "voucher",
    }
);

/// A transfer fee added to each cash entitlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TransferFee {
    /// A share of the amount in basis points (250 = 2.5 %), rounded half up to a minor unit.
    Percent { basis_points: u32 },
    /// The same amount, in minor units, on every entitlement.
    Fixed { amount: i64 },
}

impl TransferFee {
    pub fn on(&self, amount: i64) -> i64 {
        match self {
            // In 128 bits: the product of an amount and a rate overflows 64 (amounts are at most
            // `money::MAX_MINOR` and rates at most 10,000, so the fee fits back in 64).
            TransferFee::Percent { basis_points } => {
                ((i128::from(amount) * i128::from(*basis_points) + 5_000) / 10_000) as i64
            }
            TransferFee::Fixed { amount } => *amount,
        }
    }
}

/// What each member of a cycle is entitled to. `expression` is CEL over the rule context of
/// `docs/programs.md`: the amount in minor units (cash, voucher value) or the quantity (in-kind). It must
/// give a whole, non-negative number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct EntitlementRule {
    pub kind: EntitlementKind,
    pub expression: String,
    #[serde(default)]
    #[ts(optional)]
    pub fee: Option<TransferFee>,
    /// In-kind: what is given (e.g. "maize flour").
    #[serde(default)]
    #[ts(optional)]
    pub product: Option<String>,
    /// In-kind: the quantity's unit (e.g. "kg").
    #[serde(default)]
    #[ts(optional)]
    pub unit: Option<String>,
    /// Days an entitlement stays valid after its cycle ends; 0 = until the cycle's last day.
    #[serde(default)]
    pub validity_days: u32,
}

/// One approval stage: who approves it, and from which amount it applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ApprovalStage {
    pub name: String,
    pub role: Role,
    /// The stage applies only to entitlements whose amount is above this (minor units).
    #[serde(default)]
    #[ts(optional)]
    pub above_amount: Option<i64>,
}

impl ApprovalStage {
    /// Whether an entitlement of `amount` goes through this stage.
    pub fn applies_to(&self, amount: i64) -> bool {
        self.above_amount.is_none_or(|min| amount > min)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Weekly,
    Monthly,
    Quarterly,
}

/// When a program's cycles fall: every `interval` periods from `start`, until `count` cycles or `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Recurrence {
    pub period: Period,
    #[serde(default = "one")]
    pub interval: u32,
    /// The first cycle's first day (YYYY-MM-DD).
    pub start: String,
    #[serde(default)]
    #[ts(optional)]
    pub count: Option<u32>,
    #[serde(default)]
    #[ts(optional)]
    pub until: Option<String>,
}

fn one() -> u32 {
    1
}

/// A program's disbursement settings, edited together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DisbursementSettings {
    #[serde(default)]
    #[ts(optional)]
    pub entitlement: Option<EntitlementRule>,
    /// Ordered; empty means one stage approved by the approver role.
    #[serde(default)]
    pub stages: Vec<ApprovalStage>,
    /// Absent: monthly from the first of next month.
    #[serde(default)]
    #[ts(optional)]
    pub recurrence: Option<Recurrence>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Cycle {
    pub id: Uuid,
    pub program_id: Uuid,
    pub program_code: String,
    pub currency: String,
    pub sequence: i64,
    pub name: String,
    pub start_date: String,
    pub end_date: String,
    pub state: CycleState,
    pub prepared_by: Option<String>,
    pub submitted_by: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// Count and money of the entitlements in one state.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct StateTotal {
    pub state: String,
    pub count: u64,
    /// Minor units.
    pub amount: i64,
    pub fee: i64,
    pub quantity: i64,
}

/// Totals of one area.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct AreaTotal {
    pub area: String,
    pub count: u64,
    pub amount: i64,
}

/// A cycle with its numbers: the cycle dashboard.
#[derive(Debug, Clone, Serialize, TS)]
pub struct CycleSummary {
    #[serde(flatten)]
    pub cycle: Cycle,
    pub members: u64,
    pub by_state: Vec<StateTotal>,
    pub by_area: Vec<AreaTotal>,
    pub total_count: u64,
    pub total_amount: i64,
    pub total_fee: i64,
    /// Posted funds of the program not yet committed to approved, paying or paid entitlements.
    pub funds_available: i64,
    pub stages: Vec<ApprovalStage>,
    /// Pending entitlements per stage (index 0 = stage 1).
    pub pending_by_stage: Vec<u64>,
    pub approvals: Vec<ApprovalRecord>,
    pub batches: Vec<PaymentBatch>,
    /// The largest amounts, for the approver's eye.
    pub largest: Vec<EntitlementView>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ApprovalRecord {
    pub id: Uuid,
    pub stage: i64,
    pub decision: String,
    pub actor: String,
    pub role: String,
    pub comment: Option<String>,
    /// Absent when the decision covered every entitlement awaiting the stage.
    pub entitlement_id: Option<Uuid>,
    pub count: u64,
    pub total: i64,
    pub at: String,
}

/// One entitlement, for lists and the beneficiary page.
#[derive(Debug, Clone, Serialize, TS)]
pub struct EntitlementView {
    pub id: Uuid,
    pub cycle_id: Uuid,
    pub cycle_name: String,
    pub program_code: String,
    pub program_name: String,
    pub registrant_id: Uuid,
    pub reference: String,
    pub kind: EntitlementKind,
    pub amount: i64,
    pub fee: i64,
    pub currency: String,
    pub product: Option<String>,
    pub quantity: Option<i64>,
    pub unit: Option<String>,
    pub voucher_code: Option<String>,
    /// What a voucher's QR code encodes: `BRV1|code|amount|currency|valid_until|entitlement id`.
    pub qr_payload: Option<String>,
    pub valid_from: String,
    pub valid_until: String,
    pub state: EntitlementState,
    pub stage: Option<i64>,
    pub reason: Option<String>,
    pub updated_at: String,
    /// The approvals and rejections that applied to it, oldest first.
    pub approvals: Vec<ApprovalRecord>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Fund {
    pub id: Uuid,
    pub program_code: String,
    pub amount: i64,
    pub currency: String,
    pub state: FundState,
    pub reference: String,
    pub created_by: String,
    pub posted_by: Option<String>,
    pub posted_at: Option<String>,
    pub created_at: String,
}

/// A program's money: what is posted, and what approvals have committed.
#[derive(Debug, Clone, Serialize, TS)]
pub struct FundBalance {
    pub program_code: String,
    pub currency: String,
    pub posted: i64,
    /// Approved, in payment, paid or failed (to be paid again) entitlements with their fees.
    pub committed: i64,
    pub available: i64,
    pub funds: Vec<Fund>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PaymentBatch {
    pub id: Uuid,
    pub cycle_id: Uuid,
    pub sequence: i64,
    pub state: String,
    pub count: u64,
    pub total: i64,
    pub created_by: String,
    pub created_at: String,
    pub sent_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PaymentView {
    pub id: Uuid,
    pub batch_id: Uuid,
    pub batch_sequence: i64,
    pub entitlement_id: Uuid,
    pub cycle_name: String,
    pub program_code: String,
    /// Masked unless revealed.
    pub account: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub state: PaymentState,
    pub external_ref: Option<String>,
    pub reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

//! The payloads of the ops that carry more than a few fields.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::disbursement::{DisbursementSettings, EntitlementKind};
use crate::program::{MembershipState, ProgramState};
use crate::registry::{CustomFieldType, RegistrantFields, RegistrantKind};
use crate::roles::Role;

/// A field of [`RegistrantFields`], by its JSON name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrantField {
    ExternalId,
    GivenName,
    FamilyName,
    GroupName,
    Sex,
    BirthDate,
    BirthDateApprox,
    Phone,
    FinancialAddress,
    Area,
    Tags,
    Custom,
    Ids,
}

impl RegistrantField {
    pub const ALL: [RegistrantField; 13] = [
        Self::ExternalId,
        Self::GivenName,
        Self::FamilyName,
        Self::GroupName,
        Self::Sex,
        Self::BirthDate,
        Self::BirthDateApprox,
        Self::Phone,
        Self::FinancialAddress,
        Self::Area,
        Self::Tags,
        Self::Custom,
        Self::Ids,
    ];

    /// Whether a change stamped `ours` (its HLC and device) takes this field, whose last writer's stamp is
    /// `theirs` (`[hlc, "device"]` as field stamps keep it, or none): the later stamp wins, a tie goes to the
    /// higher device id. Every registry that replays a registrant's changes decides by this.
    pub fn taken_by(theirs: Option<&serde_json::Value>, ours: (i64, Uuid)) -> bool {
        let theirs = theirs.and_then(|v| {
            let hlc = v.get(0)?.as_i64()?;
            let device: Uuid = v.get(1)?.as_str()?.parse().ok()?;
            Some((hlc, device))
        });
        theirs.is_none_or(|t| ours > t)
    }

    /// The fields whose values differ between `before` and `after`, in a fixed order.
    pub fn changed(before: &RegistrantFields, after: &RegistrantFields) -> Vec<RegistrantField> {
        Self::ALL.into_iter().filter(|f| !f.same(before, after)).collect()
    }

    fn same(self, a: &RegistrantFields, b: &RegistrantFields) -> bool {
        match self {
            Self::ExternalId => a.external_id == b.external_id,
            Self::GivenName => a.given_name == b.given_name,
            Self::FamilyName => a.family_name == b.family_name,
            Self::GroupName => a.group_name == b.group_name,
            Self::Sex => a.sex == b.sex,
            Self::BirthDate => a.birth_date == b.birth_date,
            Self::BirthDateApprox => a.birth_date_approx == b.birth_date_approx,
            Self::Phone => a.phone == b.phone,
            Self::FinancialAddress => a.financial_address == b.financial_address,
            Self::Area => a.area == b.area,
            Self::Tags => a.tags == b.tags,
            Self::Custom => a.custom == b.custom,
            Self::Ids => a.ids == b.ids,
        }
    }

    /// Copies this field's value from `from` into `into`.
    pub fn copy(self, from: &RegistrantFields, into: &mut RegistrantFields) {
        match self {
            Self::ExternalId => into.external_id.clone_from(&from.external_id),
            Self::GivenName => into.given_name.clone_from(&from.given_name),
            Self::FamilyName => into.family_name.clone_from(&from.family_name),
            Self::GroupName => into.group_name.clone_from(&from.group_name),
            Self::Sex => into.sex.clone_from(&from.sex),
            Self::BirthDate => into.birth_date.clone_from(&from.birth_date),
            Self::BirthDateApprox => into.birth_date_approx = from.birth_date_approx,
            Self::Phone => into.phone.clone_from(&from.phone),
            Self::FinancialAddress => into.financial_address.clone_from(&from.financial_address),
            Self::Area => into.area.clone_from(&from.area),
            Self::Tags => into.tags.clone_from(&from.tags),
            Self::Custom => into.custom.clone_from(&from.custom),
            Self::Ids => into.ids.clone_from(&from.ids),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldRecord {
    pub name: String,
    pub label: String,
    pub field_type: CustomFieldType,
    pub choices: Vec<String>,
    pub required: bool,
    pub personal: bool,
}

/// A program's synced content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgramRecord {
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
    pub disbursement: DisbursementSettings,
    pub created_at: String,
}

/// One membership moved to `to`. Dates and score are those the move wrote; a move that keeps an earlier
/// enrolment date or score carries none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MembershipMove {
    pub id: Uuid,
    pub program: Uuid,
    pub registrant: Uuid,
    pub from: MembershipState,
    pub to: MembershipState,
    // Left out when absent: an enrolment of a million people writes a million of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolled_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exited_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pmt_score: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateOutcome {
    Duplicates,
    NotDuplicates,
    Merged,
}

/// A reviewer's decision on a group of suspected duplicates, with the group itself, so a registry that
/// never ran that search learns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateDecision {
    pub group: Uuid,
    /// The program whose members were searched; none for the whole registry.
    pub program: Option<Uuid>,
    pub kind: RegistrantKind,
    pub score: f64,
    pub reasons: Vec<String>,
    pub members: Vec<Uuid>,
    pub outcome: DuplicateOutcome,
    pub comment: Option<String>,
}

/// What a whole-cycle action does to the cycle's entitlements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CycleSetAction {
    /// Draft entitlements go to their first stage, or straight to approved where no stage applies.
    Submit,
    /// Pending entitlements go back to draft.
    SendBack,
    /// Draft, pending and approved entitlements are cancelled.
    Cancel,
}

/// One page of a cycle's generated entitlements; the shared values once, the rows as arrays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratedEntitlements {
    pub cycle: Uuid,
    pub kind: EntitlementKind,
    pub currency: String,
    pub product: Option<String>,
    pub unit: Option<String>,
    pub valid_from: String,
    pub valid_until: String,
    pub rows: Vec<GeneratedEntitlement>,
}

/// `[id, registrant, amount, fee, quantity, voucher_code]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratedEntitlement(pub Uuid, pub Uuid, pub i64, pub i64, pub Option<i64>, pub Option<String>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageVerdict {
    Approved,
    Rejected,
}

/// Stage `stage` decided for a cycle's entitlements: those named, or (when `entitlements` is none) every
/// one awaiting that stage. `approvals` are the ids of the approval records written: one for a whole-set
/// decision, one per entitlement otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageDecision {
    pub cycle: Uuid,
    pub stage: u32,
    pub verdict: StageVerdict,
    pub role: Role,
    pub comment: Option<String>,
    pub entitlements: Option<Vec<Uuid>>,
    pub approvals: Vec<Uuid>,
    pub count: i64,
    pub total: i64,
}

/// One payment batch as prepared: `[payment id, entitlement id, amount]` per row, and the account each
/// payment goes to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreparedBatch {
    pub id: Uuid,
    pub cycle: Uuid,
    pub sequence: i64,
    pub currency: String,
    pub rows: Vec<PreparedPayment>,
}

/// `[payment id, entitlement id, amount, account]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreparedPayment(pub Uuid, pub Uuid, pub i64, pub Option<String>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_later_stamp_takes_a_field_and_a_tie_goes_to_the_higher_device() {
        let (low, high) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let stamp = |hlc: i64, device: Uuid| serde_json::json!([hlc, device]);
        assert!(RegistrantField::taken_by(None, (5, low)), "a field never stamped is taken");
        assert!(RegistrantField::taken_by(Some(&stamp(4, high)), (5, low)));
        assert!(!RegistrantField::taken_by(Some(&stamp(6, low)), (5, high)));
        assert!(RegistrantField::taken_by(Some(&stamp(5, low)), (5, high)));
        assert!(!RegistrantField::taken_by(Some(&stamp(5, high)), (5, low)));
        assert!(!RegistrantField::taken_by(Some(&stamp(5, low)), (5, low)), "the same change twice changes nothing");
    }
}

//! The beneficiary page's whole record: a view over the registry, programs, disbursement and the audit log.

use serde::Serialize;
use ts_rs::TS;

use crate::audit::AuditEntry;
use crate::disbursement::{EntitlementView, PaymentView};
use crate::program::ProgramMembership;
use crate::registry::{MembershipLink, Registrant};

/// Everything the beneficiary page shows.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RegistrantDetail {
    pub registrant: Registrant,
    /// For an individual: the households they belong to.
    pub groups: Vec<MembershipLink>,
    /// For a group: its members.
    pub members: Vec<MembershipLink>,
    /// Every program the registrant is in, with state and dates.
    pub programs: Vec<ProgramMembership>,
    /// Every entitlement in every program and cycle, newest first, with its approvals.
    pub entitlements: Vec<EntitlementView>,
    /// Every payment attempt, newest first.
    pub payments: Vec<PaymentView>,
    pub history: Vec<AuditEntry>,
}

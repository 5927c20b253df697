//! The change log's wire format: one typed [`Op`] per change to a synced entity, and the [`OpRecord`]
//! that stamps it with where and when it happened. A desk appends one record per change in the same
//! transaction as the change; another registry replays the records in order (docs/sync-ops.md).
//!
//! The JSON of every variant is frozen by `tests/op_fixtures.rs`: changing it is a new schema version.

mod records;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use records::*;

use crate::disbursement::{CycleState, FundState, PaymentState};
use crate::program::MembershipState;
use crate::registry::{ListName, RegistrantFields, RegistrantKind};

/// The version of this wire format. Records of other versions are refused, never guessed at.
pub const OP_FORMAT: u32 = 1;

/// Where and when an op happened, and what it was applied over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpRecord {
    pub op_id: Uuid,
    /// The desk that made the change (one office may run several).
    pub device_id: Uuid,
    /// Gapless per device, from 1.
    pub seq: i64,
    /// Hybrid-logical-clock stamp: orders changes across desks and becomes the entity's version.
    pub hlc: i64,
    /// The wall time of the change (UTC, RFC 3339).
    pub at: String,
    /// The office that owns the changed row.
    pub owner_office: Uuid,
    /// The entity's version the change was made over, where the entity has one.
    pub base_version: Option<i64>,
    /// The database schema of the desk that wrote it.
    pub schema_version: i64,
    /// Who made the change (a username), or none for the system.
    pub actor: Option<String>,
    pub op: Op,
}

/// One change to one synced entity, or one set change to many (a stage approved for a list of
/// entitlements, a batch of payments). Rows are named by their UUIDs, never by a desk's row numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Op {
    RegistrantCreated {
        id: Uuid,
        kind: RegistrantKind,
        reference: String,
        registered_on: String,
        fields: RegistrantFields,
    },
    /// `fields` is the whole content after the change; `changed` names the fields that differ from before,
    /// which replay takes field by field (last writer by HLC wins).
    RegistrantUpdated {
        id: Uuid,
        changed: Vec<RegistrantField>,
        fields: RegistrantFields,
    },
    RegistrantDisabled {
        id: Uuid,
        reason: String,
    },
    /// A duplicate now points at the record kept in its place.
    RegistrantMerged {
        id: Uuid,
        into: Uuid,
    },
    IdDocumentMoved {
        from: Uuid,
        to: Uuid,
        id_type: String,
    },
    HouseholdMemberJoined {
        group: Uuid,
        individual: Uuid,
        kind: String,
        is_head: bool,
        start_date: String,
    },
    HouseholdMemberChanged {
        group: Uuid,
        individual: Uuid,
        kind: String,
        is_head: bool,
    },
    HouseholdMemberLeft {
        group: Uuid,
        individual: Uuid,
        end_date: String,
    },
    /// A merge gives the duplicate's place in a household to the record kept.
    HouseholdMemberReplaced {
        group: Uuid,
        from: Uuid,
        to: Uuid,
    },
    ListItemSaved {
        list: ListName,
        code: String,
        label: String,
        parent: Option<String>,
        active: bool,
    },
    CustomFieldDefined {
        field: CustomFieldRecord,
    },

    ProgramCreated {
        program: ProgramRecord,
    },
    /// The program's whole synced content after the change (fields, state, archive flag, settings).
    ProgramChanged {
        program: ProgramRecord,
    },
    ProgramMembershipMoved(MembershipMove),
    /// A merge hands the duplicate's membership to the record kept, in `state`.
    ProgramMembershipTransferred {
        id: Uuid,
        program: Uuid,
        from: Uuid,
        to: Uuid,
        state: MembershipState,
    },
    DuplicatesDecided(DuplicateDecision),

    CycleCreated {
        id: Uuid,
        program: Uuid,
        sequence: i64,
        name: String,
        start_date: String,
        end_date: String,
    },
    /// Members join a cycle in pages of at most [`PAGE`].
    CycleMembersAdded {
        cycle: Uuid,
        members: Vec<Uuid>,
    },
    /// Members leave a draft cycle, with their draft entitlements.
    CycleMembersRemoved {
        cycle: Uuid,
        members: Vec<Uuid>,
    },
    CycleStateSet {
        id: Uuid,
        from: CycleState,
        to: CycleState,
    },
    CyclePrepared {
        id: Uuid,
    },
    /// Submit, send back or cancel: the cycle's entitlements move as one set (see docs/sync-ops.md).
    CycleEntitlementsMoved {
        cycle: Uuid,
        action: CycleSetAction,
        stages: Option<serde_json::Value>,
    },
    CycleDeleted {
        id: Uuid,
    },

    /// Any earlier entitlements of the cycle are discarded before the first page of a generation.
    EntitlementsDiscarded {
        cycle: Uuid,
    },
    EntitlementsGenerated(GeneratedEntitlements),
    EntitlementEdited {
        id: Uuid,
        amount: i64,
        fee: i64,
        quantity: Option<i64>,
        reason: String,
    },
    EntitlementsDecided(StageDecision),
    EntitlementsExpired {
        cycle: Uuid,
        on: String,
    },

    FundCreated {
        id: Uuid,
        program: Uuid,
        amount: i64,
        currency: String,
        state: FundState,
        reference: String,
    },
    FundStateSet {
        id: Uuid,
        from: FundState,
        to: FundState,
    },

    PaymentsPrepared(PreparedBatch),
    PaymentBatchSent {
        id: Uuid,
    },
    PaymentResults {
        results: Vec<PaymentResult>,
    },

    /// A person settled the conflict that op `op` raised: the state it would have moved stays as it is
    /// (states never move backwards), and every desk that kept the conflict marks it settled.
    ConflictResolved {
        op: Uuid,
        note: Option<String>,
    },
}

/// How many rows a set op carries at most.
pub const PAGE: usize = 10_000;

impl Op {
    /// The wire name of the variant (`registrant_created`), as the outbox's `kind` column keeps it.
    pub fn kind(&self) -> &'static str {
        self.describe().1
    }

    /// The entity this op changes, for the outbox's index: its kind and id (a set op names its parent).
    pub fn entity(&self) -> (&'static str, Uuid) {
        let (entity, _, id) = self.describe();
        (entity, id)
    }

    fn describe(&self) -> (&'static str, &'static str, Uuid) {
        use Op::*;
        match self {
            RegistrantCreated { id, .. } => ("registrant", "registrant_created", *id),
            RegistrantUpdated { id, .. } => ("registrant", "registrant_updated", *id),
            RegistrantDisabled { id, .. } => ("registrant", "registrant_disabled", *id),
            RegistrantMerged { id, .. } => ("registrant", "registrant_merged", *id),
            IdDocumentMoved { to, .. } => ("registrant", "id_document_moved", *to),
            HouseholdMemberJoined { individual, .. } => ("household_member", "household_member_joined", *individual),
            HouseholdMemberChanged { individual, .. } => ("household_member", "household_member_changed", *individual),
            HouseholdMemberLeft { individual, .. } => ("household_member", "household_member_left", *individual),
            HouseholdMemberReplaced { to, .. } => ("household_member", "household_member_replaced", *to),
            ListItemSaved { .. } => ("list_item", "list_item_saved", Uuid::nil()),
            CustomFieldDefined { .. } => ("custom_field", "custom_field_defined", Uuid::nil()),
            ProgramCreated { program } => ("program", "program_created", program.id),
            ProgramChanged { program } => ("program", "program_changed", program.id),
            ProgramMembershipMoved(m) => ("program_membership", "program_membership_moved", m.id),
            ProgramMembershipTransferred { id, .. } => ("program_membership", "program_membership_transferred", *id),
            DuplicatesDecided(d) => ("duplicate_group", "duplicates_decided", d.group),
            CycleCreated { id, .. } => ("cycle", "cycle_created", *id),
            CycleMembersAdded { cycle, .. } => ("cycle", "cycle_members_added", *cycle),
            CycleMembersRemoved { cycle, .. } => ("cycle", "cycle_members_removed", *cycle),
            CycleStateSet { id, .. } => ("cycle", "cycle_state_set", *id),
            CyclePrepared { id } => ("cycle", "cycle_prepared", *id),
            CycleEntitlementsMoved { cycle, .. } => ("cycle", "cycle_entitlements_moved", *cycle),
            CycleDeleted { id } => ("cycle", "cycle_deleted", *id),
            EntitlementsDiscarded { cycle } => ("cycle", "entitlements_discarded", *cycle),
            EntitlementsGenerated(g) => ("cycle", "entitlements_generated", g.cycle),
            EntitlementEdited { id, .. } => ("entitlement", "entitlement_edited", *id),
            EntitlementsDecided(d) => ("cycle", "entitlements_decided", d.cycle),
            EntitlementsExpired { cycle, .. } => ("cycle", "entitlements_expired", *cycle),
            FundCreated { id, .. } => ("fund", "fund_created", *id),
            FundStateSet { id, .. } => ("fund", "fund_state_set", *id),
            PaymentsPrepared(b) => ("payment_batch", "payments_prepared", b.id),
            PaymentBatchSent { id } => ("payment_batch", "payment_batch_sent", *id),
            PaymentResults { .. } => ("payment", "payment_results", Uuid::nil()),
            ConflictResolved { op, .. } => ("sync_conflict", "conflict_resolved", *op),
        }
    }
}

/// A result applied to a payment, as reconciliation decided it (the entitlement follows; docs/payments.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentResult(pub Uuid, pub PaymentState, pub Option<String>, pub Option<String>);

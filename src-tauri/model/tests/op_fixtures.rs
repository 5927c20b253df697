//! Freezes the change log's wire format: one record of every op variant, as JSON, in
//! `tests/fixtures/ops.json`. A change to any field name, tag or shape fails here; making it on purpose
//! means a new `OP_FORMAT` and regenerating the file with `BR_UPDATE_FIXTURES=1`.

use std::collections::BTreeMap;

use br_model::disbursement::{
    ApprovalStage, CycleState, DisbursementSettings, EntitlementKind, EntitlementRule, FundState, PaymentState,
    TransferFee,
};
use br_model::op::*;
use br_model::program::{MembershipState, ProgramState};
use br_model::registry::{CustomFieldType, IdDocument, ListName, RegistrantFields, RegistrantKind};
use br_model::roles::Role;
use uuid::Uuid;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n)
}

fn fields() -> RegistrantFields {
    RegistrantFields {
        external_id: Some("SR-1".into()),
        given_name: Some("Amina".into()),
        family_name: Some("Mohamed".into()),
        sex: Some("female".into()),
        birth_date: Some("1960-01-01".into()),
        birth_date_approx: true,
        phone: Some("+251911000000".into()),
        financial_address: Some("msisdn:251911000000@telebirr".into()),
        area: Some("ADD-01".into()),
        tags: vec!["elderly".into()],
        custom: BTreeMap::from([("disability".into(), serde_json::json!(true))]),
        ids: vec![IdDocument { id_type: "national_id".into(), value: "NID110336044".into(), expiry: None }],
        ..Default::default()
    }
}

fn program() -> ProgramRecord {
    ProgramRecord {
        id: id(20),
        code: "OAP".into(),
        name: "Old-age pension".into(),
        description: String::new(),
        target: RegistrantKind::Individual,
        currency: "ETB".into(),
        state: ProgramState::Active,
        archived: false,
        eligibility_rule: "age >= 60".into(),
        pmt_expression: None,
        pmt_threshold: None,
        auto_enrol: true,
        disbursement: DisbursementSettings {
            entitlement: Some(EntitlementRule {
                kind: EntitlementKind::Cash,
                expression: "150000".into(),
                fee: Some(TransferFee::Percent { basis_points: 250 }),
                product: None,
                unit: None,
                validity_days: 30,
            }),
            stages: vec![ApprovalStage { name: "Finance".into(), role: Role::Approver, above_amount: None }],
            recurrence: None,
        },
        created_at: "2026-11-01T08:00:00Z".into(),
    }
}

/// One op of every variant. The match below has no wildcard: a new variant does not compile until it is
/// given a sample here.
fn samples() -> Vec<Op> {
    let ops = vec![
        Op::RegistrantCreated {
            id: id(1),
            kind: RegistrantKind::Individual,
            reference: "ADD-0000001".into(),
            registered_on: "2026-11-01".into(),
            fields: fields(),
        },
        Op::RegistrantUpdated { id: id(1), changed: vec![RegistrantField::Phone], fields: fields() },
        Op::RegistrantDisabled { id: id(1), reason: "moved away".into() },
        Op::RegistrantMerged { id: id(2), into: id(1) },
        Op::IdDocumentMoved { from: id(2), to: id(1), id_type: "voter_card".into() },
        Op::HouseholdMemberJoined {
            group: id(10),
            individual: id(1),
            kind: "head".into(),
            is_head: true,
            start_date: "2026-11-01".into(),
        },
        Op::HouseholdMemberChanged { group: id(10), individual: id(1), kind: "spouse".into(), is_head: false },
        Op::HouseholdMemberLeft { group: id(10), individual: id(1), end_date: "2026-11-20".into() },
        Op::HouseholdMemberReplaced { group: id(10), from: id(2), to: id(1) },
        Op::ListItemSaved {
            list: ListName::Area,
            code: "ADD-01".into(),
            label: "Addis Ketema".into(),
            parent: None,
            active: true,
        },
        Op::CustomFieldDefined {
            field: CustomFieldRecord {
                name: "disability".into(),
                label: "Disability".into(),
                field_type: CustomFieldType::Boolean,
                choices: vec![],
                required: false,
                personal: true,
            },
        },
        Op::ProgramCreated { program: program() },
        Op::ProgramChanged { program: program() },
        Op::ProgramMembershipMoved(MembershipMove {
            id: id(30),
            program: id(20),
            registrant: id(1),
            from: MembershipState::Draft,
            to: MembershipState::Enrolled,
            enrolled_on: Some("2026-11-02".into()),
            exited_on: None,
            reason: None,
            pmt_score: Some(12.5),
        }),
        Op::ProgramMembershipTransferred {
            id: id(31),
            program: id(20),
            from: id(2),
            to: id(1),
            state: MembershipState::Enrolled,
        },
        Op::DuplicatesDecided(DuplicateDecision {
            group: id(40),
            program: None,
            kind: RegistrantKind::Individual,
            score: 0.93,
            reasons: vec!["same_id".into()],
            members: vec![id(1), id(2)],
            outcome: DuplicateOutcome::Merged,
            comment: Some("same person".into()),
        }),
        Op::CycleCreated {
            id: id(50),
            program: id(20),
            sequence: 1,
            name: "December 2026".into(),
            start_date: "2026-12-01".into(),
            end_date: "2026-12-31".into(),
        },
        Op::CycleMembersAdded { cycle: id(50), members: vec![id(1), id(3)] },
        Op::CycleMembersRemoved { cycle: id(50), members: vec![id(3)] },
        Op::CycleStateSet { id: id(50), from: CycleState::Draft, to: CycleState::ToApprove },
        Op::CyclePrepared { id: id(50) },
        Op::CycleEntitlementsMoved {
            cycle: id(50),
            action: CycleSetAction::Submit,
            stages: Some(serde_json::json!([{ "name": "Finance", "role": "approver" }])),
        },
        Op::CycleDeleted { id: id(51) },
        Op::EntitlementsDiscarded { cycle: id(50) },
        Op::EntitlementsGenerated(GeneratedEntitlements {
            cycle: id(50),
            kind: EntitlementKind::Cash,
            currency: "ETB".into(),
            product: None,
            unit: None,
            valid_from: "2026-12-01".into(),
            valid_until: "2027-01-30".into(),
            rows: vec![GeneratedEntitlement(id(60), id(1), 150000, 3750, None, None)],
        }),
        Op::EntitlementEdited { id: id(60), amount: 120000, fee: 3000, quantity: None, reason: "partial month".into() },
        Op::EntitlementsDecided(StageDecision {
            cycle: id(50),
            stage: 0,
            verdict: StageVerdict::Approved,
            role: Role::Approver,
            comment: None,
            entitlements: Some(vec![id(60)]),
            approvals: vec![id(70)],
            count: 1,
            total: 123000,
        }),
        Op::EntitlementsExpired { cycle: id(50), on: "2027-02-01".into() },
        Op::FundCreated {
            id: id(80),
            program: id(20),
            amount: 10_000_000,
            currency: "ETB".into(),
            state: FundState::Draft,
            reference: "TR-2026-12".into(),
        },
        Op::FundStateSet { id: id(80), from: FundState::Draft, to: FundState::Posted },
        Op::PaymentsPrepared(PreparedBatch {
            id: id(90),
            cycle: id(50),
            sequence: 1,
            currency: "ETB".into(),
            rows: vec![PreparedPayment(id(91), id(60), 123000, Some("msisdn:251911000000@telebirr".into()))],
        }),
        Op::PaymentBatchSent { id: id(90) },
        Op::PaymentResults {
            results: vec![
                PaymentResult(id(91), PaymentState::Paid, Some("TB-77".into()), None),
                PaymentResult(id(92), PaymentState::Failed, None, Some("wallet closed".into())),
            ],
        },
        Op::ConflictResolved { op: id(100), note: Some("cycle was approved at headquarters".into()) },
    ];
    for op in &ops {
        match op {
            Op::RegistrantCreated { .. }
            | Op::RegistrantUpdated { .. }
            | Op::RegistrantDisabled { .. }
            | Op::RegistrantMerged { .. }
            | Op::IdDocumentMoved { .. }
            | Op::HouseholdMemberJoined { .. }
            | Op::HouseholdMemberChanged { .. }
            | Op::HouseholdMemberLeft { .. }
            | Op::HouseholdMemberReplaced { .. }
            | Op::ListItemSaved { .. }
            | Op::CustomFieldDefined { .. }
            | Op::ProgramCreated { .. }
            | Op::ProgramChanged { .. }
            | Op::ProgramMembershipMoved(_)
            | Op::ProgramMembershipTransferred { .. }
            | Op::DuplicatesDecided(_)
            | Op::CycleCreated { .. }
            | Op::CycleMembersAdded { .. }
            | Op::CycleMembersRemoved { .. }
            | Op::CycleStateSet { .. }
            | Op::CyclePrepared { .. }
            | Op::CycleEntitlementsMoved { .. }
            | Op::CycleDeleted { .. }
            | Op::EntitlementsDiscarded { .. }
            | Op::EntitlementsGenerated(_)
            | Op::EntitlementEdited { .. }
            | Op::EntitlementsDecided(_)
            | Op::EntitlementsExpired { .. }
            | Op::FundCreated { .. }
            | Op::FundStateSet { .. }
            | Op::PaymentsPrepared(_)
            | Op::PaymentBatchSent { .. }
            | Op::PaymentResults { .. }
            | Op::ConflictResolved { .. } => {}
        }
    }
    ops
}

fn records() -> Vec<OpRecord> {
    samples()
        .into_iter()
        .enumerate()
        .map(|(n, op)| OpRecord {
            op_id: id(1000 + n as u128),
            device_id: id(500),
            seq: n as i64 + 1,
            hlc: 7_000_000_000_000_000 + n as i64,
            at: "2026-11-29T10:00:00Z".into(),
            owner_office: id(600),
            base_version: (n % 2 == 0).then_some(6_999_999_999_999_999),
            schema_version: 6,
            actor: Some("fatou".into()),
            op,
        })
        .collect()
}

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ops.json");

#[test]
fn every_variant_has_one_sample_and_a_distinct_kind() {
    let kinds: std::collections::BTreeSet<&str> = samples().iter().map(Op::kind).collect();
    assert_eq!(kinds.len(), samples().len(), "one sample per variant, each with its own wire name");
    for op in samples() {
        let json = serde_json::to_value(&op).unwrap();
        assert_eq!(json["type"], op.kind(), "the tag on the wire is the kind the outbox indexes");
    }
}

#[test]
fn the_wire_format_is_frozen() {
    let now = serde_json::to_string_pretty(&records()).unwrap() + "\n";
    if std::env::var_os("BR_UPDATE_FIXTURES").is_some() {
        std::fs::write(FIXTURE, &now).unwrap();
    }
    let frozen = std::fs::read_to_string(FIXTURE).expect("tests/fixtures/ops.json (BR_UPDATE_FIXTURES=1 writes it)");
    assert_eq!(now, frozen, "the change log's JSON changed: that is a new OP_FORMAT, not an edit");
    let parsed: Vec<OpRecord> = serde_json::from_str(&frozen).unwrap();
    assert_eq!(parsed, records(), "the frozen records read back as the same values");
}

#[test]
fn unknown_variants_and_fields_are_refused_not_guessed() {
    let unknown = r#"{"type":"registrant_teleported","id":"0190a000-0000-7000-8000-000000000001"}"#;
    assert!(serde_json::from_str::<Op>(unknown).is_err());
    let missing = r#"{"type":"registrant_disabled","id":"0190a000-0000-7000-8000-000000000001"}"#;
    assert!(serde_json::from_str::<Op>(missing).is_err(), "a required field cannot be left out");
}

#[test]
fn docs_list_every_op() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/sync-ops.md")).unwrap();
    for op in samples() {
        assert!(docs.contains(&format!("| `{}` |", op.kind())), "docs/sync-ops.md has no row for {}", op.kind());
    }
}

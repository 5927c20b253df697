//! A cycle run end to end on desks against a server: what the DCI tests then ask about or pay.

use std::sync::atomic::AtomicBool;

use br_core::auth::{Role, Session};
use br_core::disbursement::approval::{self, Decide, DecisionKind};
use br_core::disbursement::cycle::{self, CreateCycle, CycleAction, MembersFrom};
use br_core::disbursement::entitlement;
use br_core::disbursement::funds::{self, AddFund};
use br_core::disbursement::model::*;
use br_core::disbursement::payment::{self, PreparePayments};
use br_core::disbursement::settings;
use br_core::program::membership;
use br_core::program::model::ProgramState;
use br_core::program::service::{self as programs, ProgramKey};
use uuid::Uuid;

use super::{Central, Desk, Server};

pub struct Story {
    pub hq: Desk,
    pub north: Desk,
    pub cycle: Uuid,
    /// The one payment batch prepared.
    pub batch: Uuid,
    pub finance: Session,
}

/// North registers `people` people with national IDs and accounts; headquarters runs a cycle for them with
/// one approval stage and prepares one payment batch; with `reconcile`, a result file pays all but the
/// first and fails the first.
pub fn prepared_cycle(central: &Central, server: &Server, people: usize, reconcile: bool) -> Story {
    let hq = Desk::new("HQ");
    let north = Desk::new("NTH");
    hq.enrol(&server.url, &central.code("HQ")).unwrap();
    north.enrol(&server.url, &central.code("NTH")).unwrap();
    let mut csv =
        String::from("external_id,given_name,family_name,sex,birth_date,area,financial_address,id:national_id\n");
    for i in 0..people {
        csv.push_str(&format!(
            "N{i},Aminata{i},Traore,female,1950-02-0{},D01,msisdn:22177{i:07}@orange,NID{i:04}\n",
            1 + i % 9
        ));
    }
    north.import(&csv);
    north.sync();
    let key = ProgramKey::Code("OAP".into());
    programs::create(hq.registry.store(), &hq.admin, super::pension_fields()).unwrap();
    programs::set_state(hq.registry.store(), &hq.admin, &key, ProgramState::Active).unwrap();
    let one_stage = DisbursementSettings {
        entitlement: Some(EntitlementRule {
            kind: EntitlementKind::Cash,
            expression: "10000".into(),
            fee: None,
            product: None,
            unit: None,
            validity_days: 30,
        }),
        stages: vec![ApprovalStage { name: "National".into(), role: Role::Admin, above_amount: None }],
        recurrence: None,
    };
    settings::set(hq.registry.store(), &hq.admin, &key, one_stage).unwrap();
    hq.sync();
    north.sync();
    let never = AtomicBool::new(false);
    membership::enrol_eligible(north.registry.store(), &north.admin, &key, &|_| {}, &never).unwrap();
    north.sync();
    hq.sync();
    let hs = hq.registry.store();
    let finance = hq.user("finance", Role::Finance);
    let add = AddFund {
        program: key.clone(),
        amount: 1_000_000_000,
        currency: "XOF".into(),
        reference: "F1".into(),
        post: true,
    };
    funds::add(hs, &finance, &add).unwrap();
    let create = CreateCycle { program: key.clone(), name: None, members_from: MembersFrom::Program };
    let manager = hq.user("manager", Role::ProgramManager);
    let cycle = cycle::create_next(hs, &manager, &create).unwrap().cycle.id;
    entitlement::generate(hs, &manager, cycle, &|_| {}, &never).unwrap();
    approval::act(hs, &manager, cycle, CycleAction::Submit, None).unwrap();
    let decide = Decide { cycle, stage: 1, decision: DecisionKind::Approve, entitlements: None, comment: None };
    approval::decide(hs, &hq.admin, &decide).unwrap();
    let prepared = payment::prepare(hs, &finance, &PreparePayments { cycle, batch_size: None }, &|_| {}).unwrap();
    let batch = prepared.batches[0].id;
    if reconcile {
        payment::mark_sent(hs, &finance, batch).unwrap();
        let payments: Vec<uuid::Uuid> = hq.column("SELECT id FROM payments ORDER BY rowid");
        let report: String = payments
            .iter()
            .enumerate()
            .map(|(n, p)| if n == 0 { format!("{p},failed,,wallet closed\n") } else { format!("{p},paid,TX-{n},\n") })
            .collect();
        let report = hq.file("report.csv", &format!("payment_id,status,external_ref,reason\n{report}"));
        payment::reconcile(hs, &finance, &report, &|_| {}, &never).unwrap();
    }
    hq.sync();
    Story { hq, north, cycle, batch, finance }
}

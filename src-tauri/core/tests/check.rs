//! `br check` on a real registry with a paid cycle: it passes on what the registry writes, and each kind of
//! contradiction written behind the registry's back is found and named.

mod common;

use std::sync::atomic::AtomicBool;

use br_core::auth::Role;
use br_core::check;
use br_core::disbursement::approval::{self, Decide, DecisionKind};
use br_core::disbursement::cycle::{self, CreateCycle, CycleAction, MembersFrom};
use br_core::disbursement::entitlement;
use br_core::disbursement::funds::{self, AddFund};
use br_core::disbursement::model::*;
use br_core::disbursement::payment::{self, PreparePayments};
use br_core::disbursement::settings;
use br_core::io::import::ImportOptions;
use br_core::program::service::ProgramKey;
use br_core::ErrorCode;
use common::Fixture;

const PEOPLE: &str = "external_id,given_name,family_name,sex,birth_date,financial_address,household_ref,relationship
A1,Amina,Diallo,female,1980-01-02,msisdn:221770000001@wave,H1,head
A2,Moussa,Diallo,male,1978-05-06,msisdn:221770000002@wave,H1,spouse
C1,Ousmane,Ba,male,1990-01-01,msisdn:221770000009@orange,,
";

/// A registry whose one cycle is approved and prepared for payment, by the registry's own writers.
fn prepared_cycle() -> Fixture {
    let fx = Fixture::new();
    let store = fx.registry.store();
    fx.import(&fx.admin, &fx.file("people.csv", PEOPLE.as_bytes()), &ImportOptions::default()).unwrap();
    common::active_cash_program(&fx, "CASH", "Cash");
    let key = ProgramKey::Code("CASH".into());
    let manager = fx.user("manager", Role::ProgramManager);
    let approver = fx.user("approver", Role::Approver);
    let rule = EntitlementRule {
        kind: EntitlementKind::Cash,
        expression: "10000".into(),
        fee: None,
        product: None,
        unit: None,
        validity_days: 0,
    };
    let stages = vec![ApprovalStage { name: "District".into(), role: Role::Approver, above_amount: None }];
    settings::set(store, &manager, &key, DisbursementSettings { entitlement: Some(rule), stages, recurrence: None })
        .unwrap();
    let c = cycle::create_next(
        store,
        &manager,
        &CreateCycle { program: key.clone(), name: None, members_from: MembersFrom::Program },
    )
    .unwrap();
    entitlement::generate(store, &manager, c.cycle.id, &|_| {}, &AtomicBool::new(false)).unwrap();
    approval::act(store, &manager, c.cycle.id, CycleAction::Submit, None).unwrap();
    let fund =
        AddFund { program: key, amount: 1_000_000, currency: "XOF".into(), reference: String::new(), post: true };
    funds::add(store, &fx.admin, &fund).unwrap();
    let decide =
        Decide { cycle: c.cycle.id, stage: 1, decision: DecisionKind::Approve, entitlements: None, comment: None };
    approval::decide(store, &approver, &decide).unwrap();
    let p =
        payment::prepare(store, &fx.admin, &PreparePayments { cycle: c.cycle.id, batch_size: None }, &|_| {}).unwrap();
    assert_eq!(p.payments, 3);
    fx
}

fn broken(fx: &Fixture) -> Vec<String> {
    let report = check::run(fx.registry.store(), &fx.admin).unwrap();
    report.checks.into_iter().filter(|c| c.problems > 0).map(|c| c.name).collect()
}

/// Writes behind the registry's back, as a bug or a hand with the key would.
fn tamper(fx: &Fixture, sql: &str) {
    fx.registry.store().write(|tx| Ok(tx.conn().execute_batch(sql)?)).unwrap();
}

#[test]
fn check_passes_on_what_the_registry_writes_and_names_each_contradiction() {
    let fx = prepared_cycle();
    let report = check::run(fx.registry.store(), &fx.admin).unwrap();
    assert!(report.ok, "{:?}", report.checks);
    assert!(report.checks.len() >= 20);

    let auditor = fx.user("auditor", Role::Auditor);
    assert!(check::run(fx.registry.store(), &auditor).unwrap().ok, "an auditor may check");
    let registrar = fx.user("registrar", Role::Registrar);
    assert_eq!(check::run(fx.registry.store(), &registrar).unwrap_err().code(), ErrorCode::PermissionDenied);

    // A payment lost from its batch: the batch's totals and its entitlement's state no longer agree.
    tamper(&fx, "DELETE FROM payments WHERE rowid = (SELECT max(rowid) FROM payments)");
    assert_eq!(broken(&fx), ["entitlements.state_matches_payments", "payment_batches.totals_equal_payments"]);
    tamper(&fx, "UPDATE entitlements SET state = 'approved' WHERE NOT EXISTS (SELECT 1 FROM payments p WHERE p.entitlement = entitlements.rowid);
                 UPDATE payment_batches SET count = count - 1, total = total - 10000, last_payment = last_payment - 1");
    assert!(broken(&fx).is_empty(), "{:?}", broken(&fx));

    // A payment made twice for one entitlement, and one for another amount.
    tamper(
        &fx,
        "INSERT INTO payments (id, batch, entitlement, account, amount, currency, created_at, updated_at)
                 SELECT randomblob(16), batch, entitlement, account, amount + 1, currency, created_at, updated_at
                 FROM payments WHERE rowid = 1",
    );
    let b = broken(&fx);
    for name in
        ["payments.match_entitlement", "payments.one_live_per_entitlement", "payment_batches.totals_equal_payments"]
    {
        assert!(b.iter().any(|n| n == name), "{name} not in {b:?}");
    }
    tamper(&fx, "DELETE FROM payments WHERE rowid = (SELECT max(rowid) FROM payments)");

    // An op from another desk, and an untyped op after typed ones.
    tamper(&fx, "UPDATE outbox SET device_id = randomblob(16) WHERE seq = 3");
    assert_eq!(broken(&fx), ["change_log.this_desk"]);
    tamper(&fx, "UPDATE outbox SET device_id = (SELECT device_id FROM office) WHERE seq = 3");
    tamper(&fx, "UPDATE outbox SET format = 0 WHERE seq = 3");
    assert_eq!(broken(&fx), ["change_log.untyped_only_before_typed"]);
    tamper(&fx, "UPDATE outbox SET format = 1 WHERE seq = 3");

    // A cut in the change log, a counter behind the references it gave, a merge into nothing.
    tamper(&fx, "DELETE FROM outbox WHERE seq = 2");
    assert_eq!(broken(&fx), ["change_log.gapless"]);
    tamper(&fx, "UPDATE office SET next_reference = 2");
    assert_eq!(broken(&fx), ["registrants.reference_counter_ahead", "change_log.gapless"]);
    tamper(&fx, "UPDATE registrants SET merged_into = rowid WHERE rowid = 1");
    assert!(broken(&fx).contains(&"registrants.merged_into_survivor".to_string()));

    // Kept counts that no longer match the rows: a write that went around the triggers.
    tamper(&fx, "UPDATE registrant_counts SET n = n + 1 WHERE kind = 'individual' AND sex = 'male'");
    assert!(broken(&fx).contains(&"registrants.counts_exact".to_string()));
    tamper(&fx, "UPDATE registrant_counts SET n = n - 1 WHERE kind = 'individual' AND sex = 'male'");
    tamper(&fx, "UPDATE birth_date_counts SET n = 0 WHERE birth_date = '1990-01-01'");
    assert!(broken(&fx).contains(&"registrants.counts_exact".to_string()));
    tamper(&fx, "UPDATE birth_date_counts SET n = 1 WHERE birth_date = '1990-01-01'");
    assert!(!broken(&fx).contains(&"registrants.counts_exact".to_string()));

    // A narrow copy for rule previews that no longer says what the row says.
    tamper(&fx, "UPDATE registrant_facts SET sex = 'other' WHERE rowid = (SELECT max(rowid) FROM registrant_facts)");
    assert!(broken(&fx).contains(&"registrants.facts_match".to_string()));
    tamper(
        &fx,
        "UPDATE registrant_facts SET sex = (SELECT sex FROM registrants r WHERE r.rowid = registrant_facts.rowid)",
    );
    assert!(!broken(&fx).contains(&"registrants.facts_match".to_string()));

    // An entitlement for someone outside its cycle, in another currency.
    tamper(
        &fx,
        "DELETE FROM cycle_members WHERE registrant = (SELECT registrant FROM entitlements LIMIT 1);
                 UPDATE entitlements SET currency = 'USD' WHERE rowid = 1",
    );
    let b = broken(&fx);
    for name in ["entitlements.for_cycle_members", "entitlements.currency_of_program", "payments.match_entitlement"] {
        assert!(b.iter().any(|n| n == name), "{name} not in {b:?}");
    }
}

//! What an entitlement rule would give, before it is saved: totals, extremes, examples and failures over
//! the program's enrolled members, with nothing written.

mod common;

use std::sync::atomic::AtomicBool;

use br_core::auth::Role;
use br_core::disbursement::amount_preview::{self, AmountPreviewRequest};
use br_core::disbursement::model::{EntitlementKind, EntitlementRule, TransferFee};
use br_core::io::import::ImportOptions;
use br_core::program::service::ProgramKey;
use br_core::ErrorCode;
use common::Fixture;

const PEOPLE: &str = "external_id,given_name,family_name,sex,birth_date
A1,Amina,Diallo,female,1980-01-02
A2,Moussa,Diallo,male,1978-05-06
A3,Awa,Diallo,female,2015-03-04
";

fn rule(expression: &str) -> AmountPreviewRequest {
    AmountPreviewRequest {
        program: ProgramKey::Code("CASH".into()),
        rule: EntitlementRule {
            kind: EntitlementKind::Cash,
            expression: expression.into(),
            fee: Some(TransferFee::Percent { basis_points: 250 }),
            product: None,
            unit: None,
            validity_days: 0,
        },
    }
}

#[test]
fn a_rule_being_typed_shows_its_total_extremes_examples_and_failures_and_writes_nothing() {
    let fx = Fixture::new();
    let file = fx.file("people.csv", PEOPLE.as_bytes());
    fx.import(&fx.admin, &file, &ImportOptions::default()).unwrap();
    assert_eq!(common::active_cash_program(&fx, "CASH", "Cash transfer"), 3);
    let manager = fx.user("manager", Role::ProgramManager);
    let auditor = fx.user("auditor", Role::Auditor);
    let store = fx.registry.store();
    let never = AtomicBool::new(false);
    let before = fx.fingerprint();

    let p = amount_preview::preview(store, &manager, &rule("me.sex == \"female\" ? 20000 : 10000"), &never).unwrap();
    assert_eq!((p.people, p.total, p.total_fee, p.failed), (3, 50_000, 1_250, 0));
    assert_eq!((p.smallest, p.largest, p.currency.as_str()), (Some(10_000), Some(20_000), "XOF"));
    let examples: Vec<(i64, i64)> = p.examples.iter().map(|e| (e.value, e.fee)).collect();
    assert_eq!(examples, [(20_000, 500), (10_000, 250)], "one example per different amount");

    let p = amount_preview::preview(store, &manager, &rule("me.sex == \"male\" ? 1000 / 0 : 10000"), &never).unwrap();
    assert_eq!((p.people, p.failed, p.failures.len()), (2, 1, 1));
    assert!(p.failures[0].1.contains("division"), "{:?}", p.failures);

    let refused = amount_preview::preview(store, &manager, &rule("me.sex = 1"), &never).unwrap_err();
    assert_eq!(refused.code(), ErrorCode::RuleInvalid);
    let denied = amount_preview::preview(store, &auditor, &rule("1000"), &never).unwrap_err();
    assert_eq!(denied.code(), ErrorCode::PermissionDenied);
    assert_eq!(fx.fingerprint(), before);
}

//! The role × operation matrix: every operation of the API called as every role, without a session and
//! with an ended one, against the table in docs/permissions.md. Each refusal and each reveal is audited.
//!
//! The operations come from the dispatcher's own list, so a new operation without a row in the docs (or a
//! payload here) fails this test. `BR_PRINT_MATRIX=1` prints what the code does, to compare by eye.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;

mod common;

use common::*;

const NO_PERMISSION: &str = "a session";

/// docs/permissions.md: which permission each operation needs, and which roles hold each permission.
struct Documented {
    /// Every permission listed (`A + B` needs both); `a session` for none.
    needs: BTreeMap<String, Vec<String>>,
    holders: BTreeMap<String, Vec<String>>,
}

fn documented() -> Documented {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/permissions.md")).unwrap();
    let cells = |line: &str| -> Vec<String> {
        line.trim().trim_matches('|').split('|').map(|c| c.trim().trim_matches('`').to_string()).collect()
    };
    let mut needs = BTreeMap::new();
    let mut holders = BTreeMap::new();
    let mut header: Vec<String> = Vec::new();
    for line in text.lines().filter(|l| l.starts_with('|') && !l.starts_with("|---")) {
        let c = cells(line);
        if c[0] == "operation" || c[0] == "permission" {
            header = c;
            continue;
        }
        if header.first().map(String::as_str) == Some("operation") {
            needs.insert(c[0].clone(), c[1].split('+').map(|p| p.trim().trim_matches('`').to_string()).collect());
        } else if header.first().map(String::as_str) == Some("permission") {
            let roles = header[1..].iter().zip(&c[1..]).filter(|(_, v)| v.as_str() == "yes").map(|(r, _)| r.clone());
            holders.insert(c[0].clone(), roles.collect());
        }
    }
    Documented { needs, holders }
}

fn denied_count(o: &Office, role: &str) -> usize {
    let username = if role == "admin" { "admin".to_string() } else { format!("user_{role}") };
    let page = must(&o.app, &o.admin, "audit.list", json!({"username": username, "outcome": "denied", "limit": 500}));
    page["entries"].as_array().unwrap().len()
}

#[test]
fn every_operation_as_every_role_is_allowed_or_refused_as_documented_and_refusals_are_audited() {
    let docs = documented();
    let o = office();
    let listed: Vec<&str> = o.payloads.iter().map(|(n, _)| *n).collect();
    let mut names = br_api::operation_names();
    names.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(sorted, names, "this test has one request for every operation");
    let undocumented: Vec<&&str> = names.iter().filter(|n| !docs.needs.contains_key(**n)).collect();
    assert!(undocumented.is_empty(), "operations missing from docs/permissions.md: {undocumented:?}");

    let mut observed = Vec::new();
    let mut wrong = Vec::new();
    // Roles that may do least go first, so that what an allowed role changes does not stand in the way of
    // a refusal: a refusal comes before any lookup.
    for role in ["auditor", "approver", "finance", "registrar", "program_manager", "admin"] {
        let token = &o.tokens[role];
        let before = denied_count(&o, role);
        let mut denials = 0;
        for (op, payload) in &o.payloads {
            let result = call(&o.app, token, op, payload.clone());
            // Refused for want of a permission of the table; a refusal by a rule beyond it (a stage that
            // names another role, separation of duties) is audited too but is not the table's business.
            let refused = matches!(&result, Err(e) if e.code == br_api::ErrorCode::PermissionDenied
                && e.details.as_ref().and_then(|d| d["permission"].as_str()).is_some_and(|p| docs.holders.contains_key(p)));
            if let Err(e) = &result {
                assert!(
                    e.code != br_api::ErrorCode::SessionInvalid && e.code != br_api::ErrorCode::Internal,
                    "{op} as {role}: {e:?}"
                );
                denials += usize::from(matches!(
                    e.code,
                    br_api::ErrorCode::PermissionDenied | br_api::ErrorCode::SelfApproval
                ));
            }
            let needs = &docs.needs[*op];
            let allowed = needs
                .iter()
                .all(|p| p == NO_PERMISSION || docs.holders.get(p).is_some_and(|r| r.iter().any(|h| h == role)));
            observed.push(format!("{op:28} {role:16} {}", if refused { "refused" } else { "allowed" }));
            if allowed == refused {
                wrong.push(format!(
                    "{op} as {role}: documented {}, got {result:?}",
                    if allowed { "allowed" } else { "refused" }
                ));
            }
        }
        assert_eq!(denied_count(&o, role) - before, denials, "each refusal of {role} is one audit entry");
    }
    if std::env::var_os("BR_PRINT_MATRIX").is_some() {
        println!("{}", observed.join("\n"));
    }
    assert!(wrong.is_empty(), "{} differences from docs/permissions.md:\n{}", wrong.len(), wrong.join("\n"));
}

#[test]
fn without_a_session_or_with_an_ended_one_every_operation_is_refused() {
    let o = office();
    let auditor = o.tokens["auditor"].clone();
    must(&o.app, &o.admin, "users.update", json!({"username": "user_auditor", "change": {"disabled": true}}));
    let finance = o.tokens["finance"].clone();
    request(&o.app, json!({"action": "logout", "token": finance})).unwrap();
    for (op, payload) in &o.payloads {
        for token in ["", "not-a-token", auditor.as_str(), finance.as_str()] {
            let e = call(&o.app, token, op, payload.clone()).unwrap_err();
            assert_eq!(e.code, br_api::ErrorCode::SessionInvalid, "{op} with token {token:?}");
        }
    }
}

#[test]
fn each_reveal_is_audited_and_a_refused_reveal_too() {
    let o = office();
    let reveals = |who: &str, outcome: &str| -> usize {
        let page = must(
            &o.app,
            &o.admin,
            "audit.list",
            json!({"action": "registrant.reveal", "username": who, "outcome": outcome}),
        );
        page["entries"].as_array().unwrap().len()
    };
    let person = json!({"reference": must(&o.app, &o.admin, "registrants.search", json!({"query": "Amina"}))["items"][0]["reference"]});
    for (role, may) in [("registrar", true), ("program_manager", true), ("auditor", false), ("finance", false)] {
        let user = format!("user_{role}");
        for op in ["registrants.get", "registrants.payments"] {
            let (ok, refused) = (reveals(&user, "ok"), reveals(&user, "denied"));
            let result = call(&o.app, &o.tokens[role], op, json!({"key": person, "reveal": true}));
            assert_eq!(result.is_ok(), may, "{op} revealing as {role}: {result:?}");
            if may {
                assert_eq!(reveals(&user, "ok"), ok + 1, "{op} as {role}: the reveal is audited");
            } else {
                assert_eq!(result.unwrap_err().code, br_api::ErrorCode::PermissionDenied);
                assert_eq!(reveals(&user, "denied"), refused + 1, "{op} as {role}: the refusal is audited");
            }
        }
    }
}

//! The role × operation matrix: every operation of the API called as every role, without a session and
//! with an ended one, against the table in docs/permissions.md. Each refusal and each reveal is audited.
//!
//! The operations come from the dispatcher's own list, so a new operation without a row in the docs (or a
//! payload here) fails this test. `BR_PRINT_MATRIX=1` prints what the code does, to compare by eye.

use std::collections::BTreeMap;
use std::path::Path;

use br_api::app::{App, AppRequest};
use serde_json::{json, Value};

const ROLES: [&str; 6] = ["admin", "registrar", "program_manager", "approver", "finance", "auditor"];
const NO_PERMISSION: &str = "a session";

fn request(app: &App, r: Value) -> Result<Value, br_api::ApiError> {
    app.handle(serde_json::from_value::<AppRequest>(r).unwrap())
}

fn call(app: &App, token: &str, command: &str, payload: Value) -> Result<Value, br_api::ApiError> {
    app.call(token, command, payload)
}

fn must(app: &App, token: &str, command: &str, payload: Value) -> Value {
    call(app, token, command, payload).unwrap_or_else(|e| panic!("{command}: {e:?}"))
}

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

struct Office {
    _tmp: tempfile::TempDir,
    app: App,
    admin: String,
    tokens: BTreeMap<&'static str, String>,
    payloads: Vec<(&'static str, Value)>,
}

/// A registry with people, an active program, a cycle with draft entitlements and a draft fund; one user
/// per role; and a request for every operation that would succeed for a role allowed to make it.
fn office() -> Office {
    let tmp = tempfile::tempdir().unwrap();
    let app = App::start(&tmp.path().join("reg"), false, None, Box::new(|_| {}));
    let created = request(
        &app,
        json!({"action": "create", "office_code": "TST", "office_name": "Test office", "admin_username": "admin",
               "admin_display_name": "Admin", "admin_password": "admin-password-1",
               "recovery_passphrase": "correct horse battery staple"}),
    )
    .unwrap();
    let admin = created["token"].as_str().unwrap().to_string();
    let people = tmp.path().join("people.csv");
    std::fs::write(
        &people,
        "external_id,given_name,family_name,sex,birth_date,financial_address,household_ref,relationship\n\
         A1,Amina,Diallo,female,1950-01-02,msisdn:221770000001@wave,H1,head\n\
         A2,Moussa,Diallo,male,1948-05-06,,H1,spouse\n\
         C1,Ousmane,Ba,male,1990-01-01,msisdn:221770000009@orange,,\n",
    )
    .unwrap();
    let file = |name: &str| tmp.path().join(name).display().to_string();
    must(&app, &admin, "import.run", json!({"options": {}, "path": people.display().to_string()}));
    let program = json!({"code": "CASH"});
    let fields = json!({"code": "CASH", "name": "Cash", "description": "", "target": "individual", "currency": "XOF",
                        "eligibility_rule": "", "auto_enrol": false});
    must(&app, &admin, "programs.create", json!({"fields": fields}));
    must(&app, &admin, "programs.set_state", json!({"program": program, "state": "active"}));
    must(&app, &admin, "programs.enrol", json!({"program": program}));
    let settings = json!({"entitlement": {"kind": "cash", "expression": "10000", "validity_days": 0}, "stages": []});
    must(&app, &admin, "programs.set_disbursement", json!({"program": program, "settings": settings}));
    let cycle = must(&app, &admin, "cycles.create", json!({"program": program, "members_from": "program"}))["cycle"]
        ["id"]
        .clone();
    must(&app, &admin, "cycles.generate", json!({"cycle": cycle}));
    let entitlement =
        must(&app, &admin, "cycles.entitlements", json!({"cycle": cycle}))["entitlements"][0]["id"].clone();
    let reference =
        must(&app, &admin, "registrants.search", json!({"query": "Amina"}))["items"][0]["reference"].clone();
    let other = must(&app, &admin, "registrants.search", json!({"query": "Ousmane"}))["items"][0]["reference"].clone();
    let household =
        must(&app, &admin, "registrants.search", json!({"filters": {"kind": "group"}}))["items"][0]["reference"].clone();
    let fund = json!({"program": program, "amount": 500, "currency": "XOF", "reference": "", "post": false});
    let fund_id = must(&app, &admin, "funds.add", fund.clone())["funds"][0]["id"].clone();
    let unknown = json!("0190f0f0-0000-7000-8000-000000000000");
    let person = json!({"reference": reference});
    let mut tokens = BTreeMap::new();
    for role in ROLES {
        if role == "admin" {
            tokens.insert(role, admin.clone());
            continue;
        }
        let user = format!("user_{role}");
        must(
            &app,
            &admin,
            "users.add",
            json!({"username": user, "display_name": role, "role": role, "password": "user-password-1"}),
        );
        let login = request(&app, json!({"action": "login", "username": user, "password": "user-password-1"})).unwrap();
        tokens.insert(role, login["token"].as_str().unwrap().to_string());
    }
    must(
        &app,
        &admin,
        "users.add",
        json!({"username": "target", "display_name": "Target", "role": "auditor", "password": "user-password-1"}),
    );
    let payloads: Vec<(&'static str, Value)> = vec![
        ("session.info", json!({})),
        ("registry.info", json!({})),
        ("registrants.search", json!({"query": "Amina"})),
        ("registrants.get", json!({"key": person, "reveal": false})),
        (
            "registrants.create",
            json!({"kind": "individual", "fields": {"given_name": "New", "family_name": "Person"}, "household": null}),
        ),
        (
            "registrants.update",
            json!({"key": person, "fields": {"given_name": "Amina", "family_name": "Diallo", "sex": "female", "birth_date": "1950-01-02"}, "expected_version": null}),
        ),
        ("memberships.add", json!({"group": {"reference": household}, "member": person, "kind": "spouse"})),
        ("lists.get", json!({"list": "area"})),
        ("lists.upsert", json!({"list": "tag", "item": {"code": "x", "label": "X", "parent": null, "active": true}})),
        ("custom_fields.list", json!({})),
        (
            "custom_fields.define",
            json!({"field": {"name": "note", "label": "Note", "field_type": "text", "choices": [], "required": false, "personal": false}}),
        ),
        ("users.list", json!({})),
        (
            "users.add",
            json!({"username": "another", "display_name": "Another", "role": "auditor", "password": "user-password-1"}),
        ),
        ("users.update", json!({"username": "target", "change": {"display_name": "Target T"}})),
        ("import.run", json!({"options": {}, "path": people.display().to_string()})),
        ("export.run", json!({"options": {}, "path": file("export.csv"), "overwrite": true})),
        ("audit.verify", json!({})),
        ("audit.head", json!({})),
        (
            "audit.verify_anchor",
            json!({"anchor": {"format": "br-audit-head-v1", "registry_id": "x", "seq": 0, "mac": "", "at": "", "public_key": "", "signature": ""}}),
        ),
        ("registry.check", json!({})),
        ("backup.create", json!({"destination": file("backup")})),
        ("audit.list", json!({})),
        ("dashboard.stats", json!({})),
        ("import.preview", json!({"mapping": null, "rows": 5, "path": people.display().to_string()})),
        ("import.mappings", json!({})),
        ("import.mapping_save", json!({"name": "m", "mapping": {"columns": {}, "values": {}, "date_format": null}})),
        ("programs.list", json!({"include_archived": true})),
        ("programs.get", json!({"program": program})),
        (
            "programs.create",
            json!({"fields": {"code": "OTHER", "name": "Other", "description": "", "target": "individual", "currency": "XOF", "eligibility_rule": "", "auto_enrol": false}}),
        ),
        ("programs.update", json!({"program": program, "fields": fields})),
        ("programs.set_state", json!({"program": {"code": "OTHER"}, "archived": false})),
        ("programs.check_rule", json!({"rule": "me.age >= 60", "kind": "eligibility", "target": "individual"})),
        ("programs.preview", json!({"program": program})),
        ("programs.enrol", json!({"program": program})),
        ("programs.verify", json!({"program": program})),
        (
            "programs.change_members",
            json!({"program": program, "registrants": [person], "action": "pause", "reason": "travel"}),
        ),
        ("programs.members", json!({"program": program})),
        ("registrants.programs", json!({"key": person})),
        ("dedup.run", json!({"exact": true, "fuzzy": false, "households": false})),
        ("dedup.queue", json!({})),
        ("dedup.decide", json!({"group": unknown, "decision": "not_duplicates"})),
        ("dedup.merge", json!({"group": unknown, "keep": person})),
        ("dedup.quality", json!({"path": people.display().to_string()})),
        ("programs.set_disbursement", json!({"program": program, "settings": settings})),
        ("cycles.list", json!({"program": program})),
        ("cycles.create", json!({"program": program, "members_from": "program"})),
        ("cycles.get", json!({"cycle": cycle})),
        ("cycles.recheck", json!({"cycle": cycle})),
        ("cycles.generate", json!({"cycle": cycle})),
        ("cycles.entitlements", json!({"cycle": cycle})),
        ("entitlements.edit", json!({"entitlement": entitlement, "value": 12000, "reason": "top-up"})),
        ("registrants.entitlements", json!({"key": person})),
        ("registrants.payments", json!({"key": person, "reveal": false})),
        ("funds.balance", json!({"program": program})),
        ("funds.add", json!(fund)),
        ("funds.set_state", json!({"fund": fund_id, "state": "cancelled"})),
        ("cycles.act", json!({"cycle": cycle, "action": "submit"})),
        ("cycles.decide", json!({"cycle": cycle, "stage": 1, "decision": "approve"})),
        ("payments.prepare", json!({"cycle": cycle})),
        ("payments.export", json!({"batch": unknown, "path": file("payments.csv"), "overwrite": true})),
        ("payments.mark_sent", json!({"batch": unknown})),
        ("payments.reconcile", json!({"path": people.display().to_string()})),
        (
            "entitlements.export",
            json!({"cycle": cycle, "include_personal": false, "path": file("approved.csv"), "overwrite": true}),
        ),
        ("registrants.disable", json!({"key": {"reference": other}, "reason": "moved away"})),
        ("cycles.delete", json!({"cycle": unknown})),
    ];
    Office { _tmp: tmp, app, admin, tokens, payloads }
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

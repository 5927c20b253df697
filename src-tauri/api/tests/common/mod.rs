//! A registry behind the API with one user per role, and a request for every operation that succeeds for
//! a role allowed to make it: shared by the permission matrix and the payload fuzzing.
#![allow(dead_code)]

use std::collections::BTreeMap;

use br_api::app::{App, AppRequest};
use serde_json::{json, Value};

pub const ROLES: [&str; 6] = ["admin", "registrar", "program_manager", "approver", "finance", "auditor"];

pub fn request(app: &App, r: Value) -> Result<Value, br_api::ApiError> {
    app.handle(serde_json::from_value::<AppRequest>(r).unwrap())
}

pub fn call(app: &App, token: &str, command: &str, payload: Value) -> Result<Value, br_api::ApiError> {
    app.call(token, command, payload)
}

pub fn must(app: &App, token: &str, command: &str, payload: Value) -> Value {
    call(app, token, command, payload).unwrap_or_else(|e| panic!("{command}: {e:?}"))
}

pub struct Office {
    pub tmp: tempfile::TempDir,
    pub app: App,
    pub admin: String,
    pub tokens: BTreeMap<&'static str, String>,
    pub payloads: Vec<(&'static str, Value)>,
}

/// A registry with people, an active program, a cycle with draft entitlements and a draft fund; one user
/// per role; and a request for every operation that would succeed for a role allowed to make it.
pub fn office() -> Office {
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
    let household = must(&app, &admin, "registrants.search", json!({"filters": {"kind": "group"}}))["items"][0]
        ["reference"]
        .clone();
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
        (
            "households.register",
            json!({"fields": {"group_name": "New household"}, "members": [{"fields": {"given_name": "New", "family_name": "Head"}, "kind": "head"}]}),
        ),
        (
            "memberships.set_head",
            json!({"group": {"reference": household}, "member": person, "former_head_kind": "spouse"}),
        ),
        ("memberships.move", json!({"member": person, "to": {"reference": household}, "kind": "spouse"})),
        ("memberships.end", json!({"group": {"reference": household}, "member": person})),
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
        (
            "outbox.export",
            json!({"path": file("change-log.jsonl"), "overwrite": true, "passphrase": "a long passphrase"}),
        ),
        ("outbox.replay", json!({"path": people.display().to_string(), "passphrase": "a long passphrase"})),
        // Nothing listens on the discard port: an allowed enrolment fails as server_unreachable.
        (
            "sync.enrol",
            json!({"url": "http://127.0.0.1:9", "code": "ABCD-EFGH-JKLM", "ca_pem": null, "desk_name": null}),
        ),
        ("sync.run", json!({})),
        ("sync.status", json!({})),
        ("sync.conflicts", json!({})),
        ("sync.resolve", json!({"id": "00000000-0000-0000-0000-000000000000", "note": null})),
        ("sync.rejections", json!({})),
        ("audit.list", json!({})),
        ("dashboard.stats", json!({})),
        ("work.queue", json!({})),
        (
            "cycles.amount_preview",
            json!({"program": {"code": "CASH"}, "rule": {"kind": "cash", "expression": "1000", "validity_days": 0}}),
        ),
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
        ("programs.check_rule", json!({"rule": "me.age >= 60", "kind": "condition", "target": "individual"})),
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
        ("dedup.merge_preview", json!({"group": unknown, "keep": person})),
        ("dedup.quality", json!({"path": people.display().to_string()})),
        ("dedup.thresholds", json!({})),
        ("dedup.set_thresholds", json!({"review": 0.9, "very_likely": 0.99})),
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
        ("payments.engine_send", json!({"batch": unknown})),
        ("payments.engine_status", json!({"batch": unknown})),
        ("payments.reconcile", json!({"path": people.display().to_string()})),
        (
            "entitlements.export",
            json!({"cycle": cycle, "include_personal": false, "path": file("approved.csv"), "overwrite": true}),
        ),
        ("registrants.disable", json!({"key": {"reference": other}, "reason": "moved away"})),
        ("cycles.delete", json!({"cycle": unknown})),
    ];
    Office { tmp, app, admin, tokens, payloads }
}

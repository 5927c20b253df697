//! Every operation called through the API and its answer checked, in the order of the shared requests
//! (`common::office`): what it returned, and what it changed where that is the point (a membership
//! added, a fund cancelled). Where the shared request can only be refused (an unknown id, no central
//! server), the check asserts the documented error code, and a second call makes it succeed where this
//! registry allows it.
//!
//! The operations come from the dispatcher's own list: a new operation without a check here fails.

use serde_json::{json, Value};

mod common;

use br_api::{ApiError, ErrorCode};
use common::*;

/// What earlier checks learnt that later ones need.
#[derive(Default)]
struct Seen {
    person: String,
    household: String,
    second_cycle: Option<Value>,
    batch: Option<Value>,
    payments: u64,
}

fn refused(r: Result<Value, ApiError>, code: ErrorCode) {
    match r {
        Err(e) => assert_eq!(e.code, code, "{e:?}"),
        Ok(v) => panic!("expected {code:?}, got {v}"),
    }
}

fn get(o: &Office, reference: &str) -> Value {
    must(&o.app, &o.admin, "registrants.get", json!({"key": {"reference": reference}, "reveal": false}))
}

/// The open household places of `reference`: (household reference, kind, head).
fn places(o: &Office, reference: &str) -> Vec<(String, String, bool)> {
    get(o, reference)["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["end_date"].is_null())
        .map(|g| {
            (
                g["registrant"]["reference"].as_str().unwrap().to_string(),
                g["kind"].as_str().unwrap().to_string(),
                g["is_head"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn strings(v: &Value, field: &str) -> Vec<String> {
    v.as_array().unwrap().iter().map(|x| x[field].as_str().unwrap().to_string()).collect()
}

#[test]
fn every_operation_answers_as_documented() {
    let o = office();
    let mut names = br_api::operation_names();
    names.sort();
    let mut listed: Vec<&str> = o.payloads.iter().map(|(n, _)| *n).collect();
    listed.sort();
    assert_eq!(listed, names, "one shared request for every operation");
    let mut seen = Seen {
        person: must(&o.app, &o.admin, "registrants.search", json!({"query": "Amina"}))["items"][0]["reference"]
            .as_str()
            .unwrap()
            .to_string(),
        household: must(&o.app, &o.admin, "registrants.search", json!({"filters": {"kind": "group"}}))["items"][0]
            ["reference"]
            .as_str()
            .unwrap()
            .to_string(),
        ..Default::default()
    };
    for (op, payload) in &o.payloads {
        let result = call(&o.app, &o.admin, op, payload.clone());
        check(&o, &mut seen, op, payload, result);
    }
}

fn check(o: &Office, seen: &mut Seen, op: &str, payload: &Value, r: Result<Value, ApiError>) {
    let admin = o.admin.as_str();
    let app = &o.app;
    let ok = |r: Result<Value, ApiError>| r.unwrap_or_else(|e| panic!("{op}: {e:?}"));
    match op {
        "session.info" => {
            let v = ok(r);
            assert_eq!((v["username"].as_str(), v["role"].as_str()), (Some("admin"), Some("admin")));
            assert!(strings_of(&v["permissions"]).contains(&"users_manage".to_string()));
        }
        "registry.info" => {
            let v = ok(r);
            assert_eq!((v["office_code"].as_str(), v["key_source"].as_str()), (Some("TST"), Some("passphrase")));
        }
        "registrants.search" => {
            let v = ok(r);
            assert_eq!(strings(&v["items"], "display_name"), ["A••• D•••"], "masked by default");
            assert_eq!(v["matched_by"], "name");
        }
        "registrants.get" => {
            let v = ok(r);
            assert_eq!(
                (v["registrant"]["reference"].as_str(), v["registrant"]["masked"].as_bool()),
                (Some(seen.person.as_str()), Some(true))
            );
            assert_eq!(strings(&v["programs"], "program_code"), ["CASH"]);
            assert_eq!(v["entitlements"][0]["amount"], 10000);
        }
        "registrants.create" => {
            let v = ok(r);
            assert_eq!(
                (v["kind"].as_str(), v["status"].as_str(), v["fields"]["given_name"].as_str()),
                (Some("individual"), Some("active"), Some("New"))
            );
            assert!(v["reference"].as_str().unwrap().starts_with("TST-"));
        }
        "registrants.update" => {
            let v = ok(r);
            assert_eq!(v["fields"], payload["fields"], "the fields given replace the record's");
            assert_eq!(get(o, &seen.person)["registrant"]["version"], v["version"]);
        }
        "memberships.add" => {
            assert_eq!(ok(r)["ok"], true);
            assert!(places(o, &seen.person).contains(&(seen.household.clone(), "spouse".into(), false)));
        }
        "households.register" => {
            let v = ok(r);
            assert_eq!(v["household"]["kind"], "group");
            let head = v["members"][0]["reference"].as_str().unwrap();
            assert_eq!(
                places(o, head),
                [(v["household"]["reference"].as_str().unwrap().to_string(), "head".into(), true)]
            );
        }
        "memberships.set_head" => {
            assert_eq!(ok(r)["ok"], true);
            assert!(places(o, &seen.person).iter().any(|(h, _, head)| *h == seen.household && *head));
        }
        "memberships.move" => {
            assert_eq!(ok(r)["ok"], true);
            let open: Vec<_> = places(o, &seen.person).into_iter().filter(|(h, _, _)| *h == seen.household).collect();
            assert_eq!(open, [(seen.household.clone(), "spouse".into(), false)]);
        }
        "memberships.end" => {
            assert_eq!(ok(r)["ok"], true);
            assert!(places(o, &seen.person).iter().all(|(h, _, _)| *h != seen.household), "no open place left");
        }
        "lists.get" => assert_eq!(ok(r)["items"], json!([]), "no areas in this office"),
        "lists.upsert" => {
            assert_eq!(ok(r)["ok"], true);
            let tags = must(app, admin, "lists.get", json!({"list": "tag"}));
            assert!(tags["items"].as_array().unwrap().iter().any(|i| i["code"] == "x" && i["label"] == "X"));
        }
        "custom_fields.list" => assert_eq!(ok(r)["fields"], json!([])),
        "custom_fields.define" => {
            assert_eq!(ok(r)["ok"], true);
            let fields = must(app, admin, "custom_fields.list", json!({}));
            assert_eq!(strings(&fields["fields"], "name"), ["note"]);
        }
        "users.list" => {
            let mut users = strings(&ok(r)["users"], "username");
            users.sort();
            let mut expected: Vec<String> = ROLES.iter().skip(1).map(|r| format!("user_{r}")).collect();
            expected.extend(["admin".into(), "target".into()]);
            expected.sort();
            assert_eq!(users, expected);
        }
        "users.add" => {
            let v = ok(r);
            assert_eq!(
                (v["username"].as_str(), v["role"].as_str(), v["disabled"].as_bool()),
                (Some("another"), Some("auditor"), Some(false))
            );
        }
        "users.update" => assert_eq!(ok(r)["display_name"], "Target T"),
        "import.run" => {
            // Amina's update above replaced her fields, external id included: her row is someone new again.
            let v = ok(r)["result"].clone();
            let counts = ["rows_read", "inserted", "unchanged", "rejected"].map(|k| v[k].as_u64().unwrap());
            assert_eq!((counts, v["status"].as_str()), ([3, 1, 2, 0], Some("completed")));
        }
        "export.run" => {
            let v = ok(r)["result"].clone();
            assert_eq!(v["contains_personal_data"], false);
            let text = std::fs::read_to_string(v["path"].as_str().unwrap()).unwrap();
            assert_eq!(text.lines().count() as u64, v["rows"].as_u64().unwrap() + 1, "a header and one line a person");
            let individuals = must(app, admin, "dashboard.stats", json!({}))["individuals"].as_u64().unwrap();
            assert_eq!(v["rows"].as_u64().unwrap(), individuals);
        }
        "audit.verify" => {
            let v = ok(r);
            let head = must(app, admin, "audit.head", json!({}));
            assert_eq!((v["ok"].as_bool(), v["first_broken_seq"].is_null()), (Some(true), true));
            assert_eq!(v["entries_checked"], head["seq"]);
        }
        "audit.head" => {
            let head = ok(r);
            assert_eq!(head["format"], "br-audit-head-v1");
            // Its own head verifies; the registry's later entries are counted after it.
            let check = must(app, admin, "audit.verify_anchor", json!({ "anchor": head }));
            assert_eq!((check["ok"].as_bool(), check["anchored_seq"].clone()), (Some(true), head["seq"].clone()));
        }
        "audit.verify_anchor" => {
            let v = ok(r);
            assert_eq!(
                (v["ok"].as_bool(), v["reason"].as_str()),
                (Some(false), Some("the anchor is of another registry"))
            );
        }
        "registry.check" => {
            let v = ok(r);
            assert_eq!(v["ok"], true);
            assert!(!v["checks"].as_array().unwrap().is_empty());
            assert!(v["checks"].as_array().unwrap().iter().all(|c| c["problems"] == 0));
        }
        "backup.create" => {
            let v = ok(r);
            let folder = std::path::Path::new(v["path"].as_str().unwrap());
            assert!(folder.join("registry.db").is_file() && folder.join("registry.key").is_file());
            assert_eq!(
                std::fs::metadata(folder.join("registry.db")).unwrap().len(),
                v["database_bytes"].as_u64().unwrap()
            );
        }
        "outbox.export" => {
            let v = ok(r)["result"].clone();
            assert_eq!(
                std::fs::metadata(payload["path"].as_str().unwrap()).unwrap().len(),
                v["bytes"].as_u64().unwrap()
            );
            let waiting = must(app, admin, "sync.status", json!({}))["ops_waiting"].clone();
            assert_eq!(v["ops"], waiting, "every op not yet synced");
        }
        "outbox.replay" => refused(r, ErrorCode::InvalidInput),
        // Success needs a central server on PostgreSQL (and a conflict, a second desk): it is checked in
        // src-tauri/server/tests. Here, the refusals of a desk that is not enrolled.
        "sync.enrol" => refused(r, ErrorCode::ServerUnreachable),
        "sync.run" | "payments.engine_send" | "payments.engine_status" => refused(r, ErrorCode::NotEnrolled),
        "sync.resolve" => refused(r, ErrorCode::NotFound),
        "sync.status" => {
            let v = ok(r);
            assert_eq!((v["enrolled"].as_bool(), v["office_code"].as_str()), (Some(false), Some("TST")));
            assert!(v["ops_waiting"].as_u64().unwrap() > 0);
        }
        "sync.conflicts" | "sync.rejections" => assert_eq!(ok(r), json!([])),
        "audit.list" => {
            let v = ok(r);
            // Newest first: the refused enrolment is recorded with why.
            let newest = &v["entries"][0];
            assert_eq!(
                (newest["action"].as_str(), newest["details"]["error"].as_str()),
                (Some("sync.enrol"), Some("server_unreachable"))
            );
        }
        "dashboard.stats" => {
            let v = ok(r);
            assert_eq!([&v["individuals"], &v["groups"], &v["disabled"]], [&json!(6), &json!(2), &json!(0)]);
        }
        "work.queue" => assert_eq!(ok(r)["items"], json!([]), "a draft cycle waits for nobody"),
        "cycles.amount_preview" => {
            let v = ok(r);
            let n = |k: &str| v[k].as_u64().unwrap();
            assert_eq!((n("people"), n("total"), n("failed"), n("smallest"), n("largest")), (3, 3000, 0, 1000, 1000));
        }
        "import.preview" => {
            let v = ok(r);
            assert_eq!(
                (v["headers"][0].as_str(), v["rows"].as_array().unwrap().len(), v["missing"].clone()),
                (Some("external_id"), 3, json!([]))
            );
        }
        "import.mappings" => assert_eq!(ok(r)["mappings"], json!([])),
        "import.mapping_save" => {
            assert_eq!(ok(r)["ok"], true);
            assert_eq!(strings(&must(app, admin, "import.mappings", json!({}))["mappings"], "name"), ["m"]);
        }
        "programs.list" => assert_eq!(strings(&ok(r), "code"), ["CASH"]),
        "programs.get" => {
            let v = ok(r);
            assert_eq!(
                (v["code"].as_str(), v["state"].as_str(), v["counts"]["enrolled"].as_u64()),
                (Some("CASH"), Some("active"), Some(3))
            );
        }
        "programs.create" => {
            let v = ok(r);
            assert_eq!((v["code"].as_str(), v["state"].as_str()), (Some("OTHER"), Some("draft")));
        }
        "programs.update" => assert_eq!(ok(r)["name"], "Cash"),
        "programs.set_state" => {
            assert_eq!(ok(r)["archived"], false);
            // Archived, a program leaves the list unless archived ones are asked for.
            must(app, admin, "programs.set_state", json!({"program": {"code": "OTHER"}, "archived": true}));
            let list =
                |all: bool| strings(&must(app, admin, "programs.list", json!({"include_archived": all})), "code");
            assert_eq!(
                (list(false), list(true)),
                (vec!["CASH".to_string()], vec!["CASH".to_string(), "OTHER".to_string()])
            );
            // Unarchived, it is listed again.
            must(app, admin, "programs.set_state", json!({"program": {"code": "OTHER"}, "archived": false}));
            assert_eq!(list(false), ["CASH", "OTHER"]);
        }
        "programs.check_rule" => {
            assert_eq!(ok(r), json!({"ok": true, "error": null, "indexed_conditions": 1, "warnings": []}));
            let typo =
                must(app, admin, op, json!({"rule": "me.age = 60", "kind": "condition", "target": "individual"}));
            assert_eq!(typo["ok"], false, "{typo}");
        }
        "programs.preview" => {
            let v = ok(r);
            assert_eq!(
                (v["evaluated"].as_u64(), v["matches"].as_u64(), v["errors"].as_u64()),
                (Some(6), Some(6), Some(0))
            );
        }
        "programs.enrol" => {
            let v = ok(r);
            assert_eq!((v["enrolled"].as_u64(), v["already_members"].as_u64()), (Some(3), Some(3)));
        }
        "programs.verify" => {
            let v = ok(r);
            assert_eq!((v["evaluated"].as_u64(), v["not_eligible"].as_u64()), (Some(6), Some(0)));
        }
        "programs.change_members" => assert_eq!(ok(r), json!(1)),
        "programs.members" => {
            let v = ok(r);
            let members = v["members"].as_array().unwrap();
            assert_eq!(members.len(), 6);
            let paused: Vec<_> =
                members.iter().filter(|m| m["state"] == "paused").map(|m| m["reference"].clone()).collect();
            assert_eq!(paused, [json!(seen.person)]);
        }
        "registrants.programs" => {
            let v = ok(r);
            assert_eq!(
                (v[0]["program_code"].as_str(), v[0]["state"].as_str(), v[0]["reason"].as_str()),
                (Some("CASH"), Some("paused"), Some("travel"))
            );
        }
        "dedup.run" => assert_eq!(ok(r)["groups"], 0),
        "dedup.queue" => {
            let v = ok(r);
            assert_eq!((v["open"].clone(), v["groups"].clone()), (json!(0), json!([])));
        }
        "dedup.decide" | "dedup.merge" | "dedup.merge_preview" => refused(r, ErrorCode::NotFound),
        "dedup.quality" => {
            // The people file is no truth file: its three "pairs" name nobody, and nothing found is no 1.0.
            let v = ok(r);
            assert_eq!((v["truth_pairs"].clone(), v["truth_pairs_missing"].clone()), (json!(3), json!(3)));
            assert_eq!(
                (v["precision"].as_f64(), v["recall"].as_f64(), v["f1"].as_f64()),
                (Some(0.0), Some(0.0), Some(0.0))
            );
        }
        "dedup.thresholds" => assert_eq!(ok(r), json!({"review": 0.9, "very_likely": 0.99})),
        "dedup.set_thresholds" => {
            assert_eq!(ok(r), json!({"review": 0.9, "very_likely": 0.99}));
            must(app, admin, "dedup.set_thresholds", json!({"review": 0.8, "very_likely": 0.95}));
            assert_eq!(must(app, admin, "dedup.thresholds", json!({})), json!({"review": 0.8, "very_likely": 0.95}));
            refused(
                call(app, admin, "dedup.set_thresholds", json!({"review": 0.99, "very_likely": 0.9})),
                ErrorCode::InvalidInput,
            );
        }
        "programs.set_disbursement" => assert_eq!(ok(r)["disbursement"]["entitlement"]["expression"], "10000"),
        "cycles.list" => {
            let v = ok(r);
            assert_eq!(
                (v.as_array().unwrap().len(), v[0]["sequence"].clone(), v[0]["state"].as_str()),
                (1, json!(1), Some("draft"))
            );
        }
        "cycles.create" => {
            let v = ok(r);
            assert_eq!((v["cycle"]["sequence"].clone(), v["cycle"]["state"].as_str()), (json!(2), Some("draft")));
            seen.second_cycle = Some(v["cycle"]["id"].clone());
        }
        "cycles.get" => {
            let v = ok(r);
            assert_eq!(
                (v["state"].as_str(), v["total_count"].clone(), v["total_amount"].clone()),
                (Some("draft"), json!(3), json!(30000))
            );
        }
        "cycles.recheck" => {
            // Amina is paused in the program now: she leaves the draft cycle.
            assert_eq!(ok(r), json!({"checked": 3, "removed": 1, "remaining": 2}));
        }
        "cycles.generate" => {
            let v = ok(r);
            assert_eq!((v["generated"].clone(), v["total_amount"].clone()), (json!(2), json!(20000)));
        }
        "cycles.entitlements" => {
            let v = ok(r);
            assert_eq!(strings(&v["entitlements"], "state"), ["draft", "draft"]);
        }
        "entitlements.edit" => {
            // Generating again replaced the entitlement the shared request names.
            refused(r, ErrorCode::NotFound);
            let cycle = &payload_cycle(o);
            let first =
                must(app, admin, "cycles.entitlements", json!({"cycle": cycle}))["entitlements"][0]["id"].clone();
            let edited = must(
                app,
                admin,
                "entitlements.edit",
                json!({"entitlement": first, "value": 12000, "reason": "top-up"}),
            );
            assert_eq!((edited["amount"].clone(), edited["reason"].as_str()), (json!(12000), Some("top-up")));
        }
        "registrants.entitlements" => assert_eq!(ok(r), json!([]), "the re-check took Amina out of the cycle"),
        "registrants.payments" => assert_eq!(ok(r), json!([])),
        "funds.balance" => {
            let v = ok(r);
            assert_eq!(
                (v["posted"].clone(), v["available"].clone()),
                (json!(0), json!(0)),
                "a draft fund counts for nothing"
            );
            assert_eq!(strings(&v["funds"], "state"), ["draft"]);
        }
        "funds.add" => {
            let v = ok(r);
            assert_eq!((strings(&v["funds"], "state"), v["posted"].clone()), (vec!["draft".to_string(); 2], json!(0)));
        }
        "funds.set_state" => {
            let v = ok(r);
            let cancelled = v["funds"].as_array().unwrap().iter().find(|f| f["id"] == payload["fund"]).unwrap();
            assert_eq!(cancelled["state"], "cancelled");
        }
        "cycles.act" => {
            let v = ok(r);
            assert_eq!(
                (v["cycle_state"].as_str(), v["changed"].clone(), v["total"].clone()),
                (Some("to_approve"), json!(2), json!(22000))
            );
            assert_eq!((v["pending"].clone(), v["approved"].clone()), (json!(2), json!(0)), "both wait for stage 1");
        }
        "cycles.decide" => {
            // The stage is the approver's; the approver is refused until funds are posted.
            refused(r, ErrorCode::PermissionDenied);
            let approver = o.tokens["approver"].as_str();
            refused(call(app, approver, op, payload.clone()), ErrorCode::FundsInsufficient);
            must(
                app,
                admin,
                "funds.add",
                json!({"program": {"code": "CASH"}, "amount": 22000, "currency": "XOF", "reference": "T1", "post": true}),
            );
            let v = must(app, approver, op, payload.clone());
            assert_eq!((v["cycle_state"].as_str(), v["approved"].clone()), (Some("approved"), json!(2)));
        }
        "payments.prepare" => {
            let v = ok(r);
            let (payments, without) = (v["payments"].as_u64().unwrap(), v["without_address"].as_u64().unwrap());
            assert_eq!((payments + without, v["batches"].as_array().unwrap().len()), (2, 1), "both approved: {v}");
            seen.batch = Some(v["batches"][0]["id"].clone());
            seen.payments = payments;
        }
        "payments.export" => {
            refused(r, ErrorCode::NotFound);
            let path = o.tmp.path().join("batch.csv").display().to_string();
            let v = must(app, admin, op, json!({"batch": seen.batch, "path": path, "overwrite": true}));
            assert_eq!(v["result"]["payments"].as_u64(), Some(seen.payments));
            let file = std::fs::read_to_string(&path).unwrap();
            assert_eq!(file.lines().count() as u64, seen.payments + 1);
            assert!(
                file.lines().skip(1).all(|l| l.split(',').nth(4).is_some_and(|a| !a.is_empty())),
                "each paid to an address"
            );
        }
        "payments.mark_sent" => {
            refused(r, ErrorCode::NotFound);
            let v = must(app, admin, op, json!({"batch": seen.batch}));
            assert_eq!(v["state"], "sent", "{v}");
        }
        "payments.reconcile" => {
            refused(r, ErrorCode::ImportFileInvalid);
            let path = o.tmp.path().join("batch.csv");
            let file = std::fs::read_to_string(&path).unwrap();
            let payment = file.lines().nth(1).unwrap().split(',').next().unwrap().to_string();
            let report = o.tmp.path().join("report.csv");
            std::fs::write(&report, format!("payment_id,status,external_ref,reason\n{payment},success,TX-1,\n"))
                .unwrap();
            let v = must(app, admin, op, json!({"path": report.display().to_string()}));
            assert_eq!((v["paid"].clone(), v["unknown"].clone()), (json!(1), json!(0)), "`success` reads as paid: {v}");
        }
        "entitlements.export" => {
            // Every entitlement approved, paying or paid: both, whether or not they had an address.
            let v = ok(r)["result"].clone();
            assert_eq!((v["rows"].as_u64(), v["contains_personal_data"].as_bool()), (Some(2), Some(false)));
            assert_eq!(std::fs::read_to_string(v["path"].as_str().unwrap()).unwrap().lines().count(), 3);
        }
        "registrants.disable" => {
            let v = ok(r);
            assert_eq!((v["status"].as_str(), v["disabled_reason"].as_str()), (Some("disabled"), Some("moved away")));
        }
        "cycles.delete" => {
            refused(r, ErrorCode::NotFound);
            must(app, admin, op, json!({"cycle": seen.second_cycle}));
            let cycles = must(app, admin, "cycles.list", json!({"program": {"code": "CASH"}}));
            assert_eq!(cycles.as_array().unwrap().len(), 1, "the draft second cycle is gone");
        }
        other => panic!("no check of {other}'s answer: add one here"),
    }
}

fn strings_of(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect()
}

/// The first cycle, as the shared requests name it.
fn payload_cycle(o: &Office) -> Value {
    o.payloads.iter().find(|(n, _)| *n == "cycles.get").unwrap().1["cycle"].clone()
}

//! One story across the crates, through the desktop app's entry point with JSON commands as the UI sends
//! them: an office is created, a registrar imports the demo registry, finds, edits and disables people,
//! an auditor verifies the chain and cannot change anything, and the change log is complete and gapless.

use std::path::PathBuf;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use br_api::app::{App, AppEvent, AppRequest};
use br_api::ApiError;
use br_core::secret::Secret;
use serde_json::json;

/// The UI's side of the app: the token it holds and the requests it sends.
struct Client {
    app: App,
    token: String,
}

impl Client {
    fn invoke(&self, command: &str, payload: serde_json::Value) -> Result<serde_json::Value, ApiError> {
        self.app.handle(AppRequest::Call { token: self.token.clone(), command: command.into(), payload })
    }

    fn login(&mut self, username: &str, password: &str) {
        let request = json!({"action": "login", "username": username, "password": password});
        let login = self.app.handle(serde_json::from_value(request).unwrap()).unwrap();
        self.token = login["token"].as_str().unwrap().to_string();
    }

    fn logout(&mut self) {
        self.app.handle(AppRequest::Logout { token: self.token.clone() }).unwrap();
    }
}

fn demo_csv() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/demo/registrants.csv")
}

#[test]
fn an_office_day_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("registry");
    let progress = Arc::new(AtomicUsize::new(0));
    let seen = progress.clone();
    let app = App::start(
        &dir,
        false,
        None,
        Box::new(move |event| {
            if matches!(event, AppEvent::Progress { .. }) {
                seen.fetch_add(1, Ordering::Relaxed);
            }
        }),
    );
    let created = app
        .handle(
            serde_json::from_value(json!({
                "action": "create", "office_code": "DEMO", "office_name": "Demo district",
                "admin_username": "admin", "admin_display_name": "Office admin",
                "admin_password": "admin-password-1", "recovery_passphrase": "demo recovery passphrase"
            }))
            .unwrap(),
        )
        .unwrap();
    let mut app = Client { app, token: created["token"].as_str().unwrap().to_string() };
    app.invoke("users.add", json!({"username": "officer", "display_name": "Program officer", "role": "registrar", "password": "officer-password-1"})).unwrap();
    app.invoke("users.add", json!({"username": "auditor", "display_name": "Visiting auditor", "role": "auditor", "password": "auditor-password-1"})).unwrap();
    for (code, label) in [
        ("D01", "North"),
        ("D02", "South"),
        ("D03", "East"),
        ("D04", "West"),
        ("D05", "Central"),
        ("D06", "River"),
        ("D07", "Highland"),
        ("D08", "Lake"),
        ("D09", "Valley"),
        ("D10", "Coastal"),
        ("D11", "Market"),
        ("D12", "Border"),
    ] {
        app.invoke(
            "lists.upsert",
            json!({"list": "area", "item": {"code": code, "label": label, "parent": null, "active": true}}),
        )
        .unwrap();
    }

    app.logout();
    assert_eq!(app.invoke("registrants.search", json!({})).unwrap_err().code, br_api::ErrorCode::SessionInvalid);
    app.login("officer", "officer-password-1");
    let summary = app.invoke("import.run", json!({"path": demo_csv(), "options": {"batch_rows": 100}})).unwrap()
        ["result"]
        .clone();
    assert_eq!(summary["rejected"], 0, "{summary}");
    let rows = summary["inserted"].as_u64().unwrap();
    assert!(rows >= 500);
    assert!(progress.load(Ordering::Relaxed) >= 5, "progress events during the import");

    let page = app
        .invoke(
            "registrants.search",
            json!({"filters": {"area": "D01", "kind": "individual"}, "sort": "name", "limit": 10}),
        )
        .unwrap();
    let first = page["items"][0].clone();
    assert!(first["display_name"].as_str().unwrap().contains('•'), "masked by default");
    let key = json!({"reference": first["reference"]});
    let detail = app.invoke("registrants.get", json!({"key": key, "reveal": true})).unwrap();
    let mut fields = detail["registrant"]["fields"].clone();
    fields["phone"] = json!("+251 911 000 001");
    let updated = app
        .invoke(
            "registrants.update",
            json!({"key": key, "fields": fields, "expected_version": detail["registrant"]["version"]}),
        )
        .unwrap();
    assert_eq!(updated["fields"]["phone"], "+251911000001");
    let by_phone = app.invoke("registrants.search", json!({"query": "0911000001"})).unwrap();
    assert_eq!(by_phone["matched_by"], "phone");
    assert_eq!(by_phone["items"][0]["reference"], first["reference"]);
    app.invoke("registrants.disable", json!({"key": key, "reason": "moved out of the district"})).unwrap();

    app.logout();
    app.login("auditor", "auditor-password-1");
    let chain = app.invoke("audit.verify", json!({})).unwrap();
    assert_eq!(chain["ok"], true);
    let refused = app
        .invoke("registrants.disable", json!({"key": {"reference": by_phone["items"][0]["reference"]}, "reason": "x"}))
        .unwrap_err();
    assert_eq!(refused.code, br_api::ErrorCode::PermissionDenied);
    let unknown = app.invoke("registrants.delete", json!({})).unwrap_err();
    assert_eq!(unknown.code, br_api::ErrorCode::InvalidInput);
    let history = app.invoke("registrants.get", json!({"key": key})).unwrap()["history"].clone();
    let actions: Vec<&str> = history.as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert!(
        actions.contains(&"registrant.disable")
            && actions.contains(&"registrant.update")
            && actions.contains(&"registrant.reveal")
    );
    drop(app);

    // The change log: gapless, and one create op per registrant, plus the two edits.
    let reg = br_core::Registry::open(
        &dir,
        &br_core::store::keys::Unlock::with_passphrase(Secret::new("demo recovery passphrase")),
    )
    .unwrap();
    let (ops, max, creates, registrants): (i64, i64, i64, i64) = reg
        .store()
        .read(|c| {
            Ok(c.query_row(
                "SELECT (SELECT count(*) FROM outbox), (SELECT max(seq) FROM outbox),
                        (SELECT count(*) FROM outbox WHERE kind = 'registrant_created'),
                        (SELECT count(*) FROM registrants)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?)
        })
        .unwrap();
    assert_eq!(ops, max);
    assert_eq!(creates, registrants);
    let edits: i64 = reg
        .store()
        .read(|c| {
            Ok(c.query_row(
                "SELECT count(*) FROM outbox WHERE kind IN ('registrant_updated', 'registrant_disabled')",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(edits, 2);
}

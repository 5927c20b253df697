//! `br serve` over real HTTP: the UI's files with their security headers, the app API with its error
//! shapes and status codes, the event stream, and a clean stop on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(registry: &Path, ui: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_br"))
        .args(["--registry", registry.to_str().unwrap(), "serve", "--listen", "127.0.0.1:0", "--ui"])
        .arg(ui)
        .env("BR_KEYRING", "off")
        .env_remove("BR_PASSPHRASE")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    // "serving the registry at http://127.0.0.1:PORT/ (Ctrl-C stops)"
    let addr = line.split("http://").nth(1).unwrap().split('/').next().unwrap().to_string();
    Server { child, addr }
}

/// One HTTP/1.1 request; returns the status, the headers (lower-cased) and the body.
fn http(addr: &str, method: &str, path: &str, body: Option<&str>) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_string())
}

fn api(addr: &str, request: serde_json::Value) -> (u16, serde_json::Value) {
    let (status, _, body) = http(addr, "POST", "/api/app", Some(&request.to_string()));
    (status, serde_json::from_str(&body).unwrap_or(serde_json::Value::Null))
}

#[test]
fn serves_the_ui_and_the_api_with_errors_in_their_shape_and_stops_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let ui = tmp.path().join("ui");
    std::fs::create_dir_all(&ui).unwrap();
    std::fs::write(ui.join("index.html"), "<!doctype html><title>UI</title>").unwrap();
    let registry = tmp.path().join("reg");
    let mut server = serve(&registry, &ui);
    let addr = server.addr.clone();

    // The UI, for its own paths too, with a content policy.
    let (status, headers, body) = http(&addr, "GET", "/beneficiaries/DEMO-0000001", None);
    assert_eq!(status, 200);
    assert!(body.contains("<title>UI</title>"));
    assert!(headers.contains("content-security-policy: default-src 'self'; script-src 'self'"));
    assert!(headers.contains("x-content-type-options: nosniff"));

    // First run: no registry; create one.
    assert_eq!(api(&addr, serde_json::json!({"action": "status"})).1["state"], "no_registry");
    let (status, created) = api(
        &addr,
        serde_json::json!({"action": "create", "office_code": "SRV", "office_name": "Served office",
            "admin_username": "admin", "admin_display_name": "Admin", "admin_password": "admin-password-1",
            "recovery_passphrase": "correct horse battery staple"}),
    );
    assert_eq!(status, 200, "{created}");
    let token = created["token"].as_str().unwrap().to_string();

    // Bad input, each with its code and status.
    let (status, e) = api(
        &addr,
        serde_json::json!({"action": "call", "token": "forged", "command": "registrants.search", "payload": {}}),
    );
    assert_eq!((status, e["code"].as_str()), (401, Some("session_invalid")));
    let (status, _, body) = http(&addr, "POST", "/api/app", Some("{not json"));
    let e: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, e["code"].as_str()), (400, Some("invalid_input")));
    let (status, e) =
        api(&addr, serde_json::json!({"action": "login", "username": "admin", "password": "wrong-password"}));
    assert_eq!((status, e["code"].as_str()), (401, Some("authentication_failed")));
    let (status, e) = api(
        &addr,
        serde_json::json!({"action": "call", "token": token, "command": "registrants.create",
        "payload": {"kind": "individual", "fields": {"birth_date": "1990-02-31"}, "household": null}}),
    );
    assert_eq!((status, e["code"].as_str()), (400, Some("invalid_input")));
    let (status, _, _) = http(&addr, "GET", "/api/events?token=forged", None);
    assert_eq!(status, 401);

    // The event stream tells the change of a list to whoever listens.
    let mut events = TcpStream::connect(&addr).unwrap();
    write!(events, "GET /api/events?token={token} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    events.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // The server subscribes before it answers, so once the answer's head is here no event can be missed.
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !seen.contains("\r\n\r\n") {
        let n = events.read(&mut buf).expect("the stream's head within 10 s");
        assert!(n > 0, "stream closed: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");
    let (status, done) = api(
        &addr,
        serde_json::json!({"action": "call", "token": token, "command": "lists.upsert",
        "payload": {"list": "area", "item": {"code": "D01", "label": "North", "parent": null, "active": true}}}),
    );
    assert_eq!((status, done["ok"].as_bool()), (200, Some(true)));
    while !seen.contains("\"changed\"") {
        let n = events.read(&mut buf).expect("an event within 10 s");
        assert!(n > 0, "stream closed: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(seen.contains("\"sets\":[\"lists\"]"), "{seen}");

    // SIGTERM: a clean exit, and the registry opens again.
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    // The event stream is still open, as a browser tab keeps it: the stop must not wait for it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "br serve did not stop within 10 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(events);
    assert!(status.success(), "{status:?}");
    let reopened = br_core::Registry::open(
        &registry,
        &br_core::store::keys::Unlock::with_passphrase(br_core::secret::Secret::new("correct horse battery staple")),
    );
    assert!(reopened.is_ok());
}

#[test]
fn refuses_to_start_without_a_built_ui() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_br"))
        .args(["--registry", tmp.path().join("reg").to_str().unwrap(), "serve", "--listen", "127.0.0.1:0", "--ui"])
        .arg(tmp.path().join("missing"))
        .env("BR_KEYRING", "off")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("npm run build"));
}

/// Creates the registry through the API, as the first-run wizard does; answers the admin's token.
fn create_registry(addr: &str) -> String {
    let (status, created) = api(
        addr,
        serde_json::json!({"action": "create", "office_code": "SRV", "office_name": "Served office",
            "admin_username": "admin", "admin_display_name": "Admin", "admin_password": "admin-password-1",
            "recovery_passphrase": "correct horse battery staple"}),
    );
    assert_eq!(status, 200, "{created}");
    created["token"].as_str().unwrap().to_string()
}

fn served_ui(tmp: &Path) -> std::path::PathBuf {
    let ui = tmp.join("ui");
    std::fs::create_dir_all(&ui).unwrap();
    std::fs::write(ui.join("index.html"), "<!doctype html><title>UI</title>").unwrap();
    ui
}

#[test]
fn a_hostile_page_cannot_create_a_registry_through_the_browser() {
    let tmp = tempfile::tempdir().unwrap();
    let server = serve(&tmp.path().join("reg"), &served_ui(tmp.path()));
    let addr = server.addr.clone();
    let create = r#"{"action":"create","office_code":"EVL","office_name":"Evil","admin_username":"evil","admin_display_name":"Evil","admin_password":"evil-password-1","recovery_passphrase":"evil passphrase here"}"#;
    let attempts = [
        // A form post: text/plain needs no CORS preflight.
        (format!("Host: {addr}\r\nContent-Type: text/plain"), 415),
        // DNS rebinding: the page's own name as Host.
        ("Host: evil.example\r\nContent-Type: application/json".to_string(), 421),
        // A fetch from another site.
        (format!("Host: {addr}\r\nOrigin: http://evil.example\r\nContent-Type: application/json"), 403),
        (format!("Host: {addr}\r\nSec-Fetch-Site: cross-site\r\nContent-Type: application/json"), 403),
    ];
    for (headers, expected) in attempts {
        let (status, body) = request(&addr, "POST", "/api/app", &headers, create.as_bytes());
        assert_eq!(status, expected, "{headers}: {body}");
        assert!(body.contains("request_refused"), "{body}");
    }
    assert_eq!(api(&addr, serde_json::json!({"action": "status"})).1["state"], "no_registry", "nothing was created");
    // An oversized request is refused before it is parsed.
    let big = format!("{{\"action\":\"login\",\"username\":\"{}\",\"password\":\"x\"}}", "u".repeat(2 << 20));
    let (status, _, _) = http(&addr, "POST", "/api/app", Some(&big));
    assert_eq!(status, 413);
}

#[test]
fn the_event_stream_ends_at_logout() {
    let tmp = tempfile::tempdir().unwrap();
    let server = serve(&tmp.path().join("reg"), &served_ui(tmp.path()));
    let addr = server.addr.clone();
    let token = create_registry(&addr);
    let mut events = TcpStream::connect(&addr).unwrap();
    write!(events, "GET /api/events?token={token} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    events.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut head = [0u8; 512];
    let n = events.read(&mut head).unwrap();
    assert!(String::from_utf8_lossy(&head[..n]).starts_with("HTTP/1.1 200"));
    let (status, _) = api(&addr, serde_json::json!({"action": "logout", "token": token}));
    assert_eq!(status, 200);
    // The stream closes within the session check's period (5 s), well before the read times out.
    let started = std::time::Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match events.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => continue,
            Err(e) => panic!("the stream stayed open after logout: {e}"),
        }
    }
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[test]
fn listening_beyond_loopback_without_tls_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_br"))
        .args(["--registry", tmp.path().join("reg").to_str().unwrap(), "serve", "--listen", "0.0.0.0:0", "--ui"])
        .arg(served_ui(tmp.path()))
        .env("BR_KEYRING", "off")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// One request with the given header lines (`Host` among them); returns the status and the body.
fn request(addr: &str, method: &str, path: &str, headers: &str, body: &[u8]) -> (u16, String) {
    let head =
        format!("{method} {path} HTTP/1.1\r\n{headers}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n", body.len());
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let out = String::from_utf8_lossy(&out).to_string();
    let status = out.split(' ').nth(1).unwrap().parse().unwrap();
    (status, out.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default())
}

/// A request of this server's own pages, with a body of the given type and an optional bearer token.
fn send(addr: &str, method: &str, path: &str, content_type: &str, token: Option<&str>, body: &[u8]) -> (u16, String) {
    let auth = token.map(|t| format!("\r\nAuthorization: Bearer {t}")).unwrap_or_default();
    request(addr, method, path, &format!("Host: {addr}\r\nContent-Type: {content_type}{auth}"), body)
}

#[test]
fn files_travel_as_uploads_and_downloads_and_no_call_names_a_server_path() {
    let tmp = tempfile::tempdir().unwrap();
    let server = serve(&tmp.path().join("reg"), &served_ui(tmp.path()));
    let addr = server.addr.clone();
    let token = create_registry(&addr);
    let call = |command: &str, payload: serde_json::Value| {
        api(&addr, serde_json::json!({"action": "call", "token": token, "command": command, "payload": payload}))
    };
    // A path on the server is refused, and nothing of the file it names comes back.
    let (status, e) = call("import.preview", serde_json::json!({"path": "/etc/passwd"}));
    assert_eq!((status, e["code"].as_str()), (400, Some("invalid_input")));
    assert!(!e.to_string().contains("root"), "{e}");
    let (status, e) =
        call("export.run", serde_json::json!({"path": tmp.path().join("reg/registry.key"), "overwrite": true}));
    assert_eq!((status, e["code"].as_str()), (400, Some("invalid_input")));
    let (status, _) = call("backup.create", serde_json::json!({"destination": tmp.path().join("backup")}));
    assert_eq!(status, 400);
    assert!(!tmp.path().join("backup").exists());

    // Upload needs a session and the octet-stream type.
    let csv = b"external_id,given_name,family_name,sex,birth_date\nP1,Amina,Diallo,female,1980-01-02\nP2,Bad,Date,female,1980-02-30\n";
    let (status, _) =
        send(&addr, "POST", "/api/upload?name=people.csv", "application/octet-stream", Some("forged"), csv);
    assert_eq!(status, 401);
    let (status, _) = send(&addr, "POST", "/api/upload?name=people.csv", "text/plain", Some(&token), csv);
    assert_eq!(status, 415);
    let (status, body) =
        send(&addr, "POST", "/api/upload?name=../people.csv", "application/octet-stream", Some(&token), csv);
    assert_eq!(status, 200, "{body}");
    let upload = serde_json::from_str::<serde_json::Value>(&body).unwrap()["upload"].as_str().unwrap().to_string();
    let (status, imported) = call("import.run", serde_json::json!({"upload": upload}));
    assert_eq!(status, 200, "{imported}");
    assert_eq!(imported["result"]["inserted"], 1);
    assert_eq!(imported["result"]["rejects_file"], "people.rejects.csv");
    let rejects = &imported["downloads"][0];
    let (status, body) =
        send(&addr, "GET", &format!("/api/download/{}", rejects["id"].as_str().unwrap()), "text/csv", None, b"");
    assert_eq!(status, 200);
    assert!(body.contains("P2") && body.contains("birth_date"), "{body}");

    // An export comes down once.
    let (status, exported) = call("export.run", serde_json::json!({"download": true}));
    assert_eq!(status, 200, "{exported}");
    let id = exported["downloads"][0]["id"].as_str().unwrap().to_string();
    let (status, body) = send(&addr, "GET", &format!("/api/download/{id}"), "text/csv", None, b"");
    assert_eq!(status, 200);
    assert!(body.starts_with("reference,external_id"), "{body}");
    let (status, _) = send(&addr, "GET", &format!("/api/download/{id}"), "text/csv", None, b"");
    assert_eq!(status, 404, "a download is fetched once");
    // After logout, a pending download is gone with its session.
    let (_, again) = call("export.run", serde_json::json!({"download": true}));
    let id = again["downloads"][0]["id"].as_str().unwrap().to_string();
    api(&addr, serde_json::json!({"action": "logout", "token": token}));
    let (status, _) = send(&addr, "GET", &format!("/api/download/{id}"), "text/csv", None, b"");
    assert_eq!(status, 404);
}

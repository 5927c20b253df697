//! `br` as a script uses it: non-interactive, credentials from the environment, JSON out.

use std::path::Path;
use std::process::{Command, Output};

const PASSPHRASE: &str = "correct horse battery staple";

/// `br ARGS` as a script runs it: the registry, login and passphrase from the environment.
fn br_command(registry: &Path, user: &str, password: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_br"));
    command
        .args(args)
        .env("BR_REGISTRY", registry)
        .env("BR_USER", user)
        .env("BR_PASSWORD", password)
        .env("BR_PASSPHRASE", PASSPHRASE)
        .env("BR_KEYRING", "off")
        .env("BR_CHANGE_LOG_PASSPHRASE", "a long change-log passphrase")
        .env_remove("BR_NEW_PASSWORD");
    command
}

/// The registry opened in this process, beside any `br` running on it, as a test reads or tampers with it.
fn open_directly(registry: &Path) -> br_core::Registry {
    let unlock = br_core::store::keys::Unlock {
        use_credential_store: false,
        passphrase: Some(br_core::secret::Secret::new(PASSPHRASE)),
        prompt: None,
    };
    br_core::Registry::open(registry, &unlock).unwrap()
}

fn br(registry: &Path, user: &str, password: &str, args: &[&str]) -> Output {
    br_command(registry, user, password, args).output().unwrap()
}

fn ok(o: Output) -> serde_json::Value {
    assert!(
        o.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null)
}

/// `br init` of office ADD with the areas of `areas`.
fn init_office(admin: &dyn Fn(&[&str]) -> Output, areas: &Path) -> serde_json::Value {
    ok(admin(&["--json", "init", "--office-code", "ADD", "--office-name", "Addis", "--areas", areas.to_str().unwrap()]))
}

fn failed(o: Output) -> serde_json::Value {
    assert!(!o.status.success(), "expected failure; stdout: {}", String::from_utf8_lossy(&o.stdout));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn gen_init_import_search_show_export_backup_restore_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let reg = tmp.path().join("reg");
    let data = tmp.path().join("data");
    let admin = |args: &[&str]| br(&reg, "admin", "admin-password-1", args);
    let gen = ok(admin(&["--json", "gen", "--individuals", "300", "--out", data.to_str().unwrap()]));
    assert_eq!(gen["individuals"], 300);
    let truth = std::fs::read_to_string(data.join("duplicates-truth.csv")).unwrap();
    assert_eq!(truth.lines().count() as u64 - 1, gen["planted_duplicates"].as_u64().unwrap());
    let init = init_office(&admin, &data.join("areas.csv"));
    assert_eq!(init["key_source"], "passphrase");
    let imported = ok(admin(&["--json", "import", data.join("registrants.csv").to_str().unwrap()]));
    assert_eq!(imported["inserted"], 300);
    assert_eq!(imported["rejected"], 0);
    let first = std::fs::read_to_string(data.join("registrants.csv")).unwrap();
    let header: Vec<&str> = first.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = first.lines().nth(1).unwrap().split(',').collect();
    let national_id = header.iter().position(|h| *h == "id:national_id").unwrap();
    let found = ok(admin(&["--json", "search", row[national_id]]));
    assert_eq!(found["matched_by"], "id_value");
    let reference = found["items"][0]["reference"].as_str().unwrap().to_string();
    let by_name = ok(admin(&["--json", "search", row[1], "--limit", "500", "--reveal"]));
    assert!(by_name["items"].as_array().unwrap().iter().any(|i| i["reference"] == reference.as_str()));
    let shown = ok(admin(&["--json", "show", &reference]));
    assert_eq!(shown["registrant"]["masked"], true);
    assert_eq!(shown["groups"].as_array().unwrap().len(), 1, "the person is in a household");
    let text = admin(&["show", &reference]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("masked"));
    let export = tmp.path().join("export.csv");
    let e = ok(admin(&["--json", "export", export.to_str().unwrap()]));
    assert_eq!((e["rows"].as_u64(), e["contains_personal_data"].as_bool()), (Some(300), Some(false)));
    let exported = std::fs::read_to_string(&export).unwrap();
    assert!(!exported.contains(row[national_id]), "IDs are masked in a non-personal export");
    let personal = tmp.path().join("personal.csv");
    let p = ok(admin(&["--json", "export", "--personal", personal.to_str().unwrap()]));
    assert_eq!(p["contains_personal_data"], true);
    let personal_text = std::fs::read_to_string(&personal).unwrap();
    assert!(personal_text.contains(row[national_id]));
    assert!(personal_text.contains(",'+2519"), "cells a spreadsheet would run (+...) are neutralised");
    // The export is in the import format: it imports into another registry as it is.
    let other = tmp.path().join("other");
    ok(br(&other, "admin", "admin-password-1", &["init", "--office-code", "OTH", "--office-name", "Other"]));
    let re = ok(br(&other, "admin", "admin-password-1", &["--json", "import", personal.to_str().unwrap()]));
    assert_eq!((re["inserted"].as_u64(), re["rejected"].as_u64()), (Some(300), Some(0)), "{re}");
    let backup = tmp.path().join("backup");
    ok(admin(&["--json", "backup", backup.to_str().unwrap()]));
    let restored = tmp.path().join("restored");
    ok(br(&restored, "admin", "admin-password-1", &["--json", "restore", backup.to_str().unwrap()]));
    let again = ok(br(&restored, "admin", "admin-password-1", &["--json", "search", row[national_id]]));
    assert_eq!(again["items"][0]["reference"], reference.as_str());
    let verify = ok(admin(&["--json", "audit", "verify"]));
    assert_eq!(verify["ok"], true);
}

#[test]
fn a_role_without_the_permission_is_refused_with_its_code() {
    let tmp = tempfile::tempdir().unwrap();
    let reg = tmp.path().join("reg");
    ok(br(&reg, "admin", "admin-password-1", &["init", "--office-code", "ADD", "--office-name", "Addis"]));
    let add = Command::new(env!("CARGO_BIN_EXE_br"))
        .args(["user", "add", "visitor", "--role", "auditor"])
        .env("BR_REGISTRY", &reg)
        .env("BR_USER", "admin")
        .env("BR_PASSWORD", "admin-password-1")
        .env("BR_PASSPHRASE", PASSPHRASE)
        .env("BR_KEYRING", "off")
        .env("BR_CHANGE_LOG_PASSPHRASE", "a long change-log passphrase")
        .env("BR_NEW_PASSWORD", "visitor-password-1")
        .output()
        .unwrap();
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    let csv = tmp.path().join("a.csv");
    std::fs::write(&csv, "external_id,given_name\nA1,Amina\n").unwrap();
    let denied = failed(br(&reg, "visitor", "visitor-password-1", &["--json", "import", csv.to_str().unwrap()]));
    assert_eq!(denied["code"], "permission_denied");
    let wrong = failed(br(&reg, "visitor", "not-the-password", &["--json", "search", "x"]));
    assert_eq!(wrong["code"], "authentication_failed");
}

#[test]
fn without_a_key_source_the_error_says_what_to_set() {
    let tmp = tempfile::tempdir().unwrap();
    let reg = tmp.path().join("reg");
    ok(br(&reg, "admin", "admin-password-1", &["init", "--office-code", "ADD", "--office-name", "Addis"]));
    let o = Command::new(env!("CARGO_BIN_EXE_br"))
        .args(["--json", "search", "x"])
        .env("BR_REGISTRY", &reg)
        .env("BR_USER", "admin")
        .env("BR_PASSWORD", "admin-password-1")
        .env("BR_KEYRING", "off")
        .env("BR_CHANGE_LOG_PASSPHRASE", "a long change-log passphrase")
        .env_remove("BR_PASSPHRASE")
        .output()
        .unwrap();
    let e = failed(o);
    assert_eq!(e["code"], "key_unavailable");
    assert!(e["message"].as_str().unwrap().contains("BR_PASSPHRASE"));
}

#[test]
fn an_unreachable_credential_store_falls_back_to_the_passphrase_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let reg = tmp.path().join("reg");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_br"))
            .args(args)
            .env("BR_REGISTRY", &reg)
            .env("BR_USER", "admin")
            .env("BR_PASSWORD", "admin-password-1")
            .env("BR_PASSPHRASE", PASSPHRASE)
            .env_remove("BR_KEYRING")
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
            .output()
            .unwrap()
    };
    let init = run(&["init", "--office-code", "ADD", "--office-name", "Addis"]);
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    assert!(String::from_utf8_lossy(&init.stderr).contains("credential store is not available"));
    let search = run(&["search", "nobody"]);
    assert!(search.status.success(), "{}", String::from_utf8_lossy(&search.stderr));
    assert!(String::from_utf8_lossy(&search.stderr).contains("opened with the recovery passphrase"));
}

#[test]
fn ctrl_c_cancels_an_import_after_its_batch_and_a_second_import_completes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let reg = tmp.path().join("reg");
    let data = tmp.path().join("data");
    ok(br(&reg, "admin", "admin-password-1", &["gen", "--individuals", "60000", "--out", data.to_str().unwrap()]));
    ok(br(&reg, "admin", "admin-password-1", &["init", "--office-code", "ADD", "--office-name", "Addis"]));
    let file = data.join("registrants.csv");
    // The import holds after each batch while this file exists: Ctrl-C lands between the first two batches
    // however fast or loaded the machine is.
    let hold = tmp.path().join("hold");
    std::fs::write(&hold, b"").unwrap();
    let mut child = br_command(
        &reg,
        "admin",
        "admin-password-1",
        &["--json", "import", file.to_str().unwrap(), "--batch-rows", "1000"],
    )
    .env("BR_TEST_HOLD_AFTER_BATCH", &hold)
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    // Counted straight from the registry file, as a second reader beside the import.
    let individuals = || -> u64 {
        open_directly(&reg)
            .store()
            .read(|c| Ok(c.query_row("SELECT count(*) FROM registrants WHERE kind = 'individual'", [], |r| r.get(0))?))
            .unwrap()
    };
    let started = std::time::Instant::now();
    let first_batch = loop {
        let n = individuals();
        if n > 0 {
            break n;
        }
        assert!(started.elapsed().as_secs() < 120, "the import never committed a batch");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success());
    // Released only once br says it is cancelling, so the flag is set before the next batch is read.
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut said = String::new();
    while !said.contains("cancelling after the current batch") {
        let mut line = String::new();
        assert!(std::io::BufRead::read_line(&mut stderr, &mut line).unwrap() > 0, "br ended first: {said}");
        said.push_str(&line);
    }
    std::fs::remove_file(&hold).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["status"], "cancelled", "{summary}");
    assert_eq!(summary["inserted"].as_u64(), Some(first_batch), "exactly the first batch is kept: {summary}");
    assert_eq!(individuals(), first_batch);
    let rest = ok(br(&reg, "admin", "admin-password-1", &["--json", "import", file.to_str().unwrap()]));
    assert_eq!(
        (rest["inserted"].as_u64(), rest["unchanged"].as_u64()),
        (Some(60_000 - first_batch), Some(first_batch))
    );
    assert_eq!(ok(br(&reg, "admin", "admin-password-1", &["--json", "audit", "verify"]))["ok"], true);
}

#[test]
fn audit_verify_fails_with_audit_chain_broken_naming_the_altered_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let reg = tmp.path().join("reg");
    ok(br(&reg, "admin", "admin-password-1", &["init", "--office-code", "ADD", "--office-name", "Addis"]));
    ok(br(&reg, "admin", "admin-password-1", &["list", "add", "area", "D01", "North"]));
    // Someone with the key edits the database behind the application's back.
    let registry = open_directly(&reg);
    registry
        .store()
        .write(|tx| {
            tx.conn().execute_batch(
                "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET username = 'someone-else' WHERE seq = 2;",
            )?;
            Ok(())
        })
        .unwrap();
    drop(registry);
    let out = br(&reg, "admin", "admin-password-1", &["--json", "audit", "verify"]);
    assert!(!out.status.success());
    // The report, then the error, one JSON value after the other.
    let lines: Vec<serde_json::Value> =
        serde_json::Deserializer::from_slice(&out.stdout).into_iter().map(Result::unwrap).collect();
    assert_eq!((lines[0]["ok"].as_bool(), lines[0]["first_broken_seq"].as_i64()), (Some(false), Some(2)), "{lines:?}");
    assert_eq!((lines[1]["code"].as_str(), lines[1]["details"]["seq"].as_i64()), (Some("audit_chain_broken"), Some(2)));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error [audit_chain_broken]"));
}

#[test]
fn a_reader_that_closes_the_pipe_ends_br_quietly() {
    // `br search … | head`: the reader is gone before br writes. br must end without a panic's backtrace.
    let tmp = tempfile::tempdir().unwrap();
    let reg = tmp.path().join("reg");
    ok(br(&reg, "admin", "admin-password-1", &["init", "--office-code", "PIP", "--office-name", "Pipe"]));
    let mut child = br_command(&reg, "admin", "admin-password-1", &["--json", "search"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
}

#[test]
fn a_change_log_exported_from_one_registry_replays_into_another() {
    let tmp = tempfile::tempdir().unwrap();
    let (source, replica) = (tmp.path().join("source"), tmp.path().join("replica"));
    let data = tmp.path().join("data");
    let file = tmp.path().join("change-log.jsonl");
    let on = |reg: &Path, args: &[&str]| br(reg, "admin", "admin-password-1", args);
    ok(on(&source, &["--json", "gen", "--individuals", "200", "--out", data.to_str().unwrap()]));
    for reg in [&source, &replica] {
        let areas = data.join("areas.csv");
        ok(on(
            reg,
            &["--json", "init", "--office-code", "ADD", "--office-name", "Addis", "--areas", areas.to_str().unwrap()],
        ));
    }
    ok(on(&source, &["--json", "import", data.join("registrants.csv").to_str().unwrap()]));
    let exported = ok(on(&source, &["--json", "outbox", "export", file.to_str().unwrap()]));
    assert!(exported["ops"].as_u64().unwrap() > 200, "{exported}");
    let again = failed(on(&source, &["--json", "outbox", "export", file.to_str().unwrap()]));
    assert_eq!(again["code"], "already_exists", "an existing file is replaced only with --overwrite");

    let replayed = ok(on(&replica, &["--json", "outbox", "replay", file.to_str().unwrap()]));
    assert_eq!(replayed["read"], exported["ops"]);
    assert_eq!(replayed["conflicts"], 0);
    let first = std::fs::read_to_string(data.join("registrants.csv")).unwrap();
    let row: Vec<&str> = first.lines().nth(1).unwrap().split(',').collect();
    let found = ok(on(&replica, &["--json", "search", row[1], "--limit", "500"]));
    assert!(!found["items"].as_array().unwrap().is_empty(), "the replica finds the source's people by name");
    ok(on(&replica, &["--json", "check"]));
    let twice = ok(on(&replica, &["--json", "outbox", "replay", file.to_str().unwrap()]));
    assert_eq!((twice["applied"].as_u64(), twice["unchanged"].as_u64()), (Some(0), replayed["read"].as_u64()));

    let own = failed(on(&source, &["--json", "outbox", "replay", file.to_str().unwrap()]));
    assert_eq!(own["code"], "invalid_input", "a desk does not replay its own change log: {own}");
    let not_a_log =
        failed(on(&replica, &["--json", "outbox", "replay", data.join("registrants.csv").to_str().unwrap()]));
    assert_eq!(not_a_log["code"], "invalid_input");
}

#[test]
fn dedup_explains_its_proposals_and_takes_the_offices_thresholds() {
    let tmp = tempfile::tempdir().unwrap();
    let reg = tmp.path().join("reg");
    let set = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/dedup-realistic");
    // A copy: the import writes its rejects beside the file.
    let people = tmp.path().join("people.csv");
    std::fs::copy(set.join("people.csv"), &people).unwrap();
    let admin = |args: &[&str]| br(&reg, "admin", "admin-password-1", args);
    init_office(&admin, &set.join("areas.csv"));
    assert_eq!(ok(admin(&["--json", "import", people.to_str().unwrap()]))["rejected"], 0);
    let thresholds = ok(admin(&["--json", "dedup", "thresholds"]));
    assert_eq!((thresholds["review"].as_f64(), thresholds["very_likely"].as_f64()), (Some(0.9), Some(0.99)));

    let (truth, lookalikes) = (set.join("truth.csv"), set.join("confusers.csv"));
    let run =
        admin(&["dedup", "run", "--truth", truth.to_str().unwrap(), "--lookalikes", lookalikes.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&ok_text(run)).to_string();
    for expected in ["precision", "recall by kind:", "household_registered_again", "look-alikes proposed", "twins"] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    let queue = ok(admin(&["--json", "dedup", "queue", "--limit", "5"]));
    let pair = &queue["groups"][0]["pairs"][0];
    assert!(pair["probability"].as_f64().unwrap() >= 0.9);
    assert!(pair["fields"].as_array().unwrap().iter().any(|f| f["field"] == "birth_date"));
    let explained =
        String::from_utf8_lossy(&ok_text(admin(&["dedup", "queue", "--limit", "3", "--explain"]))).to_string();
    assert!(explained.contains("bits"), "{explained}");

    let refused = failed(admin(&["--json", "dedup", "thresholds", "--review", "1.5", "--very-likely", "0.99"]));
    assert_eq!(refused["code"], "invalid_input");
    ok(admin(&["--json", "dedup", "thresholds", "--review", "0.999", "--very-likely", "0.9999"]));
    let strict = ok(admin(&["--json", "dedup", "run"]));
    assert!(strict["individual_groups"].as_u64().unwrap() < queue["open"].as_u64().unwrap());
}

/// JSON Lines (`--all --json`): one object per line.
fn json_lines(o: Output) -> Vec<serde_json::Value> {
    ok_text(o).split(|b| *b == b'\n').filter(|l| !l.is_empty()).map(|l| serde_json::from_slice(l).unwrap()).collect()
}

#[test]
fn every_paged_list_continues_after_its_cursor_and_all_prints_every_page() {
    let tmp = tempfile::tempdir().unwrap();
    let reg = tmp.path().join("reg");
    let data = tmp.path().join("data");
    let admin = |args: &[&str]| br(&reg, "admin", "admin-password-1", args);
    ok(admin(&["--json", "gen", "--individuals", "300", "--out", data.to_str().unwrap()]));
    init_office(&admin, &data.join("areas.csv"));
    ok(admin(&["--json", "import", data.join("registrants.csv").to_str().unwrap()]));
    ok(admin(&["program", "create", "ALL", "--name", "Everyone", "--currency", "ETB"]));
    ok(admin(&["program", "activate", "ALL"]));
    ok(admin(&["program", "enrol", "ALL", "--all"]));
    ok(admin(&["dedup", "run"]));

    // Each list, page by page with --after, then in one go with --all: the same items, each once.
    let lists: [(&[&str], &str, &str, &str); 3] = [
        (&["search", "--kind", "individual", "--limit", "40"], "items", "next_cursor", "reference"),
        (&["program", "members", "ALL", "--limit", "40"], "members", "cursor", "reference"),
        (&["dedup", "queue", "--limit", "1"], "groups", "cursor", "id"),
    ];
    for (args, items, cursor, key) in lists {
        let mut paged = Vec::new();
        let mut after: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut a: Vec<&str> = [&["--json"][..], args].concat();
            if let Some(c) = &after {
                a.extend(["--after", c.as_str()]);
            }
            let page = ok(admin(&a));
            paged.extend(page[items].as_array().unwrap().iter().map(|i| i[key].to_string()));
            pages += 1;
            match page[cursor].as_str() {
                Some(c) => after = Some(c.to_string()),
                None => break,
            }
        }
        assert!(pages > 1, "{args:?} fits one page: the test would not see paging");
        let all: Vec<String> = json_lines(admin(&[&["--json"][..], args, &["--all"]].concat()))
            .iter()
            .map(|i| i[key].to_string())
            .collect();
        assert_eq!(all, paged, "{args:?}");
        let unique: std::collections::HashSet<&String> = all.iter().collect();
        assert_eq!(unique.len(), all.len(), "{args:?}: an item came twice");
        let text = String::from_utf8_lossy(&ok_text(admin(&[args, &["--all"]].concat()))).to_string();
        assert!(!text.contains("next page"), "{args:?}");
    }
    let first = String::from_utf8_lossy(&ok_text(admin(&["program", "members", "ALL", "--limit", "40"]))).to_string();
    assert!(first.lines().last().unwrap().starts_with("next page: --after "), "{first}");
    let conflict = admin(&["program", "members", "ALL", "--all", "--after", "5"]);
    assert!(!conflict.status.success(), "--all starts at the beginning");
}

fn ok_text(o: Output) -> Vec<u8> {
    assert!(o.status.success(), "stderr: {}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

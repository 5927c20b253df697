//! Every write to a synced table goes through its entity's writer, which appends the change-log op in the
//! same transaction (docs/sync-ops.md). This scans core's source for SQL that inserts, updates or deletes
//! rows of a synced table and fails on any outside the modules allowed to write that table, so a new
//! write path cannot silently skip the change log. The replay test checks what those writers log.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Synced table → the modules that write it (paths under `core/src`): the entity's writer, and its remote
/// half, which applies the same changes as they arrive from another desk (`remote.rs`, `remote/`).
fn writers() -> BTreeMap<&'static str, &'static [&'static str]> {
    BTreeMap::from([
        // The bench's raw-insert floor fills a scratch registry that is thrown away (baseline.rs).
        // Enrolment with a central server (sync/enrol.rs) gives the rows and the unpushed ops this desk
        // created its office's and its own new ids; their content and the ops' order stay as they were.
        ("registrants", &["registry/write.rs", "registry/remote.rs", "baseline.rs", "sync/enrol.rs"][..]),
        ("registrant_tags", &["registry/write.rs"][..]),
        ("id_documents", &["registry/write.rs", "registry/remote.rs", "baseline.rs"][..]),
        ("memberships", &["registry/write.rs", "registry/remote.rs"][..]),
        ("list_items", &["registry/service.rs"][..]),
        ("custom_fields", &["registry/service.rs"][..]),
        ("programs", &["program/service.rs", "disbursement/settings.rs", "program/remote.rs", "sync/enrol.rs"][..]),
        ("program_memberships", &["program/membership.rs", "program/remote.rs"][..]),
        // Open groups are a desk's working set, rebuilt by each search; decisions travel (decision.rs).
        ("duplicate_groups", &["dedup/review.rs", "dedup/decision.rs"][..]),
        ("duplicate_members", &["dedup/review.rs", "dedup/decision.rs"][..]),
        ("not_duplicates", &["dedup/decision.rs"][..]),
        (
            "cycles",
            &[
                "disbursement/cycle.rs",
                "disbursement/approval.rs",
                "disbursement/entitlement.rs",
                "disbursement/remote.rs",
                "sync/enrol.rs",
            ][..],
        ),
        ("cycle_members", &["disbursement/cycle.rs", "disbursement/remote.rs"][..]),
        (
            "entitlements",
            &[
                "disbursement/entitlement.rs",
                "disbursement/approval.rs",
                "disbursement/payment/prepare.rs",
                "disbursement/payment/reconcile.rs",
                "disbursement/cycle.rs",
                "disbursement/remote.rs",
                "disbursement/remote/payments.rs",
            ][..],
        ),
        ("approvals", &["disbursement/approval.rs", "disbursement/remote.rs"][..]),
        ("funds", &["disbursement/funds.rs", "disbursement/remote/payments.rs"][..]),
        (
            "payment_batches",
            &["disbursement/payment.rs", "disbursement/payment/prepare.rs", "disbursement/remote/payments.rs"][..],
        ),
        (
            "payments",
            &[
                "disbursement/payment.rs",
                "disbursement/payment/prepare.rs",
                "disbursement/payment/reconcile.rs",
                "disbursement/remote/payments.rs",
            ][..],
        ),
        ("outbox", &["outbox.rs", "sync/enrol.rs"][..]),
        ("applied_ops", &["replay/mod.rs"][..]),
        ("sync_conflicts", &["replay/mod.rs"][..]),
    ])
}

/// The tables that SQL in `text` writes: the word after `INTO`, `DELETE FROM` or `UPDATE` (not `DO UPDATE
/// SET`, which is part of an insert).
fn written_tables(text: &str) -> Vec<String> {
    let cleaned: String =
        text.chars().map(|c| if c.is_alphanumeric() || c == '_' || c == '.' { c } else { ' ' }).collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).copied().unwrap_or("");
        let table = match *w {
            "INTO" => next,
            "UPDATE" if next != "SET" => next,
            "FROM" if i > 0 && words[i - 1] == "DELETE" => next,
            _ => continue,
        };
        out.push(table.trim_start_matches("main.").to_string());
    }
    out
}

#[test]
fn synced_tables_are_written_only_by_their_writers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    common::rust_sources(&root, &mut files);
    let writers = writers();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut stray = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(file).unwrap();
        for table in written_tables(&text) {
            let Some((name, allowed)) = writers.get_key_value(table.as_str()) else { continue };
            *seen.entry(name).or_default() += 1;
            if !allowed.contains(&rel.as_str()) {
                stray.push(format!("{rel} writes {table}"));
            }
        }
    }
    assert!(stray.is_empty(), "writes to synced tables outside their writers: {stray:#?}");
    for table in writers.keys() {
        assert!(seen.contains_key(table), "the scan found no write to {table}: is the scanner still reading the SQL?");
    }
}

#[test]
fn the_scanner_reads_sql_as_written_in_the_source() {
    let sql = r#"conn.execute("INSERT OR IGNORE INTO not_duplicates (low, high)", [])
        "UPDATE
             entitlements SET state = 'paid'"
        "INSERT INTO x (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = 2"
        "DELETE FROM main.cycles WHERE rowid = ?1""#;
    assert_eq!(written_tables(sql), ["not_duplicates", "entitlements", "x", "cycles"]);
}

#[test]
fn replayed_ops_are_not_logged_again() {
    // A desk's change log holds only its own changes: the remote halves never append an op, or a replayed
    // op would travel back to where it came from.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    common::rust_sources(&root, &mut files);
    let remote: Vec<&PathBuf> = files
        .iter()
        .filter(|f| {
            f.file_name().is_some_and(|n| n == "remote.rs") || f.parent().is_some_and(|p| p.ends_with("remote"))
        })
        .collect();
    assert_eq!(remote.len(), 4, "{remote:?}");
    for f in remote {
        assert!(!std::fs::read_to_string(f).unwrap().contains("append_op"), "{} appends ops", f.display());
    }
}

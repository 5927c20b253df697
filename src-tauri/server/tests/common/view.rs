//! The server's registry view (what the DCI answers read) against a desk that holds the same scope.

use super::{Central, Desk};

/// Rows as `key value…` lines, sorted, from the server's database.
fn server_rows(central: &Central, sql: &str) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut rows: Vec<String> = rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&central.pg.url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        client.query(sql, &[]).await.unwrap().iter().map(|r| r.get::<_, String>(0)).collect()
    });
    rows.sort();
    rows
}

fn desk_rows(desk: &Desk, sql: &str) -> Vec<String> {
    let mut rows: Vec<String> = desk.column(sql);
    rows.sort();
    rows
}

/// A PostgreSQL uuid as SQLite's `hex()` writes the same 16 bytes.
fn hex(column: &str) -> String {
    format!("upper(replace({column}::text, '-', ''))")
}

/// Asserts that the view holds what `desk` holds: each registrant's status, merge and IDs, each
/// membership's state, each entitlement's state and amount, each payment's state.
pub fn assert_view_matches(central: &Central, desk: &Desk) {
    let checks = [
        (
            "registrants",
            format!(
                "SELECT {} || ' ' || status || ' ' || (merged_into IS NOT NULL) FROM registry_registrants",
                hex("id")
            ),
            "SELECT hex(id) || ' ' || status || ' ' || iif(merged_into IS NOT NULL, 'true', 'false') FROM registrants"
                .to_string(),
        ),
        (
            "ids",
            format!("SELECT {} || ' ' || id_type || ' ' || value FROM registry_ids", hex("registrant")),
            "SELECT hex(r.id) || ' ' || d.id_type || ' ' || d.value FROM id_documents d JOIN registrants r ON r.rowid = d.registrant"
                .to_string(),
        ),
        (
            "memberships",
            format!("SELECT {} || ' ' || {} || ' ' || state FROM registry_memberships", hex("program"), hex("registrant")),
            "SELECT hex(p.id) || ' ' || hex(r.id) || ' ' || m.state FROM program_memberships m
             JOIN programs p ON p.rowid = m.program JOIN registrants r ON r.rowid = m.registrant"
                .to_string(),
        ),
        (
            "entitlements",
            format!("SELECT {} || ' ' || state || ' ' || amount FROM registry_entitlements", hex("id")),
            "SELECT hex(id) || ' ' || state || ' ' || amount FROM entitlements".to_string(),
        ),
        (
            "payments",
            format!("SELECT {} || ' ' || state FROM registry_payments", hex("id")),
            "SELECT hex(id) || ' ' || state FROM payments".to_string(),
        ),
    ];
    for (what, on_server, on_desk) in checks {
        let (view, held) = (server_rows(central, &on_server), desk_rows(desk, &on_desk));
        assert!(!held.is_empty(), "the desk holds no {what}: the comparison would prove nothing");
        assert_eq!(view, held, "the server's view of {what} differs from the desk's");
    }
}

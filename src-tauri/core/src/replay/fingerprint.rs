//! A fingerprint of every synced table: a SHA-256 per table over its rows as they travel (rows named by
//! UUIDs instead of this registry's row numbers, in a fixed order), leaving out each registry's own
//! bookkeeping: row numbers, wall-clock times of writing, import runs and payment row ranges. Two
//! registries that hold the same synced data have the same fingerprint (docs/sync-ops.md).

use rusqlite::Connection;
use serde::Serialize;
use ts_rs::TS;

use crate::error::Result;

/// Each synced table and the query that lists its synced content.
const TABLES: &[(&str, &str)] = &[
    (
        "registrants",
        "SELECT r.id, r.kind, r.reference, r.external_id, r.given_name, r.family_name, r.group_name, r.sort_name, r.sex,
                r.birth_date, r.birth_date_approx, r.phone, r.phone_norm, r.area, r.tags, r.custom, r.status,
                r.disabled_reason, r.registered_on, r.office_id, r.version, r.content_hash, r.financial_address,
                s.id, r.field_stamps
         FROM registrants r LEFT JOIN registrants s ON s.rowid = r.merged_into ORDER BY r.id",
    ),
    (
        "registrant_tags",
        "SELECT r.id, t.tag FROM registrant_tags t JOIN registrants r ON r.rowid = t.registrant ORDER BY 1, 2",
    ),
    (
        "id_documents",
        "SELECT r.id, d.id_type, d.value, d.value_norm, d.expiry, d.status
         FROM id_documents d JOIN registrants r ON r.rowid = d.registrant ORDER BY 1, 2",
    ),
    (
        "memberships",
        "SELECT g.id, i.id, m.kind, m.is_head, m.start_date, m.end_date FROM memberships m
         JOIN registrants g ON g.rowid = m.group_rowid JOIN registrants i ON i.rowid = m.individual_rowid ORDER BY 1, 2",
    ),
    ("list_items", "SELECT list, code, label, parent, active FROM list_items ORDER BY 1, 2"),
    ("custom_fields", "SELECT name, label, field_type, choices, required, personal FROM custom_fields ORDER BY 1"),
    (
        "programs",
        "SELECT id, code, name, description, target, currency, state, archived, eligibility_rule, pmt_expression,
                pmt_threshold, auto_enrol, office_id, version, created_at, entitlement_rule, approval_stages, recurrence
         FROM programs ORDER BY id",
    ),
    (
        "program_memberships",
        "SELECT p.id, r.id, m.id, m.state, m.state_before_duplicate, m.enrolled_on, m.exited_on, m.reason, m.pmt_score,
                m.version
         FROM program_memberships m JOIN programs p ON p.rowid = m.program JOIN registrants r ON r.rowid = m.registrant
         ORDER BY 1, 2",
    ),
    (
        "duplicate_groups",
        "SELECT g.id, p.id, g.kind, g.score, g.reasons, g.status, g.decided_by, g.comment
         FROM duplicate_groups g LEFT JOIN programs p ON p.rowid = g.scope WHERE g.status <> 'open' ORDER BY g.id",
    ),
    (
        "duplicate_members",
        "SELECT g.id, r.id FROM duplicate_members m JOIN duplicate_groups g ON g.rowid = m.group_rowid
         JOIN registrants r ON r.rowid = m.registrant WHERE g.status <> 'open' ORDER BY 1, 2",
    ),
    (
        "not_duplicates",
        "SELECT a.id, b.id FROM not_duplicates n JOIN registrants a ON a.rowid = n.low JOIN registrants b ON b.rowid = n.high
         ORDER BY 1, 2",
    ),
    (
        "cycles",
        "SELECT c.id, p.id, c.sequence, c.name, c.start_date, c.end_date, c.state, c.prepared_by, c.submitted_by,
                c.office_id, c.version, c.stages
         FROM cycles c JOIN programs p ON p.rowid = c.program ORDER BY c.id",
    ),
    (
        "cycle_members",
        "SELECT c.id, r.id FROM cycle_members m JOIN cycles c ON c.rowid = m.cycle JOIN registrants r ON r.rowid = m.registrant
         ORDER BY 1, 2",
    ),
    (
        "entitlements",
        "SELECT e.id, c.id, r.id, e.kind, e.amount, e.fee, e.currency, e.product, e.quantity, e.unit, e.voucher_code,
                e.valid_from, e.valid_until, e.state, e.stage, e.reason, e.version, e.edited_by
         FROM entitlements e JOIN cycles c ON c.rowid = e.cycle JOIN registrants r ON r.rowid = e.registrant ORDER BY e.id",
    ),
    (
        "approvals",
        "SELECT a.id, c.id, e.id, a.stage, a.decision, a.actor, a.role, a.comment, a.count, a.total
         FROM approvals a JOIN cycles c ON c.rowid = a.cycle LEFT JOIN entitlements e ON e.rowid = a.entitlement ORDER BY a.id",
    ),
    (
        "funds",
        "SELECT f.id, p.id, f.amount, f.currency, f.state, f.reference, f.created_by, f.posted_by, f.version
         FROM funds f JOIN programs p ON p.rowid = f.program ORDER BY f.id",
    ),
    (
        "payment_batches",
        "SELECT b.id, c.id, b.sequence, b.state, b.count, b.total, b.created_by
         FROM payment_batches b JOIN cycles c ON c.rowid = b.cycle ORDER BY b.id",
    ),
    (
        "payments",
        "SELECT p.id, b.id, e.id, p.account, p.amount, p.currency, p.state, p.external_ref, p.reason
         FROM payments p JOIN payment_batches b ON b.rowid = p.batch JOIN entitlements e ON e.rowid = p.entitlement
         ORDER BY p.id",
    ),
];

/// One table's rows and their hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct TableFingerprint {
    pub table: String,
    pub rows: u64,
    pub sha256: String,
}

pub fn fingerprint(conn: &Connection) -> Result<Vec<TableFingerprint>> {
    let mut out = Vec::with_capacity(TABLES.len());
    for (table, sql) in TABLES {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        let mut stmt = conn.prepare(sql)?;
        let columns = stmt.column_count();
        let mut rows = stmt.query([])?;
        let mut n = 0u64;
        while let Some(row) = rows.next()? {
            for i in 0..columns {
                // Length-prefixed with a type tag, so no two different rows hash alike.
                let (tag, bytes): (u8, Vec<u8>) = match row.get_ref(i)? {
                    rusqlite::types::ValueRef::Null => (0, Vec::new()),
                    rusqlite::types::ValueRef::Integer(v) => (1, v.to_le_bytes().to_vec()),
                    rusqlite::types::ValueRef::Real(v) => (2, v.to_le_bytes().to_vec()),
                    rusqlite::types::ValueRef::Text(t) => (3, t.to_vec()),
                    rusqlite::types::ValueRef::Blob(b) => (4, b.to_vec()),
                };
                ctx.update(&[tag]);
                ctx.update(&(bytes.len() as u64).to_le_bytes());
                ctx.update(&bytes);
            }
            n += 1;
        }
        let digest = ctx.finish();
        let sha256 = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        out.push(TableFingerprint { table: table.to_string(), rows: n, sha256 });
    }
    Ok(out)
}

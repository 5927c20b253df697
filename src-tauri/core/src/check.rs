//! `br check`: the registry's invariants, verified on the file as it is. Run after a crash, a restore or
//! an upgrade, and by the kill tests after every killed operation: a registry that passes opens, its file
//! is sound, its audit chain and change log are whole, and no row contradicts another.

use rusqlite::Connection;
use serde::Serialize;
use ts_rs::TS;

use crate::auth::{require, Permission, Session};
use crate::error::Result;
use crate::store::Store;

#[derive(Debug, Clone, Serialize, TS)]
pub struct CheckResult {
    /// A stable name, e.g. `payments.one_live_per_entitlement`.
    pub name: String,
    /// What holds when the check passes.
    pub description: String,
    /// Rows (or entries) that break it; 0 when it holds.
    pub problems: i64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct CheckReport {
    pub ok: bool,
    pub checks: Vec<CheckResult>,
}

/// Invariants that one query counts the breaches of. Registrants are never deleted, so a reference to a
/// registrant that is not there is a lost row, not a removed one.
const COUNTED: &[(&str, &str, &str)] = &[
    (
        "households.members_are_individuals",
        "every household membership joins a household to an individual that exist",
        "SELECT count(*) FROM memberships m
         LEFT JOIN registrants g ON g.rowid = m.group_rowid
         LEFT JOIN registrants i ON i.rowid = m.individual_rowid
         WHERE g.kind IS NOT 'group' OR i.kind IS NOT 'individual'",
    ),
    (
        "id_documents.registrant_exists",
        "every ID document belongs to a registrant",
        "SELECT count(*) FROM id_documents d WHERE NOT EXISTS (SELECT 1 FROM registrants r WHERE r.rowid = d.registrant)",
    ),
    (
        "registrants.merged_into_survivor",
        "a merged registrant is disabled and points at a survivor that was not itself merged",
        "SELECT count(*) FROM registrants r LEFT JOIN registrants s ON s.rowid = r.merged_into
         WHERE r.merged_into IS NOT NULL AND (s.rowid IS NULL OR s.merged_into IS NOT NULL OR r.status <> 'disabled')",
    ),
    (
        "registrants.reference_counter_ahead",
        "the next reference number is above every reference given",
        "SELECT count(*) FROM registrants r, office o
         WHERE substr(r.reference, 1, length(coalesce(o.reference_prefix, o.code)) + 1) = coalesce(o.reference_prefix, o.code) || '-'
           AND CAST(substr(r.reference, length(coalesce(o.reference_prefix, o.code)) + 2) AS INTEGER) >= o.next_reference",
    ),
    (
        "registrants.counts_exact",
        "the dashboard's counts, kept as registrants are written, equal a recount of the registrants",
        "SELECT (SELECT count(*) FROM (
                   SELECT kind, status, ifnull(area, ''), ifnull(sex, ''), count(*) FROM registrants GROUP BY 1, 2, 3, 4
                   EXCEPT SELECT kind, status, area, sex, n FROM registrant_counts WHERE n <> 0))
              + (SELECT count(*) FROM (
                   SELECT kind, status, area, sex, n FROM registrant_counts WHERE n <> 0
                   EXCEPT SELECT kind, status, ifnull(area, ''), ifnull(sex, ''), count(*) FROM registrants GROUP BY 1, 2, 3, 4))
              + (SELECT count(*) FROM (
                   SELECT status, ifnull(birth_date, ''), count(*) FROM registrants WHERE kind = 'individual' GROUP BY 1, 2
                   EXCEPT SELECT status, birth_date, n FROM birth_date_counts WHERE n <> 0))
              + (SELECT count(*) FROM (
                   SELECT status, birth_date, n FROM birth_date_counts WHERE n <> 0
                   EXCEPT SELECT status, ifnull(birth_date, ''), count(*) FROM registrants WHERE kind = 'individual' GROUP BY 1, 2))",
    ),
    (
        "registrants.facts_match",
        "every registrant's narrow copy for rule previews (registrant_facts) holds what its row holds",
        "SELECT (SELECT count(*) FROM registrants r LEFT JOIN registrant_facts f ON f.rowid = r.rowid
                 WHERE f.rowid IS NULL OR f.kind IS NOT r.kind OR f.status IS NOT r.status OR f.sex IS NOT r.sex
                    OR f.birth_date IS NOT r.birth_date OR f.birth_date_approx IS NOT r.birth_date_approx
                    OR f.area IS NOT r.area OR f.registered_on IS NOT r.registered_on)
              + (SELECT count(*) FROM registrant_facts f WHERE NOT EXISTS (SELECT 1 FROM registrants r WHERE r.rowid = f.rowid))",
    ),
    (
        "program_memberships.registrant_exists",
        "every program membership belongs to a registrant",
        "SELECT count(*) FROM program_memberships p
         WHERE NOT EXISTS (SELECT 1 FROM registrants r WHERE r.rowid = p.registrant)",
    ),
    (
        "duplicate_members.registrant_exists",
        "every member of a duplicate group is a registrant",
        "SELECT count(*) FROM duplicate_members d
         WHERE NOT EXISTS (SELECT 1 FROM registrants r WHERE r.rowid = d.registrant)",
    ),
    (
        "cycle_members.registrant_exists",
        "every cycle member is a registrant",
        "SELECT count(*) FROM cycle_members c WHERE NOT EXISTS (SELECT 1 FROM registrants r WHERE r.rowid = c.registrant)",
    ),
    (
        "entitlements.for_cycle_members",
        "every entitlement is for a registrant who is a member of its cycle",
        "SELECT count(*) FROM entitlements e
         WHERE NOT EXISTS (SELECT 1 FROM cycle_members c WHERE c.cycle = e.cycle AND c.registrant = e.registrant)",
    ),
    (
        "entitlements.currency_of_program",
        "every entitlement is in its program's currency",
        "SELECT count(*) FROM entitlements e JOIN cycles c ON c.rowid = e.cycle JOIN programs p ON p.rowid = c.program
         WHERE e.currency <> p.currency",
    ),
    (
        "payments.match_entitlement",
        "every payment pays its entitlement's amount in its currency",
        "SELECT count(*) FROM payments p LEFT JOIN entitlements e ON e.rowid = p.entitlement
         WHERE e.rowid IS NULL OR p.amount <> e.amount OR p.currency <> e.currency",
    ),
    (
        "payments.one_live_per_entitlement",
        "no entitlement has two payments queued, sent or paid (nothing paid twice)",
        "SELECT count(*) FROM (SELECT entitlement FROM payments WHERE state IN ('queued', 'sent', 'paid')
                               GROUP BY entitlement HAVING count(*) > 1)",
    ),
    (
        "entitlements.state_matches_payments",
        "an entitlement in payment has a payment under way, a paid one a paid (or since reversed) payment, an approved one none",
        "SELECT count(*) FROM entitlements e WHERE
           (e.state = 'in_payment' AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.entitlement = e.rowid AND p.state IN ('queued', 'sent')))
        OR (e.state = 'paid' AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.entitlement = e.rowid AND p.state IN ('paid', 'reversed')))
        OR (e.state = 'approved' AND EXISTS (SELECT 1 FROM payments p WHERE p.entitlement = e.rowid AND p.state IN ('queued', 'sent', 'paid')))",
    ),
    (
        "payment_batches.totals_equal_payments",
        "each payment batch's count and total equal its payments",
        "SELECT count(*) FROM payment_batches b WHERE b.count <> (SELECT count(*) FROM payments p WHERE p.rowid BETWEEN b.first_payment AND b.last_payment AND p.batch = b.rowid)
            OR b.total <> (SELECT ifnull(sum(p.amount), 0) FROM payments p WHERE p.rowid BETWEEN b.first_payment AND b.last_payment AND p.batch = b.rowid)
            OR b.count <> (SELECT count(*) FROM payments p WHERE p.batch = b.rowid)",
    ),
    (
        "funds.currency_of_program",
        "every fund is in its program's currency",
        "SELECT count(*) FROM funds f JOIN programs p ON p.rowid = f.program WHERE f.currency <> p.currency",
    ),
    (
        "change_log.gapless",
        "the change log's sequence has no gap",
        "SELECT ifnull(max(seq) - min(seq) + 1 - count(*), 0) FROM outbox",
    ),
    (
        "change_log.this_office",
        "every op in the change log was written by this office",
        "SELECT count(*) FROM outbox x, office o WHERE x.office_id <> o.office_id",
    ),
    (
        "change_log.this_desk",
        "every typed op in the change log names this desk",
        "SELECT count(*) FROM outbox x, office o WHERE x.format > 0 AND x.device_id IS NOT o.device_id",
    ),
    (
        "change_log.untyped_only_before_typed",
        "no untyped op follows a typed one (untyped ones predate schema 6)",
        "SELECT count(*) FROM outbox WHERE format = 0
            AND seq > (SELECT coalesce(min(seq), 9223372036854775807) FROM outbox WHERE format > 0)",
    ),
    (
        "change_log.clock_forward",
        "each op's clock stamp is not before the previous op's",
        "SELECT count(*) FROM outbox a JOIN outbox b ON b.seq = a.seq + 1 WHERE b.hlc < a.hlc",
    ),
    (
        "import_runs.counts",
        "no finished import counts more rows written than it read",
        "SELECT count(*) FROM import_runs WHERE inserted + updated + rejected > rows_read",
    ),
];

/// Every check; `ok` when every one finds nothing.
pub fn run(store: &Store, session: &Session) -> Result<CheckReport> {
    require(store, session, Permission::AuditRead, "registry.check")?;
    let mut checks = store.read(|conn| {
        let mut out = vec![file_integrity(conn)?, foreign_keys(conn)?];
        for (name, description, sql) in COUNTED {
            let problems: i64 = conn.query_row(sql, [], |r| r.get(0))?;
            out.push(CheckResult { name: name.to_string(), description: description.to_string(), problems });
        }
        Ok(out)
    })?;
    let audit = crate::audit::verify(store)?;
    checks.push(CheckResult {
        name: "audit.chain".into(),
        description: "the audit log's HMAC chain is whole up to its recorded head".into(),
        problems: i64::from(!audit.ok),
    });
    Ok(CheckReport { ok: checks.iter().all(|c| c.problems == 0), checks })
}

fn file_integrity(conn: &Connection) -> Result<CheckResult> {
    let mut st = conn.prepare("PRAGMA integrity_check")?;
    let lines: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    let problems = if lines == ["ok"] { 0 } else { lines.len() as i64 };
    Ok(CheckResult {
        name: "file.integrity".into(),
        description: "SQLite's integrity check finds the database file sound".into(),
        problems,
    })
}

fn foreign_keys(conn: &Connection) -> Result<CheckResult> {
    let mut st = conn.prepare("PRAGMA foreign_key_check")?;
    let problems = st.query_map([], |_| Ok(()))?.count() as i64;
    Ok(CheckResult {
        name: "file.foreign_keys".into(),
        description: "every declared reference points at an existing row".into(),
        problems,
    })
}

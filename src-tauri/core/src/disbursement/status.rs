//! Disbursement status: a cycle's numbers (the cycle dashboard) and the approved-entitlements export.

use std::path::Path;

use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::cycle;
use super::entitlement::{view_from_row, VIEW_COLUMNS, VIEW_FROM};
use super::funds;
use super::model::{AreaTotal, CycleSummary, StateTotal};
use super::payment::batches_of;
use super::settings::effective_stages;
use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::error::{CoreError, Result};
use crate::files::output::OutputFile;
use crate::io::export::neutralise;
use crate::program::service::{resolve as resolve_program, ProgramKey};
use crate::store::Store;

pub fn summary(store: &Store, session: &Session, cycle: Uuid) -> Result<CycleSummary> {
    require(store, session, Permission::RegistryRead, "cycle.view")?;
    store.read(|c| summary_in(c, cycle))
}

pub fn summary_in(conn: &Connection, cycle: Uuid) -> Result<CycleSummary> {
    let c = cycle::resolve(conn, cycle)?;
    let p = resolve_program(conn, &ProgramKey::Id(c.cycle.program_id))?;
    let stages = effective_stages(&p.program.disbursement.stages);
    let members: i64 =
        conn.query_row("SELECT count(*) FROM cycle_members WHERE cycle = ?1", [c.rowid], |r| r.get(0))?;
    let mut by_state = Vec::new();
    let mut pending_by_stage = vec![0u64; stages.len()];
    {
        let mut st = conn.prepare_cached(
            "SELECT state, stage, count(*), sum(amount), sum(fee), ifnull(sum(quantity), 0) FROM entitlements
             WHERE cycle = ?1 GROUP BY state, stage",
        )?;
        let rows = st.query_map([c.rowid], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, i64>(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?;
        for row in rows {
            let (state, stage, count, amount, fee, quantity): (String, Option<i64>, i64, i64, i64, i64) = row?;
            if state == "pending" {
                if let Some(slot) = stage.and_then(|s| pending_by_stage.get_mut(s as usize - 1)) {
                    *slot += count as u64;
                }
            }
            match by_state.iter_mut().find(|t: &&mut StateTotal| t.state == state) {
                Some(t) => {
                    t.count += count as u64;
                    t.amount += amount;
                    t.fee += fee;
                    t.quantity += quantity;
                }
                None => by_state.push(StateTotal { state, count: count as u64, amount, fee, quantity }),
            }
        }
    }
    let live = |t: &&StateTotal| !matches!(t.state.as_str(), "cancelled" | "rejected" | "expired");
    let total_count = by_state.iter().filter(live).map(|t| t.count).sum();
    let total_amount = by_state.iter().filter(live).map(|t| t.amount).sum();
    let total_fee = by_state.iter().filter(live).map(|t| t.fee).sum();
    let by_area = {
        let mut st = conn.prepare_cached(
            "SELECT ifnull(r.area, ''), count(*), sum(e.amount) FROM entitlements e JOIN registrants r ON r.rowid = e.registrant
             WHERE e.cycle = ?1 AND e.state NOT IN ('cancelled', 'rejected', 'expired') GROUP BY r.area ORDER BY r.area",
        )?;
        let rows = st.query_map([c.rowid], |r| {
            Ok(AreaTotal { area: r.get(0)?, count: r.get::<_, i64>(1)? as u64, amount: r.get(2)? })
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    let (posted, committed) = funds::available(conn, p.rowid)?;
    let approvals = {
        let mut st = conn.prepare_cached(&format!(
            "SELECT {} FROM approvals a LEFT JOIN entitlements e ON e.rowid = a.entitlement WHERE a.cycle = ?1 ORDER BY a.rowid",
            super::entitlement::APPROVAL_COLUMNS
        ))?;
        let rows = st.query_map([c.rowid], super::entitlement::approval_from_row)?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    let largest = {
        let mut st = conn.prepare_cached(&format!(
            "SELECT {VIEW_COLUMNS} {VIEW_FROM} WHERE e.cycle = ?1 AND e.state NOT IN ('cancelled', 'rejected')
             ORDER BY e.amount DESC, e.quantity DESC LIMIT 10"
        ))?;
        let rows = st.query_map([c.rowid], |r| view_from_row(r).map(|v| v.0))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    Ok(CycleSummary {
        members: members as u64,
        by_state,
        by_area,
        total_count,
        total_amount,
        total_fee,
        funds_available: posted - committed,
        stages,
        pending_by_stage,
        approvals,
        batches: batches_of(conn, c.rowid)?,
        largest,
        cycle: c.cycle,
    })
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ExportEntitlements {
    pub cycle: Uuid,
    pub path: String,
    /// Add the beneficiary's name and financial address unmasked (needs the permission; audited).
    #[serde(default)]
    pub include_personal: bool,
    /// Replace the file if it exists (the person confirmed it); otherwise an existing file is refused.
    #[serde(default)]
    pub overwrite: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct EntitlementsExport {
    pub rows: u64,
    pub contains_personal_data: bool,
    pub path: String,
}

/// Writes a cycle's approved (and paying or paid) entitlements to CSV.
pub fn export_approved(store: &Store, session: &Session, req: &ExportEntitlements) -> Result<EntitlementsExport> {
    require(store, session, Permission::ExportRun, "entitlements.export")?;
    if req.include_personal {
        require(store, session, Permission::PersonalDataReveal, "entitlements.export_personal")?;
    }
    let path = Path::new(&req.path);
    let io = |e: std::io::Error| CoreError::io(format!("writing {}", path.display()), e);
    let mut out = OutputFile::create(store.dir(), path, req.overwrite)?;
    let rows = store.read(|conn| {
        let c = cycle::resolve(conn, req.cycle)?;
        let mut w = csv::Writer::from_writer(out.file());
        let mut header = vec![
            "entitlement_id", "program", "cycle", "reference", "area", "kind", "amount_minor", "fee_minor", "currency",
            "product", "quantity", "unit", "voucher_code", "valid_from", "valid_until", "state",
        ];
        if req.include_personal {
            header.extend(["name", "financial_address"]);
        }
        w.write_record(&header).map_err(|e| io(e.into()))?;
        let mut st = conn.prepare(
            "SELECT e.id, r.reference, r.area, e.kind, e.amount, e.fee, e.currency, e.product, e.quantity, e.unit,
                    e.voucher_code, e.valid_from, e.valid_until, e.state, r.kind, r.given_name, r.family_name, r.group_name,
                    r.financial_address
             FROM entitlements e JOIN registrants r ON r.rowid = e.registrant
             WHERE e.cycle = ?1 AND e.state IN ('approved', 'in_payment', 'paid', 'failed') ORDER BY e.registrant",
        )?;
        let mut rows = st.query(params![c.rowid])?;
        let mut n = 0u64;
        while let Some(r) = rows.next()? {
            let opt = |i: usize| -> rusqlite::Result<String> {
                Ok(r.get::<_, Option<rusqlite::types::Value>>(i)?
                    .map(|v| match v {
                        rusqlite::types::Value::Integer(i) => i.to_string(),
                        rusqlite::types::Value::Text(t) => t,
                        _ => String::new(),
                    })
                    .unwrap_or_default())
            };
            let mut rec = vec![
                r.get::<_, Uuid>(0)?.to_string(),
                c.cycle.program_code.clone(),
                c.cycle.name.clone(),
                opt(1)?,
                opt(2)?,
                opt(3)?,
                opt(4)?,
                opt(5)?,
                opt(6)?,
                opt(7)?,
                opt(8)?,
                opt(9)?,
                opt(10)?,
                opt(11)?,
                opt(12)?,
                opt(13)?,
            ];
            if req.include_personal {
                let name = if opt(14)? == "group" { opt(17)? } else { format!("{} {}", opt(15)?, opt(16)?).trim().to_string() };
                rec.push(name);
                rec.push(opt(18)?);
            }
            let rec: Vec<String> = rec.iter().map(|c| neutralise(c)).collect();
            w.write_record(&rec).map_err(|e| io(e.into()))?;
            n += 1;
        }
        w.flush().map_err(io)?;
        Ok(n)
    })?;
    out.finish()?;
    store.write_as(session.username(), |tx| {
        tx.audit(
            AuditEvent::new(session, "entitlements.export")
                .on("cycle", req.cycle.to_string())
                .details(serde_json::json!({ "rows": rows, "contains_personal_data": req.include_personal })),
        )
    })?;
    Ok(EntitlementsExport { rows, contains_personal_data: req.include_personal, path: path.display().to_string() })
}

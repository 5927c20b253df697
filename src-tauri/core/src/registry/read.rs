//! Reading registrants back, masked unless revealed.

use rusqlite::{Connection, OptionalExtension};
use uuid::Uuid;

use super::model::{
    IdDocument, MembershipLink, Registrant, RegistrantFields, RegistrantKind, RegistrantStatus, RegistrantSummary,
};
use crate::audit::AuditEntry;
use crate::error::Result;
use crate::normalize::{mask_date, mask_name, mask_tail};

/// Columns every summary query selects, in this order.
pub const SUMMARY_COLUMNS: &str =
    "r.id, r.kind, r.reference, r.given_name, r.family_name, r.group_name, r.sex, r.birth_date, r.area, r.status";

pub fn summary_from_row(r: &rusqlite::Row<'_>, reveal: bool) -> rusqlite::Result<RegistrantSummary> {
    let kind = RegistrantKind::parse(&r.get::<_, String>(1)?).unwrap_or(RegistrantKind::Individual);
    let given: Option<String> = r.get(3)?;
    let family: Option<String> = r.get(4)?;
    let group: Option<String> = r.get(5)?;
    let birth: Option<String> = r.get(7)?;
    let display_name = match kind {
        RegistrantKind::Individual => {
            let parts: Vec<String> =
                [given, family].into_iter().flatten().map(|n| if reveal { n } else { mask_name(&n) }).collect();
            parts.join(" ")
        }
        RegistrantKind::Group => group.map(|g| if reveal { g } else { mask_name(&g) }).unwrap_or_default(),
    };
    Ok(RegistrantSummary {
        id: r.get(0)?,
        kind,
        reference: r.get(2)?,
        display_name,
        sex: r.get(6)?,
        birth_date: birth.map(|b| if reveal { b } else { mask_date(&b) }),
        area: r.get(8)?,
        status: RegistrantStatus::parse(&r.get::<_, String>(9)?).unwrap_or(RegistrantStatus::Active),
    })
}

pub fn mask_fields(f: &mut RegistrantFields, personal_custom: &[String]) {
    for v in [&mut f.given_name, &mut f.family_name, &mut f.group_name].into_iter().flatten() {
        *v = mask_name(v);
    }
    if let Some(b) = &mut f.birth_date {
        *b = mask_date(b);
    }
    if let Some(p) = &mut f.phone {
        *p = mask_tail(p, 3);
    }
    if let Some(a) = &mut f.financial_address {
        *a = mask_tail(a, 3);
    }
    for d in &mut f.ids {
        d.value = mask_tail(&d.value, 3);
    }
    for name in personal_custom {
        if let Some(v) = f.custom.get_mut(name) {
            *v = serde_json::Value::String("•••".into());
        }
    }
}

/// The full record by rowid, unmasked; callers mask.
pub fn load(conn: &Connection, rowid: i64) -> Result<Option<Registrant>> {
    let row = conn
        .prepare_cached(
            "SELECT id, kind, reference, status, disabled_reason, registered_on, version, external_id, given_name,
                    family_name, group_name, sex, birth_date, birth_date_approx, phone, area, tags, custom,
                    financial_address
             FROM registrants WHERE rowid = ?1",
        )?
        .query_row([rowid], |r| {
            let tags: Option<String> = r.get(16)?;
            let custom: Option<String> = r.get(17)?;
            let fields = RegistrantFields {
                external_id: r.get(7)?,
                given_name: r.get(8)?,
                family_name: r.get(9)?,
                group_name: r.get(10)?,
                sex: r.get(11)?,
                birth_date: r.get(12)?,
                birth_date_approx: r.get(13)?,
                phone: r.get(14)?,
                financial_address: r.get(18)?,
                area: r.get(15)?,
                tags: tags.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default(),
                custom: custom.and_then(|c| serde_json::from_str(&c).ok()).unwrap_or_default(),
                ids: Vec::new(),
            };
            Ok(Registrant {
                id: r.get(0)?,
                kind: RegistrantKind::parse(&r.get::<_, String>(1)?).unwrap_or(RegistrantKind::Individual),
                reference: r.get(2)?,
                status: RegistrantStatus::parse(&r.get::<_, String>(3)?).unwrap_or(RegistrantStatus::Active),
                disabled_reason: r.get(4)?,
                registered_on: r.get(5)?,
                version: r.get::<_, i64>(6)?.to_string(),
                fields,
                masked: false,
            })
        })
        .optional()?;
    let Some(mut reg) = row else { return Ok(None) };
    let mut stmt =
        conn.prepare_cached("SELECT id_type, value, expiry FROM id_documents WHERE registrant = ?1 ORDER BY id_type")?;
    reg.fields.ids = stmt
        .query_map([rowid], |r| Ok(IdDocument { id_type: r.get(0)?, value: r.get(1)?, expiry: r.get(2)? }))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(reg))
}

pub fn memberships(conn: &Connection, rowid: i64, kind: RegistrantKind, reveal: bool) -> Result<Vec<MembershipLink>> {
    // An individual's page lists its groups; a group's page lists its members.
    let (this_side, other_side) = match kind {
        RegistrantKind::Individual => ("individual_rowid", "group_rowid"),
        RegistrantKind::Group => ("group_rowid", "individual_rowid"),
    };
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, m.kind, m.is_head, m.start_date, m.end_date
         FROM memberships m JOIN registrants r ON r.rowid = m.{other_side}
         WHERE m.{this_side} = ?1 ORDER BY m.is_head DESC, r.rowid"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([rowid], |r| {
        Ok(MembershipLink {
            registrant: summary_from_row(r, reveal)?,
            kind: r.get(10)?,
            is_head: r.get(11)?,
            start_date: r.get(12)?,
            end_date: r.get(13)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn history(conn: &Connection, id: Uuid) -> Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {} FROM audit_log WHERE entity_id = ?1 ORDER BY seq DESC LIMIT 200",
        crate::audit::ENTRY_COLUMNS
    ))?;
    let rows = stmt.query_map([id.to_string()], crate::audit::entry_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

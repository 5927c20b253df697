//! A cycle's entitlements a page at a time: all, one state, or the cash that cannot be paid for want of a
//! financial address (the people behind preparation's "without a financial address" count).

use rusqlite::types::Value;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::{view_from_row, VIEW_COLUMNS, VIEW_FROM};
use crate::auth::{require, Permission, Session};
use crate::disbursement::cycle;
use crate::disbursement::model::{EntitlementState, EntitlementView};
use crate::disbursement::payee::PAYEE_ADDRESS;
use crate::error::Result;
use crate::store::Store;

/// A page of a cycle's entitlements in registrant order, optionally of one state.
#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct EntitlementsQuery {
    pub cycle: Uuid,
    #[serde(default)]
    #[ts(optional)]
    pub state: Option<EntitlementState>,
    /// Only cash entitlements, approved or failed, whose payee has no financial address: payment
    /// preparation leaves them out until one is recorded.
    #[serde(default)]
    #[ts(optional)]
    pub without_address: Option<bool>,
    #[serde(default)]
    #[ts(optional)]
    pub after: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct EntitlementsPage {
    pub entitlements: Vec<EntitlementView>,
    pub cursor: Option<String>,
}

pub fn list(store: &Store, session: &Session, q: &EntitlementsQuery) -> Result<EntitlementsPage> {
    require(store, session, Permission::RegistryRead, "cycle.entitlements")?;
    let limit = crate::paging::limit(q.limit);
    let after = crate::paging::after(q.after.as_deref())?;
    store.read(|conn| {
        let c = cycle::resolve(conn, q.cycle)?;
        let mut sql =
            format!("SELECT {VIEW_COLUMNS}, e.registrant {VIEW_FROM} WHERE e.cycle = ?1 AND e.registrant > ?2");
        let mut params: Vec<Value> = vec![c.rowid.into(), after.into(), (limit + 1).into()];
        if let Some(state) = q.state {
            params.push(state.as_str().to_string().into());
            sql.push_str(&format!(" AND e.state = ?{}", params.len()));
        }
        if q.without_address == Some(true) {
            sql.push_str(&format!(
                " AND e.kind = 'cash' AND e.state IN ('approved', 'failed') AND {PAYEE_ADDRESS} IS NULL"
            ));
        }
        sql.push_str(" ORDER BY e.registrant LIMIT ?3");
        let mut st = conn.prepare_cached(&sql)?;
        let rows: Vec<(EntitlementView, i64)> = st
            .query_map(rusqlite::params_from_iter(params), |r| Ok((view_from_row(r)?.0, r.get::<_, i64>(24)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let (entitlements, cursor) = crate::paging::page(rows, limit);
        Ok(EntitlementsPage { entitlements, cursor })
    })
}

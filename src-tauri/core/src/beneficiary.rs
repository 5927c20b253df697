//! A beneficiary as the desk sees one: registering a person (who joins every program that enrols
//! automatically), and their page with households, programs, entitlements and payments. Above the
//! registry, programs and disbursement, which it composes.

use serde::Deserialize;
use ts_rs::TS;

use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::error::{CoreError, Result};
use crate::registry::model::*;
use crate::registry::read::{self, mask_fields};
use crate::registry::service::{load_existing, masked_diff, personal_custom, resolve, RegistrantKey};
use crate::registry::write;
use crate::store::Store;
pub use br_model::detail::RegistrantDetail;

pub fn get_detail(store: &Store, session: &Session, key: &RegistrantKey, reveal: bool) -> Result<RegistrantDetail> {
    require(store, session, Permission::RegistryRead, "registrant.view")?;
    if reveal {
        require(store, session, Permission::PersonalDataReveal, "registrant.reveal")?;
    }
    let detail = store.read(|c| {
        let row = resolve(c, key)?;
        let mut registrant = load_existing(c, &row)?;
        if !reveal {
            mask_fields(&mut registrant.fields, &personal_custom(c)?);
            registrant.masked = true;
        }
        let links = read::memberships(c, row.rowid, row.kind, reveal)?;
        let (groups, members) = match row.kind {
            RegistrantKind::Individual => (links, Vec::new()),
            RegistrantKind::Group => (Vec::new(), links),
        };
        let key = RegistrantKey::Id(row.id);
        let programs = crate::program::membership::of_registrant_in(c, &key)?;
        let entitlements = crate::disbursement::entitlement::of_registrant_in(c, &key)?;
        let payments = crate::disbursement::payment::of_registrant_in(c, &key, reveal)?;
        Ok(RegistrantDetail {
            history: read::history(c, row.id)?,
            registrant,
            groups,
            members,
            programs,
            entitlements,
            payments,
        })
    })?;
    if reveal {
        store.write_as(session.username(), |tx| {
            tx.audit(AuditEvent::new(session, "registrant.reveal").on("registrant", detail.registrant.id.to_string()))
        })?;
    }
    Ok(detail)
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct HouseholdLink {
    pub group: RegistrantKey,
    /// A membership kind code, e.g. `head`, `spouse`, `child`.
    pub kind: String,
}

pub fn create(
    store: &Store,
    session: &Session,
    kind: RegistrantKind,
    mut fields: RegistrantFields,
    household: Option<HouseholdLink>,
) -> Result<Registrant> {
    require(store, session, Permission::RegistrantWrite, "registrant.create")?;
    store.write_as(session.username(), |tx| {
        let settings = crate::registry::settings::load(tx.conn())?;
        settings.validate(kind, &mut fields).map_err(|e| CoreError::InvalidInput(e.to_string()))?;
        if let Some(link) = &household {
            settings
                .check_code(ListName::MembershipKind, "kind", &link.kind)
                .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
        }
        let row = write::insert(tx, kind, &fields, None)?;
        if let Some(link) = household {
            let group = resolve(tx.conn(), &link.group)?;
            if group.kind != RegistrantKind::Group || kind != RegistrantKind::Individual {
                return Err(CoreError::InvalidInput("only an individual can join a group".into()));
            }
            write::upsert_membership(tx, &group, &row, &link.kind, true)?;
        }
        crate::program::membership::auto_enrol(
            tx,
            session,
            kind,
            crate::program::select::Scope::Rowids(vec![row.rowid]),
        )?;
        let personal = personal_custom(tx.conn())?;
        tx.audit(AuditEvent::new(session, "registrant.create").on("registrant", row.id.to_string()).details(
            serde_json::json!({ "reference": row.reference, "fields": masked_diff(None, &fields, &personal) }),
        ))?;
        load_existing(tx.conn(), &row)
    })
}

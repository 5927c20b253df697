//! A page of Social Registry units turned into ops against what the registry holds: new people and
//! households created, changed ones updated field by field, household membership joined, changed or
//! ended, and nothing written for what did not change. The external id is the SR's identifier, so pulling
//! the same records again updates instead of duplicating.

use std::collections::HashMap;

use br_model::op::{Op, RegistrantField};
use br_model::registry::{RegistrantFields, RegistrantKind};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use super::records::{Candidate, Rejected, Unit};

/// A registrant the registry holds under an external id.
#[derive(Debug, Clone)]
pub struct Held {
    pub id: Uuid,
    pub office: Uuid,
    pub fields: RegistrantFields,
}

/// The registrants holding each external id of `units` (merged duplicates left out), and the external ids
/// more than one registrant holds.
pub async fn held(
    client: &impl GenericClient,
    units: &[Unit],
) -> crate::error::Result<(HashMap<String, Held>, Vec<String>)> {
    let keys: Vec<&str> = units
        .iter()
        .flat_map(|u| {
            u.group
                .iter()
                .map(|g| g.external_id.as_str())
                .chain(u.members.iter().map(|m| m.person.external_id.as_str()))
        })
        .collect();
    let rows = client
        .query(
            "SELECT fields ->> 'external_id', id, office, fields FROM registry_registrants
             WHERE fields ->> 'external_id' = ANY($1) AND merged_into IS NULL",
            &[&keys],
        )
        .await?;
    let mut found: HashMap<String, Held> = HashMap::new();
    let mut twice = Vec::new();
    for r in rows {
        let key: String = r.get(0);
        let fields: RegistrantFields = serde_json::from_value(r.get(3))?;
        if found.insert(key.clone(), Held { id: r.get(1), office: r.get(2), fields }).is_some() {
            twice.push(key);
        }
    }
    Ok((found, twice))
}

/// Each group's active members: individual -> (kind, is head).
pub async fn households(
    client: &impl GenericClient,
    groups: &[Uuid],
) -> crate::error::Result<HashMap<Uuid, HashMap<Uuid, (String, bool)>>> {
    let rows = client
        .query(
            "SELECT grp, individual, kind, is_head FROM registry_household_members WHERE grp = ANY($1) AND end_date IS NULL",
            &[&groups],
        )
        .await?;
    let mut out: HashMap<Uuid, HashMap<Uuid, (String, bool)>> = HashMap::new();
    for r in rows {
        out.entry(r.get(0)).or_default().insert(r.get(1), (r.get(2), r.get(3)));
    }
    Ok(out)
}

/// What a pull did, counted.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Counts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub joined: u64,
    pub left: u64,
}

/// The fields an SR manages: the rest (phone, account, tags, other ID types, unmapped custom fields)
/// stay as the registry has them.
fn merged(now: &RegistrantFields, theirs: &RegistrantFields) -> RegistrantFields {
    let mut next = now.clone();
    next.external_id = theirs.external_id.clone();
    next.given_name = theirs.given_name.clone();
    next.family_name = theirs.family_name.clone();
    next.group_name = theirs.group_name.clone();
    next.sex = theirs.sex.clone();
    next.birth_date = theirs.birth_date.clone();
    next.area = theirs.area.clone();
    let managed: Vec<&str> = theirs.ids.iter().map(|d| d.id_type.as_str()).collect();
    next.ids.retain(|d| !managed.contains(&d.id_type.as_str()));
    next.ids.extend(theirs.ids.iter().cloned());
    next.ids.sort_by(|a, b| a.id_type.cmp(&b.id_type));
    for (k, v) in &theirs.custom {
        next.custom.insert(k.clone(), v.clone());
    }
    next
}

/// The ops that bring one unit into the registry, or why it cannot come. `reference` hands out a new
/// registrant's reference; `office` is the unit's office id.
pub fn unit_ops(
    unit: &Unit,
    office: Uuid,
    held: &HashMap<String, Held>,
    members_now: &HashMap<Uuid, HashMap<Uuid, (String, bool)>>,
    today: &str,
    reference: &mut dyn FnMut() -> String,
    counts: &mut Counts,
) -> Result<Vec<Op>, Rejected> {
    let reject = |reason: String| Rejected { external_id: unit.key().to_string(), reason };
    for c in unit.group.iter().chain(unit.members.iter().map(|m| &m.person)) {
        if let Some(h) = held.get(&c.external_id) {
            if h.office != office {
                return Err(reject(format!(
                    "{} belongs to another office: a pull does not move people between offices",
                    c.external_id
                )));
            }
        }
    }
    let mut ops = Vec::new();
    let mut tally = Counts::default();
    let mut place = |c: &Candidate, ops: &mut Vec<Op>, tally: &mut Counts| -> Uuid {
        match held.get(&c.external_id) {
            Some(h) => {
                let next = merged(&h.fields, &c.fields);
                let changed = RegistrantField::changed(&h.fields, &next);
                if changed.is_empty() {
                    tally.unchanged += 1;
                } else {
                    tally.updated += 1;
                    ops.push(Op::RegistrantUpdated { id: h.id, changed, fields: next });
                }
                h.id
            }
            None => {
                let id = Uuid::now_v7();
                tally.created += 1;
                ops.push(Op::RegistrantCreated {
                    id,
                    kind: c.kind,
                    reference: reference(),
                    registered_on: today.to_string(),
                    fields: c.fields.clone(),
                });
                id
            }
        }
    };
    let group = unit.group.as_ref().map(|g| place(g, &mut ops, &mut tally));
    let members: Vec<(Uuid, &super::records::Member)> =
        unit.members.iter().map(|m| (place(&m.person, &mut ops, &mut tally), m)).collect();
    if let Some(group) = group {
        let now = members_now.get(&group).cloned().unwrap_or_default();
        // Leaving and changing first, so that a new head never meets the old one still in place.
        for (individual, _) in now.iter().filter(|(i, _)| !members.iter().any(|(id, _)| id == *i)) {
            tally.left += 1;
            ops.push(Op::HouseholdMemberLeft { group, individual: *individual, end_date: today.to_string() });
        }
        for (id, m) in &members {
            if let Some((kind, head)) = now.get(id) {
                if kind != &m.kind || *head != m.is_head {
                    ops.push(Op::HouseholdMemberChanged {
                        group,
                        individual: *id,
                        kind: m.kind.clone(),
                        is_head: m.is_head,
                    });
                }
            }
        }
        for (id, m) in &members {
            if !now.contains_key(id) {
                tally.joined += 1;
                ops.push(Op::HouseholdMemberJoined {
                    group,
                    individual: *id,
                    kind: m.kind.clone(),
                    is_head: m.is_head,
                    start_date: today.to_string(),
                });
            }
        }
    }
    if unit.group.is_none() && unit.members.iter().any(|m| m.person.kind != RegistrantKind::Individual) {
        return Err(reject("a person record holds a household".into()));
    }
    counts.created += tally.created;
    counts.updated += tally.updated;
    counts.unchanged += tally.unchanged;
    counts.joined += tally.joined;
    counts.left += tally.left;
    Ok(ops)
}

//! What the server decides for each pushed op, over the rows a page names: who owns them, whose people they
//! are about, and each cycle's state. Pure: `push` loads the ledger, decides a page, and writes the result.

use std::collections::{HashMap, HashSet};

use br_model::disbursement::CycleState;
use br_model::op::{Op, OpRecord};
use br_protocol::codes::RejectCode;
use br_protocol::ownership::{claims, slice, slice_keys, visibility, Visibility};
use uuid::Uuid;

/// The pushing device's office, as the ledger needs it.
#[derive(Debug, Clone, Copy)]
pub struct Pusher {
    pub device: Uuid,
    pub office: Uuid,
    pub headquarters: bool,
}

/// Rows a page names, as the server knows them, plus what the page adds as it is decided.
#[derive(Debug, Default)]
pub struct Ledger {
    pub owners: HashMap<Uuid, Uuid>,
    pub people: HashMap<Uuid, Uuid>,
    pub cycles: HashMap<Uuid, CycleState>,
    /// Rows about the people of several offices (a payment batch): the offices given a part of them.
    pub audiences: HashMap<Uuid, HashSet<Uuid>>,
    pub headquarters: HashSet<Uuid>,
    /// Rows to insert once the page is decided.
    pub new_owners: Vec<(Uuid, Uuid)>,
    pub new_people: Vec<(Uuid, Uuid)>,
    pub cycle_changes: Vec<(Uuid, CycleState)>,
    pub new_audiences: Vec<(Uuid, Uuid)>,
}

/// What happens to one op.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Accepted { visibility: Visibility, conflict: Option<CycleState>, slices: Vec<(Uuid, Op)> },
    Rejected { code: RejectCode, reason: String },
}

/// Every id the ledger needs loaded to decide `rec`.
pub fn ids_named(rec: &OpRecord) -> Vec<Uuid> {
    let c = claims(&rec.op);
    let mut ids: Vec<Uuid> = c.creates.iter().chain(&c.owned_or_new).chain(&c.owned).copied().collect();
    ids.extend(c.about.iter().map(|(_, follows)| *follows));
    ids.extend(slice_keys(&rec.op));
    ids
}

/// The cycle an op moves, if it is a state transition the server ranks.
pub fn cycle_named(op: &Op) -> Option<Uuid> {
    match op {
        Op::CycleStateSet { id, .. } | Op::CycleCreated { id, .. } => Some(*id),
        _ => None,
    }
}

impl Ledger {
    pub fn decide(&mut self, rec: &OpRecord, by: Pusher) -> Decision {
        if rec.device_id != by.device || rec.owner_office != by.office {
            return reject(RejectCode::InvalidOp, "the op does not name the desk and office that pushed it");
        }
        let c = claims(&rec.op);
        if c.headquarters_only && !by.headquarters {
            return reject(RejectCode::HeadquartersOnly, "only a headquarters office changes lists and custom fields");
        }
        if let Some(id) = c.creates.iter().find(|id| self.owners.contains_key(id)) {
            return reject(RejectCode::RowExists, format!("row {id} exists already"));
        }
        if let Some(id) = c.owned_or_new.iter().find(|id| self.owners.get(id).is_some_and(|o| *o != by.office)) {
            return reject(RejectCode::NotOwner, format!("row {id} belongs to another office"));
        }
        for id in &c.owned {
            match self.owners.get(id) {
                None => return reject(RejectCode::UnknownRow, format!("row {id} is not known to the server")),
                Some(o) if *o != by.office => {
                    return reject(RejectCode::NotOwner, format!("row {id} belongs to another office"))
                }
                Some(_) => {}
            }
        }
        let conflict = match &rec.op {
            Op::CycleCreated { id, .. } => {
                self.cycles.insert(*id, CycleState::Draft);
                self.cycle_changes.push((*id, CycleState::Draft));
                None
            }
            Op::CycleStateSet { id, to, .. } => match self.cycles.get(id).copied() {
                Some(now) if now == *to => None,
                Some(now) if !now.may_become(*to) => Some(now),
                _ => {
                    self.cycles.insert(*id, *to);
                    self.cycle_changes.push((*id, *to));
                    None
                }
            },
            _ => None,
        };
        for id in c.creates.iter().chain(&c.owned_or_new) {
            if self.owners.insert(*id, by.office).is_none() {
                self.new_owners.push((*id, by.office));
            }
        }
        for id in &c.people {
            self.people.insert(*id, by.office);
            self.new_people.push((*id, by.office));
        }
        for (row, follows) in &c.about {
            if let Some(office) = self.people.get(follows).copied() {
                if self.people.insert(*row, office).is_none() {
                    self.new_people.push((*row, office));
                }
            }
        }
        let visibility = visibility(&rec.op);
        let slices = if visibility == Visibility::Sliced { self.slices(&rec.op, by.office) } else { Vec::new() };
        if let Op::PaymentsPrepared(batch) = &rec.op {
            for (office, _) in &slices {
                if self.audiences.entry(batch.id).or_default().insert(*office) {
                    self.new_audiences.push((batch.id, *office));
                }
            }
        }
        Decision::Accepted { visibility, conflict, slices }
    }

    /// The part of a sliced op each other office may see: its own people's rows. The pushing office and
    /// headquarters see the whole op and get no slice.
    fn slices(&self, op: &Op, pusher: Uuid) -> Vec<(Uuid, Op)> {
        let mut offices: Vec<Uuid> = slice_keys(op)
            .iter()
            .flat_map(|k| self.offices_of(*k))
            .filter(|o| *o != pusher && !self.headquarters.contains(o))
            .collect();
        offices.sort();
        offices.dedup();
        offices
            .into_iter()
            .filter_map(|office| slice(op, &|k| self.offices_of(k).contains(&office)).map(|part| (office, part)))
            .collect()
    }

    /// The offices whose people a row is about.
    fn offices_of(&self, row: Uuid) -> Vec<Uuid> {
        match self.people.get(&row) {
            Some(office) => vec![*office],
            None => self.audiences.get(&row).map(|set| set.iter().copied().collect()).unwrap_or_default(),
        }
    }
}

fn reject(code: RejectCode, reason: impl Into<String>) -> Decision {
    Decision::Rejected { code, reason: reason.into() }
}

#[cfg(test)]
mod tests;

//! Which office owns what an op touches, and which offices may see it (docs/sync.md, "Ownership" and
//! "Scope"). Registrants and everything about them belong to the office whose desk created them; programs
//! and everything under them (cycles, entitlements, funds, payments) to the office that created the program.
//! An office sees what it owns, every program, and the entitlements and payments of its own registrants;
//! headquarters sees everything.

use br_model::op::Op;
use uuid::Uuid;

/// Who may pull an op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Every office (programs, cycles, funds, shared settings).
    All,
    /// The office that pushed it, and headquarters (everything about registrants).
    Owner,
    /// The owner and headquarters whole; every other office the part about its own registrants
    /// ([`slice`]), and nothing when no part is about them.
    Sliced,
}

/// What the server checks and records for one op before it keeps it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Claims {
    /// Rows the op creates: their ids must be new, and the pushing office owns them from now on.
    pub creates: Vec<Uuid>,
    /// Rows the op creates or changes: the pushing office must own them if they exist.
    pub owned_or_new: Vec<Uuid>,
    /// Rows that must exist and belong to the pushing office.
    pub owned: Vec<Uuid>,
    /// New registrants: their person belongs to the pushing office.
    pub people: Vec<Uuid>,
    /// New rows about a person, with the row they follow (an entitlement follows its registrant, a
    /// payment its entitlement): the office of that person sees them.
    pub about: Vec<(Uuid, Uuid)>,
    /// Shared settings only headquarters may change.
    pub headquarters_only: bool,
}

/// What `op` claims (see [`Claims`]).
pub fn claims(op: &Op) -> Claims {
    use Op::*;
    let mut c = Claims::default();
    match op {
        RegistrantCreated { id, .. } => {
            c.creates.push(*id);
            c.people.push(*id);
        }
        RegistrantUpdated { id, .. } | RegistrantDisabled { id, .. } => c.owned.push(*id),
        RegistrantMerged { id, into } => c.owned.extend([*id, *into]),
        IdDocumentMoved { from, to, .. } => c.owned.extend([*from, *to]),
        HouseholdMemberJoined { group, individual, .. }
        | HouseholdMemberChanged { group, individual, .. }
        | HouseholdMemberLeft { group, individual, .. } => c.owned.extend([*group, *individual]),
        HouseholdMemberReplaced { group, from, to } => c.owned.extend([*group, *from, *to]),
        ListItemSaved { .. } | CustomFieldDefined { .. } => c.headquarters_only = true,
        ProgramCreated { program } => c.creates.push(program.id),
        ProgramChanged { program } => c.owned.push(program.id),
        ProgramMembershipMoved(m) => {
            c.owned_or_new.push(m.id);
            c.owned.push(m.registrant);
        }
        ProgramMembershipTransferred { id, from, to, .. } => {
            c.owned_or_new.push(*id);
            c.owned.extend([*from, *to]);
        }
        DuplicatesDecided(d) => {
            c.owned_or_new.push(d.group);
            c.owned.extend(d.members.iter().copied());
        }
        CycleCreated { id, program, .. } => {
            c.creates.push(*id);
            c.owned.push(*program);
        }
        CycleMembersAdded { cycle, .. }
        | CycleMembersRemoved { cycle, .. }
        | CycleEntitlementsMoved { cycle, .. }
        | EntitlementsDiscarded { cycle }
        | EntitlementsExpired { cycle, .. } => c.owned.push(*cycle),
        CycleStateSet { id, .. } | CyclePrepared { id } | CycleDeleted { id } => c.owned.push(*id),
        EntitlementsGenerated(g) => {
            c.owned.push(g.cycle);
            // A generation replaces the cycle's earlier entitlements: ids of a discarded run come back.
            for row in &g.rows {
                c.owned_or_new.push(row.0);
                c.about.push((row.0, row.1));
            }
        }
        EntitlementEdited { id, .. } => c.owned.push(*id),
        EntitlementsDecided(d) => c.owned.push(d.cycle),
        FundCreated { id, program, .. } => {
            c.creates.push(*id);
            c.owned.push(*program);
        }
        FundStateSet { id, .. } => c.owned.push(*id),
        PaymentsPrepared(b) => {
            c.owned.push(b.cycle);
            c.creates.push(b.id);
            for row in &b.rows {
                c.creates.push(row.0);
                c.about.push((row.0, row.1));
            }
        }
        PaymentBatchSent { id } => c.owned.push(*id),
        PaymentResults { results } => c.owned.extend(results.iter().map(|r| r.0)),
        ConflictResolved { .. } => {}
    }
    c
}

/// Who may pull `op`.
pub fn visibility(op: &Op) -> Visibility {
    use Op::*;
    match op {
        RegistrantCreated { .. }
        | RegistrantUpdated { .. }
        | RegistrantDisabled { .. }
        | RegistrantMerged { .. }
        | IdDocumentMoved { .. }
        | HouseholdMemberJoined { .. }
        | HouseholdMemberChanged { .. }
        | HouseholdMemberLeft { .. }
        | HouseholdMemberReplaced { .. }
        | ProgramMembershipMoved(_)
        | ProgramMembershipTransferred { .. }
        | DuplicatesDecided(_) => Visibility::Owner,
        CycleMembersAdded { .. }
        | CycleMembersRemoved { .. }
        | EntitlementsGenerated(_)
        | EntitlementEdited { .. }
        | PaymentsPrepared(_)
        | PaymentBatchSent { .. }
        | PaymentResults { .. } => Visibility::Sliced,
        EntitlementsDecided(d) if d.entitlements.is_some() => Visibility::Sliced,
        _ => Visibility::All,
    }
}

/// The rows by which a sliced op is cut: each is a registrant, or a row about one (an entitlement, a
/// payment). Empty for ops that are not sliced.
pub fn slice_keys(op: &Op) -> Vec<Uuid> {
    use Op::*;
    match op {
        CycleMembersAdded { members, .. } | CycleMembersRemoved { members, .. } => members.clone(),
        EntitlementsGenerated(g) => g.rows.iter().map(|r| r.1).collect(),
        EntitlementEdited { id, .. } => vec![*id],
        EntitlementsDecided(d) => d.entitlements.clone().unwrap_or_default(),
        PaymentsPrepared(b) => b.rows.iter().map(|r| r.1).collect(),
        PaymentResults { results } => results.iter().map(|r| r.0).collect(),
        // A batch goes to the offices that were given a part of it when it was prepared.
        PaymentBatchSent { id } => vec![*id],
        _ => Vec::new(),
    }
}

/// The part of a sliced op whose keys `keep` accepts, or none when no part is kept.
pub fn slice(op: &Op, keep: &dyn Fn(Uuid) -> bool) -> Option<Op> {
    use Op::*;
    let sliced = match op {
        CycleMembersAdded { cycle, members } => {
            CycleMembersAdded { cycle: *cycle, members: members.iter().copied().filter(|m| keep(*m)).collect() }
        }
        CycleMembersRemoved { cycle, members } => {
            CycleMembersRemoved { cycle: *cycle, members: members.iter().copied().filter(|m| keep(*m)).collect() }
        }
        EntitlementsGenerated(g) => {
            let mut part = g.clone();
            part.rows.retain(|r| keep(r.1));
            EntitlementsGenerated(part)
        }
        EntitlementEdited { id, .. } | PaymentBatchSent { id } => return keep(*id).then(|| op.clone()),
        EntitlementsDecided(d) => {
            let mut part = d.clone();
            let ids = d.entitlements.as_deref().unwrap_or_default();
            // One approval record per entitlement named: they are cut together.
            let paired = d.approvals.len() == ids.len();
            let kept: Vec<usize> = (0..ids.len()).filter(|i| keep(ids[*i])).collect();
            part.entitlements = Some(kept.iter().map(|i| ids[*i]).collect());
            if paired {
                part.approvals = kept.iter().map(|i| d.approvals[*i]).collect();
            }
            part.count = kept.len() as i64;
            EntitlementsDecided(part)
        }
        PaymentsPrepared(b) => {
            let mut part = b.clone();
            part.rows.retain(|r| keep(r.1));
            PaymentsPrepared(part)
        }
        PaymentResults { results } => {
            PaymentResults { results: results.iter().filter(|r| keep(r.0)).cloned().collect() }
        }
        _ => return Some(op.clone()),
    };
    (!slice_keys(&sliced).is_empty()).then_some(sliced)
}

#[cfg(test)]
mod tests;

//! Runs of one kind of op applied in one statement each: an import or a Social Registry pull arrives as
//! thousands of registrants created, members joined and memberships moved in a row, and a statement per op
//! costs a round trip each. The result is the same as applying them one by one (people.rs), in order.

use std::collections::HashMap;

use br_model::op::{Op, OpRecord};
use br_model::program::MembershipState;
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use crate::error::Result;

/// The kinds applied in runs.
pub fn batched(op: &Op) -> bool {
    matches!(op, Op::RegistrantCreated { .. } | Op::HouseholdMemberJoined { .. } | Op::ProgramMembershipMoved(_))
}

/// Applies a run of ops of one batched kind.
pub async fn apply(tx: &impl GenericClient, run: &[(i64, OpRecord)]) -> Result<()> {
    match run.first().map(|(_, r)| &r.op) {
        Some(Op::RegistrantCreated { .. }) => created(tx, run).await,
        Some(Op::HouseholdMemberJoined { .. }) => joined(tx, run).await,
        Some(Op::ProgramMembershipMoved(_)) => moved(tx, run).await,
        _ => Ok(()),
    }
}

async fn created(tx: &impl GenericClient, run: &[(i64, OpRecord)]) -> Result<()> {
    let (mut ids, mut offices, mut kinds, mut references, mut dates, mut fields) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut documents: HashMap<Uuid, Vec<(String, String)>> = HashMap::new();
    for (_, rec) in run {
        if let Op::RegistrantCreated { id, kind, reference, registered_on, fields: f } = &rec.op {
            ids.push(*id);
            offices.push(rec.owner_office);
            kinds.push(kind.as_str());
            references.push(reference.as_str());
            dates.push(registered_on.as_str());
            fields.push(serde_json::to_value(f)?);
            documents.insert(*id, f.ids.iter().map(|d| (d.id_type.clone(), d.value.clone())).collect());
        }
    }
    let inserted = tx
        .query(
            "INSERT INTO registry_registrants (id, office, kind, reference, registered_on, fields)
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
             ON CONFLICT (id) DO NOTHING RETURNING id",
            &[&ids, &offices, &kinds, &references, &dates, &fields],
        )
        .await?;
    let (mut owners, mut types, mut values) = (Vec::new(), Vec::new(), Vec::new());
    for row in inserted {
        let id: Uuid = row.get(0);
        for (t, v) in documents.remove(&id).unwrap_or_default() {
            owners.push(id);
            types.push(t);
            values.push(v);
        }
    }
    tx.execute(
        "INSERT INTO registry_ids (id_type, value, registrant) SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[])
         ON CONFLICT DO NOTHING",
        &[&types, &values, &owners],
    )
    .await?;
    Ok(())
}

async fn joined(tx: &impl GenericClient, run: &[(i64, OpRecord)]) -> Result<()> {
    // The last join of a member to a group wins, as applying them in order would leave it.
    let mut last: HashMap<(Uuid, Uuid), (&str, bool, &str)> = HashMap::new();
    let mut order = Vec::new();
    for (_, rec) in run {
        if let Op::HouseholdMemberJoined { group, individual, kind, is_head, start_date } = &rec.op {
            if last.insert((*group, *individual), (kind, *is_head, start_date)).is_none() {
                order.push((*group, *individual));
            }
        }
    }
    let (mut groups, mut people, mut kinds, mut heads, mut starts) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for key in order {
        let (kind, head, start) = last[&key];
        groups.push(key.0);
        people.push(key.1);
        kinds.push(kind);
        heads.push(head);
        starts.push(start);
    }
    tx.execute(
        "INSERT INTO registry_household_members (grp, individual, kind, is_head, start_date)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bool[], $5::text[])
         ON CONFLICT (grp, individual) DO UPDATE SET kind = excluded.kind, is_head = excluded.is_head,
             start_date = excluded.start_date, end_date = NULL",
        &[&groups, &people, &kinds, &heads, &starts],
    )
    .await?;
    Ok(())
}

/// A membership as a run of moves leaves it.
struct Membership {
    id: Uuid,
    state: MembershipState,
    enrolled_on: Option<String>,
    exited_on: Option<String>,
    cursor: i64,
    at: String,
}

/// Membership moves, each allowed only along the state machine from the state before it.
async fn moved(tx: &impl GenericClient, run: &[(i64, OpRecord)]) -> Result<()> {
    let moves: Vec<(i64, &OpRecord, &br_model::op::MembershipMove)> = run
        .iter()
        .filter_map(|(cursor, rec)| match &rec.op {
            Op::ProgramMembershipMoved(m) => Some((*cursor, rec, m)),
            _ => None,
        })
        .collect();
    let programs: Vec<Uuid> = moves.iter().map(|(_, _, m)| m.program).collect();
    let people: Vec<Uuid> = moves.iter().map(|(_, _, m)| m.registrant).collect();
    let mut now: HashMap<(Uuid, Uuid), MembershipState> = HashMap::new();
    for row in tx
        .query(
            "SELECT m.program, m.registrant, m.state FROM registry_memberships m
             JOIN unnest($1::uuid[], $2::uuid[]) AS x(p, r) ON m.program = x.p AND m.registrant = x.r FOR UPDATE OF m",
            &[&programs, &people],
        )
        .await?
    {
        if let Some(state) = MembershipState::parse(row.get(2)) {
            now.insert((row.get(0), row.get(1)), state);
        }
    }
    // Each membership's state after the run, in the order the run first touched it.
    let mut last: HashMap<(Uuid, Uuid), Membership> = HashMap::new();
    let mut order = Vec::new();
    for (cursor, rec, m) in moves {
        let key = (m.program, m.registrant);
        let allowed = match now.get(&key) {
            None => matches!(m.to, MembershipState::Draft | MembershipState::Enrolled | MembershipState::NotEligible),
            Some(s) => *s != m.to && s.may_become(m.to),
        };
        if !allowed {
            continue;
        }
        now.insert(key, m.to);
        let enrolled_on = m.enrolled_on.clone().or_else(|| last.get(&key).and_then(|l| l.enrolled_on.clone()));
        let next = Membership {
            id: m.id,
            state: m.to,
            enrolled_on,
            exited_on: m.exited_on.clone(),
            cursor,
            at: rec.at.clone(),
        };
        if last.insert(key, next).is_none() {
            order.push(key);
        }
    }
    let rows: Vec<((Uuid, Uuid), Membership)> = order.into_iter().filter_map(|k| Some((k, last.remove(&k)?))).collect();
    let ids: Vec<Uuid> = rows.iter().map(|(_, m)| m.id).collect();
    let program_ids: Vec<Uuid> = rows.iter().map(|(k, _)| k.0).collect();
    let person_ids: Vec<Uuid> = rows.iter().map(|(k, _)| k.1).collect();
    let states: Vec<&str> = rows.iter().map(|(_, m)| m.state.as_str()).collect();
    let enrolled: Vec<Option<&str>> = rows.iter().map(|(_, m)| m.enrolled_on.as_deref()).collect();
    let exited: Vec<Option<&str>> = rows.iter().map(|(_, m)| m.exited_on.as_deref()).collect();
    let cursors: Vec<i64> = rows.iter().map(|(_, m)| m.cursor).collect();
    let ats: Vec<&str> = rows.iter().map(|(_, m)| m.at.as_str()).collect();
    tx.execute(
        "INSERT INTO registry_memberships (id, program, registrant, state, enrolled_on, exited_on, changed_at_cursor, changed_at)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::int8[], $8::text[])
         ON CONFLICT (program, registrant) DO UPDATE SET state = excluded.state,
             enrolled_on = coalesce(excluded.enrolled_on, registry_memberships.enrolled_on),
             exited_on = excluded.exited_on, changed_at_cursor = excluded.changed_at_cursor, changed_at = excluded.changed_at",
        &[&ids, &program_ids, &person_ids, &states, &enrolled, &exited, &cursors, &ats],
    )
    .await?;
    Ok(())
}

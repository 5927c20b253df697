//! Finding duplicates, registry-wide or among a program's members, by probabilistic record linkage
//! (Fellegi–Sunter, see `model`): candidate pairs from several blocking keys (`blocking`) are compared
//! field by field (`compare`), the weights are estimated on this registry, and a pair whose match
//! probability reaches the office's review threshold is proposed, with each field's part in its score.
//!
//! Two rounds: the first finds pairs of people that are very likely one; two households linked by two or
//! more such pairs are the same family registered again, which the second round counts as evidence for
//! every pair of their members (and same-household look-alikes, twins above all, as evidence against).
//! Households are proposed as duplicates when enough of their members are.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::Connection;
use serde::Serialize;
use ts_rs::TS;

use super::blocking::for_each_candidate;
pub use super::blocking::Kinds;
use super::cluster::{self, UnionFind};
use super::compare::{compare, Field, LinkedHouseholds, Vector};
pub use super::found::{Edge, FoundGroup, PairExplanation};
use super::model::{probability, Model};
use super::person::{load, People};
use super::training::Training;
use crate::error::{CoreError, Result};

/// Pairs below this probability after the first round are not looked at again.
const KEEP: f64 = 0.01;
/// A first-round pair at least this likely links the two people's households.
const LINK: f64 = 0.5;

/// Timings and counts of one search, for the summary and the bench.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct FindStats {
    pub people: u64,
    pub households: u64,
    /// Proposed pairs that share an ID.
    pub exact_pairs: u64,
    /// Other proposed pairs.
    pub fuzzy_pairs: u64,
    /// Pairs compared (sharing a block), in each round.
    pub comparisons: u64,
    /// Households linked as one family registered twice.
    pub linked_households: u64,
    pub load_ms: u64,
    /// Blocking, learning the weights, comparing and grouping.
    pub compare_ms: u64,
    /// Households registered twice, from their members.
    pub households_ms: u64,
}

/// What a search found, and the weights it used.
pub struct Found {
    pub edges: Vec<Edge>,
    /// The edges grouped (see `cluster`).
    pub groups: Vec<FoundGroup>,
    pub model: Model,
}

/// Decided pairs (both still compared) as known answers.
fn decisions(
    p: &People,
    index: &HashMap<i64, usize>,
    decided: &HashMap<(i64, i64), bool>,
    linked: &LinkedHouseholds,
) -> Vec<(Vector, bool)> {
    decided
        .iter()
        .filter_map(|((a, b), duplicate)| {
            let (i, j) = (*index.get(a)?, *index.get(b)?);
            Some((compare(p, &p.people[i], &p.people[j], linked), *duplicate))
        })
        .collect()
}

/// Finds pairs of individuals at least `review` likely to be one person. `decided` holds pairs (low
/// rowid, high rowid) a person already decided on (true: duplicates): not proposed again, and used as
/// known answers when the weights are estimated.
pub fn find_individual_pairs(
    conn: &Connection,
    program: Option<i64>,
    kinds: Kinds,
    decided: &HashMap<(i64, i64), bool>,
    review: f64,
    cancel: &AtomicBool,
    stats: &mut FindStats,
) -> Result<Found> {
    let started = std::time::Instant::now();
    let p = load(conn, program, cancel)?;
    stats.people = p.people.len() as u64;
    stats.load_ms = started.elapsed().as_millis() as u64;
    let started = std::time::Instant::now();
    let exact_only = !kinds.fuzzy;
    let index: HashMap<i64, usize> = p.people.iter().enumerate().map(|(i, x)| (x.rowid, i)).collect();

    // Round one: weights without household links.
    let none = LinkedHouseholds::new();
    let mut training = Training::collect(&p, decided, exact_only, cancel)?;
    let first = training.fit(&p, &none, &decisions(&p, &index, decided, &none));

    // Keep the pairs worth a second look; link households through the likely ones.
    let mut kept: Vec<(u32, u32, Vector)> = Vec::new();
    // (household, household) -> the people of each side found in the other.
    let mut links: HashMap<(i64, i64), (HashSet<u32>, HashSet<u32>)> = HashMap::new();
    // Records of one household likely to be one person.
    let mut same_person = UnionFind::new();
    stats.comparisons += for_each_candidate(&p, kinds, cancel, |i, j| {
        let (a, b) = (&p.people[i], &p.people[j]);
        let v = compare(&p, a, b, &none);
        let chance = probability(first.weigh(&p, a, &v, None));
        if chance >= KEEP {
            kept.push((i as u32, j as u32, v));
        }
        if let (true, Some(x), Some(y)) = (chance >= LINK, a.household, b.household) {
            if x == y {
                same_person.join(i as u32, j as u32);
            } else {
                let sides = links.entry((x.min(y), x.max(y))).or_default();
                let (low, high) = if x < y { (i, j) } else { (j, i) };
                sides.0.insert(low as u32);
                sides.1.insert(high as u32);
            }
        }
    })?;
    check(cancel)?;
    // Two different people of each household: one person registered twice in each links nothing.
    let one = |records: &HashSet<u32>| -> usize {
        let roots: HashSet<u32> = records.iter().map(|r| same_person.root(*r)).collect();
        roots.len()
    };
    let linked: LinkedHouseholds =
        links.iter().filter(|(_, (low, high))| one(low) >= 2 && one(high) >= 2).map(|(k, _)| *k).collect();
    stats.linked_households = linked.len() as u64;

    // Round two: the kept pairs' household level may now be "registered again".
    for (i, j, v) in &mut kept {
        *v = compare(&p, &p.people[*i as usize], &p.people[*j as usize], &linked);
    }
    training.relink(&p, &linked);
    let mut model = training.fit(&p, &linked, &decisions(&p, &index, decided, &linked));
    refine_prior(&mut model, &p, &kept);
    refine_prior(&mut model, &p, &kept);
    let mut edges = Vec::new();
    for (i, j, v) in &kept {
        let (a, b) = (&p.people[*i as usize], &p.people[*j as usize]);
        let key = (a.rowid.min(b.rowid), a.rowid.max(b.rowid));
        if decided.contains_key(&key) {
            continue;
        }
        let mut fields = Vec::new();
        let weight = model.weigh(&p, a, v, Some(&mut fields));
        let chance = probability(weight);
        if chance >= review {
            if v[Field::Id as usize] == 0 {
                stats.exact_pairs += 1;
            } else {
                stats.fuzzy_pairs += 1;
            }
            edges.push(Edge { a: key.0, b: key.1, probability: chance, weight, fields });
        }
    }
    let groups = cluster::cluster(&edges, |x, y| {
        let (a, b) = (&p.people[index[&x]], &p.people[index[&y]]);
        probability(model.weigh(&p, a, &compare(&p, a, b, &linked), None))
    });
    stats.compare_ms = started.elapsed().as_millis() as u64;
    Ok(Found { edges, groups, model })
}

/// The prior as the share of all pairs that the model itself finds more likely one person than two,
/// counted until it settles: the training sessions' share of duplicates also counts many unlikely pairs a
/// little, which at a million registrants adds up to more duplicates than there are.
fn refine_prior(model: &mut Model, p: &People, kept: &[(u32, u32, Vector)]) {
    let n = p.people.len() as f64;
    let all = (n * (n - 1.0) / 2.0).max(1.0);
    let prior_bits = |x: f64| x.log2() - (1.0 - x).log2();
    let evidence: Vec<f64> = kept
        .iter()
        .map(|(i, _, v)| model.weigh(p, &p.people[*i as usize], v, None) - prior_bits(model.prior))
        .collect();
    for _ in 0..8 {
        let prior = prior_bits(model.prior);
        let likely = evidence.iter().filter(|e| *e + prior >= 0.0).count() as f64;
        let next = (likely.max(1.0) / all).clamp(1e-15, 0.5);
        if (next / model.prior - 1.0).abs() < 1e-3 {
            break;
        }
        model.prior = next;
    }
}

fn check(cancel: &AtomicBool) -> Result<()> {
    if cancel.load(Ordering::Relaxed) {
        return Err(CoreError::Cancelled);
    }
    Ok(())
}

/// Households registered twice: at least two of their members (and at least half of the smaller
/// household) are proposed duplicates of each other, or are the same people.
pub fn find_household_groups(
    conn: &Connection,
    edges: &[Edge],
    skip: &HashSet<(i64, i64)>,
    stats: &mut FindStats,
) -> Result<Vec<FoundGroup>> {
    // Two plain scans, not a join: with statistics the planner may walk the join one registrant at a time
    // (measured in the bench at a million: 38 s instead of 3 s).
    let inactive: HashSet<i64> = conn
        .prepare("SELECT rowid FROM registrants NOT INDEXED WHERE kind = 'group' AND status <> 'active'")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut st =
        conn.prepare("SELECT group_rowid, individual_rowid FROM memberships NOT INDEXED WHERE end_date IS NULL")?;
    let mut rows = st.query([])?;
    let mut size: HashMap<i64, u32> = HashMap::new();
    let mut households_of: HashMap<i64, Vec<i64>> = HashMap::new();
    while let Some(r) = rows.next()? {
        let (g, i): (i64, i64) = (r.get(0)?, r.get(1)?);
        if inactive.contains(&g) {
            continue;
        }
        *size.entry(g).or_default() += 1;
        households_of.entry(i).or_default().push(g);
    }
    stats.households = size.len() as u64;
    // (household, household) -> matched members and the sum of their probabilities.
    let mut matched: HashMap<(i64, i64), (u32, f64)> = HashMap::new();
    let mut count = |x: i64, y: i64, chance: f64| {
        if x != y {
            let e = matched.entry((x.min(y), x.max(y))).or_default();
            e.0 += 1;
            e.1 += chance;
        }
    };
    for e in edges {
        for &x in households_of.get(&e.a).into_iter().flatten() {
            for &y in households_of.get(&e.b).into_iter().flatten() {
                count(x, y, e.probability);
            }
        }
    }
    for places in households_of.values().filter(|h| h.len() > 1) {
        for (k, &x) in places.iter().enumerate() {
            for &y in &places[k + 1..] {
                count(x, y, 1.0);
            }
        }
    }
    let mut groups: Vec<FoundGroup> = matched
        .into_iter()
        .filter(|((x, y), (n, _))| {
            let smaller = size[x].min(size[y]);
            *n >= 2 && 2 * n >= smaller && !skip.contains(&(*x, *y))
        })
        .map(|((x, y), (n, sum))| {
            let coverage = f64::from(n) / f64::from(size[&x].max(size[&y]));
            FoundGroup {
                kind: "group",
                rowids: vec![x, y],
                score: sum / f64::from(n) * coverage.min(1.0),
                reasons: vec!["members".into()],
                pairs: Vec::new(),
            }
        })
        .collect();
    groups.sort_by_key(|g| g.rowids[0]);
    Ok(groups)
}

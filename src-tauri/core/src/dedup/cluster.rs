//! Proposed pairs into groups. Joining every connected pair chains people who are not one: A is B
//! registered again, B's record looks like C's, C is D... So pairs are taken best first, and two groups
//! are joined only if no two of their members are unlikely to be one person (a different ID, a twin, a
//! namesake of another generation): each group stays a set of records that could all be one person.

use std::collections::HashMap;
use std::hash::Hash;

use super::found::{Edge, FoundGroup, PairExplanation};

/// Two members of one group must be at least this likely to be one person.
const WITHIN_GROUP: f64 = 0.9;

fn explanation(e: &Edge) -> PairExplanation {
    PairExplanation {
        a: e.a.to_string(),
        b: e.b.to_string(),
        probability: e.probability,
        weight: e.weight,
        fields: e.fields.clone(),
    }
}

fn finish(kind: &'static str, mut rowids: Vec<i64>, edges: Vec<&Edge>) -> FoundGroup {
    rowids.sort_unstable();
    let mut g = FoundGroup { kind, rowids, score: 0.0, reasons: Vec::new(), pairs: Vec::new() };
    for e in edges {
        g.score = g.score.max(e.probability);
        for f in e.fields.iter().filter(|f| f.weight > 0.0) {
            if !g.reasons.contains(&f.field) {
                g.reasons.push(f.field.clone());
            }
        }
        g.pairs.push(explanation(e));
    }
    g.pairs.sort_by(|a, b| b.probability.total_cmp(&a.probability));
    g
}

/// Groups of individuals: best pairs first, joining two groups only when `chance` (the probability that
/// two of their members are one person) is at least `WITHIN_GROUP` for every pair across them.
pub fn cluster(edges: &[Edge], mut chance: impl FnMut(i64, i64) -> f64) -> Vec<FoundGroup> {
    let mut order: Vec<&Edge> = edges.iter().collect();
    order.sort_by(|a, b| b.probability.total_cmp(&a.probability).then((a.a, a.b).cmp(&(b.a, b.b))));
    let mut group_of: HashMap<i64, usize> = HashMap::new();
    let mut members: Vec<Vec<i64>> = Vec::new();
    let mut pairs: Vec<Vec<&Edge>> = Vec::new();
    for e in order {
        let ga = *group_of.entry(e.a).or_insert_with(|| {
            members.push(vec![e.a]);
            pairs.push(Vec::new());
            members.len() - 1
        });
        let gb = *group_of.entry(e.b).or_insert_with(|| {
            members.push(vec![e.b]);
            pairs.push(Vec::new());
            members.len() - 1
        });
        if ga == gb {
            pairs[ga].push(e);
            continue;
        }
        let compatible = members[ga].iter().all(|&x| {
            members[gb]
                .iter()
                .all(|&y| (x == e.a && y == e.b) || (x == e.b && y == e.a) || chance(x, y) >= WITHIN_GROUP)
        });
        if !compatible {
            continue;
        }
        let moved = std::mem::take(&mut members[gb]);
        for &x in &moved {
            group_of.insert(x, ga);
        }
        members[ga].extend(moved);
        let moved = std::mem::take(&mut pairs[gb]);
        pairs[ga].extend(moved);
        pairs[ga].push(e);
    }
    let mut out: Vec<FoundGroup> = members
        .into_iter()
        .zip(pairs)
        .filter(|(m, p)| m.len() > 1 && !p.is_empty())
        .map(|(m, p)| finish("individual", m, p))
        .collect();
    out.sort_by_key(|g| g.rowids[0]);
    out
}

/// Union-find: which set each item belongs to, by its set's smallest member.
pub(super) struct UnionFind<T> {
    parent: HashMap<T, T>,
}

impl<T: Copy + Eq + Hash + Ord> UnionFind<T> {
    pub fn new() -> Self {
        UnionFind { parent: HashMap::new() }
    }

    pub fn root(&self, x: T) -> T {
        let mut r = x;
        while let Some(&p) = self.parent.get(&r) {
            r = p;
        }
        r
    }

    pub fn join(&mut self, a: T, b: T) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            self.parent.insert(ra.max(rb), ra.min(rb));
        }
    }
}

/// Connected components of the pairs, unconstrained (known duplicates: someone registered three times
/// makes all three records one person).
pub fn components(edges: &[Edge]) -> Vec<Vec<i64>> {
    let mut sets = UnionFind::new();
    for e in edges {
        sets.join(e.a, e.b);
    }
    let mut by_root: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    for x in edges.iter().flat_map(|e| [e.a, e.b]) {
        if seen.insert(x) {
            by_root.entry(sets.root(x)).or_default().push(x);
        }
    }
    by_root.into_values().collect()
}

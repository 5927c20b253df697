//! The Fellegi–Sunter model: for each field and level, m (the share of true duplicate pairs at that level)
//! and u (the share of pairs of different people at that level). A pair's match weight is the prior's
//! log-odds plus log2(m / u) of each field's level; agreement on a common name or birthday weighs less than
//! on a rare one. u is counted on random pairs of the registry, m is estimated by expectation-maximisation
//! on the compared pairs, with the reviewers' decisions as known answers, so each office's data sets its
//! own weights. Small registries lean on prior values that a few pairs cannot outweigh.

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::compare::{agreeing_skeletons, compare, Field, LinkedHouseholds, Vector, BIRTH_AGREES, FIELDS, MISSING};
use super::person::{People, Person};

/// Random pairs counted for u.
pub(super) const RANDOM_PAIRS: usize = 400_000;

/// Prior m and u per field and level: where a registry has too few pairs to say otherwise.
pub(super) fn prior(field: Field) -> (&'static [f64], &'static [f64]) {
    match field {
        Field::GivenName | Field::FamilyName => {
            (&[0.55, 0.15, 0.10, 0.05, 0.05, 0.10], &[0.005, 0.002, 0.003, 0.01, 0.03, 0.95])
        }
        Field::NameOrder => (&[0.93, 0.07], &[0.98, 0.02]),
        Field::BirthDate => (
            &[0.40, 0.15, 0.05, 0.10, 0.05, 0.05, 0.03, 0.02, 0.05, 0.10],
            &[0.0002, 0.0005, 0.0001, 0.003, 0.0003, 0.01, 0.0007, 0.0023, 0.1, 0.8829],
        ),
        Field::Sex => (&[0.98, 0.02], &[0.5, 0.5]),
        Field::Area => (&[0.85, 0.15], &[0.2, 0.8]),
        Field::Id => (&[0.97, 0.03], &[0.00001, 0.99999]),
        Field::Phone => (&[0.5, 0.5], &[0.01, 0.99]),
        Field::Household => (&[0.3, 0.000_001, 0.2, 0.01, 0.39, 0.099999], &[0.01, 0.002, 0.00001, 0.05, 0.8, 0.13799]),
    }
}

/// How many pairs the prior m and u count as: a registry's own evidence outweighs them quickly.
const PRIOR_MATCHES: f64 = 10.0;
const PRIOR_NON_MATCHES: f64 = 1000.0;
/// A commonness factor stays within these bounds: one name's count says little beyond them.
const COMMONNESS: (f64, f64) = (1.0 / 20.0, 20.0);
/// The most a full name's correlation takes off its weight (a factor, 2^6).
const CORRELATION_CAP: f64 = 64.0;

/// One field's part in a pair's score.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct FieldWeight {
    pub field: String,
    pub level: String,
    /// Evidence in bits: above 0 for one person, below for two.
    pub weight: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct LevelEstimate {
    pub level: String,
    pub m: f64,
    pub u: f64,
    pub weight: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct FieldEstimate {
    pub field: String,
    pub levels: Vec<LevelEstimate>,
}

/// The weights a run used, as a reviewer or an auditor reads them.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ModelSummary {
    /// Log-odds, in bits, that two people taken at random are one.
    pub prior_weight: f64,
    pub em_iterations: u32,
    /// Reviewer decisions used as known answers.
    pub decisions_used: u64,
    pub fields: Vec<FieldEstimate>,
}

#[derive(Debug, Clone)]
pub struct Model {
    /// The chance that two people taken at random are one person.
    pub prior: f64,
    pub m: Vec<Vec<f64>>,
    pub u: Vec<Vec<f64>>,
    /// log2(m / u) per field and level, computed once.
    level_bits: Vec<Vec<f64>>,
    pub iterations: u32,
    pub decisions: u64,
}

fn bits(p: f64) -> f64 {
    p.max(1e-12).log2()
}

pub fn probability(weight: f64) -> f64 {
    1.0 / (1.0 + (-weight).exp2())
}

impl Model {
    pub fn new(prior: f64, m: Vec<Vec<f64>>, u: Vec<Vec<f64>>, iterations: u32, decisions: u64) -> Model {
        let level_bits =
            m.iter().zip(&u).map(|(m, u)| m.iter().zip(u).map(|(m, u)| bits(*m) - bits(*u)).collect()).collect();
        Model { prior, m, u, level_bits, iterations, decisions }
    }

    /// A pair's match weight in bits, with each field's part when `explain` is set.
    pub fn weigh(&self, p: &People, a: &Person, v: &Vector, mut explain: Option<&mut Vec<FieldWeight>>) -> f64 {
        let mut total = bits(self.prior) - bits(1.0 - self.prior);
        let (given, family) = agreeing_skeletons(a, v);
        for (f, field) in Field::ALL.iter().enumerate() {
            let level = v[f];
            if level == MISSING {
                continue;
            }
            let l = usize::from(level);
            let commonness = match field {
                Field::GivenName => given.map(|s| p.skeleton_commonness(s)),
                Field::FamilyName => family.map(|s| p.skeleton_commonness(s)),
                Field::BirthDate if level <= BIRTH_AGREES => a.birth.map(|b| p.birth_commonness(&b)),
                _ => None,
            }
            .map_or(1.0, |c| c.clamp(COMMONNESS.0, COMMONNESS.1));
            let mut w = self.level_bits[f][l] - if commonness == 1.0 { 0.0 } else { commonness.log2() };
            if let (Field::FamilyName, Some(g), Some(s)) = (field, given, family) {
                // Both names agree: the full name's own commonness, beyond its two names'.
                w -= bits(p.full_name_correlation(g, s).min(CORRELATION_CAP));
            }
            total += w;
            if let Some(out) = explain.as_deref_mut() {
                out.push(FieldWeight { field: field.as_str().into(), level: field.levels()[l].into(), weight: w });
            }
        }
        total
    }

    pub fn summary(&self) -> ModelSummary {
        ModelSummary {
            prior_weight: bits(self.prior) - bits(1.0 - self.prior),
            em_iterations: self.iterations,
            decisions_used: self.decisions,
            fields: Field::ALL
                .iter()
                .enumerate()
                .map(|(f, field)| FieldEstimate {
                    field: field.as_str().into(),
                    levels: field
                        .levels()
                        .iter()
                        .enumerate()
                        .map(|(l, name)| LevelEstimate {
                            level: (*name).into(),
                            m: self.m[f][l],
                            u: self.u[f][l],
                            weight: bits(self.m[f][l]) - bits(self.u[f][l]),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// u per field and level, counted on random pairs of people (nearly all pairs are two people), or on
/// every pair of a registry that has fewer pairs than `samples`.
pub fn estimate_u(p: &People, linked: &LinkedHouseholds, samples: usize) -> Vec<Vec<f64>> {
    let mut counts: Vec<Vec<f64>> = Field::ALL.iter().map(|f| vec![0.0; f.levels().len()]).collect();
    let n = p.people.len();
    let mut count = |i: usize, j: usize| {
        let v = compare(p, &p.people[i], &p.people[j], linked);
        for (f, &level) in v.iter().enumerate() {
            if level != MISSING {
                counts[f][usize::from(level)] += 1.0;
            }
        }
    };
    if n * n.saturating_sub(1) / 2 <= samples {
        // A small registry: every pair, once.
        for i in 0..n {
            for j in i + 1..n {
                count(i, j);
            }
        }
    } else {
        // Seeded: two runs on the same registry weigh the same.
        let mut rng = StdRng::seed_from_u64(20_261_130);
        for _ in 0..samples {
            let (i, j) = (rng.random_range(0..n), rng.random_range(0..n));
            if i != j {
                count(i, j);
            }
        }
    }
    Field::ALL
        .iter()
        .enumerate()
        .map(|(f, field)| {
            let seen: f64 = counts[f].iter().sum();
            let u0 = prior(*field).1;
            counts[f]
                .iter()
                .zip(u0)
                // Never below half a pair in the sample: a level unseen in it is rare, not impossible.
                .map(|(c, u0)| ((c + PRIOR_NON_MATCHES * u0) / (seen + PRIOR_NON_MATCHES)).max(0.5 / (seen + 1.0)))
                .collect()
        })
        .collect()
}

/// The compared pairs, counted by comparison vector (a few thousand distinct vectors at most).
#[derive(Default)]
pub struct Patterns {
    pub counts: HashMap<Vector, f64>,
    pub pairs: f64,
}

impl Patterns {
    pub fn add(&mut self, v: Vector, n: f64) {
        *self.counts.entry(v).or_default() += n;
        self.pairs += n;
    }
}

/// Two people sharing an ID value are one person, two with different values of one ID type are two:
/// such pairs anchor the estimate (without them the mixture may settle on "same family" rather than "same
/// person", families being the most alike pairs of a registry).
fn anchored(v: &Vector) -> Option<f64> {
    match v[Field::Id as usize] {
        0 => Some(0.999),
        1 => Some(0.001),
        _ => None,
    }
}

/// Fields whose agreement runs in families: people who look alike share a household and a phone far more
/// often than random pairs do, so these fields do not steer the mixture, and their u is counted among the
/// look-alikes rather than on random pairs.
pub(super) const FAMILY_FIELDS: [Field; 2] = [Field::Household, Field::Phone];
/// Levels whose m is fixed, as (field, level, m): look-alike relatives in one household (a twin, a
/// namesake parent) are two people; so, nearly always, are the heads of two households not registered
/// again; and one person's sex is seldom recorded two ways (the estimate cannot tell: where given names
/// agree, the sex is not compared).
pub(super) const FIXED_M: [(Field, usize, f64); 3] =
    [(Field::Household, 1, 0.000_001), (Field::Household, 3, 0.001), (Field::Sex, 1, 0.01)];

/// What one training session learnt.
pub(super) struct Session {
    pub m: Vec<Vec<f64>>,
    /// u among the session's pairs that are not duplicates.
    pub u: Vec<Vec<f64>>,
    pub duplicates: f64,
    pub iterations: u32,
}

/// One training session: expectation-maximisation over the pairs sharing one blocking key, a mixture of
/// duplicates and of different people who happen to share it. The key's own fields say nothing there
/// (every pair agrees on them), so they are left out and keep their prior m.
/// m starts from `start`, which is also what a few pairs cannot outweigh; the share of duplicates starts
/// from the share of pairs sharing an ID among those whose IDs can be compared (a mixture started far
/// from it may settle on another split of the pairs, such as by sex).
pub(super) fn session(
    patterns: &Patterns,
    decisions: &[(Vector, bool)],
    u_random: &[Vec<f64>],
    fixed: &[Field],
    start: &[Vec<f64>],
) -> Session {
    let free: Vec<bool> = Field::ALL.iter().map(|f| !fixed.contains(f)).collect();
    let steers: Vec<bool> = Field::ALL.iter().map(|f| !fixed.contains(f) && !FAMILY_FIELDS.contains(f)).collect();
    let mut m: Vec<Vec<f64>> = start.to_vec();
    let mut u = u_random.to_vec();
    let id = Field::Id as usize;
    let (same, known) = patterns.counts.iter().fold((0.0, 0.0), |(s, k), (v, n)| match v[id] {
        0 => (s + n, k + n),
        1 => (s, k + n),
        _ => (s, k),
    });
    let mut lambda = if known >= 30.0 { (same / known).clamp(1e-4, 0.5) } else { 0.1 };
    let mut iterations = 0;
    if patterns.pairs <= 0.0 {
        return Session { m, u, duplicates: 0.0, iterations: 0 };
    }
    let posterior = |lambda: f64, m: &[Vec<f64>], u: &[Vec<f64>], v: &Vector| {
        let (mut pm, mut pu) = (lambda.ln(), (1.0 - lambda).ln());
        for f in (0..FIELDS).filter(|&f| steers[f] && v[f] != MISSING) {
            pm += m[f][usize::from(v[f])].max(1e-12).ln();
            pu += u[f][usize::from(v[f])].max(1e-12).ln();
        }
        1.0 / (1.0 + (pu - pm).exp())
    };
    for _ in 0..100 {
        iterations += 1;
        let mut m_sum: Vec<Vec<f64>> = m.iter().map(|l| vec![0.0; l.len()]).collect();
        let mut u_sum = m_sum.clone();
        let mut matches = 0.0;
        let mut weigh = |v: &Vector, n: f64, p: f64| {
            for f in 0..FIELDS {
                if v[f] != MISSING {
                    m_sum[f][usize::from(v[f])] += n * p;
                    u_sum[f][usize::from(v[f])] += n * (1.0 - p);
                }
            }
        };
        for (v, &n) in &patterns.counts {
            let p = anchored(v).unwrap_or_else(|| posterior(lambda, &m, &u, v));
            matches += n * p;
            weigh(v, n, p);
        }
        for (v, duplicate) in decisions {
            weigh(v, 1.0, if *duplicate { 1.0 } else { 0.0 });
        }
        let smooth = |sums: &[f64], prior: &[f64], k: f64| -> Vec<f64> {
            let total: f64 = sums.iter().sum();
            sums.iter().zip(prior).map(|(s, p0)| (s + k * p0) / (total + k)).collect()
        };
        let next_m: Vec<Vec<f64>> = (0..FIELDS)
            .map(|f| if free[f] { smooth(&m_sum[f], &start[f], PRIOR_MATCHES) } else { m[f].clone() })
            .collect();
        u = u_sum.iter().zip(u_random).map(|(s, u0)| smooth(s, u0, PRIOR_MATCHES)).collect();
        let next_lambda = (matches / patterns.pairs).clamp(1e-9, 0.999);
        let moved = (next_lambda - lambda).abs()
            + next_m.iter().zip(&m).flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).abs())).sum::<f64>();
        m = next_m;
        lambda = next_lambda;
        if moved < 1e-7 {
            break;
        }
    }
    Session { m, u, duplicates: lambda * patterns.pairs, iterations }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(id: u8, birth: u8) -> Vector {
        let mut v = [MISSING; FIELDS];
        v[Field::Id as usize] = id;
        v[Field::BirthDate as usize] = birth;
        v
    }

    #[test]
    fn a_reviewers_decision_moves_the_weights() {
        let mut patterns = Patterns::default();
        patterns.add(vector(0, 0), 40.0);
        patterns.add(vector(1, 9), 40.0);
        let u: Vec<Vec<f64>> = Field::ALL.iter().map(|f| prior(*f).1.to_vec()).collect();
        let start: Vec<Vec<f64>> = Field::ALL.iter().map(|f| prior(*f).0.to_vec()).collect();
        let fixed = [Field::Id];
        let year_off = |decisions: &[(Vector, bool)]| {
            session(&patterns, decisions, &u, &fixed, &start).m[Field::BirthDate as usize][4]
        };
        let alone = year_off(&[]);
        let taught = year_off(&[(vector(MISSING, 4), true), (vector(MISSING, 4), true)]);
        assert!(taught > alone, "{taught} {alone}");
        let unlearnt = year_off(&[(vector(MISSING, 4), false)]);
        assert!((unlearnt - alone).abs() < 1e-9, "a pair declared two people teaches nothing about duplicates");
    }
}

//! Learning the weights on this registry (see `model`): u from random pairs; m from four sessions of
//! expectation-maximisation, over people sharing both names and the area (which teaches the birth date,
//! IDs, phone, household and sex), over people born on one day in one area (which teaches the names), over
//! people sharing both names and the birth year (which teaches the area), where duplicates are common
//! enough for the mixture to find them, and over people sharing an ID value (known duplicates, which teach
//! everything else, and whose levels start the other sessions off). Reviewers' decisions are known answers
//! in each; a field's m is the mean of the sessions that learnt it. The prior follows from the duplicates the first session found and the share of
//! duplicates it could see.
//!
//! The sessions' pairs are counted once, by comparison vector; when households are then linked as
//! registered again, only their members' pairs are compared again.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicBool;

use super::blocking::{for_each_pair_sharing, share, Key};
use super::compare::{compare, Field, LinkedHouseholds, Vector, NAME_AGREES};
use super::model::{estimate_u, prior, session, Model, Patterns, Session, FAMILY_FIELDS, FIXED_M, RANDOM_PAIRS};
use super::person::People;
use crate::error::Result;

const SESSIONS: [(Key, &[Field]); 4] = [
    (Key::NamePairArea, &[Field::GivenName, Field::FamilyName, Field::NameOrder, Field::Area]),
    (Key::AreaBirthDay, &[Field::BirthDate, Field::Area]),
    (Key::NamePairYear, &[Field::GivenName, Field::FamilyName, Field::NameOrder]),
    (Key::Id, &[Field::Id]),
];
const ID_SESSION: usize = 3;
/// Pairs sharing an ID needed for their levels to start the other sessions.
const KNOWN_ENOUGH: f64 = 30.0;

/// The sessions' pairs, counted by comparison vector.
pub struct Training {
    patterns: Vec<Patterns>,
    decided: HashSet<(i64, i64)>,
}

impl Training {
    /// Pairs a reviewer decided are left out: they are known answers, not guesses. A search of exact
    /// identifiers learns from pairs sharing an ID only (its pairs are few and their IDs speak loudest).
    pub fn collect(
        p: &People,
        decided: &HashMap<(i64, i64), bool>,
        exact_only: bool,
        cancel: &AtomicBool,
    ) -> Result<Training> {
        let none = LinkedHouseholds::new();
        let mut patterns = Vec::new();
        for (key, _) in SESSIONS {
            let mut counted = Patterns::default();
            if exact_only && key != Key::Id {
                patterns.push(counted);
                continue;
            }
            for_each_pair_sharing(p, key, cancel, |i, j| {
                let (a, b) = (&p.people[i], &p.people[j]);
                if !decided.contains_key(&(a.rowid.min(b.rowid), a.rowid.max(b.rowid))) {
                    counted.add(compare(p, a, b, &none), 1.0);
                }
            })?;
            patterns.push(counted);
        }
        Ok(Training { patterns, decided: decided.keys().copied().collect() })
    }

    /// Households now linked as registered again: their members' pairs move to their new vectors.
    pub fn relink(&mut self, p: &People, linked: &LinkedHouseholds) {
        let none = LinkedHouseholds::new();
        let mut members: HashMap<i64, Vec<usize>> = HashMap::new();
        for (i, x) in p.people.iter().enumerate() {
            if let Some(h) = x.household {
                members.entry(h).or_default().push(i);
            }
        }
        for (x, y) in linked {
            for &i in members.get(x).into_iter().flatten() {
                for &j in members.get(y).into_iter().flatten() {
                    let (a, b) = (&p.people[i], &p.people[j]);
                    if self.decided.contains(&(a.rowid.min(b.rowid), a.rowid.max(b.rowid))) {
                        continue;
                    }
                    let (before, after) = (compare(p, a, b, &none), compare(p, a, b, linked));
                    for ((key, _), counted) in SESSIONS.iter().zip(&mut self.patterns) {
                        if share(*key, p, a, b) {
                            counted.add(before, -1.0);
                            counted.add(after, 1.0);
                        }
                    }
                }
            }
        }
    }

    pub fn fit(&self, p: &People, linked: &LinkedHouseholds, decisions: &[(Vector, bool)]) -> Model {
        let u = estimate_u(p, linked, RANDOM_PAIRS);
        let priors: Vec<Vec<f64>> = Field::ALL.iter().map(|f| prior(*f).0.to_vec()).collect();
        // Pairs sharing an ID first: known duplicates, whose levels start the other sessions off.
        let (_, id_fixed) = SESSIONS[ID_SESSION];
        let known = session(&self.patterns[ID_SESSION], decisions, &u, id_fixed, &priors);
        let start: Vec<Vec<f64>> = if self.patterns[ID_SESSION].pairs >= KNOWN_ENOUGH {
            Field::ALL
                .iter()
                .zip(&known.m)
                .zip(&priors)
                .map(|((f, k), p)| if *f == Field::Id { p.clone() } else { k.clone() })
                .collect()
        } else {
            priors
        };
        let mut iterations = known.iterations;
        let mut runs: Vec<(&[Field], Session)> = SESSIONS[..ID_SESSION]
            .iter()
            .zip(&self.patterns)
            .map(|((_, fixed), counted)| {
                let s = session(counted, decisions, &u, fixed, &start);
                iterations += s.iterations;
                (*fixed, s)
            })
            .collect();
        runs.push((id_fixed, known));
        let m: Vec<Vec<f64>> = Field::ALL
            .iter()
            .enumerate()
            .map(|(f, field)| {
                let learnt: Vec<&Vec<f64>> =
                    runs.iter().filter(|(fixed, _)| !fixed.contains(field)).map(|(_, s)| &s.m[f]).collect();
                (0..field.levels().len())
                    .map(|l| learnt.iter().map(|m| m[l]).sum::<f64>() / learnt.len() as f64)
                    .collect()
            })
            .collect();
        // What a registry's own pairs cannot teach (look-alikes are what they hold most of): fixed, the
        // field's other levels scaled to fill the rest.
        let mut m = m;
        for field in Field::ALL {
            let fixed: Vec<(usize, f64)> =
                FIXED_M.iter().filter(|(f, _, _)| *f == field).map(|(_, l, x)| (*l, *x)).collect();
            if fixed.is_empty() {
                continue;
            }
            let levels = &mut m[field as usize];
            let taken: f64 = fixed.iter().map(|(_, x)| x).sum();
            let rest: f64 =
                levels.iter().enumerate().filter(|(l, _)| !fixed.iter().any(|(f, _)| f == l)).map(|(_, x)| x).sum();
            for (l, x) in levels.iter_mut().enumerate() {
                *x = match fixed.iter().find(|(f, _)| *f == l) {
                    Some((_, m)) => *m,
                    None => *x / rest * (1.0 - taken),
                };
            }
        }
        // Family fields: u among people who share both names and are not one person (fathers and sons, common
        // names).
        let mut u = u;
        for field in FAMILY_FIELDS {
            u[field as usize] = runs[0].1.u[field as usize].clone();
        }
        // Duplicates sharing both name skeletons (in either column) and the area: what the first session saw.
        let agree = |f: Field, levels: usize| m[f as usize][..levels].iter().sum::<f64>();
        let names = usize::from(NAME_AGREES) + 1;
        let seen =
            (agree(Field::GivenName, names) * agree(Field::FamilyName, names) * agree(Field::Area, 1)).clamp(0.05, 1.0);
        let n = p.people.len() as f64;
        let duplicates = (runs[0].1.duplicates / seen).max(1.0);
        let prior = (duplicates / (n * (n - 1.0) / 2.0).max(1.0)).clamp(1e-15, 0.5);
        Model::new(prior, m, u, iterations, decisions.len() as u64)
    }
}

//! Which pairs are compared at all. Comparing everyone with everyone is quadratic; instead people are put
//! in blocks by several keys, each catching what the others miss (an ID; both name skeletons in either
//! column, with the birth year or with the area; one name with the birth day; the given name with the
//! area and birth year; a phone; the area, sex and birth day), and only people sharing a block are
//! compared. A pair sharing several keys is compared once, under the first. A block too large to compare
//! in full (a common name in a large registry) is sorted by birth day and each person compared with the
//! next few only.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};

use rustc_hash::{FxHashMap, FxHasher};

use super::person::{People, Person};
use crate::error::{CoreError, Result};

/// The blocking keys, in the order pairs are attributed to them; the last two also choose the pairs the
/// weights are learnt on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Id,
    /// Both name skeletons, in either column, and the birth year.
    NamePairYear,
    /// Both name skeletons, in either column, and the area.
    NamePairArea,
    GivenBirthDay,
    FamilyBirthDay,
    GivenAreaYear,
    Phone,
    AreaSexBirthDay,
    /// Training only: people born on one day in one area (the sex is then free to be learnt).
    AreaBirthDay,
}

const ALL_KEYS: [Key; 8] = [
    Key::Id,
    Key::NamePairYear,
    Key::NamePairArea,
    Key::GivenBirthDay,
    Key::FamilyBirthDay,
    Key::GivenAreaYear,
    Key::Phone,
    Key::AreaSexBirthDay,
];
/// Which pairs to compare, and whether to look for households registered twice.
#[derive(Debug, Clone, Copy)]
pub struct Kinds {
    /// Pairs sharing an ID or a phone.
    pub exact: bool,
    /// Pairs sharing the other keys (names, birth days, areas).
    pub fuzzy: bool,
    pub households: bool,
}

/// The keys of exact identifiers; the others are the fuzzy ones.
const EXACT_KEYS: [Key; 2] = [Key::Id, Key::Phone];

/// Above this many people a block is compared by sorted neighbourhood: at a million registrants the
/// people of one common name in one area are many, and their duplicates sit next to them by birth day.
const FULL_BLOCK: usize = 40;
const NEIGHBOURS: usize = 8;
/// A phone shared by more people than this is an agent's or a shop's: no evidence of anything.
const PHONE_BLOCK: usize = 12;

fn key_hash(parts: impl Hash) -> u64 {
    let mut h = FxHasher::default();
    parts.hash(&mut h);
    h.finish()
}

fn keys(key: Key, p: &People, x: &Person, out: &mut Vec<u64>) {
    out.clear();
    let named = |id: u32| !p.text(id).is_empty();
    let (g, f) = (x.given.skeleton, x.family.skeleton);
    let day = x.birth.map(|b| b.julian);
    match key {
        Key::Id => out.extend(x.ids.iter().map(|id| key_hash((0u8, id)))),
        Key::NamePairYear => {
            if let (true, true, Some(b)) = (named(g), named(f), x.birth) {
                out.push(key_hash((1u8, g.min(f), g.max(f), b.year)));
            }
        }
        Key::NamePairArea if named(g) && named(f) => out.push(key_hash((8u8, g.min(f), g.max(f), x.area))),
        Key::GivenBirthDay => {
            if let (true, Some(d)) = (named(g), day) {
                out.push(key_hash((2u8, g, d)));
            }
        }
        Key::FamilyBirthDay => {
            if let (true, Some(d)) = (named(f), day) {
                out.push(key_hash((3u8, f, d)));
            }
        }
        Key::GivenAreaYear => {
            if let (true, Some(b)) = (named(g), x.birth) {
                out.push(key_hash((4u8, g, x.area, b.year)));
            }
        }
        Key::Phone => out.extend(x.phone.map(|h| key_hash((5u8, h)))),
        Key::AreaSexBirthDay => out.extend(day.map(|d| key_hash((6u8, x.area, x.sex, d)))),
        Key::AreaBirthDay => out.extend(day.map(|d| key_hash((7u8, x.area, d)))),
        Key::NamePairArea => {}
    }
}

/// Whether two people share a block of `key`, from their fields (no hashing: this runs for every pair).
pub fn share(key: Key, p: &People, a: &Person, b: &Person) -> bool {
    let named = |id: u32| !p.text(id).is_empty();
    let names = || {
        let (ga, fa, gb, fb) = (a.given.skeleton, a.family.skeleton, b.given.skeleton, b.family.skeleton);
        named(ga) && named(fa) && (ga.min(fa), ga.max(fa)) == (gb.min(fb), gb.max(fb))
    };
    let day = match (a.birth, b.birth) {
        (Some(x), Some(y)) => Some((x, y)),
        _ => None,
    };
    let same_day = day.is_some_and(|(x, y)| x.julian == y.julian);
    match key {
        Key::Id => a.ids.iter().any(|id| b.ids.contains(id)),
        Key::NamePairYear => names() && day.is_some_and(|(x, y)| x.year == y.year),
        Key::NamePairArea => names() && a.area == b.area,
        Key::GivenBirthDay => named(a.given.skeleton) && a.given.skeleton == b.given.skeleton && same_day,
        Key::FamilyBirthDay => named(a.family.skeleton) && a.family.skeleton == b.family.skeleton && same_day,
        Key::GivenAreaYear => {
            named(a.given.skeleton)
                && a.given.skeleton == b.given.skeleton
                && a.area == b.area
                && day.is_some_and(|(x, y)| x.year == y.year)
        }
        Key::Phone => a.phone.is_some() && a.phone == b.phone,
        Key::AreaSexBirthDay => a.area == b.area && a.sex == b.sex && same_day,
        Key::AreaBirthDay => a.area == b.area && same_day,
    }
}

fn blocks(p: &People, key: Key) -> FxHashMap<u64, Vec<u32>> {
    let mut buf = Vec::new();
    let mut blocks: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
    for (i, x) in p.people.iter().enumerate() {
        keys(key, p, x, &mut buf);
        for &h in &buf {
            blocks.entry(h).or_default().push(i as u32);
        }
    }
    blocks
}

/// Each pair of a block once (by sorted neighbourhood when the block is large).
fn pairs_of(p: &People, key: Key, h: u64, mut block: Vec<u32>, pair: &mut impl FnMut(u64, usize, usize)) {
    if block.len() < 2 || (key == Key::Phone && block.len() > PHONE_BLOCK) {
        return;
    }
    if block.len() <= FULL_BLOCK {
        for (n, &i) in block.iter().enumerate() {
            for &j in &block[n + 1..] {
                pair(h, i as usize, j as usize);
            }
        }
    } else {
        block.sort_by_key(|&i| p.people[i as usize].birth.map(|b| b.julian));
        for (n, &i) in block.iter().enumerate() {
            for &j in block[n + 1..].iter().take(NEIGHBOURS) {
                pair(h, i as usize, j as usize);
            }
        }
    }
}

/// Calls `visit` once for each pair of people (indexes, lower first) sharing a block of `key`.
pub fn for_each_pair_sharing(
    p: &People,
    key: Key,
    cancel: &AtomicBool,
    mut visit: impl FnMut(usize, usize),
) -> Result<()> {
    let (mut ka, mut kb) = (Vec::new(), Vec::new());
    let multiple = key == Key::Id;
    for (h, block) in blocks(p, key) {
        if cancel.load(Ordering::Relaxed) {
            return Err(CoreError::Cancelled);
        }
        pairs_of(p, key, h, block, &mut |h, i, j| {
            if !multiple || first_shared(p, key, i, j, &mut ka, &mut kb) == Some(h) {
                visit(i.min(j), i.max(j));
            }
        });
    }
    Ok(())
}

/// The first key two people share (people with two IDs share two blocks of one key).
fn first_shared(p: &People, key: Key, i: usize, j: usize, ka: &mut Vec<u64>, kb: &mut Vec<u64>) -> Option<u64> {
    keys(key, p, &p.people[i], ka);
    keys(key, p, &p.people[j], kb);
    ka.iter().find(|k| kb.contains(k)).copied()
}

/// Calls `visit` once for each pair of people (indexes, lower first) that shares a block of any
/// candidate key; returns how many pairs that was.
pub fn for_each_candidate(
    p: &People,
    kinds: Kinds,
    cancel: &AtomicBool,
    mut visit: impl FnMut(usize, usize),
) -> Result<u64> {
    let order: Vec<Key> =
        ALL_KEYS.into_iter().filter(|k| if EXACT_KEYS.contains(k) { kinds.exact } else { kinds.fuzzy }).collect();
    let order = order.as_slice();
    let mut compared = 0u64;
    let (mut ka, mut kb) = (Vec::new(), Vec::new());
    for (k, &key) in order.iter().enumerate() {
        let earlier = &order[..k];
        for (h, block) in blocks(p, key) {
            if cancel.load(Ordering::Relaxed) {
                return Err(CoreError::Cancelled);
            }
            pairs_of(p, key, h, block, &mut |h, i, j| {
                let (a, b) = (&p.people[i], &p.people[j]);
                if earlier.iter().any(|&e| share(e, p, a, b)) {
                    return;
                }
                if key == Key::Id && first_shared(p, key, i, j, &mut ka, &mut kb) != Some(h) {
                    return;
                }
                compared += 1;
                visit(i.min(j), i.max(j));
            });
        }
    }
    Ok(compared)
}

//! Finding duplicates, registry-wide or among a program's members.
//!
//! - exact: the same ID type and normalised value; the same phone;
//! - fuzzy: similar names (across scripts, see `names`) of the same sex in the same area, born the same
//!   day, or born up to three days apart under the very same name. Blocking keeps it linear: people are
//!   only compared within a block of the same area, sex and birth date, or of the same area, sex and name.
//!   A different value for the same ID type, or a different phone, or membership of two different
//!   households rules a fuzzy match out;
//! - households: the same set of members (after individual duplicates are taken as one person).
//!
//! Matches become groups (connected pairs) with a score and the reasons.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::Connection;
use serde::Serialize;
use ts_rs::TS;

use super::names::{fold, similarity, skeleton};
use crate::error::{CoreError, Result};

/// Reasons a pair was matched, as bits.
pub const SAME_ID: u8 = 1;
pub const SAME_PHONE: u8 = 2;
pub const SIMILAR_NAME_SAME_BIRTH: u8 = 4;
pub const SAME_NAME_CLOSE_BIRTH: u8 = 8;
pub const SAME_MEMBERS: u8 = 16;

pub fn reason_names(bits: u8) -> Vec<String> {
    [
        (SAME_ID, "same_id"),
        (SAME_PHONE, "same_phone"),
        (SIMILAR_NAME_SAME_BIRTH, "similar_name_same_birth_date"),
        (SAME_NAME_CLOSE_BIRTH, "same_name_close_birth_date"),
        (SAME_MEMBERS, "same_members"),
    ]
    .into_iter()
    .filter(|(b, _)| bits & b != 0)
    .map(|(_, n)| n.to_string())
    .collect()
}

/// What the comparison needs of one person, compact: a million fit in a few hundred megabytes.
struct Person {
    rowid: i64,
    sex: u32,
    area: u32,
    day: Option<i32>,
    given: u32,
    family: u32,
    given_fold: u32,
    family_fold: u32,
    phone: Option<u64>,
    ids: Vec<(u32, u64)>,
    household: Option<i64>,
}

#[derive(Default)]
struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.to_string());
        self.ids.insert(s.to_string(), i);
        i
    }
}

fn hash(s: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// A matched pair (indexes into the loaded people), its score and why.
#[derive(Debug, Clone, Copy)]
pub struct Edge {
    pub a: i64,
    pub b: i64,
    pub score: f32,
    pub reasons: u8,
}

/// A group of registrants found to be duplicates of each other.
#[derive(Debug, Clone)]
pub struct FoundGroup {
    pub kind: &'static str,
    pub rowids: Vec<i64>,
    pub score: f32,
    pub reasons: u8,
}

/// Timings and counts of one search, for the summary and the bench.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct FindStats {
    pub people: u64,
    pub households: u64,
    pub exact_pairs: u64,
    pub fuzzy_pairs: u64,
    pub comparisons: u64,
    pub load_ms: u64,
    pub compare_ms: u64,
}

/// Which kinds of duplicates to look for.
#[derive(Debug, Clone, Copy)]
pub struct Kinds {
    pub exact: bool,
    pub fuzzy: bool,
    pub households: bool,
}

struct Loaded {
    people: Vec<Person>,
    names: Interner,
}

fn load(conn: &Connection, program: Option<i64>, cancel: &AtomicBool) -> Result<Loaded> {
    let scope = match program {
        Some(p) => format!(
            " AND r.rowid IN (SELECT registrant FROM program_memberships WHERE program = {p}
               AND state IN ('draft', 'enrolled', 'paused', 'duplicated'))"
        ),
        None => String::new(),
    };
    // NOT INDEXED: everyone is read, and in table order. With statistics, the planner may otherwise walk a
    // partial index of individuals and fetch each row at random (measured: 49 s instead of 5 s at a million).
    let mut st = conn.prepare(&format!(
        "SELECT r.rowid, r.sex, r.area, r.birth_date, r.given_name, r.family_name, r.phone_norm
         FROM registrants r NOT INDEXED WHERE r.kind = 'individual' AND r.status = 'active'{scope} ORDER BY r.rowid"
    ))?;
    let mut rows = st.query([])?;
    let mut labels = Interner::default();
    let mut names = Interner::default();
    // Raw name -> (fold id, skeleton id): names repeat, transliteration is the costly part.
    let mut name_cache: HashMap<String, (u32, u32)> = HashMap::new();
    let mut people = Vec::new();
    while let Some(r) = rows.next()? {
        if people.len().is_multiple_of(65_536) && cancel.load(Ordering::Relaxed) {
            return Err(CoreError::Cancelled);
        }
        let mut name_ids = |raw: Option<String>| -> (u32, u32) {
            let raw = raw.unwrap_or_default();
            if let Some(&v) = name_cache.get(&raw) {
                return v;
            }
            let folded = fold(&raw);
            let v = (names.id(&folded), names.id(&skeleton(&folded)));
            name_cache.insert(raw, v);
            v
        };
        let (given_fold, given) = name_ids(r.get(4)?);
        let (family_fold, family) = name_ids(r.get(5)?);
        let birth: Option<String> = r.get(3)?;
        people.push(Person {
            rowid: r.get(0)?,
            sex: labels.id(&r.get::<_, Option<String>>(1)?.unwrap_or_default()),
            area: labels.id(&r.get::<_, Option<String>>(2)?.unwrap_or_default()),
            day: birth.as_deref().and_then(crate::registry::settings::parse_date).map(|d| d.to_julian_day()),
            given,
            family,
            given_fold,
            family_fold,
            phone: r.get::<_, Option<String>>(6)?.map(|p| hash(&p)),
            ids: Vec::new(),
            household: None,
        });
    }
    let index: HashMap<i64, usize> = people.iter().enumerate().map(|(i, p)| (p.rowid, i)).collect();
    // Households in one pass over the memberships, not a lookup per person (whose plan the statistics
    // can turn into a walk per person: 49 s instead of 3 s at a million).
    let mut st = conn.prepare("SELECT individual_rowid, group_rowid FROM memberships WHERE end_date IS NULL")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        if let Some(&i) = index.get(&r.get::<_, i64>(0)?) {
            people[i].household = Some(r.get(1)?);
        }
    }
    let mut st = conn.prepare("SELECT registrant, id_type, value_norm FROM id_documents")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        if let Some(&i) = index.get(&r.get::<_, i64>(0)?) {
            let t = labels.id(&r.get::<_, String>(1)?);
            people[i].ids.push((t, hash(&r.get::<_, String>(2)?)));
        }
    }
    Ok(Loaded { people, names })
}

/// Two people carry different values for the same ID type: not one person.
fn ids_conflict(a: &Person, b: &Person) -> bool {
    a.ids.iter().any(|(t, v)| b.ids.iter().any(|(t2, v2)| t == t2 && v != v2))
}

/// Different values for the same ID type, or different phones: not one person.
fn identifiers_conflict(a: &Person, b: &Person) -> bool {
    ids_conflict(a, b) || matches!((a.phone, b.phone), (Some(x), Some(y)) if x != y)
}

fn fuzzy_score(l: &Loaded, a: &Person, b: &Person) -> Option<(f32, u8)> {
    if a.sex != b.sex || a.area != b.area || identifiers_conflict(a, b) {
        return None;
    }
    // Each firmly placed in a different household: two people. A common name and a birthday shared by
    // chance are frequent at a million registrants; a duplicate registration sits outside the person's
    // household, or in the same one. (Exact ID and phone matches still pair people across households.)
    if matches!((a.household, b.household), (Some(x), Some(y)) if x != y) {
        return None;
    }
    let (da, db) = (a.day?, b.day?);
    let days = (da - db).abs();
    if days > 3 {
        return None;
    }
    let names = &l.names.names;
    let gs = similarity(&names[a.given as usize], &names[b.given as usize]);
    let fs = similarity(&names[a.family as usize], &names[b.family as usize]);
    if gs < 0.85 || fs < 0.85 {
        return None;
    }
    let name = (gs + fs) / 2.0;
    if days == 0 {
        return Some(((0.6 * name + 0.4) as f32, SIMILAR_NAME_SAME_BIRTH));
    }
    // A few days apart: only under the very same name.
    if a.given_fold == b.given_fold && a.family_fold == b.family_fold {
        return Some(((0.6 + 0.4 * (1.0 - days as f64 / 8.0)) as f32, SAME_NAME_CLOSE_BIRTH));
    }
    None
}

/// Groups of indexes sharing a key, where there are at least two.
fn buckets<K: Hash + Eq>(keys: impl Iterator<Item = (K, usize)>) -> Vec<Vec<usize>> {
    let mut map: HashMap<K, Vec<usize>> = HashMap::new();
    for (k, i) in keys {
        map.entry(k).or_default().push(i);
    }
    map.into_values().filter(|v| v.len() > 1).collect()
}

/// Finds matched pairs of individuals. `skip` holds pairs (low rowid, high rowid) a person already
/// decided on.
pub fn find_individual_pairs(
    conn: &Connection,
    program: Option<i64>,
    kinds: Kinds,
    skip: &HashSet<(i64, i64)>,
    cancel: &AtomicBool,
    stats: &mut FindStats,
) -> Result<Vec<Edge>> {
    let started = std::time::Instant::now();
    let l = load(conn, program, cancel)?;
    stats.people = l.people.len() as u64;
    stats.load_ms = started.elapsed().as_millis() as u64;
    let started = std::time::Instant::now();
    let mut edges: HashMap<(i64, i64), Edge> = HashMap::new();
    let add = |edges: &mut HashMap<(i64, i64), Edge>, a: &Person, b: &Person, score: f32, reason: u8| {
        let key = (a.rowid.min(b.rowid), a.rowid.max(b.rowid));
        if skip.contains(&key) {
            return;
        }
        let e = edges.entry(key).or_insert(Edge { a: key.0, b: key.1, score, reasons: 0 });
        e.score = e.score.max(score);
        e.reasons |= reason;
    };
    let p = &l.people;
    if kinds.exact {
        let by_id = buckets(p.iter().enumerate().flat_map(|(i, x)| x.ids.iter().map(move |id| (*id, i))));
        for b in &by_id {
            for w in b.windows(2) {
                add(&mut edges, &p[w[0]], &p[w[1]], 1.0, SAME_ID);
            }
        }
        // A shared phone with another ID of the same type, or of the other sex, is a family's phone.
        let by_phone = buckets(p.iter().enumerate().filter_map(|(i, x)| x.phone.map(|h| (h, i))));
        for b in &by_phone {
            for (k, &i) in b.iter().enumerate() {
                for &j in &b[k + 1..] {
                    let (a, c) = (&p[i], &p[j]);
                    if a.sex == c.sex && !ids_conflict(a, c) {
                        add(&mut edges, a, c, 0.95, SAME_PHONE);
                    }
                }
            }
        }
        stats.exact_pairs = edges.len() as u64;
    }
    if kinds.fuzzy {
        if cancel.load(Ordering::Relaxed) {
            return Err(CoreError::Cancelled);
        }
        let mut compare = |edges: &mut HashMap<(i64, i64), Edge>, block: &[usize], window: Option<i32>| {
            for (k, &i) in block.iter().enumerate() {
                for &j in &block[k + 1..] {
                    if let Some(w) = window {
                        // Sorted by birth day: past the window nothing further can match.
                        if p[j].day.unwrap_or(i32::MAX) - p[i].day.unwrap_or(i32::MIN) > w {
                            break;
                        }
                    }
                    stats.comparisons += 1;
                    if let Some((score, reason)) = fuzzy_score(&l, &p[i], &p[j]) {
                        add(edges, &p[i], &p[j], score, reason);
                    }
                }
            }
        };
        let born_same_day = buckets(p.iter().enumerate().filter_map(|(i, x)| x.day.map(|d| ((x.area, x.sex, d), i))));
        for b in &born_same_day {
            compare(&mut edges, b, None);
        }
        let same_name = buckets(
            p.iter().enumerate().filter(|(_, x)| x.day.is_some()).map(|(i, x)| ((x.area, x.sex, x.given, x.family), i)),
        );
        for mut b in same_name {
            b.sort_by_key(|&i| p[i].day);
            compare(&mut edges, &b, Some(3));
        }
        stats.fuzzy_pairs = edges.len() as u64 - stats.exact_pairs;
    }
    stats.compare_ms = started.elapsed().as_millis() as u64;
    Ok(edges.into_values().collect())
}

/// Connected components of the pairs.
pub fn group(edges: &[Edge], kind: &'static str) -> Vec<FoundGroup> {
    let mut parent: HashMap<i64, i64> = HashMap::new();
    fn find(parent: &mut HashMap<i64, i64>, x: i64) -> i64 {
        let mut root = x;
        while let Some(&p) = parent.get(&root) {
            if p == root {
                break;
            }
            root = p;
        }
        let mut cur = x;
        while cur != root {
            let next = parent[&cur];
            parent.insert(cur, root);
            cur = next;
        }
        root
    }
    for e in edges {
        parent.entry(e.a).or_insert(e.a);
        parent.entry(e.b).or_insert(e.b);
        let (ra, rb) = (find(&mut parent, e.a), find(&mut parent, e.b));
        if ra != rb {
            parent.insert(ra.max(rb), ra.min(rb));
        }
    }
    let mut groups: HashMap<i64, FoundGroup> = HashMap::new();
    let keys: Vec<i64> = parent.keys().copied().collect();
    for x in keys {
        let r = find(&mut parent, x);
        groups.entry(r).or_insert(FoundGroup { kind, rowids: Vec::new(), score: 0.0, reasons: 0 }).rowids.push(x);
    }
    for e in edges {
        let g = groups.get_mut(&find(&mut parent, e.a)).expect("every edge's end has a group");
        g.score = g.score.max(e.score);
        g.reasons |= e.reasons;
    }
    let mut out: Vec<FoundGroup> = groups.into_values().collect();
    for g in &mut out {
        g.rowids.sort_unstable();
    }
    out.sort_by(|a, b| a.rowids[0].cmp(&b.rowids[0]));
    out
}

/// Households whose current members are the same people (individual duplicates counted as one).
pub fn find_household_groups(
    conn: &Connection,
    individual_groups: &[FoundGroup],
    skip: &HashSet<(i64, i64)>,
    stats: &mut FindStats,
) -> Result<Vec<FoundGroup>> {
    let mut representative: HashMap<i64, i64> = HashMap::new();
    for g in individual_groups {
        for &r in &g.rowids {
            representative.insert(r, g.rowids[0]);
        }
    }
    let mut st = conn.prepare(
        "SELECT m.group_rowid, m.individual_rowid FROM memberships m JOIN registrants g ON g.rowid = m.group_rowid
         WHERE m.end_date IS NULL AND g.status = 'active' ORDER BY m.group_rowid",
    )?;
    let mut rows = st.query([])?;
    let mut members: HashMap<i64, Vec<i64>> = HashMap::new();
    while let Some(r) = rows.next()? {
        let (g, i): (i64, i64) = (r.get(0)?, r.get(1)?);
        members.entry(g).or_default().push(*representative.get(&i).unwrap_or(&i));
    }
    stats.households = members.len() as u64;
    let mut edges = Vec::new();
    let by_members = buckets(
        members
            .iter()
            .map(|(g, m)| {
                let mut m = m.clone();
                m.sort_unstable();
                (m, *g)
            })
            .map(|(m, g)| (m, g as usize)),
    );
    for b in by_members {
        for w in b.windows(2) {
            let (a, c) = (w[0] as i64, w[1] as i64);
            let key = (a.min(c), a.max(c));
            if !skip.contains(&key) {
                edges.push(Edge { a: key.0, b: key.1, score: 1.0, reasons: SAME_MEMBERS });
            }
        }
    }
    Ok(group(&edges, "group"))
}

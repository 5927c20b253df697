//! The registry's active individuals as deduplication compares them: compact (a million fit in a few
//! hundred megabytes), with names interned three ways (as written, transliterated, skeleton) and the
//! frequency of each skeleton, which weighs how telling an agreement on it is.

use std::cell::RefCell;
use std::collections::HashMap;

use rustc_hash::FxHashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::Connection;

use super::names::{latin_letters, script, skeleton, Script};
use crate::error::{CoreError, Result};

/// One name as written, transliterated to Latin, and reduced to its consonant skeleton (interned ids).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Name {
    pub raw: u32,
    pub folded: u32,
    pub skeleton: u32,
    pub script: Script,
}

/// A birth date as given: the day, and whether it is an estimate (flagged approximate, or 1 January,
/// which is how an unknown date is written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Birth {
    pub julian: i32,
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub estimated: bool,
}

#[derive(Debug, Clone)]
pub struct Person {
    pub rowid: i64,
    pub sex: u32,
    pub area: u32,
    pub birth: Option<Birth>,
    pub given: Name,
    pub family: Name,
    pub phone: Option<u64>,
    /// (ID type, hash of the normalised value).
    pub ids: Vec<(u32, u64)>,
    pub household: Option<i64>,
    /// Heads the household.
    pub head: bool,
}

#[derive(Default)]
pub struct Interner {
    ids: HashMap<String, u32>,
    pub names: Vec<String>,
}

impl Interner {
    pub fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.to_string());
        self.ids.insert(s.to_string(), i);
        i
    }
}

pub fn hash(s: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

pub struct People {
    pub people: Vec<Person>,
    /// Interned names: raw, folded and skeleton strings share one table.
    pub names: Interner,
    /// How many given or family names have each skeleton (by interned id).
    skeleton_count: HashMap<u32, u32>,
    /// How many people have each pair of name skeletons (unordered).
    full_name_count: HashMap<(u32, u32), u32>,
    /// How many people were born on each day.
    birth_count: HashMap<i32, u32>,
    /// Names empty in both columns are not counted.
    name_total: u32,
    birth_total: u32,
    /// The mean frequency of the skeleton two different people agree on (sum f^3 / sum f^2): an agreement
    /// on a skeleton this common weighs what its level weighs on average.
    name_agreement_frequency: f64,
    /// The same for birth days, estimated ones apart (1 January is far more common than any real day).
    birth_agreement_frequency: [f64; 2],
    /// Jaro-Winkler of two interned strings, computed once: a registry has few distinct names and
    /// compares them millions of times.
    similarities: RefCell<FxHashMap<(u32, u32), f64>>,
}

/// Sum of f^3 over sum of f^2 for the frequencies f = count / total.
fn agreement_frequency(counts: impl Iterator<Item = u32>, total: u32) -> f64 {
    let (mut squares, mut cubes) = (0.0, 0.0);
    for c in counts {
        let f = f64::from(c) / f64::from(total.max(1));
        squares += f * f;
        cubes += f * f * f;
    }
    if squares > 0.0 {
        cubes / squares
    } else {
        1.0
    }
}

impl People {
    pub fn from_people(people: Vec<Person>, names: Interner) -> People {
        let mut skeleton_count: HashMap<u32, u32> = HashMap::new();
        let mut full_name_count: HashMap<(u32, u32), u32> = HashMap::new();
        let mut birth_count: HashMap<i32, u32> = HashMap::new();
        let mut name_total = 0;
        let mut birth_total = 0;
        for p in &people {
            for n in [p.given, p.family] {
                if !names.names[n.skeleton as usize].is_empty() {
                    *skeleton_count.entry(n.skeleton).or_default() += 1;
                    name_total += 1;
                }
            }
            let (g, f) = (p.given.skeleton, p.family.skeleton);
            *full_name_count.entry((g.min(f), g.max(f))).or_default() += 1;
            if let Some(b) = p.birth {
                *birth_count.entry(b.julian).or_default() += 1;
                birth_total += 1;
            }
        }
        let name_agreement_frequency = agreement_frequency(skeleton_count.values().copied(), name_total);
        let estimated = |julian: &i32| {
            let d = time::Date::from_julian_day(*julian).ok();
            d.is_some_and(|d| u8::from(d.month()) == 1 && d.day() == 1)
        };
        let birth_agreement_frequency = [false, true].map(|e| {
            agreement_frequency(birth_count.iter().filter(|(d, _)| estimated(d) == e).map(|(_, c)| *c), birth_total)
        });
        People {
            people,
            names,
            skeleton_count,
            full_name_count,
            birth_count,
            name_total,
            birth_total,
            name_agreement_frequency,
            birth_agreement_frequency,
            similarities: RefCell::default(),
        }
    }

    pub fn text(&self, id: u32) -> &str {
        &self.names.names[id as usize]
    }

    /// Jaro-Winkler of two interned strings (1 for two empty ones).
    pub fn similarity(&self, a: u32, b: u32) -> f64 {
        let key = (a.min(b), a.max(b));
        if let Some(&s) = self.similarities.borrow().get(&key) {
            return s;
        }
        let s = super::names::similarity(self.text(a), self.text(b));
        self.similarities.borrow_mut().insert(key, s);
        s
    }

    /// How much more (above 1) or less common than the average agreement this skeleton is.
    pub fn skeleton_commonness(&self, skeleton: u32) -> f64 {
        let n = self.skeleton_count.get(&skeleton).copied().unwrap_or(1).max(1);
        f64::from(n) / f64::from(self.name_total.max(1)) / self.name_agreement_frequency
    }

    /// How many times more common this pair of names is than its two names' own frequencies make it (at
    /// least 1): names run in communities (a script, a region), so a full name shared says less than its
    /// two names shared by chance would.
    pub fn full_name_correlation(&self, given: u32, family: u32) -> f64 {
        let count = |s: u32| f64::from(self.skeleton_count.get(&s).copied().unwrap_or(1).max(1));
        let names = f64::from(self.name_total.max(1));
        let people = self.people.len().max(1) as f64;
        let pair = f64::from(self.full_name_count.get(&(given.min(family), given.max(family))).copied().unwrap_or(1));
        let expected = if given == family {
            (count(given) / names).powi(2)
        } else {
            2.0 * count(given) / names * count(family) / names
        };
        (pair / people / expected).max(1.0)
    }

    /// The same for a birth day.
    pub fn birth_commonness(&self, birth: &Birth) -> f64 {
        let n = self.birth_count.get(&birth.julian).copied().unwrap_or(1).max(1);
        let new_year = birth.month == 1 && birth.day == 1;
        f64::from(n) / f64::from(self.birth_total.max(1)) / self.birth_agreement_frequency[usize::from(new_year)]
    }
}

fn birth(date: Option<String>, approximate: bool) -> Option<Birth> {
    let d = crate::registry::settings::parse_date(date.as_deref()?)?;
    let (month, day) = (u8::from(d.month()), d.day());
    Some(Birth {
        julian: d.to_julian_day(),
        year: d.year(),
        month,
        day,
        estimated: approximate || (month == 1 && day == 1),
    })
}

/// Loads the active individuals, registry-wide or of one program.
pub fn load(conn: &Connection, program: Option<i64>, cancel: &AtomicBool) -> Result<People> {
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
        "SELECT r.rowid, r.sex, r.area, r.birth_date, r.birth_date_approx, r.given_name, r.family_name, r.phone_norm
         FROM registrants r NOT INDEXED WHERE r.kind = 'individual' AND r.status = 'active'{scope} ORDER BY r.rowid"
    ))?;
    let mut rows = st.query([])?;
    let mut labels = Interner::default();
    let mut names = Interner::default();
    // Raw name -> its three forms: names repeat, transliteration is the costly part.
    let mut name_cache: HashMap<String, Name> = HashMap::new();
    let mut people = Vec::new();
    while let Some(r) = rows.next()? {
        if people.len().is_multiple_of(65_536) && cancel.load(Ordering::Relaxed) {
            return Err(CoreError::Cancelled);
        }
        let mut name = |raw: Option<String>| -> Name {
            let raw = raw.unwrap_or_default();
            if let Some(&v) = name_cache.get(&raw) {
                return v;
            }
            let folded = latin_letters(&raw);
            let v = Name {
                raw: names.id(raw.trim()),
                folded: names.id(&folded),
                skeleton: names.id(&skeleton(&folded)),
                script: script(&raw),
            };
            name_cache.insert(raw, v);
            v
        };
        let given = name(r.get(5)?);
        let family = name(r.get(6)?);
        people.push(Person {
            rowid: r.get(0)?,
            sex: labels.id(&r.get::<_, Option<String>>(1)?.unwrap_or_default()),
            area: labels.id(&r.get::<_, Option<String>>(2)?.unwrap_or_default()),
            birth: birth(r.get(3)?, r.get::<_, i64>(4)? != 0),
            given,
            family,
            phone: r.get::<_, Option<String>>(7)?.map(|p| hash(&p)),
            ids: Vec::new(),
            household: None,
            head: false,
        });
    }
    let index: HashMap<i64, usize> = people.iter().enumerate().map(|(i, p)| (p.rowid, i)).collect();
    // Households in one pass over the memberships, not a lookup per person (whose plan the statistics
    // can turn into a walk per person: 49 s instead of 3 s at a million).
    let mut st =
        conn.prepare("SELECT individual_rowid, group_rowid, is_head FROM memberships WHERE end_date IS NULL")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        if let Some(&i) = index.get(&r.get::<_, i64>(0)?) {
            people[i].household = Some(r.get(1)?);
            people[i].head = r.get::<_, i64>(2)? != 0;
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
    Ok(People::from_people(people, names))
}

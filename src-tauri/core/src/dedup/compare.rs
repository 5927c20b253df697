//! Comparing two people field by field: each field lands on one of a few ordered levels (closest first),
//! or on none when either side lacks it. The levels are the comparison vector the model weighs.

use std::collections::HashSet;

use serde::Serialize;
use ts_rs::TS;

use super::person::{Birth, Name, People, Person};

/// The fields compared, in the order of the comparison vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    GivenName,
    FamilyName,
    NameOrder,
    BirthDate,
    Sex,
    Area,
    Id,
    Phone,
    Household,
}

pub const FIELDS: usize = 9;

/// A field either side lacks: no evidence either way.
pub const MISSING: u8 = u8::MAX;

/// One pair's level per field, in `Field::ALL` order.
pub type Vector = [u8; FIELDS];

const NAME_LEVELS: &[&str] = &["exact", "transliterated", "spelling", "skeleton", "similar", "different"];

impl Field {
    pub const ALL: [Field; FIELDS] = [
        Field::GivenName,
        Field::FamilyName,
        Field::NameOrder,
        Field::BirthDate,
        Field::Sex,
        Field::Area,
        Field::Id,
        Field::Phone,
        Field::Household,
    ];

    /// The field's levels, closest first.
    pub fn levels(self) -> &'static [&'static str] {
        match self {
            Field::GivenName | Field::FamilyName => NAME_LEVELS,
            Field::NameOrder => &["same_columns", "swapped_columns"],
            Field::BirthDate => &[
                "exact",
                "same_estimate",
                "day_month_swapped",
                "estimate_same_year",
                "year_off",
                "estimate_near",
                "within_a_week",
                "within_a_month",
                "within_3_years",
                "different",
            ],
            Field::Sex | Field::Area | Field::Id | Field::Phone => &["same", "different"],
            Field::Household => &[
                "same",
                "same_household_look_alike",
                "registered_again",
                "heads_of_two_households",
                "different",
                "one_without_household",
            ],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Field::GivenName => "given_name",
            Field::FamilyName => "family_name",
            Field::NameOrder => "name_order",
            Field::BirthDate => "birth_date",
            Field::Sex => "sex",
            Field::Area => "area",
            Field::Id => "id",
            Field::Phone => "phone",
            Field::Household => "household",
        }
    }
}

/// Name levels whose agreement is on one skeleton, so that skeleton's frequency says how telling it is.
pub const NAME_AGREES: u8 = 3;
/// Birth date levels that agree on the very day.
pub const BIRTH_AGREES: u8 = 1;
const WITHIN_3_YEARS: u8 = 8;
const SPELLING: u8 = 2;
const BIRTH_DIFFERENT: u8 = 9;

pub fn name_level(p: &People, a: Name, b: Name) -> u8 {
    if p.text(a.folded).is_empty() || p.text(b.folded).is_empty() {
        return MISSING;
    }
    if a.raw == b.raw {
        return 0;
    }
    if a.folded == b.folded || (a.skeleton == b.skeleton && a.script != b.script) {
        return 1;
    }
    if a.skeleton == b.skeleton {
        // One script, one skeleton: Hasan for Hassan is a clerk's spelling, Hussein for Hassan another name.
        return if p.similarity(a.folded, b.folded) >= 0.80 { 2 } else { 3 };
    }
    // A slip of the pen (Farah, Farrah; Dawit, Dawti) keeps most letters in place.
    let typing = a.script == b.script && p.similarity(a.folded, b.folded) >= 0.90;
    if typing || p.similarity(a.skeleton, b.skeleton) >= 0.90 {
        4
    } else {
        5
    }
}

pub fn birth_level(a: Birth, b: Birth) -> u8 {
    let estimate = a.estimated || b.estimated;
    let years = (a.year - b.year).abs();
    if a.julian == b.julian {
        u8::from(estimate)
    } else if years <= 1 && a.month == b.day && a.day == b.month {
        2
    } else if estimate && years == 0 {
        3
    } else if a.month == b.month && a.day == b.day && years == 1 {
        4
    } else if estimate && years <= 2 {
        5
    } else if (a.julian - b.julian).abs() <= 7 {
        6
    } else if (a.julian - b.julian).abs() <= 31 {
        7
    } else if years <= 3 {
        8
    } else {
        9
    }
}

/// Within one household, what relatives look like: born the same day under another given name in the
/// same script (twins: Hassan and Hussein, Aisha and Asha; a clerk does not list one child twice in one
/// roster), or the same given name a generation apart (a son named after his father, a daughter after
/// her mother).
fn look_alike_relatives(a: &Person, b: &Person, names: (u8, u8, bool), birth: u8) -> bool {
    let (given, _, swapped) = names;
    let one_script = a.given.script == b.given.script;
    let twins = birth <= BIRTH_AGREES && given >= SPELLING && given != MISSING && one_script && !swapped;
    let generations = given < NAME_AGREES && (birth == WITHIN_3_YEARS || birth == BIRTH_DIFFERENT);
    twins || generations
}

/// Households known to hold the same family twice (a household registered again), as (low, high) rowids.
pub type LinkedHouseholds = HashSet<(i64, i64)>;

/// The two names' levels, in the column order that fits better, and whether that is the swapped one.
fn names(p: &People, a: &Person, b: &Person) -> (u8, u8, bool) {
    let straight = (name_level(p, a.given, b.given), name_level(p, a.family, b.family));
    let swapped = (name_level(p, a.given, b.family), name_level(p, a.family, b.given));
    let rank = |(x, y): (u8, u8)| u16::from(x.min(6)) + u16::from(y.min(6));
    if rank(swapped) < rank(straight) {
        (swapped.0, swapped.1, true)
    } else {
        (straight.0, straight.1, false)
    }
}

pub fn compare(p: &People, a: &Person, b: &Person, linked: &LinkedHouseholds) -> Vector {
    let compared = names(p, a, b);
    let (given, family, swapped) = compared;
    let both = |x: Option<u64>, y: Option<u64>| match (x, y) {
        (Some(x), Some(y)) => u8::from(x != y),
        _ => MISSING,
    };
    let id = if a.ids.iter().any(|x| b.ids.contains(x)) {
        0
    } else if a.ids.iter().any(|(t, _)| b.ids.iter().any(|(t2, _)| t == t2)) {
        1
    } else {
        MISSING
    };
    let birth = match (a.birth, b.birth) {
        (Some(x), Some(y)) => birth_level(x, y),
        _ => MISSING,
    };
    let household = match (a.household, b.household) {
        (Some(x), Some(y)) if x == y && look_alike_relatives(a, b, compared, birth) => 1,
        (Some(x), Some(y)) if x == y => 0,
        (Some(x), Some(y)) if linked.contains(&(x.min(y), x.max(y))) => 2,
        // One person seldom heads two households at once; two namesakes often do.
        (Some(_), Some(_)) if a.head && b.head => 3,
        (Some(_), Some(_)) => 4,
        // A person registered again on their own, outside the household they are listed in.
        (Some(_), None) | (None, Some(_)) => 5,
        (None, None) => MISSING,
    };
    [
        given,
        family,
        if given == MISSING && family == MISSING { MISSING } else { u8::from(swapped) },
        birth,
        // A given name in common already says the sex: only a difference is news.
        if given <= SPELLING && a.sex == b.sex { MISSING } else { u8::from(a.sex != b.sex) },
        u8::from(a.area != b.area),
        id,
        // One household shares one phone: within it a shared phone says nothing more.
        if household <= 1 { MISSING } else { both(a.phone, b.phone) },
        household,
    ]
}

/// The skeletons two agreeing names share, for the frequency weighting (given, family).
pub fn agreeing_skeletons(a: &Person, v: &Vector) -> (Option<u32>, Option<u32>) {
    // Agreeing levels share the skeleton, whichever column of the other record it sits in.
    let given = (v[0] <= NAME_AGREES).then_some(a.given.skeleton);
    let family = (v[1] <= NAME_AGREES).then_some(a.family.skeleton);
    (given, family)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u8, d: u8, estimated: bool) -> Birth {
        let date = time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap();
        Birth { julian: date.to_julian_day(), year: y, month: m, day: d, estimated }
    }

    #[test]
    fn birth_dates_as_people_give_them() {
        assert_eq!(birth_level(day(1980, 3, 7, false), day(1980, 3, 7, false)), 0);
        assert_eq!(birth_level(day(1980, 1, 1, true), day(1980, 1, 1, true)), 1);
        assert_eq!(birth_level(day(1980, 3, 7, false), day(1980, 7, 3, false)), 2);
        assert_eq!(birth_level(day(1980, 1, 1, true), day(1980, 9, 14, false)), 3);
        assert_eq!(birth_level(day(1980, 3, 7, false), day(1981, 3, 7, false)), 4);
        assert_eq!(birth_level(day(1979, 1, 1, true), day(1980, 9, 14, false)), 5);
        assert_eq!(birth_level(day(1980, 3, 7, false), day(1980, 3, 10, false)), 6);
        assert_eq!(birth_level(day(1980, 3, 7, false), day(1980, 3, 29, false)), 7);
        assert_eq!(birth_level(day(1980, 3, 7, false), day(1982, 11, 29, false)), 8);
        assert_eq!(birth_level(day(1950, 3, 7, false), day(1980, 3, 7, false)), 9);
        assert_eq!(birth_level(day(1980, 3, 7, false), day(1981, 7, 3, false)), 2);
    }
}

//! The registry's privacy profile: which personal fields it keeps at all. A beneficiary registry needs
//! only what eligibility and payment need (OpenG2P's guidance), so a country may choose to keep no
//! names, no phone, a birth year instead of a date, and ID numbers only as keyed hashes: an exact
//! lookup by ID still works (the typed number is hashed with the same key and compared), the number
//! itself is never stored. The profile is chosen when the registry is created and never changes: the
//! rows already written were cut to it.
//!
//! Street addresses are never kept under any profile: a record's address only picks its area code,
//! which ownership and eligibility need.

use ring::hmac;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::normalize::normalize_id_value;
use crate::registry::{RegistrantFields, RegistrantKind};

/// How much of a birth date is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum BirthDateKept {
    /// The whole date.
    Date,
    /// The year only, stored as 1 January of that year and marked approximate.
    Year,
}

/// How ID numbers are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum IdValuesKept {
    /// As typed.
    Plain,
    /// As an HMAC-SHA-256 of the normalised number with the registry's secret key.
    KeyedHash,
}

/// Which personal fields the registry keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct PrivacyProfile {
    /// Given, family and household names.
    pub names: bool,
    pub phone: bool,
    pub birth_date: BirthDateKept,
    pub id_values: IdValuesKept,
}

/// The words `--keep` takes, in the order they are printed.
pub const KEEP_WORDS: &[&str] = &["names", "phone", "birth_date", "birth_year", "id_numbers"];

impl Default for PrivacyProfile {
    /// Everything, as registries kept before profiles existed.
    fn default() -> Self {
        PrivacyProfile { names: true, phone: true, birth_date: BirthDateKept::Date, id_values: IdValuesKept::Plain }
    }
}

impl PrivacyProfile {
    /// The strictest profile: no names, no phone, the birth year, hashed ID numbers.
    pub const MINIMAL: PrivacyProfile = PrivacyProfile {
        names: false,
        phone: false,
        birth_date: BirthDateKept::Year,
        id_values: IdValuesKept::KeyedHash,
    };

    /// Reads a `--keep` list (`names,phone,birth_date,id_numbers`, `birth_year`, `all`, `minimal`, or
    /// empty for the minimal profile). Whatever is not named is not kept; a birth date is always kept at
    /// least as its year, because age rules need it.
    pub fn parse_keep(list: &str) -> Result<PrivacyProfile, String> {
        match list.trim() {
            "all" => return Ok(PrivacyProfile::default()),
            "" | "minimal" => return Ok(PrivacyProfile::MINIMAL),
            _ => {}
        }
        let mut p = PrivacyProfile::MINIMAL;
        for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            match word {
                "names" => p.names = true,
                "phone" => p.phone = true,
                "birth_date" => p.birth_date = BirthDateKept::Date,
                "birth_year" => {}
                "id_numbers" => p.id_values = IdValuesKept::Plain,
                other => {
                    return Err(format!("`{other}` is not a field the profile keeps (use {})", KEEP_WORDS.join(", ")))
                }
            }
        }
        Ok(p)
    }

    /// The profile as a `--keep` list, for the summaries and Settings.
    pub fn keep_list(&self) -> String {
        let mut words = Vec::new();
        if self.names {
            words.push("names");
        }
        if self.phone {
            words.push("phone");
        }
        words.push(match self.birth_date {
            BirthDateKept::Date => "birth_date",
            BirthDateKept::Year => "birth_year",
        });
        if self.id_values == IdValuesKept::Plain {
            words.push("id_numbers");
        }
        words.join(",")
    }

    pub fn hashes_ids(&self) -> bool {
        self.id_values == IdValuesKept::KeyedHash
    }
}

/// What a write gave that the profile did not keep, counted over an import or a pull.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
pub struct DroppedFields {
    /// Records whose names were not kept.
    pub names: u64,
    pub phone: u64,
    /// Records whose birth date was cut to its year.
    pub birth_day: u64,
    /// Records whose ID numbers were kept only as keyed hashes.
    pub id_numbers: u64,
}

impl DroppedFields {
    pub fn add(&mut self, o: &DroppedFields) {
        self.names += o.names;
        self.phone += o.phone;
        self.birth_day += o.birth_day;
        self.id_numbers += o.id_numbers;
    }

    pub fn is_empty(&self) -> bool {
        *self == DroppedFields::default()
    }

    /// One line for a command's summary, or `None` when nothing was cut.
    pub fn describe(&self) -> Option<String> {
        let parts: Vec<String> = [
            (self.names, "names of {} records"),
            (self.phone, "phones of {} records"),
            (self.birth_day, "birth days of {} records (the year is kept)"),
            (self.id_numbers, "ID numbers of {} records (kept only as keyed hashes)"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, words)| words.replace("{}", &n.to_string()))
        .collect();
        (!parts.is_empty()).then(|| format!("not kept, by the registry's privacy profile: {}", parts.join(", ")))
    }
}

/// The marker of a hashed ID value: `hmac:` then 40 upper-case hex digits (160 bits of the HMAC).
const HASH_PREFIX: &str = "hmac:";
const HASH_HEX: usize = 40;

/// The registry's random secret for hashing ID numbers: 32 bytes, shared by every desk and the server
/// of one registry so that the same number hashes alike everywhere.
pub const ID_KEY_BYTES: usize = 32;

/// A profile with the key it needs.
#[derive(Debug, Clone, Default)]
pub struct Privacy {
    profile: PrivacyProfile,
    key: Option<hmac::Key>,
}

impl Privacy {
    /// A hashing profile needs a key of `ID_KEY_BYTES`; the others take none.
    pub fn new(profile: PrivacyProfile, id_key: Option<&[u8]>) -> Result<Privacy, String> {
        let key = match (profile.hashes_ids(), id_key) {
            (true, Some(k)) if k.len() == ID_KEY_BYTES => Some(hmac::Key::new(hmac::HMAC_SHA256, k)),
            (true, _) => return Err(format!("hashed ID numbers need a {ID_KEY_BYTES}-byte key")),
            (false, _) => None,
        };
        Ok(Privacy { profile, key })
    }

    pub fn profile(&self) -> PrivacyProfile {
        self.profile
    }

    /// The stored form of an ID number under this profile: the number itself, or its keyed hash.
    /// Already-hashed values are returned as they are, so an edit that sends a record back does not
    /// hash twice.
    pub fn id_value(&self, value: &str) -> String {
        match &self.key {
            Some(key) if !is_hashed(value) => {
                let tag = hmac::sign(key, normalize_id_value(value).as_bytes());
                let hex: String = tag.as_ref()[..HASH_HEX / 2].iter().map(|b| format!("{b:02X}")).collect();
                format!("{HASH_PREFIX}{hex}")
            }
            _ => value.to_string(),
        }
    }

    /// What a typed ID number is looked up by: the normalised stored form.
    pub fn id_lookup(&self, typed: &str) -> String {
        normalize_id_value(&self.id_value(typed))
    }

    /// Cuts `f` to the profile and says what it cut. Safe to run twice.
    pub fn strip(&self, kind: RegistrantKind, f: &mut RegistrantFields) -> DroppedFields {
        let mut dropped = DroppedFields::default();
        let p = &self.profile;
        if !p.names {
            let had = f.given_name.take().is_some() | f.family_name.take().is_some();
            // A household's name is most often its head's family name.
            let group = kind == RegistrantKind::Group && f.group_name.take().is_some();
            dropped.names = u64::from(had || group);
        }
        if !p.phone && f.phone.take().is_some() {
            dropped.phone = 1;
        }
        if p.birth_date == BirthDateKept::Year {
            if let Some(bd) = &f.birth_date {
                let year: String = bd.trim().chars().take(4).collect();
                let cut = format!("{year}-01-01");
                if cut != bd.trim() || !f.birth_date_approx {
                    dropped.birth_day = u64::from(cut != bd.trim());
                    f.birth_date = Some(cut);
                    f.birth_date_approx = true;
                }
            }
        }
        if p.hashes_ids() {
            let mut hashed = false;
            for doc in &mut f.ids {
                if !is_hashed(&doc.value) && !doc.value.trim().is_empty() {
                    doc.value = self.id_value(&doc.value);
                    hashed = true;
                }
            }
            dropped.id_numbers = u64::from(hashed);
        }
        dropped
    }
}

/// Whether a stored ID value is a keyed hash (never shown as a number).
pub fn is_hashed(value: &str) -> bool {
    value
        .strip_prefix(HASH_PREFIX)
        .is_some_and(|h| h.len() == HASH_HEX && h.chars().all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::IdDocument;

    fn person() -> RegistrantFields {
        RegistrantFields {
            given_name: Some("Amina".into()),
            family_name: Some("Mohamed".into()),
            phone: Some("+251911000000".into()),
            birth_date: Some("1950-06-30".into()),
            ids: vec![IdDocument { id_type: "national_id".into(), value: "NID-110 336".into(), expiry: None }],
            ..Default::default()
        }
    }

    #[test]
    fn the_default_keeps_everything_and_hashes_nothing() {
        let p = Privacy::default();
        let mut f = person();
        assert!(p.strip(RegistrantKind::Individual, &mut f).is_empty());
        assert_eq!(f, person());
        assert_eq!(p.id_lookup("nid 110-336"), "NID110336");
    }

    #[test]
    fn the_minimal_profile_keeps_the_birth_year_and_a_hash_that_still_finds_the_number() {
        let key = [7u8; ID_KEY_BYTES];
        let p = Privacy::new(PrivacyProfile::MINIMAL, Some(&key)).unwrap();
        let mut f = person();
        let d = p.strip(RegistrantKind::Individual, &mut f);
        assert_eq!(d, DroppedFields { names: 1, phone: 1, birth_day: 1, id_numbers: 1 });
        assert_eq!((f.given_name.as_deref(), f.family_name.as_deref(), f.phone.as_deref()), (None, None, None));
        assert_eq!((f.birth_date.as_deref(), f.birth_date_approx), (Some("1950-01-01"), true));
        let stored = f.ids[0].value.clone();
        assert!(is_hashed(&stored), "{stored}");
        assert!(!stored.contains("110336"));
        // The same number typed another way is found; another number or another key is not.
        assert_eq!(p.id_lookup("nid110336"), normalize_id_value(&stored));
        assert_ne!(p.id_lookup("NID110337"), normalize_id_value(&stored));
        let other = Privacy::new(PrivacyProfile::MINIMAL, Some(&[8u8; ID_KEY_BYTES])).unwrap();
        assert_ne!(other.id_lookup("NID110336"), normalize_id_value(&stored));
        // Twice is once.
        let again = f.clone();
        assert!(p.strip(RegistrantKind::Individual, &mut f).is_empty());
        assert_eq!(f, again);
    }

    #[test]
    fn a_hashing_profile_needs_its_key() {
        assert!(Privacy::new(PrivacyProfile::MINIMAL, None).is_err());
        assert!(Privacy::new(PrivacyProfile::MINIMAL, Some(&[1u8; 16])).is_err());
    }

    #[test]
    fn keep_lists_read_and_print_alike() {
        for list in ["names,phone,birth_date,id_numbers", "birth_year", "names,birth_year", "phone,birth_date"] {
            assert_eq!(PrivacyProfile::parse_keep(list).unwrap().keep_list(), list);
        }
        assert_eq!(PrivacyProfile::parse_keep("all").unwrap(), PrivacyProfile::default());
        assert_eq!(PrivacyProfile::parse_keep("minimal").unwrap(), PrivacyProfile::MINIMAL);
        assert!(PrivacyProfile::parse_keep("names,address").unwrap_err().contains("address"));
    }
}

//! Realistic synthetic registries in the import format: households of varied size, names in Latin,
//! Arabic and Ethiopic scripts, birth dates, phones, national IDs, and duplicates planted at a known rate
//! with a truth file naming each pair. Deterministic for a seed.

use std::io::Write;
use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use ts_rs::TS;

use crate::error::{CoreError, Result};

/// The same name in the three scripts: a duplicate may be the same person written in another script.
type Name = [&'static str; 3];

const MALE: &[Name] = &[
    ["Ahmed", "أحمد", "አህመድ"],
    ["Mohammed", "محمد", "መሐመድ"],
    ["Ali", "علي", "አሊ"],
    ["Omar", "عمر", "ዑመር"],
    ["Yusuf", "يوسف", "ዩሱፍ"],
    ["Ibrahim", "إبراهيم", "ኢብራሂም"],
    ["Hassan", "حسن", "ሐሰን"],
    ["Khalid", "خالد", "ኻሊድ"],
    ["Abdullahi", "عبدالله", "አብዱላሂ"],
    ["Musa", "موسى", "ሙሳ"],
    ["Dawit", "داويت", "ዳዊት"],
    ["Tesfaye", "تسفاي", "ተስፋዬ"],
    ["Girma", "غيرما", "ግርማ"],
    ["Solomon", "سليمان", "ሰለሞን"],
    ["Samuel", "صموئيل", "ሳሙኤል"],
    ["Daniel", "دانيال", "ዳንኤል"],
    ["Jean", "جان", "ዣን"],
    ["Pierre", "بيير", "ፒየር"],
    ["Moussa", "موسى", "ሙሳ"],
    ["Mamadou", "مامادو", "ማማዱ"],
    ["Idris", "إدريس", "ኢድሪስ"],
    ["Bilal", "بلال", "ቢላል"],
    ["Tariq", "طارق", "ጣሪቅ"],
    ["Hamza", "حمزة", "ሐምዛ"],
];
const FEMALE: &[Name] = &[
    ["Fatima", "فاطمة", "ፋጢማ"],
    ["Aisha", "عائشة", "አይሻ"],
    ["Amina", "أمينة", "አሚና"],
    ["Khadija", "خديجة", "ኸዲጃ"],
    ["Maryam", "مريم", "መርየም"],
    ["Zainab", "زينب", "ዘይነብ"],
    ["Halima", "حليمة", "ሐሊማ"],
    ["Hawa", "حواء", "ሐዋ"],
    ["Almaz", "ألماز", "አልማዝ"],
    ["Tigist", "تيجيست", "ትግስት"],
    ["Meseret", "مسرت", "መሰረት"],
    ["Hanna", "حنا", "ሐና"],
    ["Sara", "سارة", "ሳራ"],
    ["Ruth", "روث", "ሩት"],
    ["Marie", "ماري", "ማሪ"],
    ["Aminata", "أميناتا", "አሚናታ"],
    ["Fanta", "فانتا", "ፋንታ"],
    ["Awa", "عوا", "አዋ"],
    ["Salma", "سلمى", "ሰልማ"],
    ["Nour", "نور", "ኑር"],
    ["Layla", "ليلى", "ላይላ"],
    ["Huda", "هدى", "ሁዳ"],
    ["Rahma", "رحمة", "ራሕማ"],
    ["Selam", "سلام", "ሰላም"],
];
const FAMILY: &[Name] = &[
    ["Abdi", "عبدي", "አብዲ"],
    ["Mohamed", "محمد", "መሐመድ"],
    ["Hussein", "حسين", "ሁሴን"],
    ["Osman", "عثمان", "ዑስማን"],
    ["Bekele", "بقلي", "በቀለ"],
    ["Tadesse", "تاديسي", "ታደሰ"],
    ["Haile", "هايلي", "ኃይሌ"],
    ["Mengistu", "منغيستو", "መንግሥቱ"],
    ["Diallo", "ديالو", "ዲያሎ"],
    ["Traoré", "تراوري", "ትራኦሬ"],
    ["Konaté", "كوناتي", "ኮናቴ"],
    ["Camara", "كامارا", "ካማራ"],
    ["Yousef", "يوسف", "ዩሱፍ"],
    ["Saleh", "صالح", "ሳሊሕ"],
    ["Nasser", "ناصر", "ናስር"],
    ["Haddad", "حداد", "ሐዳድ"],
    ["Kebede", "كبدي", "ከበደ"],
    ["Alemu", "ألمو", "አለሙ"],
    ["Getachew", "غيتاشو", "ጌታቸው"],
    ["Wolde", "ولدي", "ወልዴ"],
    ["Sow", "سو", "ሶው"],
    ["Ba", "با", "ባ"],
    ["Cissé", "سيسي", "ሲሴ"],
    ["Keita", "كيتا", "ኬይታ"],
    ["Farah", "فرح", "ፋራህ"],
    ["Ismail", "إسماعيل", "ኢስማኢል"],
    ["Jama", "جامع", "ጃማ"],
    ["Warsame", "ورسمي", "ዋርሳሜ"],
];
pub const AREAS: &[(&str, &str)] = &[
    ("D01", "North District"),
    ("D02", "South District"),
    ("D03", "East District"),
    ("D04", "West District"),
    ("D05", "Central District"),
    ("D06", "River District"),
    ("D07", "Highland District"),
    ("D08", "Lake District"),
    ("D09", "Valley District"),
    ("D10", "Coastal District"),
    ("D11", "Market District"),
    ("D12", "Border District"),
];

/// Household sizes drawn uniformly from this list (mean 4.6, as in rural household surveys).
const HOUSEHOLD_SIZES: [u64; 16] = [1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 7, 8, 9];

pub const HEADER: [&str; 13] = [
    "external_id",
    "given_name",
    "family_name",
    "sex",
    "birth_date",
    "birth_date_approx",
    "phone",
    "financial_address",
    "area",
    "household_ref",
    "relationship",
    "id:national_id",
    "tags",
];

#[derive(Debug, Clone, Serialize, TS)]
pub struct GenSummary {
    pub individuals: u64,
    pub households: u64,
    pub planted_duplicates: u64,
    pub registrants_file: String,
    pub truth_file: String,
    pub areas_file: String,
}

pub struct GenOptions {
    pub individuals: u64,
    /// Share of rows that are planted duplicates of an earlier person.
    pub duplicate_rate: f64,
    pub seed: u64,
    /// Put before every external id and household reference (`X-SR-00000001`, `X-HH-0000001`), so several
    /// generated files can go into one registry side by side.
    pub id_prefix: Option<String>,
}

struct Person {
    external_id: String,
    given: usize,
    family: usize,
    female: bool,
    script: usize,
    birth: time::Date,
    phone: Option<String>,
    national_id: Option<String>,
    area: &'static str,
}

fn random_date(rng: &mut StdRng, min_age: i32, max_age: i32) -> time::Date {
    let today = crate::clock::today();
    let days = rng.random_range(min_age * 365..=max_age * 365 + 364);
    today - time::Duration::days(days as i64)
}

fn typo(rng: &mut StdRng, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    if chars.len() < 4 {
        return s.to_string();
    }
    let i = rng.random_range(1..chars.len() - 1);
    match rng.random_range(0..3) {
        0 => {
            chars.remove(i);
        }
        1 => chars.swap(i, i + 1),
        _ => {
            let c = chars[i];
            chars.insert(i, c);
        }
    }
    chars.into_iter().collect()
}

struct Ids {
    prefix: String,
    next_person: u64,
    phone_seq: u64,
    nid_seq: u64,
}

impl Ids {
    fn external_id(&mut self) -> String {
        self.next_person += 1;
        format!("{}SR-{:08}", self.prefix, self.next_person)
    }

    #[allow(clippy::too_many_arguments)]
    fn person(
        &mut self,
        rng: &mut StdRng,
        female: bool,
        family: usize,
        script: usize,
        min: i32,
        max: i32,
        area: &'static str,
        phone_p: f64,
    ) -> Person {
        let names = if female { FEMALE } else { MALE };
        let adult = min >= 18;
        Person {
            external_id: self.external_id(),
            given: rng.random_range(0..names.len()),
            family,
            female,
            script,
            birth: random_date(rng, min, max),
            phone: rng.random_bool(phone_p).then(|| {
                self.phone_seq += rng.random_range(1..50);
                format!("+2519{:08}", self.phone_seq)
            }),
            national_id: (adult && rng.random_bool(0.8)).then(|| {
                self.nid_seq += rng.random_range(1..50);
                format!("NID{:09}", self.nid_seq)
            }),
            area,
        }
    }
}

struct Out {
    w: csv::Writer<std::io::BufWriter<std::fs::File>>,
}

impl Out {
    fn person(
        &mut self,
        p: &Person,
        given: &str,
        family: &str,
        household: &str,
        relationship: &str,
        approx: bool,
    ) -> Result<()> {
        // People with a phone are paid into a mobile-money wallet on it; other adults with an ID have a bank
        // account (numbered after their record, so no random draw changes the rest); the others have none.
        let wallet = match (&p.phone, p.national_id.is_some()) {
            (Some(ph), _) => format!("msisdn:{}@telebirr", ph.trim_start_matches('+')),
            (None, true) => format!("bban:{}@cbe", p.external_id.replace('-', "")),
            (None, false) => String::new(),
        };
        let rec = [
            p.external_id.as_str(),
            given,
            family,
            if p.female { "female" } else { "male" },
            &p.birth.to_string(),
            if approx { "true" } else { "" },
            p.phone.as_deref().unwrap_or(""),
            &wallet,
            p.area,
            household,
            relationship,
            p.national_id.as_deref().unwrap_or(""),
            "",
        ];
        self.w.write_record(rec).map_err(|e| CoreError::io("writing the generated file", e.into()))
    }
}

pub fn generate(dir: &Path, opts: &GenOptions) -> Result<GenSummary> {
    if !(0.0..0.5).contains(&opts.duplicate_rate) {
        return Err(CoreError::InvalidInput("the duplicate rate must be between 0 and 0.5".into()));
    }
    std::fs::create_dir_all(dir).map_err(|e| CoreError::io(format!("creating {}", dir.display()), e))?;
    let reg_path = dir.join("registrants.csv");
    let truth_path = dir.join("duplicates-truth.csv");
    let areas_path = dir.join("areas.csv");
    let open = |p: &PathBuf| -> Result<std::io::BufWriter<std::fs::File>> {
        Ok(std::io::BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(p).map_err(|e| CoreError::io(format!("creating {}", p.display()), e))?,
        ))
    };
    let mut out = Out { w: csv::Writer::from_writer(open(&reg_path)?) };
    out.w.write_record(HEADER).map_err(|e| CoreError::io("writing the generated file", e.into()))?;
    let mut truth = csv::Writer::from_writer(open(&truth_path)?);
    truth
        .write_record(["original_external_id", "duplicate_external_id", "variation"])
        .map_err(|e| CoreError::io("writing the truth file", e.into()))?;
    let mut areas = open(&areas_path)?;
    writeln!(areas, "code,label").map_err(|e| CoreError::io("writing the areas file", e))?;
    for (code, label) in AREAS {
        writeln!(areas, "{code},{label}").map_err(|e| CoreError::io("writing the areas file", e))?;
    }
    areas.flush().map_err(|e| CoreError::io("writing the areas file", e))?;

    let mut rng = StdRng::seed_from_u64(opts.seed);
    let mut rows = 0u64;
    let mut households = 0u64;
    let mut planted = 0u64;
    // A bounded pool of earlier adults to copy duplicates from: memory stays constant.
    let mut pool: Vec<Person> = Vec::new();
    const POOL: usize = 20_000;
    let prefix = opts.id_prefix.as_deref().map(|p| format!("{p}-")).unwrap_or_default();
    let mut ids = Ids {
        prefix: prefix.clone(),
        next_person: 0,
        phone_seq: rng.random_range(10_000_000..20_000_000),
        nid_seq: rng.random_range(100_000_000..200_000_000),
    };
    let name_of = |p: &Person, script: usize| -> (String, String) {
        let names = if p.female { FEMALE } else { MALE };
        (names[p.given][script].to_string(), FAMILY[p.family][script].to_string())
    };
    // Each step writes either one duplicate row or a whole household, so the chance per step is set for
    // the requested share of rows: p / (p + (1 - p) * mean) = rate.
    let mean = HOUSEHOLD_SIZES.iter().sum::<u64>() as f64 / HOUSEHOLD_SIZES.len() as f64;
    let rate = opts.duplicate_rate;
    let p_duplicate = rate * mean / (1.0 - rate + rate * mean);
    while rows < opts.individuals {
        if !pool.is_empty() && rng.random_bool(p_duplicate) {
            let orig = &pool[rng.random_range(0..pool.len())];
            let (mut given, mut family) = name_of(orig, orig.script);
            let mut dup = Person {
                external_id: String::new(),
                given: orig.given,
                family: orig.family,
                female: orig.female,
                script: orig.script,
                birth: orig.birth,
                phone: orig.phone.clone(),
                national_id: orig.national_id.clone(),
                area: orig.area,
            };
            let variation = *["typo", "transliteration", "date_shift", "same_id_new_phone", "exact"]
                .choose(&mut rng)
                .expect("non-empty");
            match variation {
                "typo" => given = typo(&mut rng, &given),
                "transliteration" => {
                    let other = (orig.script + rng.random_range(1..3)) % 3;
                    (given, family) = name_of(orig, other);
                    dup.script = other;
                }
                "date_shift" => dup.birth = orig.birth + time::Duration::days(rng.random_range(1..=3)),
                "same_id_new_phone" => dup.phone = None,
                _ => {}
            }
            dup.external_id = ids.external_id();
            out.person(&dup, &given, &family, "", "", false)?;
            truth
                .write_record([orig.external_id.as_str(), dup.external_id.as_str(), variation])
                .map_err(|e| CoreError::io("writing the truth file", e.into()))?;
            planted += 1;
            rows += 1;
            continue;
        }
        households += 1;
        let href = format!("{prefix}HH-{households:07}");
        let size = *HOUSEHOLD_SIZES.choose(&mut rng).expect("non-empty");
        let size = size.min(opts.individuals - rows);
        let script = *[0usize, 0, 0, 0, 0, 1, 1, 1, 2, 2].choose(&mut rng).expect("non-empty");
        let family = rng.random_range(0..FAMILY.len());
        let area = AREAS[rng.random_range(0..AREAS.len())].0;
        let head_female = rng.random_bool(0.3);
        let mut members = vec![(ids.person(&mut rng, head_female, family, script, 22, 75, area, 0.9), "head")];
        for i in 1..size {
            let (min, max, rel, female) = match i {
                1 if size > 2 || rng.random_bool(0.7) => (18, 70, "spouse", !head_female),
                _ if rng.random_bool(0.05) => (60, 95, "parent", rng.random_bool(0.5)),
                _ => (0, 20, "child", rng.random_bool(0.5)),
            };
            members.push((
                ids.person(&mut rng, female, family, script, min, max, area, if min >= 18 { 0.3 } else { 0.02 }),
                rel,
            ));
        }
        for (p, rel) in members {
            let (given, family) = name_of(&p, p.script);
            let approx = rng.random_bool(0.08);
            out.person(&p, &given, &family, &href, rel, approx)?;
            rows += 1;
            if crate::clock::today().year() - p.birth.year() >= 18 {
                if pool.len() < POOL {
                    pool.push(p);
                } else {
                    let i = rng.random_range(0..POOL);
                    pool[i] = p;
                }
            }
        }
    }
    out.w.flush().map_err(|e| CoreError::io("writing the generated file", e))?;
    truth.flush().map_err(|e| CoreError::io("writing the truth file", e))?;
    Ok(GenSummary {
        individuals: rows,
        households,
        planted_duplicates: planted,
        registrants_file: reg_path.display().to_string(),
        truth_file: truth_path.display().to_string(),
        areas_file: areas_path.display().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planted_duplicates_match_the_rate_and_the_truth_file() {
        let tmp = tempfile::tempdir().unwrap();
        let s =
            generate(tmp.path(), &GenOptions { individuals: 20_000, duplicate_rate: 0.05, seed: 3, id_prefix: None })
                .unwrap();
        assert_eq!(s.individuals, 20_000);
        let share = s.planted_duplicates as f64 / s.individuals as f64;
        assert!((0.04..0.06).contains(&share), "planted share {share}");
        let truth = std::fs::read_to_string(&s.truth_file).unwrap();
        assert_eq!(truth.lines().count() as u64, s.planted_duplicates + 1);
        let again = tempfile::tempdir().unwrap();
        generate(again.path(), &GenOptions { individuals: 20_000, duplicate_rate: 0.05, seed: 3, id_prefix: None })
            .unwrap();
        assert_eq!(
            std::fs::read(&s.registrants_file).unwrap(),
            std::fs::read(again.path().join("registrants.csv")).unwrap(),
            "the same seed gives the same registry"
        );
    }
}

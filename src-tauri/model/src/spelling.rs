//! Names compared across scripts and spellings: Arabic and Ethiopic are transliterated to Latin, then
//! reduced to a consonant skeleton, because the three scripts write vowels differently (Arabic mostly not at
//! all) while the consonants survive: محمد, መሐመድ and Mohammed all become `md` once `h` and vowels drop.
//! Deduplication compares skeletons; search indexes them, so a name typed on a Latin keyboard finds the
//! same name written in another script or spelt another way.

use any_ascii::any_ascii;

use crate::normalize::fold_name;

/// Lower-case Latin letters of `name`, transliterated from any script (`Łukasz` → `lukasz`).
pub fn latin_letters(name: &str) -> String {
    any_ascii(name).chars().filter(|c| c.is_ascii_alphabetic()).map(|c| c.to_ascii_lowercase()).collect()
}

/// The consonant skeleton of Latin letters: digraphs and letters that scripts render differently are
/// merged, vowels, `h`, `w` and `y` (long vowels in Arabic) are dropped, and repeated letters squeezed.
pub fn skeleton(latin: &str) -> String {
    // `zh` is one sound (ዣን, "zhan") only before a vowel; at the end of an Arabic name it is z and the
    // ta marbuta (حمزة, "hmzh").
    let mut s = latin.to_string();
    for v in ['a', 'e', 'i', 'o', 'u'] {
        s = s.replace(&format!("zh{v}"), &format!("j{v}"));
    }
    let s = s
        .replace("kh", "k")
        .replace("sh", "s")
        // ث is "th" in one hand and "s" in another (Othman, Osman, ዑስማን).
        .replace("th", "s")
        .replace("dh", "d")
        .replace("ph", "f")
        .replace("gh", "g");
    let mut out = String::with_capacity(s.len());
    let mut last = ' ';
    for c in s.chars() {
        let mapped = match c {
            'a' | 'e' | 'i' | 'o' | 'u' | 'h' | 'w' | 'y' => continue,
            'q' | 'c' => 'k',
            'p' => 'b',
            'v' => 'f',
            'g' => 'j',
            'x' => 'k',
            other => other,
        };
        if mapped != last {
            out.push(mapped);
        }
        last = mapped;
    }
    out
}

/// One word of a name as search indexes and queries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordForms {
    /// As [`fold_name`] leaves it: the script it was written in.
    pub folded: String,
    /// Transliterated to Latin letters; empty when the word has no letter any script maps to Latin.
    pub latin: String,
    /// Consonant skeleton of `latin`; empty for a word of vowels only (`Aya`).
    pub skeleton: String,
}

/// The words of a name in their three forms, in order.
pub fn word_forms(name: &str) -> Vec<WordForms> {
    fold_name(name)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let latin = latin_letters(w);
            let skeleton = skeleton(&latin);
            WordForms { folded: w.to_string(), latin, skeleton }
        })
        .collect()
}

/// What the name index holds for a name, one space-separated column each: the folded words, the Latin
/// forms that differ from them (a Latin name adds nothing), and the skeletons.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameIndexEntry {
    pub name: String,
    pub latin: String,
    pub skeleton: String,
}

pub fn name_index_entry(name: &str) -> NameIndexEntry {
    let words = word_forms(name);
    let join = |pick: &dyn Fn(&WordForms) -> Option<&str>| {
        let mut out: Vec<&str> = Vec::with_capacity(words.len());
        for w in &words {
            if let Some(s) = pick(w).filter(|s| !s.is_empty() && !out.contains(s)) {
                out.push(s);
            }
        }
        out.join(" ")
    };
    NameIndexEntry {
        name: join(&|w| Some(&w.folded)),
        latin: join(&|w| (w.latin != w.folded).then_some(&w.latin)),
        skeleton: join(&|w| Some(&w.skeleton)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: &str) -> String {
        skeleton(&latin_letters(n))
    }

    #[test]
    fn a_name_written_in_three_scripts_has_one_skeleton() {
        for names in [
            ["Mohammed", "محمد", "መሐመድ"],
            ["Hamza", "حمزة", "ሐምዛ"],
            ["Othman", "عثمان", "ዑስማን"],
            ["Jean", "جان", "ዣን"],
            ["Konate", "كوناتي", "ኮናቴ"],
        ] {
            let keys: Vec<String> = names.iter().map(|n| key(n)).collect();
            assert!(keys.iter().all(|k| k == &keys[0]), "{names:?} -> {keys:?}");
        }
    }

    #[test]
    fn spellings_of_one_name_share_a_skeleton_and_different_names_do_not() {
        for (a, b) in [("Mohamed", "Muhammad"), ("abdulahi", "Abdullahi"), ("Amina", "Aminah")] {
            assert_eq!(key(a), key(b), "{a} / {b}");
        }
        for (a, b) in [("Fatima", "Amina"), ("Mohammed", "Hamza"), ("Ali", "Omar")] {
            assert_ne!(key(a), key(b), "{a} / {b}");
        }
    }

    #[test]
    fn the_index_entry_keeps_latin_forms_only_where_they_differ() {
        let e = name_index_entry("Łukasz Nowak");
        assert_eq!(e.name, "łukasz nowak");
        assert_eq!(e.latin, "lukasz");
        assert_eq!(e.skeleton, "lksz nk");
        let e = name_index_entry("محمد Aya");
        assert_eq!((e.latin.as_str(), e.skeleton.as_str()), ("mhmd", "md"));
        assert_eq!(name_index_entry("  "), NameIndexEntry::default());
    }
}

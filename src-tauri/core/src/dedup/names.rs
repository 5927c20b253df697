//! Names compared across scripts: the script a name is written in, and how alike two skeletons are (the
//! transliteration and skeletons themselves are `br_model::spelling`, which search shares).

pub use crate::spelling::{latin_letters, skeleton};

/// The script a name is written in, from its first letter: two spellings in one script differ by a
/// clerk's hand, two in different scripts by transliteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Script {
    #[default]
    Latin,
    Arabic,
    Ethiopic,
    Other,
}

pub fn script(name: &str) -> Script {
    match name.chars().find(|c| c.is_alphabetic()) {
        Some(c) if ('\u{0600}'..='\u{06FF}').contains(&c) || ('\u{0750}'..='\u{077F}').contains(&c) => Script::Arabic,
        Some(c) if ('\u{1200}'..='\u{139F}').contains(&c) || ('\u{2D80}'..='\u{2DDF}').contains(&c) => Script::Ethiopic,
        Some(c) if c.is_ascii() || ('\u{00C0}'..='\u{024F}').contains(&c) => Script::Latin,
        Some(_) => Script::Other,
        None => Script::Latin,
    }
}

/// How alike two skeletons are, from 0 to 1 (Jaro-Winkler; two empty skeletons are alike).
pub fn similarity(a: &str, b: &str) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    strsim::jaro_winkler(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: &str) -> String {
        skeleton(&latin_letters(n))
    }

    #[test]
    fn one_name_in_three_scripts_has_one_skeleton() {
        for names in [
            ["Mohammed", "محمد", "መሐመድ"],
            ["Fatima", "فاطمة", "ፋጢማ"],
            ["Tesfaye", "تسفاي", "ተስፋዬ"],
            ["Hamza", "حمزة", "ሐምዛ"],
            ["Solomon", "سليمان", "ሰለሞን"],
            ["Othman", "عثمان", "ዑስማን"],
            ["Pierre", "بيير", "ፒየር"],
            ["Jean", "جان", "ዣን"],
        ] {
            let keys: Vec<String> = names.iter().map(|n| key(n)).collect();
            assert!(keys.iter().all(|k| similarity(k, &keys[0]) >= 0.85), "{names:?} -> {keys:?}");
        }
    }

    #[test]
    fn different_names_stay_apart() {
        for (a, b) in [("Fatima", "Amina"), ("Mohammed", "Hamza"), ("Tesfaye", "Solomon"), ("Ali", "Omar")] {
            assert!(similarity(&key(a), &key(b)) < 0.85, "{a} / {b}");
        }
    }
}

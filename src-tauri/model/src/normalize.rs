//! Normalisation for matching and searching, and masking for display. The same functions serve the
//! index writers and the query side, so a value always finds itself.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Folds a name for the full-text index: compatibility decomposition, combining marks removed (Latin
/// accents and Arabic harakat/hamza alike), lower case, Arabic letter variants unified, tatweel dropped,
/// punctuation turned into spaces. Ethiopic syllables pass through unchanged.
pub fn fold_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfkd() {
        if is_combining_mark(c) || c == '\u{0640}' {
            continue;
        }
        let c = match c {
            '\u{0629}' => '\u{0647}', // taa marbuta -> haa
            '\u{0649}' => '\u{064A}', // alef maksura -> yaa
            '\u{0671}' => '\u{0627}', // alef wasla -> alef
            _ => c,
        };
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with(' ') && !out.is_empty() {
            out.push(' ');
        }
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out
}

/// The key lists sort on: family name then given name, folded.
pub fn sort_name(given: Option<&str>, family: Option<&str>) -> String {
    let f = fold_name(family.unwrap_or(""));
    let g = fold_name(given.unwrap_or(""));
    format!("{f}\u{1}{g}")
}

/// ID values: compatibility-normalised, upper case, separators (space, dash, dot, slash) removed.
pub fn normalize_id_value(s: &str) -> String {
    s.nfkc()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.' | '/' | '_'))
        .flat_map(char::to_uppercase)
        .collect()
}

/// Number of trailing digits a phone is matched on: the national significant number in most of the
/// countries we serve, so "+251 91 123 4567" and "0911234567" are the same phone.
pub const PHONE_MATCH_DIGITS: usize = 9;

/// Phones match on their last digits; `None` when there are too few digits to be a phone.
pub fn normalize_phone(s: &str) -> Option<String> {
    let digits: String = s.nfkc().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() < 6 {
        return None;
    }
    let start = digits.len().saturating_sub(PHONE_MATCH_DIGITS);
    Some(digits[start..].to_string())
}

/// A phone as stored for display: digits with an optional leading plus.
pub fn clean_phone(s: &str) -> Option<String> {
    let t: String = s.nfkc().filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.' | '(' | ')')).collect();
    let ok = !t.is_empty()
        && t.chars().enumerate().all(|(i, c)| c.is_ascii_digit() || (i == 0 && c == '+'))
        && t.chars().filter(char::is_ascii_digit).count() >= 6;
    ok.then_some(t)
}

/// A financial address as `type:id@provider` (the DCI form, e.g. `msisdn:251911000000@telebirr` or
/// `bban:0012345678@cbe`): a lower-case type, an id of letters, digits and `.-_+`, a provider. Spaces
/// around it are dropped; the type and provider are folded to lower case.
pub fn clean_financial_address(s: &str) -> Option<String> {
    let t = s.trim();
    let (kind, rest) = t.split_once(':')?;
    let (id, provider) = rest.rsplit_once('@')?;
    let word = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let id_ok = !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'));
    (word(kind) && id_ok && word(provider))
        .then(|| format!("{}:{id}@{}", kind.to_ascii_lowercase(), provider.to_ascii_lowercase()))
}

const MASK: &str = "•••";

pub fn mask_name(s: &str) -> String {
    match s.chars().next() {
        Some(c) => format!("{c}{MASK}"),
        None => String::new(),
    }
}

pub fn mask_tail(s: &str, visible: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= visible + 1 {
        return MASK.to_string();
    }
    let tail: String = chars[chars.len() - visible..].iter().collect();
    format!("{MASK}{tail}")
}

pub fn mask_date(s: &str) -> String {
    match s.get(0..4) {
        Some(year) => format!("{year}-••-••"),
        None => MASK.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn financial_addresses_are_type_id_at_provider() {
        assert_eq!(
            clean_financial_address(" MSISDN:+251911000000@TeleBirr ").as_deref(),
            Some("msisdn:+251911000000@telebirr")
        );
        assert_eq!(clean_financial_address("bban:0012-3456@cbe").as_deref(), Some("bban:0012-3456@cbe"));
        for bad in ["251911000000", "msisdn:@telebirr", "msisdn:123@", ":123@x", "msisdn:12 3@x", "a:b@c@"] {
            assert_eq!(clean_financial_address(bad), None, "{bad}");
        }
    }

    #[test]
    fn names_fold_across_diacritics_and_arabic_variants() {
        assert_eq!(fold_name("Éloïse  DUPONT-Lefèvre"), "eloise dupont lefevre");
        assert_eq!(fold_name("أحمد"), fold_name("احمد"));
        assert_eq!(fold_name("فاطمة"), "فاطمه");
        assert_eq!(fold_name("مُحَمَّد"), "محمد");
        assert_eq!(fold_name("ሙሉጌታ"), "ሙሉጌታ");
    }

    #[test]
    fn ids_and_phones_normalise() {
        assert_eq!(normalize_id_value(" ab-12.34 / 5 "), "AB12345");
        assert_eq!(normalize_phone("+251 91 123 4567"), normalize_phone("0911234567"));
        assert_eq!(normalize_phone("12"), None);
        assert_eq!(clean_phone("+251 (91) 123-4567").as_deref(), Some("+251911234567"));
        assert_eq!(clean_phone("call me"), None);
    }

    #[test]
    fn masks_keep_little() {
        assert_eq!(mask_name("Amina"), "A•••");
        assert_eq!(mask_tail("ET123456789", 3), "•••789");
        assert_eq!(mask_date("1984-03-02"), "1984-••-••");
    }
}

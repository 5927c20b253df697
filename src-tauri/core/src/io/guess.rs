//! Guesses the import wizard offers: which import column a file's header means (written in English,
//! French or Arabic: `Gender`, `Date de naissance`, `الاسم`), which code a file's value means (`F` is
//! `female`), and which date format its dates are in. A guess is shown as one, for a person to accept or
//! change; nothing is imported on a guess that was not shown.

use std::collections::BTreeMap;

use br_model::normalize::fold_name;

use super::mapping::Target;

/// Header words per import column, compared folded (case, accents and Arabic letter variants aside).
const COLUMN_WORDS: [(&str, &[&str]); 13] = [
    (
        "external_id",
        &[
            "external id",
            "id",
            "beneficiary id",
            "person id",
            "member id",
            "member key",
            "individual id",
            "identifiant",
            "id bénéficiaire",
            "numéro bénéficiaire",
            "code bénéficiaire",
            "المعرف",
            "رقم المستفيد",
        ],
    ),
    (
        "given_name",
        &["given name", "first name", "firstname", "forename", "name", "prénom", "prénoms", "الاسم", "الاسم الأول"],
    ),
    (
        "family_name",
        &["family name", "last name", "lastname", "surname", "nom", "nom de famille", "اسم العائلة", "اللقب", "الكنية"],
    ),
    ("sex", &["sex", "gender", "sexe", "genre", "الجنس", "النوع"]),
    (
        "birth_date",
        &[
            "birth date",
            "date of birth",
            "dob",
            "birthdate",
            "birthday",
            "date de naissance",
            "ddn",
            "né le",
            "née le",
            "تاريخ الميلاد",
            "تاريخ الولادة",
        ],
    ),
    (
        "birth_date_approx",
        &["birth date approx", "approximate birth date", "dob approx", "date approximative", "تاريخ تقريبي"],
    ),
    (
        "phone",
        &[
            "phone",
            "mobile",
            "phone number",
            "mobile number",
            "telephone",
            "tel",
            "cell",
            "cellphone",
            "portable",
            "numéro de téléphone",
            "الهاتف",
            "رقم الهاتف",
            "الجوال",
            "جوال",
            "موبايل",
        ],
    ),
    (
        "financial_address",
        &["financial address", "account", "mobile money", "bank account", "compte", "compte mobile", "الحساب"],
    ),
    (
        "area",
        &[
            "area",
            "village",
            "district",
            "location",
            "region",
            "zone",
            "localité",
            "commune",
            "المنطقة",
            "القرية",
            "الحي",
        ],
    ),
    ("tags", &["tags", "étiquettes"]),
    (
        "household_ref",
        &[
            "household",
            "household id",
            "household ref",
            "household key",
            "hh id",
            "ménage",
            "id ménage",
            "foyer",
            "الأسرة",
            "رقم الأسرة",
        ],
    ),
    ("household_name", &["household name", "nom du ménage", "اسم الأسرة"]),
    (
        "relationship",
        &[
            "relationship",
            "relation",
            "relationship to head",
            "lien",
            "lien de parenté",
            "lien avec le chef",
            "صلة القرابة",
            "العلاقة",
        ],
    ),
];

/// Header words for an ID of the registry's national ID type.
const NATIONAL_ID_WORDS: [&str; 6] = ["national id", "nid", "cni", "numéro d'identité", "رقم الهوية", "الرقم الوطني"];

/// Value words per code of the coded columns, compared folded.
const VALUE_WORDS: [(&str, &str, &[&str]); 12] = [
    ("sex", "female", &["f", "female", "woman", "w", "femme", "féminin", "أنثى", "2"]),
    ("sex", "male", &["m", "male", "man", "homme", "h", "masculin", "ذكر", "1"]),
    ("sex", "other", &["other", "autre", "آخر"]),
    ("relationship", "head", &["head", "household head", "hh head", "chef", "chef de ménage", "رب الأسرة"]),
    (
        "relationship",
        "spouse",
        &["spouse", "wife", "husband", "épouse", "époux", "conjoint", "conjointe", "زوج", "زوجة"],
    ),
    ("relationship", "child", &["child", "son", "daughter", "fils", "fille", "enfant", "ابن", "ابنة", "بنت"]),
    ("relationship", "parent", &["parent", "father", "mother", "père", "mère", "أب", "أم"]),
    ("relationship", "sibling", &["sibling", "brother", "sister", "frère", "sœur", "soeur", "أخ", "أخت"]),
    (
        "relationship",
        "grandchild",
        &["grandchild", "grandson", "granddaughter", "petit-fils", "petite-fille", "حفيد", "حفيدة"],
    ),
    ("relationship", "other_relative", &["other", "other relative", "relative", "autre", "autre parent", "قريب"]),
    ("birth_date_approx", "true", &["yes", "y", "oui", "o", "نعم", "approx", "approximate"]),
    ("birth_date_approx", "false", &["no", "n", "non", "لا", "exact"]),
];

fn means(words: &[&str], form: &str) -> bool {
    words.iter().any(|w| fold_name(w) == form)
}

/// The forms a header is matched in: as written, then its last part (`household/member/name` is `name`).
fn header_forms(header: &str) -> Vec<String> {
    let mut forms = vec![fold_name(header)];
    if let Some((_, last)) = header.rsplit_once(['/', '-']) {
        forms.push(fold_name(last));
    }
    forms
}

/// Import columns for the headers that do not already name one. `id_types` and `custom_fields` are
/// (code or name, label) pairs of the registry's lists. Each import column is guessed for one header at
/// most, the first that means it.
pub fn columns(
    headers: &[String],
    mapping_columns: &BTreeMap<String, String>,
    id_types: &[(String, String)],
    custom_fields: &[(String, String)],
) -> BTreeMap<String, String> {
    let mut taken: Vec<String> = headers
        .iter()
        .filter_map(|h| mapping_columns.get(h).cloned().or_else(|| Target::parse(h).map(|t| t.name())))
        .collect();
    let mut guessed = BTreeMap::new();
    // Whole headers first, so `household/member/name` does not take `given_name` from a `first name` column.
    for pass in 0..2 {
        for header in headers {
            if mapping_columns.contains_key(header) || Target::parse(header).is_some() || guessed.contains_key(header) {
                continue;
            }
            let Some(form) = header_forms(header).into_iter().nth(pass) else { continue };
            if let Some(target) = column_for(&form, id_types, custom_fields).filter(|t| !taken.contains(t)) {
                taken.push(target.clone());
                guessed.insert(header.clone(), target);
            }
        }
    }
    guessed
}

fn column_for(form: &str, id_types: &[(String, String)], custom_fields: &[(String, String)]) -> Option<String> {
    if form.is_empty() {
        return None;
    }
    if let Some((code, _)) = id_types.iter().find(|(code, label)| fold_name(code) == form || fold_name(label) == form) {
        return Some(format!("id:{code}"));
    }
    if means(&NATIONAL_ID_WORDS, form) {
        if let Some((code, _)) = id_types.iter().find(|(code, _)| code.contains("national")) {
            return Some(format!("id:{code}"));
        }
    }
    if let Some((name, _)) =
        custom_fields.iter().find(|(name, label)| fold_name(name) == form || fold_name(label) == form)
    {
        return Some(format!("custom:{name}"));
    }
    COLUMN_WORDS.iter().find(|(_, words)| means(words, form)).map(|(column, _)| column.to_string())
}

/// The code a value of `column` (sex, relationship, birth_date_approx) most likely means, among `codes`.
pub fn value(column: &str, raw: &str, codes: &[String]) -> Option<String> {
    let form = fold_name(raw);
    let form = if form.is_empty() { raw.trim().to_lowercase() } else { form };
    if let Some(code) = codes.iter().find(|c| fold_name(c) == form) {
        return Some(code.clone());
    }
    VALUE_WORDS
        .iter()
        .find(|(c, code, words)| *c == column && means(words, &form) && codes.iter().any(|k| k == code))
        .map(|(_, code, _)| code.to_string())
}

/// A date format for dates written `d/m/yyyy` or `m/d/yyyy` (or with `-` or `.`), decided by a day past 12
/// in either place; the day first when nothing decides it. None when the dates are ISO or not dates.
pub fn date_format<'a>(samples: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut separator = None;
    let (mut first_is_day, mut second_is_day) = (false, false);
    for sample in samples.map(str::trim).filter(|s| !s.is_empty()) {
        let sep = sample.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
        let parts: Vec<&str> = sample.split(sep).collect();
        let [a, b, year] = parts[..] else { return None };
        let (a, b) = (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?);
        if year.len() != 4 || year.parse::<u32>().is_err() || a == 0 || b == 0 || a > 31 || b > 31 {
            return None;
        }
        if *separator.get_or_insert(sep) != sep {
            return None;
        }
        first_is_day |= a > 12;
        second_is_day |= b > 12;
    }
    let sep = separator?;
    let (first, second) = match (first_is_day, second_is_day) {
        (true, true) => return None,
        (false, true) => ("month", "day"),
        _ => ("day", "month"),
    };
    Some(format!("[{first} padding:none]{sep}[{second} padding:none]{sep}[year]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_in_three_languages_are_guessed_once_each() {
        let headers: Vec<String> =
            ["ID", "Prénom", "Nom", "Gender", "DOB", "Mobile", "الاسم", "Village", "CNI"].map(String::from).to_vec();
        let ids = [("national_id".to_string(), "National ID".to_string())];
        let g = columns(&headers, &BTreeMap::new(), &ids, &[]);
        assert_eq!(g["ID"], "external_id");
        assert_eq!(g["Prénom"], "given_name");
        assert_eq!(g["Nom"], "family_name");
        assert_eq!(g["Gender"], "sex");
        assert_eq!(g["DOB"], "birth_date");
        assert_eq!(g["Mobile"], "phone");
        assert_eq!(g["Village"], "area");
        assert_eq!(g["CNI"], "id:national_id");
        assert!(!g.contains_key("الاسم"), "given_name went to Prénom, the first header meaning it");
        let arabic: Vec<String> = ["الاسم", "الجنس", "تاريخ الميلاد", "رقم الهاتف"].map(String::from).to_vec();
        let g = columns(&arabic, &BTreeMap::new(), &ids, &[]);
        assert_eq!(g.values().cloned().collect::<Vec<_>>(), ["given_name", "sex", "birth_date", "phone"]);
    }

    #[test]
    fn a_form_path_is_guessed_from_its_last_part_after_whole_headers() {
        let headers: Vec<String> =
            ["household/member/name", "household/member/gender", "First name"].map(String::from).to_vec();
        let g = columns(&headers, &BTreeMap::new(), &[], &[]);
        assert_eq!(g["First name"], "given_name");
        assert_eq!(g["household/member/gender"], "sex");
        assert!(!g.contains_key("household/member/name"));
    }

    #[test]
    fn values_are_guessed_among_the_registry_codes_only() {
        let sex = ["female".to_string(), "male".to_string()];
        assert_eq!(value("sex", "F", &sex).as_deref(), Some("female"));
        assert_eq!(value("sex", "Homme", &sex).as_deref(), Some("male"));
        assert_eq!(value("sex", "أنثى", &sex).as_deref(), Some("female"));
        assert_eq!(value("sex", "Female", &sex).as_deref(), Some("female"));
        assert_eq!(value("sex", "autre", &sex), None, "no `other` code in this registry");
        let kinds = ["head".to_string(), "child".to_string()];
        assert_eq!(value("relationship", "Fille", &kinds).as_deref(), Some("child"));
        assert_eq!(value("relationship", "chef de ménage", &kinds).as_deref(), Some("head"));
    }

    #[test]
    fn date_formats_are_decided_by_a_day_past_twelve() {
        assert_eq!(
            date_format(["03/04/1990", "25/12/1985"].into_iter()).unwrap(),
            "[day padding:none]/[month padding:none]/[year]"
        );
        assert_eq!(date_format(["12/25/1985"].into_iter()).unwrap(), "[month padding:none]/[day padding:none]/[year]");
        assert_eq!(date_format(["03.04.1990"].into_iter()).unwrap(), "[day padding:none].[month padding:none].[year]");
        let format =
            time::format_description::parse_owned::<2>(&date_format(["3/4/1990"].into_iter()).unwrap()).unwrap();
        for written in ["3/4/1990", "03/04/1990"] {
            assert_eq!(time::Date::parse(written, &format).unwrap().to_string(), "1990-04-03");
        }
        assert_eq!(date_format(["1990-04-03"].into_iter()), None);
        assert_eq!(date_format(["13/25/1985"].into_iter()), None);
        assert_eq!(date_format(["03/04/1990", "03-04-1990"].into_iter()), None);
    }
}

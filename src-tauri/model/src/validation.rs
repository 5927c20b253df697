//! The validation of registrant fields against a registry's lists and custom fields, the same on a desk
//! (the CSV import, the editor) and on the server (a Social Registry pull). A failure names the field,
//! never its value.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::clock::parse_date;
use crate::normalize::{clean_phone, normalize_id_value};
use crate::privacy::{DroppedFields, Privacy};
use crate::registry::{CustomField, CustomFieldType, IdDocument, ListName, RegistrantFields, RegistrantKind};

/// A field that failed validation, and why, in words a registrar can act on.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldError { field: field.into(), reason: reason.into() }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

pub const MAX_TEXT_CHARS: usize = 200;

pub struct Settings {
    lists: HashMap<&'static str, HashSet<String>>,
    pub custom_fields: BTreeMap<String, CustomField>,
    privacy: Privacy,
}

/// Spreadsheet programs run cells that start with these; a name never legitimately does.
pub fn looks_like_formula(s: &str) -> bool {
    matches!(s.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r'))
}

impl Settings {
    /// The active codes of each list, and the custom-field definitions.
    pub fn new(codes: impl IntoIterator<Item = (ListName, String)>, custom_fields: Vec<CustomField>) -> Settings {
        let mut lists: HashMap<&'static str, HashSet<String>> = HashMap::new();
        for (list, code) in codes {
            lists.entry(list.as_str()).or_default().insert(code);
        }
        Settings {
            lists,
            custom_fields: custom_fields.into_iter().map(|f| (f.name.clone(), f)).collect(),
            privacy: Privacy::default(),
        }
    }

    /// The registry's privacy profile, which `validate` cuts every record to.
    pub fn with_privacy(mut self, privacy: Privacy) -> Settings {
        self.privacy = privacy;
        self
    }

    pub fn privacy(&self) -> &Privacy {
        &self.privacy
    }

    pub fn check_code(&self, list: ListName, field: &str, code: &str) -> Result<(), FieldError> {
        let known = self.lists.get(list.as_str());
        let empty = known.map(|k| k.is_empty()).unwrap_or(true);
        if !list.strict() && empty {
            return Ok(());
        }
        if known.map(|k| k.contains(code)).unwrap_or(false) {
            return Ok(());
        }
        let mut codes: Vec<&String> = known.map(|k| k.iter().collect()).unwrap_or_default();
        codes.sort();
        let shown: Vec<&str> = codes.iter().take(12).map(|s| s.as_str()).collect();
        Err(FieldError::new(
            field,
            format!("unknown {} code {code:?}; known codes: {}", list.as_str(), shown.join(", ")),
        ))
    }

    /// Checks and cleans `f`, then cuts it to the privacy profile and says what was cut. The first
    /// failure only; `validate_all` gives every one.
    pub fn validate(&self, kind: RegistrantKind, f: &mut RegistrantFields) -> Result<DroppedFields, FieldError> {
        self.validate_all(kind, f).map_err(|mut errors| errors.swap_remove(0))
    }

    /// Trims, normalises and checks every field in place, and names every field that fails (a row of an
    /// import is fixed once, not once per mistake). On success `f` is cut to the privacy profile.
    pub fn validate_all(
        &self,
        kind: RegistrantKind,
        f: &mut RegistrantFields,
    ) -> Result<DroppedFields, Vec<FieldError>> {
        fn clean(v: &mut Option<String>) {
            if let Some(s) = v {
                let t = s.trim();
                if t.is_empty() {
                    *v = None;
                } else if t.len() != s.len() {
                    *v = Some(t.to_string());
                }
            }
        }
        for v in [&mut f.external_id, &mut f.given_name, &mut f.family_name, &mut f.group_name, &mut f.sex] {
            clean(v);
        }
        for v in [&mut f.birth_date, &mut f.phone, &mut f.area, &mut f.financial_address] {
            clean(v);
        }
        let mut errors = Vec::new();
        let mut check = |outcome: Result<(), FieldError>| {
            if let Err(e) = outcome {
                errors.push(e);
            }
        };
        for (field, v) in [
            ("external_id", &f.external_id),
            ("given_name", &f.given_name),
            ("family_name", &f.family_name),
            ("group_name", &f.group_name),
        ] {
            if let Some(s) = v {
                check(check_text(field, s));
            }
        }
        let names_kept = self.privacy.profile().names;
        match kind {
            RegistrantKind::Individual => {
                if names_kept && f.given_name.is_none() && f.family_name.is_none() {
                    check(Err(FieldError::new("given_name", "an individual needs a given or a family name")));
                }
                if f.group_name.is_some() {
                    check(Err(FieldError::new("group_name", "only groups have a group name")));
                }
            }
            RegistrantKind::Group => {
                if names_kept && f.group_name.is_none() {
                    check(Err(FieldError::new("group_name", "a group needs a name")));
                }
            }
        }
        if let Some(sex) = &mut f.sex {
            *sex = sex.to_lowercase();
            check(self.check_code(ListName::Sex, "sex", sex));
        }
        if let Some(bd) = &f.birth_date {
            check(check_birth_date(bd));
        }
        if let Some(p) = &f.phone {
            match clean_phone(p) {
                Some(clean) => f.phone = Some(clean),
                None => check(Err(FieldError::new("phone", "not a phone number (digits, optional leading +)"))),
            }
        }
        if let Some(a) = &f.financial_address {
            match crate::normalize::clean_financial_address(a) {
                Some(clean) => f.financial_address = Some(clean),
                None => check(Err(FieldError::new("financial_address", "not a financial address (type:id@provider)"))),
            }
        }
        if let Some(a) = &f.area {
            check(self.check_code(ListName::Area, "area", a));
        }
        f.tags.retain(|t| !t.trim().is_empty());
        for t in &mut f.tags {
            *t = t.trim().to_string();
        }
        f.tags.sort();
        f.tags.dedup();
        for t in &f.tags {
            check(self.check_code(ListName::Tag, "tags", t));
        }
        let mut seen = HashSet::new();
        for doc in &mut f.ids {
            doc.value = doc.value.trim().to_string();
            check(self.check_id(doc, &mut seen));
        }
        f.ids.sort_by(|a, b| a.id_type.cmp(&b.id_type));
        for (name, value) in f.custom.iter_mut() {
            let field = format!("custom:{name}");
            match self.custom_fields.get(name) {
                None => check(Err(FieldError::new(field, "no such custom field"))),
                Some(def) => match check_custom(def, value) {
                    Ok(clean) => *value = clean,
                    Err(reason) => check(Err(FieldError::new(field, reason))),
                },
            }
        }
        f.custom.retain(|_, v| !v.is_null());
        for def in self.custom_fields.values() {
            if def.required && !f.custom.contains_key(&def.name) {
                check(Err(FieldError::new(format!("custom:{}", def.name), "is required")));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(self.privacy.strip(kind, f))
    }

    fn check_id(&self, doc: &IdDocument, seen: &mut HashSet<String>) -> Result<(), FieldError> {
        let field = format!("id:{}", doc.id_type);
        self.check_code(ListName::IdType, &field, &doc.id_type)?;
        if normalize_id_value(&doc.value).is_empty() {
            return Err(FieldError::new(field, "empty ID value"));
        }
        if doc.value.chars().count() > 64 || looks_like_formula(&doc.value) {
            return Err(FieldError::new(field, "not a valid ID value"));
        }
        if let Some(e) = &doc.expiry {
            parse_date(e).ok_or_else(|| FieldError::new(field.clone(), "expiry is not a YYYY-MM-DD date"))?;
        }
        if !seen.insert(doc.id_type.clone()) {
            return Err(FieldError::new(field, "one ID per type"));
        }
        Ok(())
    }
}

/// A name or reference: bounded, not a formula, one line.
fn check_text(field: &str, s: &str) -> Result<(), FieldError> {
    if s.chars().count() > MAX_TEXT_CHARS {
        return Err(FieldError::new(field, format!("longer than {MAX_TEXT_CHARS} characters")));
    }
    if looks_like_formula(s) {
        return Err(FieldError::new(field, "starts like a spreadsheet formula (=, +, -, @)"));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(FieldError::new(field, "contains control characters or line breaks"));
    }
    Ok(())
}

fn check_birth_date(text: &str) -> Result<(), FieldError> {
    let date = parse_date(text).ok_or_else(|| FieldError::new("birth_date", "not a date in YYYY-MM-DD form"))?;
    if date > crate::clock::today() {
        return Err(FieldError::new("birth_date", "is in the future"));
    }
    if date.year() < 1880 {
        return Err(FieldError::new("birth_date", "is before 1880"));
    }
    Ok(())
}

/// Coerces a custom value (JSON, or text from a CSV cell) to the field's type.
fn check_custom(def: &CustomField, v: &serde_json::Value) -> std::result::Result<serde_json::Value, String> {
    use serde_json::Value;
    let text = match v {
        Value::Null => return Ok(Value::Null),
        Value::String(s) if s.trim().is_empty() => return Ok(Value::Null),
        Value::String(s) => s.trim().to_string(),
        other => other.to_string(),
    };
    match def.field_type {
        CustomFieldType::Text => {
            if text.chars().count() > 1000 || looks_like_formula(&text) {
                return Err("text too long or starts like a formula".into());
            }
            Ok(Value::String(text))
        }
        CustomFieldType::Integer => text.parse::<i64>().map(Value::from).map_err(|_| "not a whole number".into()),
        CustomFieldType::Decimal => {
            // Kept as text so no precision is lost to floating point.
            let ok = text.parse::<f64>().map(|x| x.is_finite()).unwrap_or(false)
                && text.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-');
            if ok {
                Ok(Value::String(text))
            } else {
                Err("not a decimal number".into())
            }
        }
        CustomFieldType::Date => {
            parse_date(&text).map(|_| Value::String(text)).ok_or_else(|| "not a YYYY-MM-DD date".into())
        }
        CustomFieldType::Boolean => match text.to_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(Value::Bool(true)),
            "false" | "no" | "0" => Ok(Value::Bool(false)),
            _ => Err("not true or false".into()),
        },
        CustomFieldType::Choice => {
            if def.choices.contains(&text) {
                Ok(Value::String(text))
            } else {
                Err(format!("not one of: {}", def.choices.join(", ")))
            }
        }
    }
}

//! A Social Registry's records read into ours: a group with its members, or a lone person, each checked
//! by the registry's own validation (br-model's `validation.rs`). The DCI spellings and the older G2P
//! Connect ones are both read (`given_name` or `first_name`, `member_identifier` or `identifier`,
//! `household_member` wrappers or none, `identifier_type`/`identifier_value` or `type`/`value`). A unit
//! with any bad part is rejected whole: never half a household.

use br_model::privacy::DroppedFields;
use br_model::registry::{IdDocument, RegistrantFields, RegistrantKind};
use br_model::validation::Settings;
use serde_json::Value;

use super::mapping::{RecordType, Source};

/// One person or household as the SR holds it, ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub external_id: String,
    pub kind: RegistrantKind,
    pub fields: RegistrantFields,
    /// The office code the area picked.
    pub office: String,
    /// What the registry's privacy profile cut from the record.
    pub dropped: DroppedFields,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub person: Candidate,
    /// Our membership kind.
    pub kind: String,
    pub is_head: bool,
}

/// What one SR record becomes.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub group: Option<Candidate>,
    pub members: Vec<Member>,
}

impl Unit {
    pub fn key(&self) -> &str {
        self.group.as_ref().map_or_else(|| self.members[0].person.external_id.as_str(), |g| g.external_id.as_str())
    }
}

/// A record that could not be taken, and why (field names and rules, never values).
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    pub external_id: String,
    pub reason: String,
}

fn get<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().find_map(|k| v.get(*k).filter(|x| !x.is_null()))
}

fn text(v: &Value, keys: &[&str]) -> Option<String> {
    match get(v, keys)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `(type, value)` pairs of an identifier list (or a single identifier).
fn identifiers(v: Option<&Value>) -> Vec<(String, String)> {
    let one = |x: &Value| {
        Some((text(x, &["identifier_type", "type", "id_type"])?, text(x, &["identifier_value", "value", "id_value"])?))
    };
    match v {
        Some(Value::Array(list)) => list.iter().filter_map(one).collect(),
        Some(x @ Value::Object(_)) => one(x).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// The person inside a member entry, however the spec's version wraps it.
fn person_of(member: &Value) -> (&Value, Vec<(String, String)>) {
    let member = member.get("household_member").unwrap_or(member);
    let demographic = member.get("demographic_info").unwrap_or(member);
    let person = demographic.get("person").unwrap_or(demographic);
    let mut ids = identifiers(get(member, &["member_identifier", "identifier"]));
    ids.extend(identifiers(get(person, &["identifier", "person_identifier"])));
    (person, ids)
}

/// How a source's records are read.
pub struct Reader<'a> {
    pub source: &'a Source,
    pub settings: &'a Settings,
}

impl Reader<'_> {
    pub fn unit(&self, record: &Value, position: usize) -> Result<Unit, Rejected> {
        match self.source.record_type {
            RecordType::Person => {
                let (person, ids) = person_of(record);
                let external = self.external(&ids, position)?;
                let candidate = self.person(person, &ids, record, &external)?;
                Ok(Unit {
                    group: None,
                    members: vec![Member { person: candidate, kind: String::new(), is_head: false }],
                })
            }
            RecordType::Group => self.group(record, position),
        }
    }

    fn external(&self, ids: &[(String, String)], position: usize) -> Result<String, Rejected> {
        let wanted = &self.source.external_id.person;
        ids.iter().find(|(t, _)| t == wanted).map(|(_, v)| v.clone()).ok_or_else(|| Rejected {
            external_id: format!("(record {position})"),
            reason: format!("no identifier of type {wanted}, which becomes the external id"),
        })
    }

    fn group(&self, record: &Value, position: usize) -> Result<Unit, Rejected> {
        let wanted = self.source.external_id.group.as_deref().unwrap_or_default();
        let group_ids = identifiers(get(record, &["group_identifier", "identifier"]));
        let Some(external) = group_ids.iter().find(|(t, _)| t == wanted).map(|(_, v)| v.clone()) else {
            return Err(Rejected {
                external_id: format!("(record {position})"),
                reason: format!("no group identifier of type {wanted}, which becomes the external id"),
            });
        };
        let reject = |reason: String| Rejected { external_id: external.clone(), reason };
        let list = get(record, &["member_list", "members"]).and_then(Value::as_array).cloned().unwrap_or_default();
        if list.is_empty() || list.len() > 100 {
            return Err(reject("a household has 1 to 100 members".into()));
        }
        let head_ids = get(record, &["group_head_info"])
            .map(|h| person_of(h.get("person").map_or(h, |_| h)).1)
            .unwrap_or_default();
        let mut members = Vec::with_capacity(list.len());
        for (n, entry) in list.iter().enumerate() {
            let (person, ids) = person_of(entry);
            let member_external =
                self.external(&ids, n + 1).map_err(|r| reject(format!("member {}: {}", n + 1, r.reason)))?;
            let candidate = self
                .person(person, &ids, record, &member_external)
                .map_err(|r| reject(format!("member {}: {}", n + 1, r.reason)))?;
            let wrapper = entry.get("household_member").unwrap_or(entry);
            let relation = text(wrapper, &["relationship_head", "relationship", "relationship_to_head"]);
            let is_head =
                relation.as_deref().is_some_and(|r| self.source.relationship.get(r).is_some_and(|k| k == "head"))
                    || (!head_ids.is_empty() && ids.iter().any(|i| head_ids.contains(i)));
            let kind = match relation {
                Some(r) => self.source.relationship.get(&r).cloned().ok_or_else(|| {
                    reject(format!(
                        "member {}: the relationship has no entry in the mapping's [relationship] table",
                        n + 1
                    ))
                })?,
                None if is_head => "head".to_string(),
                None => return Err(reject(format!("member {}: no relationship to the head", n + 1))),
            };
            members.push(Member { person: candidate, kind, is_head });
        }
        let heads = members.iter().filter(|m| m.is_head).count();
        if heads > 1 {
            return Err(reject("more than one head".into()));
        }
        let office = &members[0].person.office;
        if members.iter().any(|m| &m.person.office != office) {
            return Err(reject("members live in areas of different offices".into()));
        }
        let head = members.iter().find(|m| m.is_head).unwrap_or(&members[0]);
        let name = text(record, &["group_name", "name"])
            .or_else(|| head.person.fields.family_name.clone())
            .or_else(|| head.person.fields.given_name.clone());
        let mut fields = RegistrantFields {
            external_id: Some(external.clone()),
            group_name: name,
            area: head.person.fields.area.clone(),
            ids: self.documents(&group_ids),
            custom: self.custom(record),
            ..RegistrantFields::default()
        };
        let dropped = self
            .settings
            .validate(RegistrantKind::Group, &mut fields)
            .map_err(|e| reject(format!("household: {}: {}", e.field, e.reason)))?;
        let group =
            Candidate { external_id: external, kind: RegistrantKind::Group, fields, office: office.clone(), dropped };
        Ok(Unit { group: Some(group), members })
    }

    fn person(
        &self,
        person: &Value,
        ids: &[(String, String)],
        record: &Value,
        external: &str,
    ) -> Result<Candidate, Rejected> {
        let reject = |reason: String| Rejected { external_id: external.to_string(), reason };
        let name = get(person, &["name"]);
        let (given, family) = match name {
            Some(Value::String(s)) => (Some(s.trim().to_string()), None),
            Some(n) => (text(n, &["given_name", "first_name"]), text(n, &["surname", "family_name", "last_name"])),
            None => (text(person, &["given_name", "first_name"]), text(person, &["surname", "family_name"])),
        };
        let sex = match text(person, &["sex", "gender"]) {
            None => None,
            Some(raw) => Some(
                self.source
                    .sex
                    .get(&raw)
                    .or_else(|| self.source.sex.get(&raw.to_lowercase()))
                    .cloned()
                    .ok_or_else(|| reject("sex has no entry in the mapping's [sex] table".into()))?,
            ),
        };
        let birth_date =
            text(person, &["birth_date", "birthdate", "date_of_birth"]).map(|b| b.chars().take(10).collect());
        let area = self
            .area(person, record)
            .ok_or_else(|| reject("the address names no area of the mapping's [area.codes]".into()))?;
        let mut fields = RegistrantFields {
            external_id: Some(external.to_string()),
            given_name: given,
            family_name: family,
            sex,
            birth_date,
            area: Some(area.area.clone()),
            ids: self.documents(ids),
            custom: self.custom(person),
            ..RegistrantFields::default()
        };
        let dropped = self
            .settings
            .validate(RegistrantKind::Individual, &mut fields)
            .map_err(|e| reject(format!("{}: {}", e.field, e.reason)))?;
        Ok(Candidate {
            external_id: external.to_string(),
            kind: RegistrantKind::Individual,
            fields,
            office: area.office.clone(),
            dropped,
        })
    }

    /// The area code the address names: the person's address, then the record's (a group's) address or
    /// place.
    fn area(&self, person: &Value, record: &Value) -> Option<&super::mapping::AreaCode> {
        let field = self.source.area.field.as_str();
        let places = [
            person.get("address"),
            Some(person),
            record.get("address"),
            record.get("place"),
            record.get("place").and_then(|p| p.get("address")),
            Some(record),
        ];
        places.into_iter().flatten().find_map(|p| text(p, &[field])).and_then(|code| self.source.area.codes.get(&code))
    }

    /// The ID documents the mapping keeps, one per type.
    fn documents(&self, ids: &[(String, String)]) -> Vec<IdDocument> {
        let mut docs: Vec<IdDocument> = Vec::new();
        for (t, v) in ids {
            if let Some(ours) = self.source.id_types.get(t) {
                if !docs.iter().any(|d| &d.id_type == ours) {
                    docs.push(IdDocument { id_type: ours.clone(), value: v.clone(), expiry: None });
                }
            }
        }
        docs
    }

    fn custom(&self, v: &Value) -> std::collections::BTreeMap<String, Value> {
        self.source
            .custom
            .iter()
            .filter(|(_, ours)| self.settings.custom_fields.contains_key(*ours))
            .filter_map(|(theirs, ours)| Some((ours.clone(), v.get(theirs).filter(|x| !x.is_null())?.clone())))
            .collect()
    }
}

//! A registrant's facts as CEL reads them: a map whose fields are made only when the rule reads them,
//! borrowing the facts' strings. Building a map of every field a rule reads, converting it into CEL's
//! values and dropping both was four fifths of evaluating a simple rule.

use std::collections::{BTreeSet, HashMap};

use cel::common::traits::Indexer;
use cel::common::types::{CelBool, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, Type, MAP_TYPE};
use cel::common::value::{CowVal, Val};
use cel::objects::Map;
use cel::{ExecutionError, Value};

use super::facts::{age_on, json_to_value, Facts};
use crate::clock::parse_date;

/// One registrant's facts, of which a rule may read `fields`.
#[derive(Debug, Clone, Copy)]
pub(super) struct LazyFacts<'f> {
    pub(super) facts: &'f Facts,
    pub(super) fields: &'f BTreeSet<&'static str>,
    pub(super) today: time::Date,
}

fn text<'v>(s: &'v str) -> Box<dyn Val + 'v> {
    Box::new(CelString::from(s))
}

fn opt_text<'v>(s: &'v Option<String>) -> Box<dyn Val + 'v> {
    match s {
        Some(s) => text(s),
        None => Box::new(CelNull),
    }
}

fn texts<'v>(list: &'v [String]) -> Box<dyn Val + 'v> {
    Box::new(CelList::from(list.iter().map(|t| text(t)).collect::<Vec<_>>()))
}

impl<'f> LazyFacts<'f> {
    /// The value of field `name`, if the rule may read it.
    fn field(&self, name: &str) -> Result<Box<dyn Val + 'f>, ExecutionError> {
        let f = self.facts;
        if !self.fields.contains(name) {
            return Err(ExecutionError::no_such_key(name));
        }
        Ok(match name {
            "reference" => text(&f.reference),
            "kind" => text(&f.kind),
            "given_name" => opt_text(&f.given_name),
            "family_name" => opt_text(&f.family_name),
            "group_name" => opt_text(&f.group_name),
            "sex" => opt_text(&f.sex),
            "birth_date" => opt_text(&f.birth_date),
            "birth_date_approx" => Box::new(CelBool::from(f.birth_date_approx)),
            "age" => match f.birth_date.as_deref().and_then(parse_date) {
                Some(d) => Box::new(CelInt::from(age_on(d, self.today))),
                None => Box::new(CelNull),
            },
            "area" => opt_text(&f.area),
            "tags" => texts(&f.tags),
            "status" => text(&f.status),
            "registered_on" => text(&f.registered_on),
            "has_phone" => Box::new(CelBool::from(f.has_phone)),
            "id_types" => texts(&f.id_types),
            "size" => match f.size {
                Some(n) => Box::new(CelInt::from(n)),
                None => Box::new(CelNull),
            },
            "custom" => {
                let custom =
                    f.custom.as_ref().map(json_to_value).unwrap_or_else(|| Value::Map(Map { map: Default::default() }));
                Box::<dyn Val>::try_from(custom)
                    .map_err(|_| ExecutionError::function_error("custom", "a custom field could not be read"))?
            }
            "relationship" => opt_text(&f.relationship),
            "is_head" => Box::new(CelBool::from(f.is_head)),
            _ => return Err(ExecutionError::no_such_key(name)),
        })
    }
}

impl<'f> LazyFacts<'f> {
    /// Every field the rule may read, made now: for a rule that uses the registrant as a whole.
    pub(super) fn to_map(self) -> Result<CelMap<'f>, ExecutionError> {
        let entries = self
            .fields
            .iter()
            .map(|&name| Ok((CelMapKey::from(name), self.field(name)?)))
            .collect::<Result<HashMap<_, _>, ExecutionError>>()?;
        Ok(CelMap::from(entries))
    }
}

impl Val for LazyFacts<'_> {
    fn get_type(&self) -> &Type {
        &MAP_TYPE
    }

    fn cel_type() -> &'static Type {
        &MAP_TYPE
    }

    fn as_indexer<'b, 'v>(&'b self) -> Option<&'b (dyn Indexer + 'v)>
    where
        Self: 'v,
    {
        Some(self)
    }

    fn clone_as_boxed<'v>(&self) -> Box<dyn Val + 'v>
    where
        Self: 'v,
    {
        Box::new(*self)
    }
}

impl Indexer for LazyFacts<'_> {
    fn get<'b, 'v>(&'b self, idx: &dyn Val) -> Result<CowVal<'b, 'v>, ExecutionError>
    where
        Self: 'v,
    {
        match idx.downcast_ref::<CelString>() {
            Some(name) => Ok(CowVal::Owned(self.field(name.inner())?)),
            // Named by its type only: the key may be a registrant's value.
            None => Err(ExecutionError::no_such_key(idx.get_type().name())),
        }
    }

    fn steal<'v>(self: Box<Self>, idx: &dyn Val) -> Result<Box<dyn Val + 'v>, ExecutionError>
    where
        Self: 'v,
    {
        self.get(idx).map(CowVal::into_owned)
    }
}

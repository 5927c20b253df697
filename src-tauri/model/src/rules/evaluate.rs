//! Evaluating a checked rule against one registrant's facts.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use cel::common::types::{CelList, CelNull, CelString};
use cel::common::value::Val;
use cel::objects::{Key, Map};
use cel::{Context, ExecutionError, Value};

use super::check::fields;
use super::facts::{age_on, json_to_value, Facts};
use super::lazy::LazyFacts;
use super::{env, CompiledRule};
use crate::clock::parse_date;

fn cel_age(today: time::Date) -> impl Fn(Value) -> Result<Value, ExecutionError> + Send + Sync + 'static {
    move |v: Value| match v {
        Value::String(s) => {
            let d = parse_date(&s).ok_or_else(|| ExecutionError::function_error("age", "not a date (YYYY-MM-DD)"))?;
            Ok(Value::Int(age_on(d, today)))
        }
        Value::Null => Err(ExecutionError::function_error("age", "no birth date")),
        _ => Err(ExecutionError::function_error("age", "expects a date (YYYY-MM-DD)")),
    }
}

/// Builds CEL maps holding only the fields a rule reads, with the keys made once.
pub struct FactsEncoder {
    keys: HashMap<&'static str, Arc<String>>,
    today: time::Date,
}

fn opt_str(v: &Option<String>) -> Value {
    match v {
        Some(s) => Value::String(Arc::new(s.clone())),
        None => Value::Null,
    }
}

impl FactsEncoder {
    pub fn new(today: time::Date) -> Self {
        let keys = fields(true).map(|f| (f.name, Arc::new(f.name.to_string()))).collect();
        FactsEncoder { keys, today }
    }

    pub fn encode(&self, f: &Facts, fields: &BTreeSet<&'static str>) -> Value {
        let mut m = HashMap::with_capacity(fields.len());
        for &name in fields {
            let v = match name {
                "reference" => Value::String(Arc::new(f.reference.clone())),
                "kind" => Value::String(Arc::new(f.kind.clone())),
                "given_name" => opt_str(&f.given_name),
                "family_name" => opt_str(&f.family_name),
                "group_name" => opt_str(&f.group_name),
                "sex" => opt_str(&f.sex),
                "birth_date" => opt_str(&f.birth_date),
                "birth_date_approx" => Value::Bool(f.birth_date_approx),
                "age" => f
                    .birth_date
                    .as_deref()
                    .and_then(parse_date)
                    .map(|d| Value::Int(age_on(d, self.today)))
                    .unwrap_or(Value::Null),
                "area" => opt_str(&f.area),
                "tags" => Value::List(Arc::new(f.tags.iter().map(|t| Value::String(Arc::new(t.clone()))).collect())),
                "status" => Value::String(Arc::new(f.status.clone())),
                "registered_on" => Value::String(Arc::new(f.registered_on.clone())),
                "has_phone" => Value::Bool(f.has_phone),
                "id_types" => {
                    Value::List(Arc::new(f.id_types.iter().map(|t| Value::String(Arc::new(t.clone()))).collect()))
                }
                "size" => f.size.map(Value::Int).unwrap_or(Value::Null),
                "custom" => f
                    .custom
                    .as_ref()
                    .map(json_to_value)
                    .unwrap_or_else(|| Value::Map(Map { map: Arc::new(HashMap::new()) })),
                "relationship" => opt_str(&f.relationship),
                "is_head" => Value::Bool(f.is_head),
                _ => continue,
            };
            m.insert(Key::String(self.keys[name].clone()), v);
        }
        Value::Map(Map { map: Arc::new(m) })
    }
}

/// Everything a rule may read about one registrant.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub me: Facts,
    pub household: Option<Facts>,
    pub members: Vec<Facts>,
    pub programs: Vec<String>,
}

/// Why a registrant could not be evaluated, without any of its values (they may be personal).
fn error_kind(e: &ExecutionError) -> String {
    match e {
        ExecutionError::FunctionError { function, message } => format!("{function}(): {message}"),
        ExecutionError::NoSuchKey(k) => format!("missing field '{k}'"),
        ExecutionError::NoSuchOverload(o) => format!("no operator '{}' for these values", o.function()),
        ExecutionError::ValuesNotComparable(_, _) => "values that cannot be compared (a missing value?)".into(),
        ExecutionError::UnsupportedBinaryOperator(op, _, _) => format!("operator '{op}' on a missing value"),
        ExecutionError::DivisionByZero(_) => "division by zero".into(),
        _ => "the rule could not be evaluated".into(),
    }
}

/// Evaluates compiled rules against subjects. One per thread: CEL contexts are not shared.
pub struct Evaluator<'r> {
    root: Context<'static, 'static>,
    encoder: FactsEncoder,
    rule: &'r CompiledRule,
}

/// The outcome for one registrant.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Match,
    NoMatch,
    /// The rule failed for this registrant (for example a missing birth date); counted as not matching.
    Error(String),
}

impl<'r> Evaluator<'r> {
    pub fn new(rule: &'r CompiledRule) -> Self {
        let today = crate::clock::today();
        let mut root = Context::with_env(env());
        root.add_function("age", cel_age(today)).expect("age is not a standard function");
        root.add_function("min", cel::functions::min).expect("min is registered once");
        root.add_function("max", cel::functions::max).expect("max is registered once");
        Evaluator { root, encoder: FactsEncoder::new(today), rule }
    }

    fn value(&self, s: &Subject) -> Result<Value, ExecutionError> {
        if self.rule.needs.whole_maps {
            return self.value_of_maps(s);
        }
        let needs = &self.rule.needs;
        let today = self.encoder.today;
        let lazy = |facts, fields| -> Box<dyn Val + '_> { Box::new(LazyFacts { facts, fields, today }) };
        // The root's variables may borrow for as long as the subject: none do, so it shortens to that.
        let root: &Context<'_, '_> = &self.root;
        let mut ctx = root.new_inner_scope();
        ctx.add_variable_as_val("me", lazy(&s.me, &needs.me));
        if needs.uses_household {
            let h =
                s.household.as_ref().map_or_else(|| Box::new(CelNull) as Box<dyn Val>, |h| lazy(h, &needs.household));
            ctx.add_variable_as_val("household", h);
        }
        if needs.uses_members {
            let list: Vec<_> = s.members.iter().map(|m| lazy(m, &needs.members)).collect();
            ctx.add_variable_as_val("members", Box::new(CelList::from(list)));
        }
        if needs.uses_programs {
            let list: Vec<Box<dyn Val>> =
                s.programs.iter().map(|p| Box::new(CelString::from(p.as_str())) as _).collect();
            ctx.add_variable_as_val("programs", Box::new(CelList::from(list)));
        }
        self.rule.program.execute(&ctx)
    }

    /// For a rule that reads a registrant as a whole (`size(me)`, `household == null`): every field it
    /// names, in a map made before evaluating.
    fn value_of_maps(&self, s: &Subject) -> Result<Value, ExecutionError> {
        let needs = &self.rule.needs;
        let mut ctx = self.root.new_inner_scope();
        ctx.add_variable_from_value("me", self.encoder.encode(&s.me, &needs.me));
        if needs.uses_household {
            let h = s.household.as_ref().map(|h| self.encoder.encode(h, &needs.household)).unwrap_or(Value::Null);
            ctx.add_variable_from_value("household", h);
        }
        if needs.uses_members {
            let list = s.members.iter().map(|m| self.encoder.encode(m, &needs.members)).collect();
            ctx.add_variable_from_value("members", Value::List(Arc::new(list)));
        }
        if needs.uses_programs {
            let list = s.programs.iter().map(|p| Value::String(Arc::new(p.clone()))).collect();
            ctx.add_variable_from_value("programs", Value::List(Arc::new(list)));
        }
        self.rule.program.execute(&ctx)
    }

    pub fn verdict(&self, s: &Subject) -> Verdict {
        match self.value(s) {
            Ok(Value::Bool(true)) => Verdict::Match,
            Ok(Value::Bool(false)) => Verdict::NoMatch,
            Ok(_) => Verdict::Error("the rule did not give true or false".into()),
            Err(e) => Verdict::Error(error_kind(&e)),
        }
    }

    /// A whole, non-negative number: an entitlement's amount in minor units or its quantity. A fraction or
    /// a negative number is an error, never rounded or clamped.
    pub fn amount(&self, s: &Subject) -> Result<i64, String> {
        match self.value(s) {
            Ok(Value::Int(i)) if i > crate::money::MAX_MINOR => Err("the amount is too large".into()),
            Ok(Value::Int(i)) if i >= 0 => Ok(i),
            Ok(Value::UInt(u)) => i64::try_from(u)
                .ok()
                .filter(|v| *v <= crate::money::MAX_MINOR)
                .ok_or_else(|| "the amount is too large".into()),
            Ok(Value::Float(f)) if f.fract() == 0.0 && (0.0..=crate::money::MAX_MINOR as f64).contains(&f) => {
                Ok(f as i64)
            }
            Ok(Value::Float(f)) if f > crate::money::MAX_MINOR as f64 => Err("the amount is too large".into()),
            Ok(Value::Int(_)) => Err("the amount is negative".into()),
            Ok(Value::Float(f)) if f < 0.0 => Err("the amount is negative".into()),
            Ok(Value::Float(_)) => Err("the amount is not a whole number of minor units".into()),
            Ok(_) => Err("the amount is not a number".into()),
            Err(e) => Err(error_kind(&e)),
        }
    }

    pub fn score(&self, s: &Subject) -> Result<f64, String> {
        match self.value(s) {
            Ok(Value::Int(i)) => Ok(i as f64),
            Ok(Value::UInt(u)) => Ok(u as f64),
            Ok(Value::Float(f)) => Ok(f),
            Ok(_) => Err("the score is not a number".into()),
            Err(e) => Err(error_kind(&e)),
        }
    }
}

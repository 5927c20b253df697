//! Evaluating a checked rule against one registrant's facts.

use cel::common::types::{CelList, CelNull, CelString};
use cel::common::value::Val;
use cel::{Context, ExecutionError, Value};

use super::facts::{age_on, Facts};
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
    /// The day ages are counted on.
    today: time::Date,
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
        Evaluator { root, today, rule }
    }

    fn value(&self, s: &Subject) -> Result<Value, ExecutionError> {
        let needs = &self.rule.needs;
        let today = self.today;
        // A rule that uses a registrant as a whole (the `filter` macro collects a member itself) gets a map of
        // the fields it names; any other rule has each field made as it reads it.
        let bind = |facts, fields| -> Result<Box<dyn Val + '_>, ExecutionError> {
            let registrant = LazyFacts { facts, fields, today };
            Ok(if needs.whole_maps { Box::new(registrant.to_map()?) } else { Box::new(registrant) })
        };
        // The root context holds no borrowed values: seen through a shorter lifetime, it takes a scope
        // whose values borrow the subject.
        let root: &Context<'_, '_> = &self.root;
        let mut ctx = root.new_inner_scope();
        ctx.add_variable_as_val("me", bind(&s.me, &needs.me)?);
        if needs.uses_household {
            let household = match &s.household {
                Some(h) => bind(h, &needs.household)?,
                None => Box::new(CelNull),
            };
            ctx.add_variable_as_val("household", household);
        }
        if needs.uses_members {
            let list = s.members.iter().map(|m| bind(m, &needs.members)).collect::<Result<Vec<_>, _>>()?;
            ctx.add_variable_as_val("members", Box::new(CelList::from(list)));
        }
        if needs.uses_programs {
            let list: Vec<Box<dyn Val>> =
                s.programs.iter().map(|p| Box::new(CelString::from(p.as_str())) as _).collect();
            ctx.add_variable_as_val("programs", Box::new(CelList::from(list)));
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

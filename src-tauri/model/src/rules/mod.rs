//! Eligibility rules and proxy-means-test scores in CEL (design §7): checking a rule when it is saved, the
//! documented context a rule sees, and the part of a rule that becomes SQL so a million registrants are not
//! all evaluated one by one.
//!
//! The context (documented in `docs/rules.md`):
//! - `me`: the registrant; `household`: an individual's current household (the group itself for a group;
//!   `null` when the individual has none); `members`: the household's current members; `programs`: codes of
//!   the programs the registrant is enrolled in or paused in.
//! - Functions: `age(date)` in whole years today.

mod check;
mod evaluate;
mod facts;
pub mod hints;
mod lazy;
mod privacy;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use cel::common::ast::{Expr, IdedExpr};
use cel::Env;
use serde::Serialize;
use ts_rs::TS;

use crate::registry::RegistrantKind;
use check::{Checker, Ty, CEL_FUNCTIONS, OUR_FUNCTIONS};
pub use evaluate::{Evaluator, Subject, Verdict};
pub use facts::{age_on, Facts};

/// A rule that cannot be saved, with where in the source it went wrong.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RuleError {
    pub message: String,
    /// Character offsets into the rule (start inclusive, end exclusive), when the error has a place.
    pub start: Option<u32>,
    pub end: Option<u32>,
    /// For an unknown name: the names that exist there.
    pub known: Vec<String>,
    /// What the person most likely meant, in plain words (`=` for `==`, a field without `me.`).
    pub hint: Option<String>,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.start {
            Some(s) => write!(f, "{} (at character {})", self.message, s + 1)?,
            None => write!(f, "{}", self.message)?,
        }
        if !self.known.is_empty() {
            write!(f, "; known: {}", self.known.join(", "))?;
        }
        Ok(())
    }
}

/// The fields a rule reads, so evaluation builds only those.
#[derive(Debug, Default, Clone)]
pub struct Needs {
    pub me: BTreeSet<&'static str>,
    pub household: BTreeSet<&'static str>,
    pub members: BTreeSet<&'static str>,
    pub uses_members: bool,
    pub uses_household: bool,
    pub uses_programs: bool,
    /// The rule uses `me`, `household` or a member as a whole, not only their fields: it is evaluated
    /// over maps holding every field it names rather than over fields made as they are read.
    pub whole_maps: bool,
}

impl Needs {
    pub fn id_types(&self) -> bool {
        self.me.contains("id_types") || self.members.contains("id_types") || self.household.contains("id_types")
    }
}

/// A checked rule, ready to evaluate.
pub struct CompiledRule {
    pub source: String,
    pub(crate) program: cel::Program,
    pub needs: Needs,
    pub kind: RuleKind,
    /// Who the rule is about.
    pub target: RegistrantKind,
}

impl CompiledRule {
    /// The checked syntax tree.
    pub fn expression(&self) -> &IdedExpr {
        self.program.expression()
    }
}

impl std::fmt::Debug for CompiledRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledRule").field("source", &self.source).finish()
    }
}

pub(crate) fn env() -> Arc<Env> {
    Arc::new(Env::stdlib())
}

/// What a rule must produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// An eligibility rule: true or false.
    Condition,
    /// A proxy-means-test score: a number.
    Score,
}

/// The longest rule: a proxy-means test of fifty weighted terms fits in a tenth of it.
pub const MAX_RULE_CHARS: usize = 4_000;
/// Operators and nesting a rule may have. The parser, our checker and the evaluator all recurse over the
/// rule's tree, so a rule of ten thousand `+` (a 20 KB request) overflowed the stack and killed the process.
pub const MAX_RULE_OPERATORS: usize = 300;
pub const MAX_RULE_NESTING: usize = 32;

const OPERATOR_CHARS: &str = "+-*/%<>=!&|?:.,";

/// Refuses, before anything parses it, a rule too long or too deep to be a person's rule.
fn check_size(source: &str) -> Result<(), RuleError> {
    let too = |message: String| Err(RuleError { message, start: None, end: None, known: vec![], hint: None });
    if source.chars().count() > MAX_RULE_CHARS {
        return too(format!("a rule has at most {MAX_RULE_CHARS} characters"));
    }
    let (mut depth, mut deepest, mut operators) = (0usize, 0usize, 0usize);
    let mut in_string: Option<char> = None;
    let mut previous = ' ';
    for c in source.chars() {
        match in_string {
            Some(quote) => {
                if c == quote && previous != '\\' {
                    in_string = None;
                }
            }
            None => match c {
                '"' | '\'' => in_string = Some(c),
                '(' | '[' | '{' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                ')' | ']' | '}' => depth = depth.saturating_sub(1),
                // Each run of operator characters (`&&`, `>=`, `+`) is one operator; `.` and `,` join
                // calls and arguments, which deepen the tree as well.
                c if OPERATOR_CHARS.contains(c) && !OPERATOR_CHARS.contains(previous) => operators += 1,
                _ => {}
            },
        }
        previous = c;
    }
    if deepest > MAX_RULE_NESTING {
        return too(format!("a rule nests at most {MAX_RULE_NESTING} brackets deep"));
    }
    if operators > MAX_RULE_OPERATORS {
        return too(format!("a rule has at most {MAX_RULE_OPERATORS} operators; split it or simplify it"));
    }
    Ok(())
}

/// Checks and compiles a rule. `custom` lists the registry's custom fields. A refusal says, where it
/// can, what the person most likely meant.
pub fn compile(
    source: &str,
    kind: RuleKind,
    target: RegistrantKind,
    custom: &[String],
) -> Result<CompiledRule, RuleError> {
    compile_checked(source, kind, target, custom).map_err(|mut e| {
        e.hint = hints::for_error(source, &e);
        e
    })
}

fn compile_checked(
    source: &str,
    kind: RuleKind,
    target: RegistrantKind,
    custom: &[String],
) -> Result<CompiledRule, RuleError> {
    let source_trimmed = source.trim();
    check_size(source_trimmed)?;
    let effective = if source_trimmed.is_empty() && kind == RuleKind::Condition { "true" } else { source_trimmed };
    let program = env().compile(effective).map_err(|errs| {
        let first = errs.errors.first();
        let (line, col) = first.map(|e| e.pos).unwrap_or((1, 0));
        let start = offset_of(effective, line, col);
        RuleError {
            message: format!("syntax error: {}", first.map(|e| e.msg.as_str()).unwrap_or("invalid expression")),
            start: Some(start),
            end: Some(start + 1),
            known: vec![],
            hint: None,
        }
    })?;
    let mut span = HashMap::new();
    spans(program.expression(), program.source_info(), &mut span);
    let mut checker = Checker { span, custom, needs: Needs::default(), scope: Vec::new() };
    let ty = checker.ty(program.expression())?;
    match kind {
        RuleKind::Condition if ty.known() && ty != Ty::Bool => {
            return Err(RuleError {
                message: format!("an eligibility rule must be true or false, this one gives a {}", ty.name()),
                start: Some(0),
                end: Some(effective.chars().count() as u32),
                known: vec![],
                hint: None,
            })
        }
        RuleKind::Score if ty.known() && !ty.numeric() => {
            return Err(RuleError {
                message: format!("a score must be a number, this one gives a {}", ty.name()),
                start: Some(0),
                end: Some(effective.chars().count() as u32),
                known: vec![],
                hint: None,
            })
        }
        _ => {}
    }
    for f in program.references().functions() {
        // Operators are named `_+_`, `!_`, `@in`, ...
        let operator = f.starts_with('_') || f.starts_with('@') || f.ends_with('_');
        if !operator && !OUR_FUNCTIONS.contains(&f) && !CEL_FUNCTIONS.contains(&f) {
            let names: Vec<String> = OUR_FUNCTIONS.iter().chain(CEL_FUNCTIONS).map(|s| s.to_string()).collect();
            return Err(RuleError {
                message: format!("unknown function '{f}'"),
                start: None,
                end: None,
                known: names,
                hint: None,
            });
        }
    }
    if target == RegistrantKind::Group {
        // A group has no household or members of its own kind beyond its members: `household` is itself.
        checker.needs.uses_household |= !checker.needs.household.is_empty();
    }
    let needs = checker.needs;
    Ok(CompiledRule { source: source_trimmed.to_string(), program, needs, kind, target })
}

/// The text each node covers: the parser records an operator's own position, and an error reads better
/// underlining the whole `me.age >= '60'`.
fn spans(e: &IdedExpr, info: &cel::common::ast::SourceInfo, out: &mut HashMap<u64, (u32, u32)>) -> Option<(u32, u32)> {
    let mut range = info.offset_for(e.id);
    let mut widen = |child: Option<(u32, u32)>| {
        if let Some((s, end)) = child {
            range = Some(match range {
                Some((rs, re)) => (rs.min(s), re.max(end)),
                None => (s, end),
            });
        }
    };
    match &e.expr {
        Expr::Call(c) => {
            if let Some(t) = &c.target {
                widen(spans(t, info, out));
            }
            for a in &c.args {
                widen(spans(a, info, out));
            }
        }
        Expr::Select(sel) => widen(spans(&sel.operand, info, out)),
        Expr::List(l) => {
            for x in &l.elements {
                widen(spans(x, info, out));
            }
        }
        Expr::Comprehension(c) => {
            for x in [&c.iter_range, &c.accu_init, &c.loop_cond, &c.loop_step, &c.result] {
                widen(spans(x, info, out));
            }
        }
        _ => {}
    }
    if let Some(r) = range {
        out.insert(e.id, r);
    }
    range
}

/// Character offset of the parser's (line, column): lines from 1, columns from 0.
fn offset_of(source: &str, line: isize, col: isize) -> u32 {
    let mut offset = 0u32;
    for (i, l) in source.split('\n').enumerate() {
        if i as isize + 1 == line {
            return offset + col.max(0) as u32;
        }
        offset += l.chars().count() as u32 + 1;
    }
    offset
}

//! What an entitlement rule being typed would give, before it is saved: evaluated over the program's
//! enrolled members (whom a new cycle takes), the total with fees, the smallest and largest amounts, and a
//! few examples of different amounts. Nothing is written; references and amounts only.

use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::model::{EntitlementKind, EntitlementRule};
use super::settings::compile_expression;
use crate::auth::{require, Permission, Session};
use crate::error::Result;
use crate::program::rules::Evaluator;
use crate::program::select::{Scope, Selection};
use crate::program::service::{resolve as resolve_program, ProgramKey};
use crate::store::Store;

/// Different amounts shown as examples.
const EXAMPLES: usize = 3;

#[derive(Debug, Clone, Deserialize, TS)]
pub struct AmountPreviewRequest {
    pub program: ProgramKey,
    /// The rule as typed (its expression, kind and fee).
    pub rule: EntitlementRule,
}

/// One enrolled member and what the rule gives them.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AmountExample {
    pub reference: String,
    /// Minor units of the program's currency, or the quantity for in-kind.
    pub value: i64,
    pub fee: i64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AmountPreview {
    pub currency: String,
    /// Enrolled members the rule gave a value.
    pub people: u64,
    pub total: i64,
    pub total_fee: i64,
    pub smallest: Option<i64>,
    pub largest: Option<i64>,
    /// Members with different values, the first of each.
    pub examples: Vec<AmountExample>,
    /// Members the rule failed for (a generation would refuse the cycle), and up to five of them with why.
    pub failed: u64,
    pub failures: Vec<(String, String)>,
    pub elapsed_ms: u64,
}

pub fn preview(
    store: &Store,
    session: &Session,
    req: &AmountPreviewRequest,
    cancel: &AtomicBool,
) -> Result<AmountPreview> {
    require(store, session, Permission::CycleManage, "cycle.amount_preview")?;
    let started = std::time::Instant::now();
    store.read(|conn| {
        let p = resolve_program(conn, &req.program)?;
        let compiled = compile_expression(conn, p.program.target, &req.rule.expression)?;
        let evaluator = Evaluator::new(&compiled);
        let scope = Scope::Members { program: p.rowid, states: vec!["enrolled"] };
        let selection = Selection { rule: &compiled, score: None, target: p.program.target, scope };
        let mut out = AmountPreview {
            currency: p.program.currency.clone(),
            people: 0,
            total: 0,
            total_fee: 0,
            smallest: None,
            largest: None,
            examples: Vec::new(),
            failed: 0,
            failures: Vec::new(),
            elapsed_ms: 0,
        };
        selection.subjects(conn, cancel, |_, _, reference, subject| {
            match evaluator.amount(&subject) {
                Ok(value) => {
                    let fee = match req.rule.kind {
                        EntitlementKind::InKind => 0,
                        _ => req.rule.fee.as_ref().map(|f| f.on(value)).unwrap_or(0),
                    };
                    out.people += 1;
                    out.total = out.total.saturating_add(value);
                    out.total_fee = out.total_fee.saturating_add(fee);
                    out.smallest = Some(out.smallest.map_or(value, |s| s.min(value)));
                    out.largest = Some(out.largest.map_or(value, |l| l.max(value)));
                    if out.examples.len() < EXAMPLES && out.examples.iter().all(|e| e.value != value) {
                        out.examples.push(AmountExample { reference, value, fee });
                    }
                }
                Err(why) => {
                    out.failed += 1;
                    if out.failures.len() < 5 {
                        out.failures.push((reference, why));
                    }
                }
            }
            Ok(())
        })?;
        out.elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(out)
    })
}

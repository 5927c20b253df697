//! A program's disbursement settings: the entitlement rule, the approval stages and the cycle schedule.
//! Checked when saved, so generation and approval can rely on them.

use rusqlite::params;
use time::{Date, Duration, Month};

use super::model::{ApprovalStage, DisbursementSettings, EntitlementKind, Period, Recurrence, TransferFee};
use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Role, Session};
use crate::clock::{now_rfc3339, today};
use crate::error::{CoreError, Result};
use crate::program::model::{ProgramState, ProgramSummary};
use crate::program::rules::{self, CompiledRule, RuleKind};
use crate::program::service::{custom_field_names, resolve, summary, write_op, ProgramKey};
use crate::registry::model::RegistrantKind;
use crate::registry::settings::parse_date;
use crate::store::Store;

/// Ten years: a voucher valid longer is a mistake in the form.
pub const MAX_VALIDITY_DAYS: u32 = 3_660;

/// The stages that apply when a program names none.
pub fn effective_stages(stages: &[ApprovalStage]) -> Vec<ApprovalStage> {
    if stages.is_empty() {
        vec![ApprovalStage { name: "Approval".into(), role: Role::Approver, above_amount: None }]
    } else {
        stages.to_vec()
    }
}

/// The stages (1-based) an entitlement of `amount` goes through, in order.
pub fn applicable_stages(stages: &[ApprovalStage], amount: i64) -> Vec<i64> {
    stages.iter().enumerate().filter(|(_, s)| s.applies_to(amount)).map(|(i, _)| i as i64 + 1).collect()
}

/// Compiles an entitlement expression against the program's target.
pub fn compile_expression(
    conn: &rusqlite::Connection,
    target: RegistrantKind,
    expression: &str,
) -> Result<CompiledRule> {
    if expression.trim().is_empty() {
        return Err(CoreError::InvalidInput("the entitlement needs an amount or quantity expression".into()));
    }
    let custom = custom_field_names(conn)?;
    rules::compile(expression, RuleKind::Score, target, &custom).map_err(|e| CoreError::RuleInvalid(Box::new(e)))
}

fn validate(conn: &rusqlite::Connection, target: RegistrantKind, s: &mut DisbursementSettings) -> Result<()> {
    if let Some(e) = &mut s.entitlement {
        compile_expression(conn, target, &e.expression)?;
        e.expression = e.expression.trim().to_string();
        match e.kind {
            EntitlementKind::InKind => {
                let product = e.product.as_deref().map(str::trim).unwrap_or("");
                let unit = e.unit.as_deref().map(str::trim).unwrap_or("");
                if product.is_empty() || unit.is_empty() {
                    return Err(CoreError::InvalidInput("an in-kind entitlement names its product and unit".into()));
                }
                if e.fee.is_some() {
                    return Err(CoreError::InvalidInput("a transfer fee applies to cash and vouchers only".into()));
                }
            }
            EntitlementKind::Cash | EntitlementKind::Voucher => {
                e.product = None;
                e.unit = None;
            }
        }
        match e.fee {
            Some(TransferFee::Percent { basis_points }) if basis_points > 10_000 => {
                return Err(CoreError::InvalidInput("a percentage fee is at most 100 % (10,000 basis points)".into()))
            }
            Some(TransferFee::Fixed { amount }) if !(0..=crate::money::MAX_MINOR).contains(&amount) => {
                return Err(CoreError::InvalidInput("a fixed fee is a non-negative amount in minor units".into()))
            }
            _ => {}
        }
        if e.validity_days > MAX_VALIDITY_DAYS {
            return Err(CoreError::InvalidInput(format!(
                "an entitlement stays valid at most {MAX_VALIDITY_DAYS} days after its cycle"
            )));
        }
    }
    for (i, stage) in s.stages.iter_mut().enumerate() {
        stage.name = stage.name.trim().to_string();
        if stage.name.is_empty() {
            stage.name = format!("Stage {}", i + 1);
        }
        if stage.role == Role::Auditor {
            return Err(CoreError::InvalidInput("auditors change nothing and cannot approve".into()));
        }
        if stage.above_amount.is_some_and(|a| !(0..=crate::money::MAX_MINOR).contains(&a)) {
            return Err(CoreError::InvalidInput("a stage's threshold is a non-negative amount".into()));
        }
    }
    if let Some(r) = &s.recurrence {
        let start = parse_date(&r.start)
            .ok_or_else(|| CoreError::InvalidInput("the schedule's start is not a date (YYYY-MM-DD)".into()))?;
        if r.interval == 0 || r.interval > 24 {
            return Err(CoreError::InvalidInput("the schedule's interval is 1 to 24 periods".into()));
        }
        if r.count == Some(0) {
            return Err(CoreError::InvalidInput("a schedule with a count has at least one cycle".into()));
        }
        if let Some(u) = &r.until {
            let until = parse_date(u)
                .ok_or_else(|| CoreError::InvalidInput("the schedule's end is not a date (YYYY-MM-DD)".into()))?;
            if until < start {
                return Err(CoreError::InvalidInput("the schedule ends before it starts".into()));
            }
        }
    }
    Ok(())
}

/// Saves a program's entitlement rule, stages and schedule.
pub fn set(
    store: &Store,
    session: &Session,
    key: &ProgramKey,
    mut settings: DisbursementSettings,
) -> Result<ProgramSummary> {
    require(store, session, Permission::CycleManage, "program.disbursement")?;
    store.write_as(session.username(), |tx| {
        let p = resolve(tx.conn(), key)?;
        if p.program.state == ProgramState::Ended {
            return Err(CoreError::InvalidInput(format!("program {} has ended and cannot change", p.program.code)));
        }
        validate(tx.conn(), p.program.target, &mut settings)?;
        tx.conn().execute(
            "UPDATE programs SET entitlement_rule = ?1, approval_stages = ?2, recurrence = ?3, updated_at = ?4
             WHERE rowid = ?5",
            params![
                settings.entitlement.as_ref().map(serde_json::to_string).transpose()?,
                serde_json::to_string(&settings.stages)?,
                settings.recurrence.as_ref().map(serde_json::to_string).transpose()?,
                now_rfc3339(),
                p.rowid
            ],
        )?;
        let after = resolve(tx.conn(), &ProgramKey::Id(p.program.id))?;
        write_op(tx, &after, false)?;
        tx.audit(
            AuditEvent::new(session, "program.disbursement")
                .on("program", p.program.id.to_string())
                .details(serde_json::json!({ "before": p.program.disbursement, "after": after.program.disbursement })),
        )?;
        summary(tx.conn(), &ProgramKey::Id(p.program.id))
    })
}

/// The same day `months` later (the month's last day where it is shorter), or None past the calendar.
fn add_months(d: Date, months: i64) -> Option<Date> {
    let total = i64::from(d.year()) * 12 + (d.month() as i64 - 1) + months;
    let year = i32::try_from(total.div_euclid(12)).ok()?;
    let month = Month::try_from(total.rem_euclid(12) as u8 + 1).ok()?;
    let last = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, d.day().min(last)).ok()
}

/// The schedule a program without one follows: monthly from the first of next month.
pub fn default_recurrence() -> Recurrence {
    let t = today();
    let first = Date::from_calendar_date(t.year(), t.month(), 1).expect("the first exists");
    Recurrence {
        period: Period::Monthly,
        interval: 1,
        start: add_months(first, 1).unwrap_or(first).to_string(),
        count: None,
        until: None,
    }
}

/// The dates and name of cycle `sequence` (1-based) of a schedule, or why there is none.
pub fn cycle_dates(r: &Recurrence, sequence: i64) -> Result<(Date, Date, String)> {
    let start =
        parse_date(&r.start).ok_or_else(|| CoreError::InvalidInput("the schedule's start is not a date".into()))?;
    if let Some(count) = r.count {
        if sequence > count as i64 {
            return Err(CoreError::InvalidInput(format!("the schedule has {count} cycles and all were created")));
        }
    }
    // A schedule that runs off the calendar (a start in 9999, a sequence in the millions) has no more cycles.
    let beyond = || CoreError::InvalidInput("the schedule's next cycle would fall beyond the year 9999".into());
    let step = |n: i64| -> Option<Date> {
        let n = n.checked_mul(i64::from(r.interval))?;
        match r.period {
            Period::Weekly => start.checked_add(Duration::weeks(n)),
            Period::Monthly => add_months(start, n),
            Period::Quarterly => add_months(start, n.checked_mul(3)?),
        }
    };
    let from = step(sequence - 1).ok_or_else(beyond)?;
    let to = step(sequence).and_then(|d| d.previous_day()).ok_or_else(beyond)?;
    if let Some(until) = r.until.as_deref().and_then(parse_date) {
        if from > until {
            return Err(CoreError::InvalidInput(format!("the schedule ends on {until}; no cycle starts after it")));
        }
    }
    let name = match r.period {
        Period::Monthly => format!("{}-{:02}", from.year(), from.month() as u8),
        Period::Quarterly => format!("{}-Q{}", from.year(), (from.month() as u8 - 1) / 3 + 1),
        Period::Weekly => format!("Week of {from}"),
    };
    Ok((from, to, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn monthly(start: &str) -> Recurrence {
        Recurrence { period: Period::Monthly, interval: 1, start: start.into(), count: None, until: None }
    }

    #[test]
    fn monthly_cycles_follow_each_other_without_gaps() {
        let r = monthly("2026-01-31");
        let (a, b, name) = cycle_dates(&r, 1).unwrap();
        assert_eq!((a, b, name.as_str()), (date!(2026 - 01 - 31), date!(2026 - 02 - 27), "2026-01"));
        let (c, _, _) = cycle_dates(&r, 2).unwrap();
        assert_eq!(c, date!(2026 - 02 - 28));
        let (d, e, name) = cycle_dates(&monthly("2026-03-01"), 10).unwrap();
        assert_eq!((d, e, name.as_str()), (date!(2026 - 12 - 01), date!(2026 - 12 - 31), "2026-12"));
    }

    #[test]
    fn weekly_quarterly_count_and_until() {
        let w = Recurrence { period: Period::Weekly, interval: 2, ..monthly("2026-03-02") };
        assert_eq!(cycle_dates(&w, 2).unwrap().0, date!(2026 - 03 - 16));
        let q = Recurrence { period: Period::Quarterly, count: Some(2), ..monthly("2026-01-01") };
        assert_eq!(cycle_dates(&q, 2).unwrap().2, "2026-Q2");
        assert!(cycle_dates(&q, 3).is_err());
        let u = Recurrence { until: Some("2026-02-15".into()), ..monthly("2026-01-01") };
        assert!(cycle_dates(&u, 2).is_ok());
        assert!(cycle_dates(&u, 3).is_err());
    }

    #[test]
    fn stages_apply_above_their_amount() {
        let stages = vec![
            ApprovalStage { name: "District".into(), role: Role::Approver, above_amount: None },
            ApprovalStage { name: "Region".into(), role: Role::Admin, above_amount: Some(50_000) },
        ];
        assert_eq!(applicable_stages(&stages, 10_000), vec![1]);
        assert_eq!(applicable_stages(&stages, 50_000), vec![1], "only above the threshold");
        assert_eq!(applicable_stages(&stages, 60_000), vec![1, 2]);
    }

    #[test]
    fn percentage_fees_round_half_up() {
        assert_eq!(TransferFee::Percent { basis_points: 250 }.on(10_000), 250);
        assert_eq!(TransferFee::Percent { basis_points: 250 }.on(10_020), 251);
        assert_eq!(TransferFee::Percent { basis_points: 250 }.on(10_019), 250);
        assert_eq!(TransferFee::Fixed { amount: 300 }.on(10_000), 300);
    }
}

#[cfg(test)]
mod limits {
    use super::*;

    #[test]
    fn a_schedule_starting_in_9999_ends_with_an_error_instead_of_a_panic() {
        let r =
            Recurrence { period: Period::Monthly, interval: 1, start: "9999-12-01".into(), count: None, until: None };
        assert!(cycle_dates(&r, 1).is_err(), "its first cycle ends in the year 10000");
        let weekly = Recurrence { period: Period::Weekly, interval: 24, ..r.clone() };
        assert!(cycle_dates(&weekly, i64::MAX / 2).is_err());
        let quarterly = Recurrence { period: Period::Quarterly, interval: 24, start: "2026-01-01".into(), ..r };
        assert!(cycle_dates(&quarterly, i64::MAX).is_err());
    }

    #[test]
    fn a_fee_on_the_largest_amount_does_not_overflow() {
        use crate::disbursement::model::TransferFee;
        let all = TransferFee::Percent { basis_points: 10_000 };
        assert_eq!(all.on(crate::money::MAX_MINOR), crate::money::MAX_MINOR);
        assert_eq!(
            TransferFee::Percent { basis_points: 100 }.on(crate::money::MAX_MINOR),
            crate::money::MAX_MINOR / 100
        );
    }
}

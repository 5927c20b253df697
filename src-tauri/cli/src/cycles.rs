//! `br cycle ...`, `br fund ...` and `br payment ...`: thin adapters over the disbursement operations.
//! A cycle is named by its id or as `PROGRAM:SEQUENCE` (e.g. `ELD:3`).

use std::io::IsTerminal;
use std::path::PathBuf;

use br_api::files::{InputFile, OutputFile};
use br_api::ops::*;
use br_api::{call, ApiError, Context, Progress};
use br_core::auth::{Role, Session};
use br_core::disbursement::approval::{Decide, DecisionKind};
use br_core::disbursement::cycle::{CreateCycle, CycleAction, MembersFrom};
use br_core::disbursement::entitlement::EditEntitlement;
use br_core::disbursement::funds::AddFund;
use br_core::disbursement::model::*;
use br_core::disbursement::payment::PreparePayments;
use br_core::money::format as money;
use br_core::program::service::ProgramKey;
use clap::{Subcommand, ValueEnum};
use uuid::Uuid;

use crate::commands::{cancel_on_ctrl_c, no_progress, with_session};
use crate::output::print;
use crate::Cli;

#[derive(Clone, Copy, ValueEnum)]
pub enum Benefit {
    Cash,
    InKind,
    Voucher,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Every {
    Weekly,
    Monthly,
    Quarterly,
}

#[derive(Subcommand)]
pub enum CycleCommand {
    /// Set a program's entitlement rule, approval stages and cycle schedule.
    Configure {
        program: String,
        #[arg(long, value_enum, default_value = "cash")]
        kind: Benefit,
        /// CEL giving the amount in minor units (cash, voucher) or the quantity (in-kind).
        #[arg(long)]
        amount: String,
        /// A transfer fee as a percentage of the amount (e.g. 2.5).
        #[arg(long, conflicts_with = "fee_fixed")]
        fee_percent: Option<f64>,
        /// A fixed transfer fee in minor units.
        #[arg(long)]
        fee_fixed: Option<i64>,
        #[arg(long)]
        product: Option<String>,
        #[arg(long)]
        unit: Option<String>,
        /// Days an entitlement stays valid after its cycle ends.
        #[arg(long, default_value_t = 0)]
        validity_days: u32,
        /// An approval stage as NAME:ROLE or NAME:ROLE:ABOVE_AMOUNT, in order (repeat for more).
        #[arg(long = "stage")]
        stages: Vec<String>,
        #[arg(long, value_enum, default_value = "monthly")]
        every: Every,
        #[arg(long, default_value_t = 1)]
        interval: u32,
        /// The first cycle's first day (YYYY-MM-DD); the first of next month when absent.
        #[arg(long)]
        start: Option<String>,
        #[arg(long)]
        count: Option<u32>,
        #[arg(long)]
        until: Option<String>,
    },
    /// Create a program's next cycle on its schedule.
    Create {
        program: String,
        #[arg(long)]
        name: Option<String>,
        /// Take everyone enrolled now instead of the previous cycle's members.
        #[arg(long)]
        from_program: bool,
    },
    /// A program's cycles.
    List { program: String },
    /// A cycle's numbers: entitlements by state and area, stages, approvals, batches.
    Show { cycle: String },
    /// Remove members no longer enrolled or eligible (draft cycles).
    Recheck { cycle: String },
    /// Generate the cycle's entitlements as drafts.
    Generate { cycle: String },
    /// Correct one draft entitlement (minor units, or quantity for in-kind).
    Edit {
        entitlement: Uuid,
        value: i64,
        #[arg(long)]
        reason: String,
    },
    /// draft -> to_approve.
    Submit { cycle: String },
    /// to_approve -> draft.
    SendBack { cycle: String },
    /// Cancel a draft or to-approve cycle.
    Cancel { cycle: String },
    /// End an approved or distributing cycle.
    End { cycle: String },
    /// Delete a draft cycle.
    Delete { cycle: String },
    /// Approve a stage: every entitlement awaiting it, or those given.
    Approve {
        cycle: String,
        #[arg(long)]
        stage: u32,
        #[arg(long = "entitlement")]
        entitlements: Vec<Uuid>,
        #[arg(long)]
        comment: Option<String>,
    },
    /// Reject at a stage (a comment is required).
    Reject {
        cycle: String,
        #[arg(long)]
        stage: u32,
        #[arg(long = "entitlement")]
        entitlements: Vec<Uuid>,
        #[arg(long)]
        comment: String,
    },
    /// Write the approved (and paying or paid) entitlements to CSV.
    Export {
        cycle: String,
        file: PathBuf,
        /// Add names and financial addresses unmasked (needs the permission; audited).
        #[arg(long)]
        personal: bool,
        /// Replace FILE if it exists (otherwise an existing file is refused).
        #[arg(long)]
        overwrite: bool,
    },
}

#[derive(Subcommand)]
pub enum FundCommand {
    /// Record money for a program (minor units), posted at once with --post.
    Add {
        program: String,
        amount: i64,
        #[arg(long)]
        currency: String,
        #[arg(long, default_value = "")]
        reference: String,
        #[arg(long)]
        post: bool,
    },
    /// Post a draft fund.
    Post { fund: Uuid },
    /// Cancel a draft fund.
    Cancel { fund: Uuid },
    /// Posted, committed and available money, and the funds.
    List { program: String },
}

#[derive(Subcommand)]
pub enum PaymentCommand {
    /// Prepare payment batches from approved entitlements and those whose payment failed.
    Prepare {
        cycle: String,
        #[arg(long)]
        batch_size: Option<u32>,
    },
    /// Write a batch's payment file (and NAME.summary.csv beside it); see docs/payments.md.
    Export {
        batch: Uuid,
        file: PathBuf,
        /// Replace the files if they exist (otherwise an existing file is refused).
        #[arg(long)]
        overwrite: bool,
    },
    /// Mark a batch as sent to the provider.
    Sent { batch: Uuid },
    /// Import a provider's reconciliation file (payment_id,status,external_ref,reason).
    Reconcile { file: PathBuf },
}

/// A cycle by id, or `PROGRAM:SEQUENCE`.
fn cycle_id(ctx: &Context<'_>, s: &Session, name: &str) -> Result<Uuid, ApiError> {
    if let Ok(id) = Uuid::parse_str(name) {
        return Ok(id);
    }
    let (code, seq) = name
        .split_once(':')
        .and_then(|(c, n)| n.parse::<i64>().ok().map(|n| (c, n)))
        .ok_or_else(|| ApiError::invalid("name a cycle by its id or as PROGRAM:SEQUENCE, e.g. ELD:3"))?;
    let cycles = call(ctx, s, ListCyclesRequest { program: ProgramKey::Code(code.to_uppercase()) })?;
    cycles.into_iter().find(|c| c.sequence == seq).map(|c| c.id).ok_or_else(|| ApiError {
        code: br_api::ErrorCode::NotFound,
        message: format!("cycle {name} not found"),
        details: None,
    })
}

fn printer() -> impl Fn(Progress) + Sync {
    let tty = std::io::stderr().is_terminal();
    move |p: Progress| {
        if !tty {
            return;
        }
        match p {
            Progress::Generation(p) => eprint!("\r{} {} / {}        ", p.phase, p.done, p.total),
            Progress::Payment(p) => eprint!("\r{} {} / {}        ", p.phase, p.done, p.total),
            _ => {}
        }
    }
}

fn stage(s: &str) -> Result<ApprovalStage, ApiError> {
    let parts: Vec<&str> = s.split(':').collect();
    let bad = || ApiError::invalid(format!("a stage is NAME:ROLE or NAME:ROLE:ABOVE_AMOUNT, not {s:?}"));
    let (name, role, above) = match parts[..] {
        [n, r] => (n, r, None),
        [n, r, a] => (n, r, Some(a.parse::<i64>().map_err(|_| bad())?)),
        _ => return Err(bad()),
    };
    Ok(ApprovalStage { name: name.into(), role: Role::parse(role).map_err(ApiError::from)?, above_amount: above })
}

fn summary_text(c: &CycleSummary) -> String {
    let cur = &c.cycle.currency;
    let mut t = vec![format!(
        "{}:{} {} ({} to {}) {}  members {}  prepared by {}  submitted by {}",
        c.cycle.program_code,
        c.cycle.sequence,
        c.cycle.name,
        c.cycle.start_date,
        c.cycle.end_date,
        c.cycle.state.as_str(),
        c.members,
        c.cycle.prepared_by.as_deref().unwrap_or("-"),
        c.cycle.submitted_by.as_deref().unwrap_or("-"),
    )];
    t.push(format!(
        "  total {} entitlements, {} + fees {}; funds available {}",
        c.total_count,
        money(c.total_amount, cur),
        money(c.total_fee, cur),
        money(c.funds_available, cur)
    ));
    for s in &c.by_state {
        t.push(format!("  {:<11} {:>9}  {:>18}  fees {}", s.state, s.count, money(s.amount, cur), money(s.fee, cur)));
    }
    for (i, (st, n)) in c.stages.iter().zip(&c.pending_by_stage).enumerate() {
        let above = st.above_amount.map(|a| format!(" above {}", money(a, cur))).unwrap_or_default();
        t.push(format!("  stage {} {} ({}{above}): {n} pending", i + 1, st.name, st.role.as_str()));
    }
    for a in &c.approvals {
        t.push(format!(
            "  {} stage {} {} by {} ({}): {} for {}{}",
            &a.at[..16],
            a.stage,
            a.decision,
            a.actor,
            a.role,
            a.count,
            money(a.total, cur),
            a.comment.as_deref().map(|c| format!(" \"{c}\"")).unwrap_or_default()
        ));
    }
    for b in &c.batches {
        t.push(format!("  batch {} {} {} payments {} {}", b.sequence, b.id, b.state, b.count, money(b.total, cur)));
    }
    t.join("\n")
}

pub fn run_cycle(cli: &Cli, command: &CycleCommand) -> Result<(), ApiError> {
    let show = |ctx: &Context<'_>, s: &Session, id: Uuid| -> Result<(), ApiError> {
        let c = call(ctx, s, GetCycleRequest { cycle: id })?;
        print(cli, &c, summary_text);
        Ok(())
    };
    let act = |cycle: &str, action: CycleAction| {
        with_session(cli, &no_progress, |ctx, s| {
            let id = cycle_id(ctx, s, cycle)?;
            let r = call(ctx, s, CycleActionRequest { cycle: id, action, comment: None })?;
            print(cli, &r, |r| {
                format!("{} entitlements changed; cycle {}", r.changed, r.cycle_state.map(|c| c.as_str()).unwrap_or(""))
            });
            Ok(())
        })
    };
    let decide = |cycle: &str, stage: u32, entitlements: &[Uuid], decision: DecisionKind, comment: Option<String>| {
        with_session(cli, &no_progress, |ctx, s| {
            let id = cycle_id(ctx, s, cycle)?;
            let chosen = (!entitlements.is_empty()).then(|| entitlements.to_vec());
            let r = call(ctx, s, Decide { cycle: id, stage, decision, entitlements: chosen, comment })?;
            print(cli, &r, |r| {
                format!(
                    "{} entitlements decided ({} approved, {} on to the next stage); cycle {}",
                    r.changed,
                    r.approved,
                    r.pending,
                    r.cycle_state.map(|c| c.as_str()).unwrap_or("")
                )
            });
            Ok(())
        })
    };
    match command {
        CycleCommand::Configure {
            program,
            kind,
            amount,
            fee_percent,
            fee_fixed,
            product,
            unit,
            validity_days,
            stages,
            every,
            interval,
            start,
            count,
            until,
        } => {
            let fee = match (fee_percent, fee_fixed) {
                (Some(p), _) => Some(TransferFee::Percent { basis_points: (p * 100.0).round() as u32 }),
                (None, Some(a)) => Some(TransferFee::Fixed { amount: *a }),
                _ => None,
            };
            let kind = match kind {
                Benefit::Cash => EntitlementKind::Cash,
                Benefit::InKind => EntitlementKind::InKind,
                Benefit::Voucher => EntitlementKind::Voucher,
            };
            let period = match every {
                Every::Weekly => Period::Weekly,
                Every::Monthly => Period::Monthly,
                Every::Quarterly => Period::Quarterly,
            };
            let start = start.clone().unwrap_or_else(|| br_core::disbursement::settings::default_recurrence().start);
            let settings = DisbursementSettings {
                entitlement: Some(EntitlementRule {
                    kind,
                    expression: amount.clone(),
                    fee,
                    product: product.clone(),
                    unit: unit.clone(),
                    validity_days: *validity_days,
                }),
                stages: stages.iter().map(|s| stage(s)).collect::<Result<_, _>>()?,
                recurrence: Some(Recurrence {
                    period,
                    interval: *interval,
                    start,
                    count: *count,
                    until: until.clone(),
                }),
            };
            with_session(cli, &no_progress, |ctx, s| {
                let p = call(
                    ctx,
                    s,
                    SetDisbursementRequest { program: ProgramKey::Code(program.to_uppercase()), settings },
                )?;
                print(cli, &p, |p| format!("program {}: entitlement and schedule saved", p.program.code));
                Ok(())
            })
        }
        CycleCommand::Create { program, name, from_program } => with_session(cli, &no_progress, |ctx, s| {
            let members_from = if *from_program { MembersFrom::Program } else { MembersFrom::PreviousCycle };
            let r = call(
                ctx,
                s,
                CreateCycle { program: ProgramKey::Code(program.to_uppercase()), name: name.clone(), members_from },
            )?;
            print(cli, &r, |r| {
                format!(
                    "created cycle {}:{} {} ({} to {}), {} members ({} left out: no longer enrolled); id {}",
                    r.cycle.program_code,
                    r.cycle.sequence,
                    r.cycle.name,
                    r.cycle.start_date,
                    r.cycle.end_date,
                    r.members,
                    r.left_out,
                    r.cycle.id
                )
            });
            Ok(())
        }),
        CycleCommand::List { program } => with_session(cli, &no_progress, |ctx, s| {
            let list = call(ctx, s, ListCyclesRequest { program: ProgramKey::Code(program.to_uppercase()) })?;
            print(cli, &list, |l| {
                l.iter()
                    .map(|c| {
                        format!(
                            "{}:{:<3} {:<14} {:<12} {} to {}  {}",
                            c.program_code,
                            c.sequence,
                            c.name,
                            c.state.as_str(),
                            c.start_date,
                            c.end_date,
                            c.id
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(())
        }),
        CycleCommand::Show { cycle } => {
            with_session(cli, &no_progress, |ctx, s| show(ctx, s, cycle_id(ctx, s, cycle)?))
        }
        CycleCommand::Recheck { cycle } => with_session(cli, &no_progress, |ctx, s| {
            let r = call(ctx, s, RecheckCycleRequest { cycle: cycle_id(ctx, s, cycle)? })?;
            print(cli, &r, |r| format!("checked {}, removed {}, {} remain", r.checked, r.removed, r.remaining));
            Ok(())
        }),
        CycleCommand::Generate { cycle } => {
            cancel_on_ctrl_c();
            with_session(cli, &printer(), |ctx, s| {
                let r = call(ctx, s, GenerateEntitlementsRequest { cycle: cycle_id(ctx, s, cycle)? })?;
                print(cli, &r, |r| {
                    format!(
                        "\rgenerated {} entitlements for {} members ({} disabled skipped): amount {}, fees {}, quantity {} ({} ms)",
                        r.generated, r.members, r.skipped, r.total_amount, r.total_fee, r.total_quantity, r.elapsed_ms
                    )
                });
                Ok(())
            })
        }
        CycleCommand::Edit { entitlement, value, reason } => with_session(cli, &no_progress, |ctx, s| {
            let e = call(ctx, s, EditEntitlement { entitlement: *entitlement, value: *value, reason: reason.clone() })?;
            print(cli, &e, |e| {
                format!(
                    "{} {}: {} (fee {})",
                    e.reference,
                    e.cycle_name,
                    money(e.amount, &e.currency),
                    money(e.fee, &e.currency)
                )
            });
            Ok(())
        }),
        CycleCommand::Submit { cycle } => act(cycle, CycleAction::Submit),
        CycleCommand::SendBack { cycle } => act(cycle, CycleAction::SendBack),
        CycleCommand::Cancel { cycle } => act(cycle, CycleAction::Cancel),
        CycleCommand::End { cycle } => act(cycle, CycleAction::End),
        CycleCommand::Delete { cycle } => with_session(cli, &no_progress, |ctx, s| {
            let r = call(ctx, s, DeleteCycleRequest { cycle: cycle_id(ctx, s, cycle)? })?;
            print(cli, &r, |_| "deleted".into());
            Ok(())
        }),
        CycleCommand::Approve { cycle, stage, entitlements, comment } => {
            decide(cycle, *stage, entitlements, DecisionKind::Approve, comment.clone())
        }
        CycleCommand::Reject { cycle, stage, entitlements, comment } => {
            decide(cycle, *stage, entitlements, DecisionKind::Reject, Some(comment.clone()))
        }
        CycleCommand::Export { cycle, file, personal, overwrite } => with_session(cli, &no_progress, |ctx, s| {
            let r = call(
                ctx,
                s,
                ExportEntitlementsRequest {
                    cycle: cycle_id(ctx, s, cycle)?,
                    include_personal: *personal,
                    to: OutputFile::Path { path: file.display().to_string(), overwrite: *overwrite },
                },
            )?
            .result;
            print(cli, &r, |r| {
                format!(
                    "wrote {} entitlements to {}{}",
                    r.rows,
                    r.path,
                    if r.contains_personal_data { " (contains personal data)" } else { "" }
                )
            });
            Ok(())
        }),
    }
}

fn balance_text(b: &FundBalance) -> String {
    let mut t = vec![format!(
        "{}: posted {}, committed {}, available {}",
        b.program_code,
        money(b.posted, &b.currency),
        money(b.committed, &b.currency),
        money(b.available, &b.currency)
    )];
    for f in &b.funds {
        t.push(format!(
            "  {} {:<9} {:>16} {} {}",
            f.id,
            f.state.as_str(),
            money(f.amount, &f.currency),
            f.reference,
            f.created_at
        ));
    }
    t.join("\n")
}

pub fn run_fund(cli: &Cli, command: &FundCommand) -> Result<(), ApiError> {
    with_session(cli, &no_progress, |ctx, s| {
        let b = match command {
            FundCommand::Add { program, amount, currency, reference, post } => call(
                ctx,
                s,
                AddFund {
                    program: ProgramKey::Code(program.to_uppercase()),
                    amount: *amount,
                    currency: currency.clone(),
                    reference: reference.clone(),
                    post: *post,
                },
            )?,
            FundCommand::Post { fund } => call(ctx, s, SetFundStateRequest { fund: *fund, state: FundState::Posted })?,
            FundCommand::Cancel { fund } => {
                call(ctx, s, SetFundStateRequest { fund: *fund, state: FundState::Cancelled })?
            }
            FundCommand::List { program } => {
                call(ctx, s, FundBalanceRequest { program: ProgramKey::Code(program.to_uppercase()) })?
            }
        };
        print(cli, &b, balance_text);
        Ok(())
    })
}

pub fn run_payment(cli: &Cli, command: &PaymentCommand) -> Result<(), ApiError> {
    match command {
        PaymentCommand::Prepare { cycle, batch_size } => with_session(cli, &printer(), |ctx, s| {
            let r = call(ctx, s, PreparePayments { cycle: cycle_id(ctx, s, cycle)?, batch_size: *batch_size })?;
            print(cli, &r, |r| {
                let mut t = vec![format!(
                    "\rprepared {} payments ({} paying again after a failure) in {} batches, total {}; {} without a financial address; {} expired ({} ms)",
                    r.payments, r.retries, r.batches.len(), r.total, r.without_address, r.expired, r.elapsed_ms
                )];
                t.extend(
                    r.batches
                        .iter()
                        .map(|b| format!("  batch {} {} payments {} total {}", b.sequence, b.id, b.count, b.total)),
                );
                t.join("\n")
            });
            Ok(())
        }),
        PaymentCommand::Export { batch, file, overwrite } => with_session(cli, &no_progress, |ctx, s| {
            let to = OutputFile::Path { path: file.display().to_string(), overwrite: *overwrite };
            let r = call(ctx, s, ExportPaymentFileRequest { batch: *batch, to })?.result;
            print(cli, &r, |r| {
                format!(
                    "wrote {} payments ({}) to {} and the summary to {} (contains financial addresses)",
                    r.payments,
                    money(r.total, &r.currency),
                    r.path,
                    r.summary_path
                )
            });
            Ok(())
        }),
        PaymentCommand::Sent { batch } => with_session(cli, &no_progress, |ctx, s| {
            let b = call(ctx, s, MarkBatchSentRequest { batch: *batch })?;
            print(cli, &b, |b| format!("batch {} sent at {}", b.sequence, b.sent_at.as_deref().unwrap_or("")));
            Ok(())
        }),
        PaymentCommand::Reconcile { file } => {
            cancel_on_ctrl_c();
            with_session(cli, &printer(), |ctx, s| {
                let r = call(ctx, s, ReconcileRequest { file: InputFile::Path { path: file.display().to_string() } })?;
                print(cli, &r, |r| {
                    let mut t = vec![format!(
                        "\r{} rows: {} paid, {} failed, {} reversed (paid, now reported failed: follow up), {} repeated, {} unknown payments, {} unreadable ({} ms)",
                        r.rows, r.paid, r.failed, r.reversed, r.repeated, r.unknown, r.invalid, r.elapsed_ms
                    )];
                    t.extend(r.problems.iter().map(|(line, why)| format!("  line {line}: {why}")));
                    t.join("\n")
                });
                Ok(())
            })
        }
    }
}

//! `br program ...`: thin adapters over the programs operations.

use std::io::IsTerminal;

use br_api::ops::*;
use br_api::{call, ApiError, Progress};
use br_core::program::membership::{MemberAction, MembersPage, MembersQuery};
use br_core::program::model::{ProgramFields, ProgramMembership, ProgramState};
use br_core::program::rules::RuleKind;
use br_core::program::service::{PreviewRequest, ProgramKey};
use br_core::registry::model::RegistrantKind;
use br_core::registry::service::RegistrantKey;
use clap::Subcommand;

use crate::commands::{cancel_on_ctrl_c, no_progress, with_session};
use crate::output::print;
use crate::paging::{print_pages, Page, PageArgs, Text};
use crate::Cli;

#[derive(Subcommand)]
pub enum ProgramCommand {
    /// Create a program (in draft).
    Create {
        code: String,
        #[arg(long)]
        name: String,
        /// individual or group.
        #[arg(long, default_value = "individual")]
        target: String,
        #[arg(long)]
        currency: String,
        /// The eligibility rule in CEL (see docs/programs.md); everyone when absent.
        #[arg(long, default_value = "")]
        rule: String,
        #[arg(long, default_value = "")]
        description: String,
        /// Enrol new registrants who match as they are imported or created.
        #[arg(long)]
        auto_enrol: bool,
    },
    /// List programs with their member counts.
    List {
        #[arg(long)]
        include_archived: bool,
    },
    /// Change a program's rule (the rest stays).
    SetRule { code: String, rule: String },
    /// Check a rule without saving it.
    CheckRule {
        rule: String,
        #[arg(long, default_value = "individual")]
        target: String,
    },
    /// How many registrants a program's rule (or --rule) selects, with a sample.
    Preview {
        code: String,
        #[arg(long)]
        rule: Option<String>,
    },
    /// draft -> active.
    Activate { code: String },
    /// active -> ended.
    End { code: String },
    /// Enrol the given references, or --all eligible.
    Enrol {
        code: String,
        references: Vec<String>,
        #[arg(long)]
        all: bool,
    },
    /// Re-check enrolled members against the rule.
    Verify { code: String },
    /// Pause members.
    Pause { code: String, references: Vec<String> },
    /// Resume paused members.
    Resume { code: String, references: Vec<String> },
    /// Exit members, with a reason and optionally a date (YYYY-MM-DD).
    Exit {
        code: String,
        references: Vec<String>,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        date: Option<String>,
    },
    /// List a program's members, a page at a time or --all (--state to filter).
    Members {
        code: String,
        #[arg(long)]
        state: Option<String>,
        /// Members per page (at most 500).
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[command(flatten)]
        page: PageArgs,
    },
}

pub(crate) fn key(code: &str) -> ProgramKey {
    ProgramKey::Code(code.to_uppercase())
}

fn refs(references: &[String]) -> Vec<RegistrantKey> {
    references.iter().map(|r| RegistrantKey::Reference(r.to_uppercase())).collect()
}

fn target(s: &str) -> Result<RegistrantKind, ApiError> {
    RegistrantKind::parse(s).ok_or_else(|| ApiError::invalid("the target is individual or group"))
}

fn enrolment_printer() -> impl Fn(Progress) + Sync {
    let tty = std::io::stderr().is_terminal();
    move |p: Progress| {
        if let (Progress::Enrolment(p), true) = (p, tty) {
            eprint!("\r{} {} / {}        ", p.phase, p.done, p.total);
        }
    }
}

fn summary_text(s: &br_core::program::membership::EnrolmentSummary) -> String {
    format!(
        "evaluated {}, enrolled {}, not eligible {}, already members {}, rule failed for {}{} ({} ms)",
        s.evaluated,
        s.enrolled,
        s.not_eligible,
        s.already_members,
        s.errors,
        if s.cancelled { ", cancelled" } else { "" },
        s.elapsed_ms
    )
}

pub fn run_program(cli: &Cli, command: &ProgramCommand) -> Result<(), ApiError> {
    match command {
        ProgramCommand::Create { code, name, target: t, currency, rule, description, auto_enrol } => {
            let fields = ProgramFields {
                code: code.clone(),
                name: name.clone(),
                description: description.clone(),
                target: target(t)?,
                currency: currency.clone(),
                eligibility_rule: rule.clone(),
                pmt_expression: None,
                pmt_threshold: None,
                auto_enrol: *auto_enrol,
            };
            with_session(cli, &no_progress, |ctx, s| {
                let p = call(ctx, s, CreateProgramRequest { fields })?;
                print(cli, &p, |p| {
                    format!("created program {} ({}, {})", p.program.code, p.program.name, p.program.state.as_str())
                });
                Ok(())
            })
        }
        ProgramCommand::List { include_archived } => with_session(cli, &no_progress, |ctx, s| {
            let list = call(ctx, s, ListProgramsRequest { include_archived: *include_archived })?;
            print(cli, &list, |l| {
                l.iter()
                    .map(|p| {
                        format!(
                            "{:<10} {:<8} {:<10} enrolled {:>8}  paused {:>6}  exited {:>6}  not eligible {:>7}  duplicated {:>5}  {}",
                            p.program.code,
                            p.program.state.as_str(),
                            p.program.target.as_str(),
                            p.counts.enrolled,
                            p.counts.paused,
                            p.counts.exited,
                            p.counts.not_eligible,
                            p.counts.duplicated,
                            p.program.name
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(())
        }),
        ProgramCommand::SetRule { code, rule } => with_session(cli, &no_progress, |ctx, s| {
            let current = call(ctx, s, GetProgramRequest { program: key(code) })?.program;
            let fields = ProgramFields {
                code: current.code,
                name: current.name,
                description: current.description,
                target: current.target,
                currency: current.currency,
                eligibility_rule: rule.clone(),
                pmt_expression: current.pmt_expression,
                pmt_threshold: current.pmt_threshold,
                auto_enrol: current.auto_enrol,
            };
            let p = call(ctx, s, UpdateProgramRequest { program: key(code), fields })?;
            print(cli, &p, |p| format!("program {} rule: {}", p.program.code, p.program.eligibility_rule));
            Ok(())
        }),
        ProgramCommand::CheckRule { rule, target: t } => with_session(cli, &no_progress, |ctx, s| {
            let c =
                call(ctx, s, CheckRuleRequest { rule: rule.clone(), kind: RuleKind::Condition, target: target(t)? })?;
            print(cli, &c, |c| match &c.error {
                None => format!("the rule is valid ({} condition(s) narrowed in the database)", c.indexed_conditions),
                Some(e) => format!("the rule is invalid: {e}"),
            });
            if c.ok {
                Ok(())
            } else {
                Err(ApiError::invalid("invalid rule"))
            }
        }),
        ProgramCommand::Preview { code, rule } => {
            cancel_on_ctrl_c();
            with_session(cli, &no_progress, |ctx, s| {
                let req = PreviewRequest {
                    program: Some(key(code)),
                    rule: rule.clone(),
                    target: None,
                    pmt_expression: None,
                    pmt_threshold: None,
                };
                let p = call(ctx, s, req)?;
                print(cli, &p, |p| {
                    let mut t = vec![format!(
                        "{} match (evaluated {}, rule failed for {}) in {} ms",
                        p.matches, p.evaluated, p.errors, p.elapsed_ms
                    )];
                    if !p.sample.is_empty() {
                        t.push(format!("  sample: {}", p.sample.join(" ")));
                    }
                    for (r, why) in &p.error_examples {
                        t.push(format!("  failed: {r}: {why}"));
                    }
                    t.join("\n")
                });
                Ok(())
            })
        }
        ProgramCommand::Activate { code } | ProgramCommand::End { code } => {
            let state = if matches!(command, ProgramCommand::Activate { .. }) {
                ProgramState::Active
            } else {
                ProgramState::Ended
            };
            with_session(cli, &no_progress, |ctx, s| {
                let p =
                    call(ctx, s, SetProgramStateRequest { program: key(code), state: Some(state), archived: None })?;
                print(cli, &p, |p| format!("program {} is {}", p.program.code, p.program.state.as_str()));
                Ok(())
            })
        }
        ProgramCommand::Enrol { code, references, all } => {
            if *all != references.is_empty() {
                return Err(ApiError::invalid("give references, or --all for everyone eligible"));
            }
            cancel_on_ctrl_c();
            let printer = enrolment_printer();
            with_session(cli, &printer, |ctx, s| {
                let registrants = if *all { None } else { Some(refs(references)) };
                let summary = call(ctx, s, EnrolRequest { program: key(code), registrants })?;
                print(cli, &summary, summary_text);
                Ok(())
            })
        }
        ProgramCommand::Verify { code } => {
            cancel_on_ctrl_c();
            let printer = enrolment_printer();
            with_session(cli, &printer, |ctx, s| {
                let summary = call(ctx, s, VerifyMembersRequest { program: key(code) })?;
                print(cli, &summary, summary_text);
                Ok(())
            })
        }
        ProgramCommand::Pause { code, references }
        | ProgramCommand::Resume { code, references }
        | ProgramCommand::Exit { code, references, .. } => {
            let (action, reason, date) = match command {
                ProgramCommand::Pause { .. } => (MemberAction::Pause, None, None),
                ProgramCommand::Resume { .. } => (MemberAction::Resume, None, None),
                ProgramCommand::Exit { reason, date, .. } => (MemberAction::Exit, Some(reason.clone()), date.clone()),
                _ => unreachable!("matched above"),
            };
            with_session(cli, &no_progress, |ctx, s| {
                let n = call(
                    ctx,
                    s,
                    ChangeMembersRequest { program: key(code), registrants: refs(references), action, reason, date },
                )?;
                print(cli, &n, |n| format!("{n} member(s) changed"));
                Ok(())
            })
        }
        ProgramCommand::Members { code, state, limit, page } => with_session(cli, &no_progress, |ctx, s| {
            let state = state
                .as_deref()
                .map(|x| {
                    br_core::program::model::MembershipState::parse(x).ok_or_else(|| ApiError::invalid("unknown state"))
                })
                .transpose()?;
            print_pages(
                cli,
                page,
                |after| call(ctx, s, MembersQuery { program: key(code), state, after, limit: Some(*limit) }),
                Text {
                    head: &|_: &MembersPage| None,
                    item: &|m: &ProgramMembership| {
                        format!(
                            "{:<14} {:<13} {:<10} {}",
                            m.reference,
                            m.state.as_str(),
                            m.enrolled_on.as_deref().unwrap_or("-"),
                            m.reason.as_deref().unwrap_or("")
                        )
                    },
                    empty: "no member",
                    mark: "",
                },
            )
        }),
    }
}

impl Page for MembersPage {
    type Item = ProgramMembership;
    fn items(&self) -> &[ProgramMembership] {
        &self.members
    }
    fn next(&self) -> Option<&str> {
        self.cursor.as_deref()
    }
}

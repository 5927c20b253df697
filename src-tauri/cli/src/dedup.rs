//! `br dedup ...`: thin adapters over the deduplication operations.

use br_api::files::InputFile;
use br_api::ops::*;
use br_api::{call, ApiError};
use br_core::dedup::quality::DedupQuality;
use br_core::dedup::review::{
    Decision, DedupRequest, DedupSummary, DuplicateGroup, DuplicateQueue, DuplicateQueueQuery,
};
use br_core::dedup::thresholds::DedupThresholds;
use br_core::registry::service::RegistrantKey;
use clap::Subcommand;

use crate::commands::{cancel_on_ctrl_c, no_progress, with_session};
use crate::output::print;
use crate::paging::{print_pages, Page, PageArgs, Text};
use crate::programs::key;
use crate::Cli;

#[derive(Subcommand)]
pub enum DedupCommand {
    /// Find duplicates registry-wide, or among a program's members.
    Run {
        #[arg(long)]
        program: Option<String>,
        /// Only pairs sharing an ID or a phone are compared.
        #[arg(long)]
        no_fuzzy: bool,
        /// Measure precision, recall and F1 afterwards against a file of known duplicate pairs
        /// (external ids; a third column names the kind), such as the one `br gen` writes.
        #[arg(long)]
        truth: Option<std::path::PathBuf>,
        /// With --truth: known look-alikes (external ids and a kind), reported by kind.
        #[arg(long, requires = "truth")]
        lookalikes: Option<std::path::PathBuf>,
    },
    /// The review queue, highest score first.
    Queue {
        #[arg(long)]
        program: Option<String>,
        /// Groups per page (at most 200).
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Each pair's fields and weights.
        #[arg(long)]
        explain: bool,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Decide a group: duplicates or not-duplicates.
    Decide {
        group: uuid::Uuid,
        decision: String,
        #[arg(long)]
        comment: Option<String>,
    },
    /// Merge a group into the record to keep (by reference).
    Merge { group: uuid::Uuid, keep: String },
    /// Show the office's thresholds, or set them (match probabilities between 0 and 1).
    Thresholds {
        /// From this probability a pair is proposed for review.
        #[arg(long, requires = "very_likely")]
        review: Option<f64>,
        /// From this probability a pair is marked very likely.
        #[arg(long, requires = "review")]
        very_likely: Option<f64>,
    },
}

fn summary_text(d: &DedupSummary) -> String {
    let mut t = format!(
        "{} groups ({} of individuals, {} of households; {} very likely) among {} people; {} pairs sharing an ID \
         and {} others proposed from {} comparisons; {} households registered again; load {} ms, compare {} ms, \
         households {} ms, write {} ms, total {} ms",
        d.groups,
        d.individual_groups,
        d.household_groups,
        d.very_likely_groups,
        d.stats.people,
        d.stats.exact_pairs,
        d.stats.fuzzy_pairs,
        d.stats.comparisons,
        d.stats.linked_households,
        d.stats.load_ms,
        d.stats.compare_ms,
        d.stats.households_ms,
        d.write_ms,
        d.elapsed_ms,
    );
    if d.memberships_duplicated > 0 {
        t.push_str(&format!("; {} memberships held as duplicated", d.memberships_duplicated));
    }
    t
}

fn quality_text(q: &DedupQuality) -> String {
    let mut t = vec![format!(
        "precision {:.4} ({} of {} pairs proposed are known duplicates), recall {:.4} ({} of {} known pairs found), F1 {:.4}",
        q.precision, q.predicted_pairs_correct, q.predicted_pairs, q.recall, q.truth_pairs_found, q.truth_pairs, q.f1
    )];
    if q.truth_pairs_missing > 0 {
        t.push(format!("{} known pairs are not both in the registry (counted as missed)", q.truth_pairs_missing));
    }
    if q.by_kind.len() > 1 {
        t.push("recall by kind:".into());
        t.extend(
            q.by_kind.iter().map(|k| format!("  {:<28} {:>4} of {:>4}  {:.3}", k.kind, k.proposed, k.pairs, k.share)),
        );
    }
    if !q.lookalikes.is_empty() {
        t.push("look-alikes proposed (should be none):".into());
        t.extend(
            q.lookalikes
                .iter()
                .map(|k| format!("  {:<28} {:>4} of {:>4}  {:.3}", k.kind, k.proposed, k.pairs, k.share)),
        );
    }
    t.join("\n")
}

fn path(p: &std::path::Path) -> InputFile {
    InputFile::Path { path: p.display().to_string() }
}

pub fn run_dedup(cli: &Cli, command: &DedupCommand) -> Result<(), ApiError> {
    match command {
        DedupCommand::Run { program, no_fuzzy, truth, lookalikes } => {
            cancel_on_ctrl_c();
            with_session(cli, &no_progress, |ctx, s| {
                let req = DedupRequest {
                    program: program.as_deref().map(key),
                    exact: true,
                    fuzzy: !no_fuzzy,
                    households: true,
                };
                let summary = call(ctx, s, req)?;
                print(cli, &summary, summary_text);
                if let Some(truth) = truth {
                    let q = call(
                        ctx,
                        s,
                        DedupQualityRequest { truth: path(truth), lookalikes: lookalikes.as_deref().map(path) },
                    )?;
                    print(cli, &q, quality_text);
                }
                Ok(())
            })
        }
        DedupCommand::Queue { program, limit, explain, page } => with_session(cli, &no_progress, |ctx, s| {
            let query = |after| DuplicateQueueQuery {
                status: None,
                program: program.as_deref().map(key),
                after,
                limit: Some(*limit),
            };
            print_pages(
                cli,
                page,
                |after| call(ctx, s, query(after)),
                Text {
                    head: &|q: &DuplicateQueue| Some(format!("{} open groups", q.open)),
                    item: &|g: &DuplicateGroup| group_text(g, *explain),
                    empty: "no group to review",
                    mark: "",
                },
            )
        }),
        DedupCommand::Decide { group, decision, comment } => {
            let decision = match decision.as_str() {
                "duplicates" => Decision::Duplicates,
                "not-duplicates" | "not_duplicates" => Decision::NotDuplicates,
                _ => return Err(ApiError::invalid("the decision is duplicates or not-duplicates")),
            };
            with_session(cli, &no_progress, |ctx, s| {
                let g = call(ctx, s, DecideDuplicatesRequest { group: *group, decision, comment: comment.clone() })?;
                print(cli, &g, |g| format!("group {} is now {:?}", g.id, g.status));
                Ok(())
            })
        }
        DedupCommand::Merge { group, keep } => with_session(cli, &no_progress, |ctx, s| {
            let m = call(
                ctx,
                s,
                MergeDuplicatesRequest { group: *group, keep: RegistrantKey::Reference(keep.to_uppercase()) },
            )?;
            print(cli, &m, |m| {
                format!(
                    "kept {}, merged {}; {} IDs and {} memberships moved, {} memberships exited",
                    m.kept,
                    m.merged.join(" "),
                    m.ids_moved,
                    m.memberships_moved,
                    m.memberships_exited
                )
            });
            Ok(())
        }),
        DedupCommand::Thresholds { review, very_likely } => with_session(cli, &no_progress, |ctx, s| {
            let t = match (review, very_likely) {
                (Some(review), Some(very_likely)) => call(
                    ctx,
                    s,
                    SetDedupThresholdsRequest {
                        thresholds: DedupThresholds { review: *review, very_likely: *very_likely },
                    },
                )?,
                _ => call(ctx, s, DedupThresholdsRequest {})?,
            };
            print(cli, &t, |t| format!("review from {}, very likely from {}", t.review, t.very_likely));
            Ok(())
        }),
    }
}

/// A group on one line (its id, score, band, kind, reasons and members), with `explain` each pair's
/// fields and weights below it.
fn group_text(g: &DuplicateGroup, explain: bool) -> String {
    let refs: Vec<&str> = g.members.iter().map(|m| m.reference.as_str()).collect();
    let mut t = vec![format!(
        "{} {:.3} {} {} [{}] {}",
        g.id,
        g.score,
        g.band.as_str(),
        g.kind,
        g.reasons.join(", "),
        refs.join(" ")
    )];
    for p in g.pairs.iter().filter(|_| explain) {
        let fields: Vec<String> =
            p.fields.iter().map(|f| format!("{} {} {:+.1}", f.field, f.level, f.weight)).collect();
        t.push(format!("    {} {} {:.3} ({:+.1} bits): {}", p.a, p.b, p.probability, p.weight, fields.join(", ")));
    }
    t.join("\n")
}

impl Page for DuplicateQueue {
    type Item = DuplicateGroup;
    fn items(&self) -> &[DuplicateGroup] {
        &self.groups
    }
    fn next(&self) -> Option<&str> {
        self.cursor.as_deref()
    }
}

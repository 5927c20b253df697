//! `br bench`, programs and deduplication: rule preview, enrolling everyone eligible, exact and fuzzy
//! deduplication with its time, peak memory, precision, recall and F1 against the generator's truth file.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use br_api::files::{InputFile, LocalFiles};
use br_api::ops::{CreateProgramRequest, DedupQualityRequest, EnrolRequest, SetProgramStateRequest};
use br_api::{call, ApiError, Context, Progress};
use br_core::auth::Session;
use br_core::dedup::review::DedupRequest;
use br_core::program::model::{ProgramFields, ProgramState};
use br_core::program::service::{PreviewRequest, ProgramKey};
use br_core::registry::model::RegistrantKind;
use br_core::Registry;
use serde::Serialize;

#[derive(Serialize)]
pub struct ProgramsReport {
    /// The journeys' elderly grant: 65 or older in two districts (an indexed rule).
    pub elderly_rule: String,
    pub preview_elderly_ms: f64,
    pub preview_elderly_matches: u64,
    /// A rule no index narrows: every individual is evaluated in CEL.
    pub full_scan_rule: String,
    pub preview_full_scan_ms: f64,
    pub preview_full_scan_evaluated: u64,
    pub enrol_elderly_ms: f64,
    pub enrol_elderly: u64,
    /// Everyone aged 18 or more: about half the registry enrolled in one go.
    pub enrol_adults_ms: f64,
    pub enrol_adults: u64,
    pub dedup_exact_ms: f64,
    /// Of which: reading everyone, and comparing.
    pub dedup_exact_load_ms: u64,
    pub dedup_exact_compare_ms: u64,
    pub dedup_exact_groups: u64,
    pub dedup_fuzzy_ms: f64,
    /// Of which: reading everyone, and blocking, learning the weights, comparing and grouping.
    pub dedup_fuzzy_load_ms: u64,
    pub dedup_fuzzy_compare_ms: u64,
    pub dedup_fuzzy_households_ms: u64,
    pub dedup_fuzzy_write_ms: u64,
    /// Peak resident memory of the exact + fuzzy + household run.
    pub dedup_fuzzy_peak_rss_bytes: u64,
    /// Pairs compared in each of its two rounds.
    pub dedup_comparisons: u64,
    pub dedup_groups: u64,
    pub dedup_precision: f64,
    pub dedup_recall: f64,
    pub dedup_f1: f64,
    pub dedup_planted_pairs: u64,
}

fn no_progress(_: Progress) {}

fn program(code: &str, rule: &str) -> ProgramFields {
    ProgramFields {
        code: code.into(),
        name: code.into(),
        description: String::new(),
        target: RegistrantKind::Individual,
        currency: "ETB".into(),
        eligibility_rule: rule.into(),
        pmt_expression: None,
        pmt_threshold: None,
        auto_enrol: false,
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

pub fn run(registry: &Registry, session: &Session, truth_file: &Path) -> Result<ProgramsReport, ApiError> {
    let cancel = AtomicBool::new(false);
    let ctx = Context { registry, files: &LocalFiles, progress: &no_progress, cancel: &cancel };
    let elderly_rule = "age(me.birth_date) >= 65 && me.area in ['D01', 'D02']".to_string();
    let full_scan_rule = "me.age >= 65 || me.sex == 'female' && size(me.id_types) == 0".to_string();
    let adults_rule = "age(me.birth_date) >= 18";
    let preview = |rule: &str| {
        call(
            &ctx,
            session,
            PreviewRequest {
                program: None,
                rule: Some(rule.into()),
                target: Some(RegistrantKind::Individual),
                pmt_expression: None,
                pmt_threshold: None,
            },
        )
    };
    let t = Instant::now();
    let elderly = preview(&elderly_rule)?;
    let preview_elderly_ms = ms(t);
    let t = Instant::now();
    let full = preview(&full_scan_rule)?;
    let preview_full_scan_ms = ms(t);

    let enrol = |code: &str, rule: &str| -> Result<(f64, u64), ApiError> {
        call(&ctx, session, CreateProgramRequest { fields: program(code, rule) })?;
        let key = ProgramKey::Code(code.into());
        call(
            &ctx,
            session,
            SetProgramStateRequest { program: key.clone(), state: Some(ProgramState::Active), archived: None },
        )?;
        let t = Instant::now();
        let s = call(&ctx, session, EnrolRequest { program: key, registrants: None })?;
        Ok((ms(t), s.enrolled))
    };
    let (enrol_elderly_ms, enrol_elderly) = enrol("ELD", &elderly_rule)?;
    let (enrol_adults_ms, enrol_adults) = enrol("ADULT", adults_rule)?;

    let t = Instant::now();
    let exact = call(&ctx, session, DedupRequest { program: None, exact: true, fuzzy: false, households: false })?;
    let dedup_exact_ms = ms(t);
    crate::bench::reset_peak_rss();
    let t = Instant::now();
    let all = call(&ctx, session, DedupRequest { program: None, exact: true, fuzzy: true, households: true })?;
    let dedup_fuzzy_ms = ms(t);
    let dedup_fuzzy_peak_rss_bytes = crate::bench::peak_rss_bytes();
    let quality = call(
        &ctx,
        session,
        DedupQualityRequest { truth: InputFile::Path { path: truth_file.display().to_string() }, lookalikes: None },
    )?;
    Ok(ProgramsReport {
        elderly_rule,
        preview_elderly_ms,
        preview_elderly_matches: elderly.matches,
        full_scan_rule,
        preview_full_scan_ms,
        preview_full_scan_evaluated: full.evaluated,
        enrol_elderly_ms,
        enrol_elderly,
        enrol_adults_ms,
        enrol_adults,
        dedup_exact_ms,
        dedup_exact_load_ms: exact.stats.load_ms,
        dedup_exact_compare_ms: exact.stats.compare_ms,
        dedup_exact_groups: exact.groups,
        dedup_fuzzy_ms,
        dedup_fuzzy_load_ms: all.stats.load_ms,
        dedup_fuzzy_compare_ms: all.stats.compare_ms,
        dedup_fuzzy_households_ms: all.stats.households_ms,
        dedup_fuzzy_write_ms: all.write_ms,
        dedup_fuzzy_peak_rss_bytes,
        dedup_comparisons: all.stats.comparisons,
        dedup_groups: all.groups,
        dedup_precision: quality.precision,
        dedup_recall: quality.recall,
        dedup_f1: quality.f1,
        dedup_planted_pairs: quality.truth_pairs,
    })
}

pub fn lines(r: &ProgramsReport) -> Vec<String> {
    vec![
        format!("preview, elderly in 2 areas {:>8.0} ms  ({} match)", r.preview_elderly_ms, r.preview_elderly_matches),
        format!(
            "preview, rule with no index {:>8.0} ms  ({} evaluated)",
            r.preview_full_scan_ms, r.preview_full_scan_evaluated
        ),
        format!("enrol all eligible, elderly {:>8.0} ms  ({} enrolled)", r.enrol_elderly_ms, r.enrol_elderly),
        format!("enrol all eligible, adults  {:>8.0} ms  ({} enrolled)", r.enrol_adults_ms, r.enrol_adults),
        format!(
            "dedup, exact (IDs, phones)  {:>8.0} ms  ({} groups; load {} ms, compare {} ms)",
            r.dedup_exact_ms, r.dedup_exact_groups, r.dedup_exact_load_ms, r.dedup_exact_compare_ms
        ),
        format!(
            "dedup, exact + fuzzy + hh   {:>8.0} ms  ({} groups; load {} ms, compare {} ms, households {} ms, write {} ms; \
             {} comparisons; peak {:.0} MiB)",
            r.dedup_fuzzy_ms,
            r.dedup_groups,
            r.dedup_fuzzy_load_ms,
            r.dedup_fuzzy_compare_ms,
            r.dedup_fuzzy_households_ms,
            r.dedup_fuzzy_write_ms,
            r.dedup_comparisons,
            r.dedup_fuzzy_peak_rss_bytes as f64 / 1048576.0
        ),
        format!(
            "dedup precision / recall    {:>8.4} / {:.4}  (F1 {:.4}; {} planted pairs)",
            r.dedup_precision, r.dedup_recall, r.dedup_f1, r.dedup_planted_pairs
        ),
    ]
}

//! `br bench`: generates a registry, then measures import against a raw-insert baseline and a floor,
//! exact ID lookup, name search and filtered list pages through the API (the command layer every
//! transport uses), the database size and the peak memory of the import.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use br_api::files::{InputFile, LocalFiles};
use br_api::ops::ImportRequest;
use br_api::{call, ApiError, Context, Progress};
use br_core::auth::Session;
use br_core::search::{Filters, SearchRequest, SortKey};
use br_core::secret::Secret;
use br_core::{CreateRegistry, Registry};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::output::print;
use crate::Cli;

#[derive(Serialize)]
struct BenchReport {
    individuals: u64,
    gen_s: f64,
    import_s: f64,
    import_rows_per_s: f64,
    raw_insert_s: f64,
    raw_insert_rows_per_s: f64,
    import_vs_raw: f64,
    /// The same rows into one table with only its key (`br_core::baseline`): the import's target is a
    /// ratio of this, measured in the same run.
    floor_s: f64,
    floor_rows_per_s: f64,
    import_vs_floor: f64,
    lookup_p50_ms: f64,
    lookup_p99_ms: f64,
    name_search_p50_ms: f64,
    name_search_p95_ms: f64,
    /// Names written in Arabic or Ethiopic script, typed as their Latin letters: most pages come from the
    /// other scripts and spellings (where a transliteration is also the Latin spelling, from both).
    similar_name_search_p50_ms: f64,
    similar_name_search_p95_ms: f64,
    list_page_p50_ms: f64,
    list_page_p95_ms: f64,
    /// Through `App::handle` with the JSON the UI sends (100-row pages, as the list asks for).
    ui_list_page_p95_ms: f64,
    ui_next_page_p95_ms: f64,
    ui_search_p95_ms: f64,
    ui_dashboard_ms: f64,
    db_bytes: u64,
    peak_rss_bytes: u64,
    samples: usize,
    programs: crate::bench_programs::ProgramsReport,
    disbursement: crate::bench_disbursement::DisbursementReport,
}

fn no_progress(_: Progress) {}

/// Peak resident memory of this process so far (VmHWM).
pub(crate) fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// Resets the peak so the import's own peak is measured, not the generator's.
pub(crate) fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[idx].as_secs_f64() * 1000.0
}

const BENCH_PASSWORD: &str = "bench-password";
const BENCH_PASSPHRASE: &str = "bench recovery passphrase";

/// Latencies the UI sees: requests as JSON through the same `App::handle` the desktop shell and `br serve`
/// call, for list pages (first and next, with filters), searches and the dashboard.
struct UiLatencies {
    first_pages: Vec<Duration>,
    next_pages: Vec<Duration>,
    searches: Vec<Duration>,
    dashboard: Duration,
}

fn ui_latencies(folder: &Path, queries: &[String], samples: usize) -> Result<UiLatencies, ApiError> {
    use br_api::app::{App, AppRequest};
    use serde_json::json;
    let app = App::start(folder, false, Some(Secret::new(BENCH_PASSPHRASE)), Box::new(|_| {}));
    let login = app.handle(
        serde_json::from_value(json!({"action": "login", "username": "bench", "password": BENCH_PASSWORD}))
            .map_err(|e| ApiError::invalid(e.to_string()))?,
    )?;
    let token = login["token"].as_str().unwrap_or_default().to_string();
    let call = |command: &str, payload: serde_json::Value| {
        app.handle(AppRequest::Call { token: token.clone(), command: command.into(), payload })
    };
    let areas: Vec<&str> = br_core::synth::AREAS.iter().map(|a| a.0).collect();
    let mut rng = StdRng::seed_from_u64(13);
    let mut out = UiLatencies { first_pages: vec![], next_pages: vec![], searches: vec![], dashboard: Duration::ZERO };
    for i in 0..samples {
        let filters = json!({
            "area": (i % 4 != 0).then(|| areas[rng.random_range(0..areas.len())]),
            "sex": (i % 2 == 0).then_some("female"),
            "age_min": (i % 3 == 0).then_some(60), "age_max": null, "tag": null,
            "status": "active", "kind": "individual",
        });
        let sort = ["reference", "name", "birth_date"][i % 3];
        let page = |cursor: Option<&str>| {
            json!({"query": null, "filters": filters, "sort": sort, "descending": i % 5 == 0, "limit": 100,
                   "cursor": cursor, "reveal": false})
        };
        let first = timed(&mut out.first_pages, || call("registrants.search", page(None)))?;
        if let Some(cursor) = first["next_cursor"].as_str() {
            let mut cursor = cursor.to_string();
            // A user scrolling: several pages in a row.
            for _ in 0..3 {
                let next = timed(&mut out.next_pages, || call("registrants.search", page(Some(&cursor))))?;
                match next["next_cursor"].as_str() {
                    Some(c) => cursor = c.to_string(),
                    None => break,
                }
            }
        }
        let q = &queries[i % queries.len()];
        timed(&mut out.searches, || {
            call(
                "registrants.search",
                json!({"query": q, "filters": {"status": "active", "kind": "individual"}, "sort": "reference",
                       "descending": false, "limit": 100, "cursor": null, "reveal": false}),
            )
        })?;
    }
    let t = Instant::now();
    call("dashboard.stats", json!({}))?;
    out.dashboard = t.elapsed();
    for v in [&mut out.first_pages, &mut out.next_pages, &mut out.searches] {
        v.sort();
    }
    Ok(out)
}

fn create(dir: &Path) -> Result<(Registry, Session), ApiError> {
    br_api::lifecycle::create_registry(
        dir,
        CreateRegistry {
            office_code: "BEN".into(),
            office_name: "Benchmark office".into(),
            admin_username: "bench".into(),
            admin_display_name: "Bench".into(),
            admin_password: Secret::new(BENCH_PASSWORD),
            recovery_passphrase: Secret::new(BENCH_PASSPHRASE),
            use_credential_store: false,
            privacy: Default::default(),
        },
    )
}

/// Rows `insert` writes from `file` into a fresh registry in `dir`, and the seconds it took.
fn comparison(
    dir: &Path,
    file: &Path,
    insert: fn(&br_core::store::Store, &Path, usize) -> br_core::Result<u64>,
) -> Result<(u64, f64), ApiError> {
    let (registry, _) = create(dir)?;
    let t = Instant::now();
    let rows = insert(registry.store(), file, br_core::io::import::DEFAULT_BATCH_ROWS)?;
    Ok((rows, t.elapsed().as_secs_f64()))
}

fn timed<T>(samples: &mut Vec<Duration>, f: impl FnOnce() -> Result<T, ApiError>) -> Result<T, ApiError> {
    let t = Instant::now();
    let out = f()?;
    samples.push(t.elapsed());
    Ok(out)
}

pub fn run(cli: &Cli, individuals: u64, dir: Option<&Path>) -> Result<(), ApiError> {
    if cfg!(debug_assertions) {
        crate::output::note(
            "this is a debug build: numbers are meaningless; use `cargo run --release -p br-cli -- bench`",
        );
    }
    let tmp;
    let work = match dir {
        Some(d) => d.to_path_buf(),
        None => {
            tmp =
                tempfile::tempdir().map_err(|e| ApiError::from(br_core::CoreError::io("creating a work folder", e)))?;
            tmp.path().to_path_buf()
        }
    };
    let say = |s: &str| {
        if !cli.json {
            eprintln!("{s}")
        }
    };
    say(&format!("generating {individuals} individuals..."));
    let t = Instant::now();
    let gen = br_core::synth::generate(
        &work.join("data"),
        &br_core::synth::GenOptions { individuals, duplicate_rate: 0.02, seed: 7, id_prefix: None },
    )?;
    let gen_s = t.elapsed().as_secs_f64();

    let (registry, session) = create(&work.join("import"))?;
    let cancel = AtomicBool::new(false);
    let ctx = Context { registry: &registry, files: &LocalFiles, progress: &no_progress, cancel: &cancel };
    crate::commands::load_areas_file(&ctx, &session, Path::new(&gen.areas_file))?;
    say("importing...");
    reset_peak_rss();
    let t = Instant::now();
    let summary = call(
        &ctx,
        &session,
        ImportRequest { file: InputFile::Path { path: gen.registrants_file.clone() }, options: Default::default() },
    )?
    .result;
    let import_s = t.elapsed().as_secs_f64();
    let peak = peak_rss_bytes();
    // A rejected row costs a fraction of a written one: rates over rows read would flatter the import.
    if summary.rejected > 0 {
        return Err(ApiError::invalid(format!(
            "bench: the import rejected {} of {} generated rows, so its rates would count rows never written",
            summary.rejected, summary.rows_read
        )));
    }

    say("raw-insert baseline...");
    let file = Path::new(&gen.registrants_file);
    let (raw_rows, raw_insert_s) = comparison(&work.join("baseline"), file, br_core::baseline::raw_insert_csv)?;
    say("floor...");
    let (floor_rows, floor_s) = comparison(&work.join("floor"), file, br_core::baseline::floor_insert_csv)?;

    // Sample real values from the generated file for lookups and searches.
    let mut ids = Vec::new();
    let mut names = Vec::new();
    let mut other_script_names = Vec::new();
    let mut rdr = csv::Reader::from_path(&gen.registrants_file).map_err(|e| ApiError::invalid(e.to_string()))?;
    let step = (individuals / 2000).max(1);
    let national_id =
        br_core::synth::HEADER.iter().position(|h| *h == "id:national_id").expect("the generator writes national IDs");
    for (i, rec) in rdr.records().enumerate() {
        if !(i as u64).is_multiple_of(step) {
            continue;
        }
        let rec = rec.map_err(|e| ApiError::invalid(e.to_string()))?;
        if let Some(id) = rec.get(national_id).filter(|s| !s.is_empty()) {
            ids.push(id.to_string());
        }
        let given = rec.get(1).unwrap_or("");
        let family: String = rec.get(2).unwrap_or("").chars().take(3).collect();
        names.push(format!("{given} {family}"));
        if given.chars().next().is_some_and(|c| !c.is_ascii()) {
            let latin = |s: &str| br_core::spelling::latin_letters(s);
            other_script_names.push(format!("{} {}", latin(given), latin(rec.get(2).unwrap_or(""))));
        }
    }
    let samples = 500.min(ids.len()).min(names.len());
    say(&format!("measuring {samples} lookups, name searches and list pages..."));
    let mut rng = StdRng::seed_from_u64(11);
    let mut lookups = Vec::new();
    for id in ids.iter().take(samples) {
        let res = timed(&mut lookups, || {
            call(&ctx, &session, SearchRequest { query: Some(id.clone()), ..Default::default() })
        })?;
        if res.items.is_empty() {
            return Err(ApiError::invalid(format!(
                "bench: ID lookup found nothing for a generated ID ({})",
                res.items.len()
            )));
        }
    }
    let mut searches = Vec::new();
    for q in names.iter().take(samples) {
        timed(&mut searches, || call(&ctx, &session, SearchRequest { query: Some(q.clone()), ..Default::default() }))?;
    }
    let mut similar_searches = Vec::new();
    for q in other_script_names.iter().take(samples) {
        let res = timed(&mut similar_searches, || {
            call(&ctx, &session, SearchRequest { query: Some(q.clone()), ..Default::default() })
        })?;
        // A transliteration can equal the Latin spelling (ሳሙኤል is "samuel"): found either way, never nothing.
        if res.items.is_empty() {
            return Err(ApiError::invalid(format!("bench: a name in another script found nobody ({q})")));
        }
    }
    let mut pages = Vec::new();
    let areas: Vec<&str> = br_core::synth::AREAS.iter().map(|a| a.0).collect();
    for i in 0..samples {
        let filters = Filters {
            area: Some(areas[rng.random_range(0..areas.len())].to_string()),
            sex: Some(if rng.random_bool(0.5) { "female" } else { "male" }.to_string()),
            age_min: (i % 3 == 0).then_some(60),
            ..Default::default()
        };
        let sort = if i % 2 == 0 { SortKey::Name } else { SortKey::Reference };
        let first = timed(&mut pages, || {
            call(
                &ctx,
                &session,
                SearchRequest { filters: filters.clone(), sort, limit: Some(50), ..Default::default() },
            )
        })?;
        if let Some(cursor) = first.next_cursor {
            timed(&mut pages, || {
                call(
                    &ctx,
                    &session,
                    SearchRequest {
                        filters: filters.clone(),
                        sort,
                        limit: Some(50),
                        cursor: Some(cursor),
                        ..Default::default()
                    },
                )
            })?;
        }
    }
    for v in [&mut lookups, &mut searches, &mut similar_searches, &mut pages] {
        v.sort();
    }
    registry.store().checkpoint()?;
    let db_bytes = std::fs::metadata(br_core::store::db_path(&work.join("import"))).map(|m| m.len()).unwrap_or(0);
    drop(registry);
    say("measuring requests through the command layer, as the UI sends them...");
    let mut queries: Vec<String> = ids.iter().take(samples / 2).cloned().collect();
    queries.extend(names.iter().take(samples / 2).cloned());
    let ui = ui_latencies(&work.join("import"), &queries, samples)?;
    say("measuring programs and deduplication...");
    let reopened = Registry::open(
        &work.join("import"),
        &br_core::store::keys::Unlock::with_passphrase(Secret::new(BENCH_PASSPHRASE)),
    )?;
    let bench_session = reopened.login("bench", &Secret::new(BENCH_PASSWORD))?;
    let programs = crate::bench_programs::run(&reopened, &bench_session, Path::new(&gen.truth_file))?;
    let work = Path::new(&gen.truth_file).parent().unwrap_or(Path::new("."));
    let disbursement = crate::bench_disbursement::run(&reopened, &bench_session, work)?;
    let report = BenchReport {
        individuals: summary.rows_read,
        gen_s,
        import_s,
        import_rows_per_s: summary.rows_read as f64 / import_s,
        raw_insert_s,
        raw_insert_rows_per_s: raw_rows as f64 / raw_insert_s,
        import_vs_raw: raw_insert_s / import_s,
        floor_s,
        floor_rows_per_s: floor_rows as f64 / floor_s,
        import_vs_floor: (summary.rows_read as f64 / import_s) / (floor_rows as f64 / floor_s),
        lookup_p50_ms: percentile(&lookups, 0.50),
        lookup_p99_ms: percentile(&lookups, 0.99),
        name_search_p50_ms: percentile(&searches, 0.50),
        name_search_p95_ms: percentile(&searches, 0.95),
        similar_name_search_p50_ms: percentile(&similar_searches, 0.50),
        similar_name_search_p95_ms: percentile(&similar_searches, 0.95),
        list_page_p50_ms: percentile(&pages, 0.50),
        list_page_p95_ms: percentile(&pages, 0.95),
        ui_list_page_p95_ms: percentile(&ui.first_pages, 0.95),
        ui_next_page_p95_ms: percentile(&ui.next_pages, 0.95),
        ui_search_p95_ms: percentile(&ui.searches, 0.95),
        ui_dashboard_ms: ui.dashboard.as_secs_f64() * 1000.0,
        db_bytes,
        peak_rss_bytes: peak,
        samples,
        programs,
        disbursement,
    };
    print(cli, &report, |r| {
        [
            format!("individuals                 {:>12}", r.individuals),
            format!("generate                    {:>12.1} s", r.gen_s),
            format!("import                      {:>12.0} rows/s  ({:.1} s)", r.import_rows_per_s, r.import_s),
            format!("raw insert baseline         {:>12.0} rows/s  ({:.1} s)", r.raw_insert_rows_per_s, r.raw_insert_s),
            format!("import / raw                {:>12.0} %", r.import_vs_raw * 100.0),
            format!("floor (one keyed table)     {:>12.0} rows/s  ({:.1} s)", r.floor_rows_per_s, r.floor_s),
            format!("import / floor              {:>12.2}", r.import_vs_floor),
            format!("exact ID lookup p50 / p99   {:>8.3} / {:.3} ms", r.lookup_p50_ms, r.lookup_p99_ms),
            format!("name search p50 / p95       {:>8.3} / {:.3} ms", r.name_search_p50_ms, r.name_search_p95_ms),
            format!(
                "other-script p50 / p95      {:>8.3} / {:.3} ms",
                r.similar_name_search_p50_ms, r.similar_name_search_p95_ms
            ),
            format!("filtered list page p50/p95  {:>8.3} / {:.3} ms", r.list_page_p50_ms, r.list_page_p95_ms),
            format!("UI list page / next page p95 {:>6.3} / {:.3} ms", r.ui_list_page_p95_ms, r.ui_next_page_p95_ms),
            format!("UI search (ID or name) p95  {:>8.3} ms", r.ui_search_p95_ms),
            format!("UI dashboard                {:>8.1} ms", r.ui_dashboard_ms),
            format!("database size               {:>12.1} MiB", r.db_bytes as f64 / 1048576.0),
            format!("peak memory during import   {:>12.1} MiB", r.peak_rss_bytes as f64 / 1048576.0),
        ]
        .into_iter()
        .chain(crate::bench_programs::lines(&r.programs))
        .chain(crate::bench_disbursement::lines(&r.disbursement))
        .collect::<Vec<_>>()
        .join("\n")
    });
    Ok(())
}

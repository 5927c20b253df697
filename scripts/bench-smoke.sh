#!/usr/bin/env bash
# Checks that `br bench` runs and reports every measure (20,000 people). Asserts no timing: speed is quoted
# from full runs of a release build, never enforced by a test, so this uses the debug `br` the test stage
# built (16 s) rather than spend 10 minutes of CI on a release build whose numbers nothing reads.
set -euo pipefail
cd "$(dirname "$0")/.."
# A no-op after the test stage (`cargo build -p br-cli` alone would unify features differently and
# recompile much of the tree).
cargo test --workspace --locked --no-run
target/debug/br bench --individuals 20000 --json > target/test-output/bench-smoke.json
python3 - <<'PY'
import json
r = json.load(open("target/test-output/bench-smoke.json"))
keys = ["import_rows_per_s", "raw_insert_rows_per_s", "import_vs_raw", "floor_rows_per_s", "import_vs_floor", "lookup_p99_ms", "name_search_p95_ms",
        "list_page_p95_ms", "ui_list_page_p95_ms", "ui_next_page_p95_ms", "ui_search_p95_ms", "ui_dashboard_ms",
        "db_bytes", "peak_rss_bytes"]
missing = [k for k in keys if k not in r]
assert not missing, f"bench JSON lacks {missing}"
assert r["individuals"] == 20000, r
assert r["floor_rows_per_s"] > r["import_rows_per_s"] > 0, "the floor is the least any import can cost"
p = r["programs"]
assert p["enrol_elderly"] == p["preview_elderly_matches"] > 0, p
assert p["dedup_precision"] >= 0.95 and p["dedup_recall"] >= 0.95, p
d = r["disbursement"]
assert d["generated"] == d["cycle_members"] > 0, d
assert d["approved"] == d["generated"] > 0, d
assert d["payments"] + d["without_address"] == d["approved"], d
assert d["reconcile_rows"] == d["payments"] == d["reconcile_paid"] + d["reconcile_failed"], d
print("bench smoke:", {k: r[k] for k in keys}, p, d)
PY

#!/usr/bin/env bash
# Sets up what is missing and runs every test. Fails when any check or test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/setup.sh
ensure_build_tools
ensure_apt dbus dbus-x11 gnome-keyring python3

echo "== formatting and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== tests (real encrypted databases, the real credential store over D-Bus)"
# With this set, a missing Secret Service fails the credential-store test instead of skipping it.
export BR_TEST_CREDENTIAL_STORE=1
mkdir -p target/test-output
dbus-run-session -- bash scripts/lib/with-keyring.sh cargo test --workspace --locked 2>&1 | tee target/test-output/cargo-test.log
# The whole suite's count as the closing line (cargo's own last lines are the empty doc-test runs).
totals=$(grep -E '^test result:' target/test-output/cargo-test.log \
    | sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/' \
    | awk '{p += $1; f += $2} END {print p, f}')
read -r passed failed <<<"$totals"

echo "== benchmark smoke run (release build; checks the bench works, asserts no timing)"
cargo build --release --locked -p br-cli
target/release/br bench --individuals 20000 --json > target/test-output/bench-smoke.json
python3 - <<'PY'
import json
r = json.load(open("target/test-output/bench-smoke.json"))
keys = ["import_rows_per_s", "raw_insert_rows_per_s", "import_vs_raw", "lookup_p99_ms", "name_search_p95_ms",
        "list_page_p95_ms", "db_bytes", "peak_rss_bytes"]
missing = [k for k in keys if k not in r]
assert not missing, f"bench JSON lacks {missing}"
assert r["individuals"] == 20000, r
print("bench smoke:", {k: r[k] for k in keys})
PY
echo "== all checks passed"
echo "$passed passed, $failed failed"

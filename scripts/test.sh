#!/usr/bin/env bash
# Sets up what is missing and runs every test: Rust (fmt, clippy, the workspace's tests, the central
# server's against throwaway PostgreSQL clusters), the UI (types, Vitest), the browser (Playwright against
# `br serve`, axe-core), the real desktop window (tauri-driver),
# the .deb and .rpm installers (the .deb installed and started), and a benchmark smoke run.
# Every stage runs even when an earlier one failed; the exit status is non-zero when any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/setup.sh
set -e
ensure_build_tools
ensure_apt "${DESKTOP_BUILD_PACKAGES[@]}" "${DESKTOP_TEST_PACKAGES[@]}" "${SERVER_PACKAGES[@]}"
ensure_npm_packages
ensure_tauri_driver
set +e

OUT=target/test-output
mkdir -p "$OUT"
passed=0
failed=0
failed_stages=()
timings=()

# Runs one stage, its output also in $OUT/<name>.log; counts its tests with the given parser.
stage() {
    local name=$1 counter=$2
    shift 2
    echo
    echo "== $name"
    local started=$SECONDS
    "$@" 2>&1 | tee "$OUT/$name.log"
    local status=${PIPESTATUS[0]}
    echo "== $name took $((SECONDS - started)) s"
    timings+=("$name $((SECONDS - started)) s")
    local counts
    counts=$("$counter" "$OUT/$name.log")
    read -r p f <<<"$counts"
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1 # a stage that failed outside any test (a build, a lint) counts as one failure
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    [ "$status" -eq 0 ] || failed_stages+=("$name")
}

count_none() { echo "0 0"; }
count_cargo() {
    grep -E '^test result:' "$1" | sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/' \
        | awk '{p += $1; f += $2} END {print p + 0, f + 0}'
}
count_vitest() {
    local line
    line=$(sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -E '^\s+Tests\s' | tail -1)
    echo "$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || echo 0) $(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+' || echo 0)"
}
count_node() {
    echo "$(grep -E '^# pass ' "$1" | awk '{s += $3} END {print s + 0}') $(grep -E '^# fail ' "$1" | awk '{s += $3} END {print s + 0}')"
}

stage ui-build count_none npm run build
stage ui-types count_none npm run typecheck
stage ui-unit count_vitest npm run test:unit
stage rust-fmt count_none cargo fmt --all -- --check
# Clippy lints our crates inside the test build (clippy-driver as the workspace's rustc, dependencies built
# by plain rustc): one build instead of a `cargo clippy` whose checked dependencies `cargo test` cannot
# reuse (about 3 minutes less here). Exported so that every later `cargo` in these stages finds the
# artifacts built here.
export RUSTC_WORKSPACE_WRAPPER=clippy-driver
# A build from a clean clone gains nothing from incremental caches and pays to write them.
export CARGO_INCREMENTAL=0
stage rust-clippy count_none bash scripts/lib/build-linted.sh
# With this set, a missing Secret Service fails the credential-store test instead of skipping it.
export BR_TEST_CREDENTIAL_STORE=1
stage rust-tests count_cargo dbus-run-session -- bash scripts/lib/with-keyring.sh cargo test --workspace --locked --no-fail-fast
# A hung end-to-end run (a process left holding its output open kept the window test from ending in 2 of 20
# stress rounds) fails its stage after this long instead of spending CI's whole time limit; each takes minutes.
within() {
    local limit=$1
    shift
    timeout --kill-after=30 "$limit" "$@"
    local status=$?
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        echo "timed out after $limit s: $*"
    fi
    return "$status"
}
stage browser count_node within 1200 node --test --test-concurrency=1 tests/e2e/browser.test.mjs
stage window count_node within 600 xvfb-run -a -s "-screen 0 1366x900x24" node --test tests/e2e/window.test.mjs
stage installers count_node within 900 bash scripts/installers.sh
stage bench-smoke count_none bash scripts/bench-smoke.sh

echo
if [ ${#failed_stages[@]} -eq 0 ]; then
    echo "== all stages passed"
else
    echo "== failed stages: ${failed_stages[*]}"
fi
echo "$passed passed, $failed failed"
printf '  %s\n' "${timings[@]}"
[ ${#failed_stages[@]} -eq 0 ]

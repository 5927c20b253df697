#!/usr/bin/env bash
# Runs the tests that once depended on timing, ROUNDS times each (default 20), while stress-ng keeps both
# cores busy: the Ctrl-C import test, the `br serve` test (its event stream), and, with --e2e, the browser's
# import with its progress bar and the real window (--e2e-only: those two alone). Prints a line per round
# and one per test: passes out of rounds.
# Not part of .ci/run (it takes tens of minutes); run it after changing one of these tests. After
# scripts/test.sh, run it with RUSTC_WORKSPACE_WRAPPER=clippy-driver to reuse that build as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-20}
E2E=${1:-}
command -v stress-ng >/dev/null || apt-get install -y stress-ng
# What the test stage builds, so that features unify as there (the e2e tests run its `br` and window).
cargo test --workspace --locked --no-run
stress-ng --cpu 2 --quiet &
STRESS=$!
trap 'kill $STRESS 2>/dev/null; wait $STRESS 2>/dev/null || true' EXIT

rounds() {
    local name=$1
    shift
    local passed=0
    for round in $(seq "$ROUNDS"); do
        # A round that hangs counts as failed (timeout ends its whole process group) instead of stopping the run.
        if timeout --kill-after=30 600 "$@" >"target/test-output/stress-$name.log" 2>&1; then
            passed=$((passed + 1))
            echo "  $name round $round passed ($(date -u +%H:%M:%S))"
        else
            cp "target/test-output/stress-$name.log" "target/test-output/stress-$name-failed-$round.log"
            echo "  $name round $round failed; its log: target/test-output/stress-$name-failed-$round.log"
        fi
    done
    echo "$name: $passed/$ROUNDS passed under stress-ng --cpu 2"
}

mkdir -p target/test-output
if [ "$E2E" != "--e2e-only" ]; then
    rounds ctrl-c cargo test -q -p br-cli --locked --test cli ctrl_c_cancels_an_import
    rounds serve-events cargo test -q -p br-cli --locked --test serve
fi
if [ "$E2E" = "--e2e" ] || [ "$E2E" = "--e2e-only" ]; then
    rounds browser-import node --test --test-concurrency=1 --test-name-pattern "first morning|Monday import" tests/e2e/browser.test.mjs
    rounds window xvfb-run -a -s "-screen 0 1366x900x24" node --test tests/e2e/window.test.mjs
fi

#!/usr/bin/env bash
# Builds every target `cargo test` runs (libraries, their unit tests, binaries, integration tests, examples)
# with clippy's lints on our crates, and fails on any warning, as `cargo clippy --all-targets -- -D warnings`
# would. Warnings fail this stage rather than the build, so the test stage after it still runs and counts.
# Needs RUSTC_WORKSPACE_WRAPPER=clippy-driver (set by scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "${RUSTC_WORKSPACE_WRAPPER:-}" = clippy-driver ] || {
    echo "build-linted.sh: set RUSTC_WORKSPACE_WRAPPER=clippy-driver, or run cargo clippy" >&2
    exit 2
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Cargo replays a built crate's warnings from its cache, so a second run fails as the first did.
cargo test --workspace --locked --no-run --color never 2>&1 | tee "$log"
if grep -qE '^(warning|error)(\[[^]]*\])?: ' "$log"; then
    echo "clippy or rustc warned (above): fix or allow each with a reason" >&2
    exit 1
fi

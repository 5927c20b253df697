#!/usr/bin/env bash
# Builds the .deb and .rpm installers offline, checks both hold the app, installs the .deb and drives the
# installed app's real window (the same test as the debug binary, under Xvfb).
#
#   scripts/installers.sh            packages the debug app the test stage built and tested (under a minute;
#                                    a build of the desktop package alone unifies dependency features
#                                    differently and recompiles half the tree, and a release build takes 14)
#   scripts/installers.sh --release  the installers we ship: the `dist` profile, the release build stripped
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--release" ]; then
    profile=dist
    npx tauri build --ci --bundles deb rpm -- --profile dist
else
    profile=debug
    # A no-op after the test stage: the binaries it built, with the UI it embedded.
    cargo test --workspace --locked --no-run
    npx tauri bundle --ci --debug --bundles deb rpm
fi
deb=$(ls -t target/$profile/bundle/deb/*.deb | head -1)
rpm_file=$(ls -t target/$profile/bundle/rpm/*.rpm | head -1)
echo "built: $deb ($(du -h "$deb" | cut -f1)), $rpm_file ($(du -h "$rpm_file" | cut -f1))"
# Listed first and searched after: `grep -q` closing the pipe early would fail the lister under pipefail.
deb_files=$(dpkg-deb --contents "$deb")
rpm_files=$(rpm -qpl "$rpm_file")
grep -qE '(^| |\./)usr/bin/beneficiary-registry$' <<<"$deb_files"
grep -q '^/usr/bin/beneficiary-registry$' <<<"$rpm_files"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo dpkg -i "$deb"
test -x /usr/bin/beneficiary-registry
test -f /usr/share/applications/"Beneficiary Registry".desktop
BR_APP=/usr/bin/beneficiary-registry SHOT_PREFIX=installed- \
    xvfb-run -a -s "-screen 0 1366x900x24" node --test tests/e2e/window.test.mjs

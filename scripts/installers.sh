#!/usr/bin/env bash
# Builds the .deb and .rpm installers offline, checks both hold the app, installs the .deb and drives the
# installed app's real window (the same test as the debug binary, under Xvfb).
#
#   scripts/installers.sh            debug bundles: the same packaging over the binaries the test stage
#                                    already compiled (2 minutes instead of 14 for a release build in CI)
#   scripts/installers.sh --release  the installers we ship
set -euo pipefail
cd "$(dirname "$0")/.."
profile=debug
flags=(--debug)
if [ "${1:-}" = "--release" ]; then
    profile=release
    flags=()
fi
npx tauri build --ci "${flags[@]}" --bundles deb rpm
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

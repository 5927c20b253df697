#!/usr/bin/env bash
# Sets up what is missing, builds the desktop app, creates the demo registry from assets/demo (once) and
# opens the app on it. Without a display (a server, a container) the window runs on a virtual one (Xvfb)
# and a screenshot of it is saved; `br serve` then shows the same app in a browser.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/setup.sh
ensure_build_tools
ensure_apt "${DESKTOP_BUILD_PACKAGES[@]}" xvfb xauth imagemagick
ensure_npm_packages
npm run build
# Built one at a time: together, cargo unifies their features and builds every dependency a third time.
cargo build --release --locked -p br-cli
cargo build --release --locked -p beneficiary-registry
BR="$PWD/target/release/br"
APP="$PWD/target/release/beneficiary-registry"
export BR_REGISTRY="${BR_REGISTRY:-$PWD/demo-registry}"
PASSPHRASE="demo recovery passphrase"
if [ ! -f "$BR_REGISTRY/registry.db" ]; then
    mkdir -p target/demo
    cp assets/demo/registrants.csv target/demo/registrants.csv
    # The demo keeps its key out of your OS credential store (real registries use it), so the window asks
    # for the recovery passphrase once when it opens.
    BR_KEYRING=off BR_USER=admin BR_PASSWORD="demo-admin-password" BR_PASSPHRASE="$PASSPHRASE" \
        "$BR" init --office-code DEMO --office-name "Demo district" --areas assets/demo/areas.csv
    BR_KEYRING=off BR_USER=admin BR_PASSWORD="demo-admin-password" BR_PASSPHRASE="$PASSPHRASE" \
        "$BR" import target/demo/registrants.csv
fi
cat <<INFO

Demo registry: $BR_REGISTRY (600 people from assets/demo)
  recovery passphrase:  $PASSPHRASE
  login:                admin / demo-admin-password

INFO
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    exec env BR_KEYRING=off "$APP" --registry "$BR_REGISTRY"
fi
echo "No display here: starting the window on a virtual display (Xvfb); a screenshot follows in 5 s."
echo "To work in it, open it in a browser instead:  $BR --registry $BR_REGISTRY serve  (then http://127.0.0.1:8080)"
BR_KEYRING=off xvfb-run -a -s "-screen 0 1366x900x24" bash -c "
    '$APP' --registry '$BR_REGISTRY' &
    sleep 5
    import -window root '$BR_REGISTRY/screenshot.png' && echo 'Screenshot of the window: $BR_REGISTRY/screenshot.png'
    wait"

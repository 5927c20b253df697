#!/usr/bin/env bash
# Sets up what is missing, builds `br`, creates the demo registry from assets/demo (once), and searches it.
# (The desktop app arrives with the next issue; until then the registry is used through `br`.)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/setup.sh
ensure_build_tools
cargo build --release --locked -p br-cli
BR="$PWD/target/release/br"
export BR_REGISTRY="${BR_REGISTRY:-$PWD/demo-registry}"
export BR_USER=admin BR_PASSWORD="demo-admin-password" BR_PASSPHRASE="demo recovery passphrase"
# The demo keeps its key out of your OS credential store; real registries use it.
export BR_KEYRING="${BR_KEYRING:-off}"
if [ ! -f "$BR_REGISTRY/registry.db" ]; then
    "$BR" init --office-code DEMO --office-name "Demo district" --areas assets/demo/areas.csv
    "$BR" import assets/demo/registrants.csv
fi
echo
echo "== search by name (masked by default)"
"$BR" search fatima --limit 5
echo
echo "== women aged 60 or more in area D01, by name"
"$BR" search --area D01 --sex female --age-min 60 --sort name --limit 5
echo
echo "== one household head, revealed (audited)"
"$BR" show DEMO-0000002 --reveal
echo
echo "Demo registry: $BR_REGISTRY  (login admin / demo-admin-password, recovery passphrase \"demo recovery passphrase\")"
echo "Try: BR_REGISTRY=$BR_REGISTRY BR_USER=admin BR_PASSWORD=demo-admin-password BR_PASSPHRASE='demo recovery passphrase' BR_KEYRING=off $BR --help"

#!/usr/bin/env bash
# Runs a command with an unlocked Secret Service (gnome-keyring) on the current D-Bus session, so tests
# exercise the real OS credential-store path. Use inside `dbus-run-session`.
set -euo pipefail
eval "$(printf 'br-test-keyring' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
exec "$@"

# Shared set-up for the README's commands: installs what is missing, and nothing else, on Debian/Ubuntu.
# Sourced, not run.

# Installs the given Debian packages that are not installed yet (one apt-get update, only if needed).
ensure_apt() {
    local missing=()
    for p in "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# The Rust toolchain: the machine's rustup toolchain when there is one, else Debian's.
ensure_rust() {
    if [ -d "$HOME/.cargo/bin" ]; then
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
    if ! command -v cargo >/dev/null 2>&1; then
        ensure_apt cargo rustc
    fi
    local version
    version=$(rustc --version | awk '{print $2}')
    if [ "$(printf '%s\n1.85.0\n' "$version" | sort -V | head -1)" != "1.85.0" ]; then
        echo "rustc $version is older than 1.85, which this project needs" >&2
        exit 1
    fi
}

# What building needs: a C compiler for SQLCipher, perl and make for the vendored OpenSSL.
ensure_build_tools() {
    ensure_apt build-essential pkg-config perl make ca-certificates
    ensure_rust
}

# What the desktop app builds against (Tauri 2 on WebKitGTK), what its tests drive it with (Xvfb,
# WebKitWebDriver, Debian's Chromium) and the D-Bus keyring the credential-store tests use.
DESKTOP_BUILD_PACKAGES=(libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev
    libayatana-appindicator3-dev file)
# openssl: the TLS test makes its throwaway certificate with it.
DESKTOP_TEST_PACKAGES=(xvfb xauth imagemagick webkit2gtk-driver chromium dbus dbus-x11 gnome-keyring rpm python3 openssl)
# The central server's database: the sync tests start throwaway clusters of it (initdb + pg_ctl).
SERVER_PACKAGES=(postgresql)

# Node.js 18 or newer with npm: the machine's, else Debian's.
ensure_node() {
    if ! command -v npm >/dev/null 2>&1 || ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)'; then
        ensure_apt nodejs npm
    fi
}

# The UI's and the tests' npm packages, exactly as package-lock.json pins them; installed again only when
# the lock file changed since the last install.
ensure_npm_packages() {
    ensure_node
    local want
    want=$(sha256sum package-lock.json | cut -d' ' -f1)
    if [ "$(cat node_modules/.br-lock-sha256 2>/dev/null)" != "$want" ]; then
        # `npm install`, not `npm ci`: this npm writes lock files with only this platform's optional packages
        # (esbuild, rollup, the Tauri CLI) and `npm ci` then refuses them as out of sync. With a lock file
        # present `npm install` installs exactly its versions and leaves it unchanged.
        npm install --no-audit --no-fund
        echo "$want" > node_modules/.br-lock-sha256
    fi
}

# tauri-driver, the WebDriver bridge to the desktop window (from crates.io).
ensure_tauri_driver() {
    if ! command -v tauri-driver >/dev/null 2>&1; then
        cargo install tauri-driver --locked
    fi
}

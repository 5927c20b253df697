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

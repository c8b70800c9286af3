# Shared set-up for scripts/example and scripts/test: sourced, not run.
# Creates .venv with the package and its test/example dependencies, installs Debian packages when
# asked (and possible), and builds FerretDB when no MongoDB is configured.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv"
PYTHON_BIN="${PYTHON:-python3}"

say() { printf '[setup] %s\n' "$*" >&2; }

ensure_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating $VENV"
        "$PYTHON_BIN" -m venv "$VENV"
    fi
    local stamp="$VENV/.installed-$(sha256sum "$REPO/pyproject.toml" | cut -c1-16)"
    if [ ! -e "$stamp" ]; then
        say "installing Python packages into $VENV"
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        # The XStatic packages build with pkg_resources, which setuptools 81 removed.
        local constraints="$VENV/build-constraints.txt"
        echo "setuptools<81" > "$constraints"
        PIP_CONSTRAINT="$constraints" "$VENV/bin/python" -m pip install --quiet -e "$REPO[test,example]"
        touch "$stamp"
    fi
}

ensure_debian_packages() {
    local missing=() fresh_nginx=""
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { missing+=(nginx-light); fresh_nginx=1; }
    [ -e /usr/lib/nginx/modules/ngx_http_brotli_static_module.so ] || missing+=(libnginx-mod-http-brotli-static)
    if [ "${1:-}" = "browser" ]; then
        command -v chromium >/dev/null 2>&1 || missing+=(chromium)
        command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
        command -v node >/dev/null 2>&1 || command -v nodejs >/dev/null 2>&1 || missing+=(nodejs)
    fi
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        say "missing ${missing[*]} and no apt-get here: install them by hand"
        return 1
    fi
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    say "installing Debian packages: ${missing[*]}"
    $sudo apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    if [ -n "$fresh_nginx" ]; then
        # Debian starts the nginx it just installed; ours run on their own ports with their own configs.
        $sudo service nginx stop >/dev/null 2>&1 || true
    fi
}

ensure_mongo_wire_server() {
    if [ -n "${MONGODB_URI:-}" ] || command -v mongod >/dev/null 2>&1; then
        return 0
    fi
    if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
        export PATH="$PATH:/usr/local/go/bin"
    fi
    if ! command -v go >/dev/null 2>&1; then
        command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && {
            say "installing Go from Debian to build FerretDB"
            apt-get install -y -q --no-install-recommends golang-go >/dev/null
        }
    fi
    (cd "$REPO" && "$VENV/bin/python" -m devservers.mongo --build) >&2
}

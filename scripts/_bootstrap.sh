# Shared set-up for scripts/example, scripts/test and scripts/bench: sourced, not run.
#
# Creates a virtualenv per supported Python with the package and its test/example dependencies,
# installs Debian packages when asked (and possible), unpacks the npm test corpus, and builds
# FerretDB when no MongoDB is configured.
#
# Every Python package comes from constraints.txt (exact versions, pip and setuptools included) and
# only as a wheel: no sdist is built, so nothing depends on what a newer pip or setuptools does to a
# legacy build. Our own package is built in the venv itself (--no-build-isolation) with the pinned
# setuptools.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONSTRAINTS="$REPO/constraints.txt"
# The supported pairs, first one primary: Python 3.11 gets Django 5.2 (LTS), Python 3.13 gets
# Django 6.1 (constraints.txt picks the Django by Python version).
SUPPORTED_PYTHONS="${STATIC_PIPE_PYTHONS:-3.11 3.13}"

say() { printf '[setup] %s\n' "$*" >&2; }

# venv_dir VERSION: the primary Python's venv is .venv (what the README and the example use).
venv_dir() {
    local first
    first="${SUPPORTED_PYTHONS%% *}"
    if [ "$1" = "$first" ]; then echo "$REPO/.venv"; else echo "$REPO/.venv-$1"; fi
}

# find_python VERSION: a working interpreter of that version (pyenv's, then PATH's).
find_python() {
    local version="$1" candidate
    for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version".*/bin/python"$version" \
        "/usr/local/bin/python$version" "/usr/bin/python$version" "$(command -v "python$version" || true)"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" -c 'import venv' >/dev/null 2>&1; then
            echo "$candidate"
            return 0
        fi
    done
    say "no Python $version found (looked in ~/.pyenv/versions, /usr/local/bin, /usr/bin, PATH)"
    return 1
}

# ensure_venv [VERSION]: create the venv for VERSION (default: the primary) and install into it.
ensure_venv() {
    local version="${1:-${SUPPORTED_PYTHONS%% *}}" venv python stamp pip
    venv="$(venv_dir "$version")"
    if [ ! -x "$venv/bin/python" ]; then
        python="$(find_python "$version")"
        say "creating $venv with $python"
        "$python" -m venv "$venv"
    fi
    stamp="$venv/.installed-$(cat "$REPO/pyproject.toml" "$CONSTRAINTS" | sha256sum | cut -c1-16)"
    if [ ! -e "$stamp" ]; then
        say "installing Python packages into $venv (pinned by constraints.txt, wheels only)"
        pip=("$venv/bin/python" -m pip --disable-pip-version-check --quiet)
        "${pip[@]}" install --constraint "$CONSTRAINTS" pip
        "${pip[@]}" install --only-binary=:all: --constraint "$CONSTRAINTS" setuptools
        "${pip[@]}" install --only-binary=:all: --no-build-isolation --constraint "$CONSTRAINTS" \
            -e "$REPO[test,example,bench]"
        rm -f "$venv"/.installed-*
        touch "$stamp"
    fi
    VENV="$venv"
}

ensure_debian_packages() {
    local missing=() fresh_nginx=""
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { missing+=(nginx-light); fresh_nginx=1; }
    [ -e /usr/lib/nginx/modules/ngx_http_brotli_static_module.so ] || missing+=(libnginx-mod-http-brotli-static)
    [ -e /usr/lib/nginx/modules/ngx_http_brotli_filter_module.so ] || missing+=(libnginx-mod-http-brotli-filter)
    if [ "${1:-}" = "browser" ]; then
        command -v chromium >/dev/null 2>&1 || missing+=(chromium)
        command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
        command -v node >/dev/null 2>&1 || command -v nodejs >/dev/null 2>&1 || missing+=(nodejs)
        command -v npm >/dev/null 2>&1 || missing+=(npm)
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

ensure_corpus() {
    (cd "$REPO" && "$VENV/bin/python" -m devservers.corpus --install) >/dev/null
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

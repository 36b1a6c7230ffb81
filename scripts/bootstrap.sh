#!/usr/bin/env bash
# The README's two set-up commands, on a fresh Debian 12 machine with Python 3.11:
#
#   bash scripts/bootstrap.sh run    install the app into .venv and launch it
#   bash scripts/bootstrap.sh test   install everything the tests need and run the whole suite
#
# Extra arguments after `test` go to pytest (e.g. `bash scripts/bootstrap.sh test -m "not slow"`);
# after `run` they go to the app (e.g. `--data-dir /tmp/studio`).
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-}"
shift || true

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Qt's offscreen/xcb platforms need these shared libraries; without fonts every glyph is a box.
APP_PACKAGES="python3-venv fonts-dejavu-core libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0"
# The test stack: a real PostgreSQL 15 with pgTAP (pg_prove) for the policy tests; the shared
# Python library, which PyInstaller puts in the bundle the bundle test builds.
TEST_PACKAGES="postgresql-15 postgresql-client-15 postgresql-15-pgtap libpython3.11"

apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "bootstrap: installing system packages: ${missing[*]}"
        as_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
}

python_env() {
    local extras="$1"
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv .venv
    fi
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".${extras}"
}

case "$mode" in
    run)
        # shellcheck disable=SC2086
        apt_install $APP_PACKAGES
        python_env ""
        exec .venv/bin/studio-desktop "$@"
        ;;
    test)
        # shellcheck disable=SC2086
        apt_install $APP_PACKAGES $TEST_PACKAGES
        python_env "[test]"
        export QT_QPA_PLATFORM=offscreen
        .venv/bin/ruff check studio_desktop tests
        .venv/bin/lint-imports
        exec .venv/bin/python -m pytest "$@"
        ;;
    *)
        echo "usage: bash scripts/bootstrap.sh run|test [args...]" >&2
        exit 2
        ;;
esac

#!/usr/bin/env bash
# The README's two set-up commands, on a fresh Debian 12 machine with Python 3.11:
#
#   bash scripts/bootstrap.sh run    install the app into .venv and launch it
#   bash scripts/bootstrap.sh test   install everything the tests need and run the whole suite
#   bash scripts/bootstrap.sh check  install nothing, only check what `run` and `test` need
#
# Extra arguments after `test` go to pytest (e.g. `bash scripts/bootstrap.sh test -m "not slow"`);
# after `run` they go to the app (e.g. `--data-dir /tmp/studio`).
#
# apt-get runs with --no-install-recommends, so every package is named here. After installing,
# the script checks that each program and library is really there and stops with one line naming
# the Debian package when one is not.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-}"
shift || true

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# The app: Python's venv, a font (without one every glyph is a box), and what Qt's platform
# plug-ins link: xcb for X11 desktops (and XWayland), wayland for Wayland sessions. `ldd` on
# .venv/lib/python3.11/site-packages/PySide6/Qt/plugins/platforms/*.so lists them.
APP_PACKAGES=(
    python3-venv fonts-dejavu-core
    libegl1 libgl1 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0 libdrm2
    libxkbcommon0 libxkbcommon-x11-0 libx11-6 libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-icccm4
    libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render0 libxcb-render-util0
    libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1
    libwayland-client0 libwayland-cursor0 libwayland-egl1
)
# The tests: PostgreSQL 15 with pgTAP and pg_prove (postgresql-15-pgtap only *recommends* the
# package that has pg_prove), for the PyInstaller bundle the shared libpython and objdump, and the
# display servers the start tests open the app on: Xvfb (with xwininfo) and Weston (Wayland).
TEST_PACKAGES=(
    postgresql-15 postgresql-client-15 postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
    libpython3.11 binutils xvfb x11-utils weston
)
# Where the venv's Qt keeps the plug-ins a platform loads (the test's ldd check reads the same).
QT_PLUGINS=.venv/lib/python3.11/site-packages/PySide6/Qt/plugins
PLATFORM_PLUGIN_DIRS=(platforms xcbglintegrations wayland-shell-integration
    wayland-decoration-client wayland-graphics-integration-client)

apt_install() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    # A fresh machine may have no package lists, or old ones that point at replaced versions.
    if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mtime -1 2>/dev/null)" ]; then
        as_root apt-get update -qq
    fi
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

python_env() {
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".$1"
}

# The Debian package of a shared library, by Debian's naming rule (libxcb-cursor.so.0 ->
# libxcb-cursor0, libxkbcommon-x11.so.0 -> libxkbcommon-x11-0), with the few exceptions Qt meets.
package_of_library() {
    local name="${1%%.so*}" version="${1##*.so.}"
    case "$name" in
        libglib-2.0 | libgobject-2.0 | libgthread-2.0) echo libglib2.0-0; return ;;
        libGLdispatch) echo libglvnd0; return ;;
        libbrotlidec | libbrotlicommon) echo libbrotli1; return ;;
        libz) echo zlib1g; return ;;
        libc | libm | libdl | libpthread | libresolv | librt) echo libc6; return ;;
    esac
    name="${name,,}"
    name="${name//_/-}"
    [[ "$name" == *[0-9] ]] && name+="-"
    echo "$name$version"
}

# What must be there after installing: a path (a glob) or a command, and its Debian package.
APP_FILES=("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf fonts-dejavu-core")
TEST_FILES=(
    "/usr/lib/postgresql/15/bin/initdb postgresql-15" "/usr/lib/postgresql/15/bin/pg_ctl postgresql-15"
    "/usr/share/postgresql/15/extension/pgtap.control postgresql-15-pgtap"
    "pg_prove libtap-parser-sourcehandler-pgtap-perl" "psql postgresql-client-15"
    "/usr/lib/*-linux-gnu/libpython3.11.so.1.0 libpython3.11" "objdump binutils"
    "Xvfb xvfb" "xwininfo x11-utils" "weston weston" "weston-screenshooter weston"
)

# Checks the given "path-or-command package" pairs and that every Qt platform plug-in (and the
# plug-ins they load) finds all its libraries; exits with one line naming each missing piece
# and its Debian package.
check_installed() {
    local missing=() pair path plugin lib
    local -A needed_by=()
    for pair in "$@"; do
        path="${pair% *}"
        if [[ "$path" == /* ]]; then compgen -G "$path" >/dev/null && continue
        else command -v "$path" >/dev/null && continue; fi
        missing+=("$path (Debian package ${pair#* })")
    done
    [ -d "$QT_PLUGINS/platforms" ] || missing+=("$QT_PLUGINS (pip install -e . into .venv)")
    for plugin in "${PLATFORM_PLUGIN_DIRS[@]/#/$QT_PLUGINS/}"; do
        for plugin in "$plugin"/*.so; do
            for lib in $([ -e "$plugin" ] && ldd "$plugin" | awk '/not found/ {print $1}'); do
                needed_by[$lib]="${needed_by[$lib]:-$(basename "$plugin")}"
            done
        done
    done
    for lib in "${!needed_by[@]}"; do
        missing+=("$lib, needed by Qt's ${needed_by[$lib]} (Debian package $(package_of_library "$lib"))")
    done
    [ ${#missing[@]} -eq 0 ] && return
    echo "bootstrap: missing: $(printf '%s; ' "${missing[@]}")install those packages with apt-get and run this again" >&2
    exit 1
}

case "$mode" in
    run)
        apt_install "${APP_PACKAGES[@]}"
        python_env ""
        check_installed "${APP_FILES[@]}"
        exec .venv/bin/studio-desktop "$@"
        ;;
    test)
        apt_install "${APP_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
        python_env "[test]"
        check_installed "${APP_FILES[@]}" "${TEST_FILES[@]}"
        export QT_QPA_PLATFORM=offscreen
        .venv/bin/ruff check studio_desktop tests
        .venv/bin/lint-imports
        exec .venv/bin/python -m pytest "$@"
        ;;
    check)
        check_installed "${APP_FILES[@]}" "${TEST_FILES[@]}"
        echo "bootstrap: everything the app and the tests need is installed"
        ;;
    *)
        echo "usage: bash scripts/bootstrap.sh run|test [args...] | check" >&2
        exit 2
        ;;
esac

#!/usr/bin/env bash
# Vendor pinned front-end libraries into static/vendor/<pkg>-<version>/.
#
# Usage:  bash scripts/vendor_static.sh
#
# Versions come from package.json + package-lock.json at the repo root. To
# upgrade: edit the exact version in package.json, run
#   npm install --package-lock-only --ignore-scripts
# to refresh package-lock.json, then run this script.
#
# The script runs `npm ci` in a throw-away temp dir (no node_modules is ever
# created in the repo), copies only the minified distributables plus licence
# files, strips `sourceMappingURL` comments (the .map files are not vendored
# and whitenoise/Django's manifest storage would fail on the missing maps),
# and replaces any older static/vendor/<pkg>-<version>/ folder of the same
# package. Running it twice in a row is a no-op apart from file mtimes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$ROOT/static/vendor"

for tool in node npm; do
    command -v "$tool" >/dev/null 2>&1 || { echo "error: '$tool' is required" >&2; exit 1; }
done
for f in package.json package-lock.json; do
    [[ -f "$ROOT/$f" ]] || { echo "error: $ROOT/$f not found" >&2; exit 1; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/perfhub-vendor.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

cp "$ROOT/package.json" "$ROOT/package-lock.json" "$WORK/"
echo "==> npm ci in $WORK"
(cd "$WORK" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
NM="$WORK/node_modules"
STAGE="$WORK/stage"
mkdir -p "$STAGE" "$VENDOR"

pkg_version() {
    node -p "require(process.argv[1]).version" "$NM/$1/package.json"
}

# Remove sourceMappingURL comments (whole-line and trailing inline forms).
strip_source_maps() {
    local f="$1"
    case "$f" in
        *.js|*.mjs|*.css)
            sed -i -E \
                -e '/^[[:space:]]*\/\/[#@][[:space:]]*sourceMappingURL=.*$/d' \
                -e '/^[[:space:]]*\/\*[#@][[:space:]]*sourceMappingURL=[^*]*\*\/[[:space:]]*$/d' \
                -e 's#/\*[#@][[:space:]]*sourceMappingURL=[^*]*\*/##g' \
                "$f"
            ;;
    esac
}

# copy_file <pkg> <version> <src relative to package> <dest relative to vendored dir> [optional]
copy_file() {
    local pkg="$1" ver="$2" src="$3" dest="$4" optional="${5:-}"
    local from="$NM/$pkg/$src" to="$STAGE/$pkg-$ver/$dest"
    if [[ ! -f "$from" ]]; then
        if [[ "$optional" == "optional" ]]; then
            echo "    (skip, not in package: $src)"
            return 0
        fi
        echo "error: $pkg@$ver has no $src" >&2
        exit 1
    fi
    mkdir -p "$(dirname "$to")"
    cp "$from" "$to"
    strip_source_maps "$to"
    if [[ ! -s "$to" ]]; then
        echo "error: $to is empty" >&2
        exit 1
    fi
    if grep -q 'sourceMappingURL' "$to"; then
        echo "error: $to still contains sourceMappingURL" >&2
        exit 1
    fi
    echo "    $pkg-$ver/$dest"
}

# install_pkg <pkg> <version>: replace static/vendor/<pkg>-*/ with the staged copy
install_pkg() {
    local pkg="$1" ver="$2" old
    shopt -s nullglob
    for old in "$VENDOR/$pkg"-[0-9]*/; do
        echo "    replacing ${old#"$ROOT"/}"
        rm -rf "$old"
    done
    shopt -u nullglob
    mv "$STAGE/$pkg-$ver" "$VENDOR/$pkg-$ver"
}

# --- bootstrap ---------------------------------------------------------------
pkg=bootstrap; ver="$(pkg_version $pkg)"
echo "==> $pkg $ver"
copy_file $pkg "$ver" dist/css/bootstrap.min.css       css/bootstrap.min.css
copy_file $pkg "$ver" dist/js/bootstrap.bundle.min.js  js/bootstrap.bundle.min.js
copy_file $pkg "$ver" LICENSE                          LICENSE
install_pkg $pkg "$ver"

# --- htmx --------------------------------------------------------------------
pkg=htmx.org; ver="$(pkg_version $pkg)"
echo "==> $pkg $ver"
copy_file $pkg "$ver" dist/htmx.min.js  htmx.min.js
copy_file $pkg "$ver" LICENSE           LICENSE
install_pkg $pkg "$ver"

# --- echarts (full build: all charts incl. heatmap, canvas + SVG renderers) --
pkg=echarts; ver="$(pkg_version $pkg)"
echo "==> $pkg $ver"
copy_file $pkg "$ver" dist/echarts.min.js    echarts.min.js
copy_file $pkg "$ver" i18n/langZH.js         i18n/langZH.js  optional
copy_file $pkg "$ver" i18n/langEN.js         i18n/langEN.js  optional
copy_file $pkg "$ver" LICENSE                LICENSE
copy_file $pkg "$ver" NOTICE                 NOTICE          optional
copy_file $pkg "$ver" licenses/LICENSE-d3    licenses/LICENSE-d3 optional
install_pkg $pkg "$ver"

# --- axe-core ----------------------------------------------------------------
pkg=axe-core; ver="$(pkg_version $pkg)"
echo "==> $pkg $ver"
copy_file $pkg "$ver" axe.min.js               axe.min.js
copy_file $pkg "$ver" LICENSE                  LICENSE
copy_file $pkg "$ver" LICENSE-3RD-PARTY.txt    LICENSE-3RD-PARTY.txt optional
install_pkg $pkg "$ver"

if [[ -e "$ROOT/node_modules" ]]; then
    echo "warning: $ROOT/node_modules exists; it is not used by this script" >&2
fi
echo "==> done: vendored files are under ${VENDOR#"$ROOT"/}/"

#!/usr/bin/env bash
# Vendor the third-party front-end assets into src/zhujian/static/vendor/.
#
# Bureau networks are often cut off from the internet (DESIGN.md, "Language"): every asset is
# served from our own static files, never from a CDN. The minified files, each package's
# LICENSE and vendor/VERSIONS.txt are committed; node_modules never is.
#
# Refresh procedure:
#   1. Change a version below (stay on the same major unless the templates are updated with it:
#      htmx 2.x, ECharts 5.x, Bootstrap 5.x).
#   2. Run `scripts/vendor-static.sh` from anywhere (needs node/npm and the npm registry).
#      It runs `npm pack <pkg>@<version>` in a temporary directory, unpacks the tarball and
#      copies only the files we serve, plus LICENSE, then rewrites vendor/VERSIONS.txt.
#   3. Check the diff (`git diff --stat src/zhujian/static/vendor`), read the packages'
#      changelogs for breaking changes, run the tests and click through the UI, then commit.
set -euo pipefail

HTMX_VERSION="2.0.11"
ECHARTS_VERSION="5.6.0"
BOOTSTRAP_VERSION="5.3.9"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$ROOT/src/zhujian/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# fetch <npm package> <version>: unpacks the package into $WORK/<package>/ and echoes that path.
fetch() {
  local pkg="$1" version="$2" dir="$WORK/$1"
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "$pkg@$version" >/dev/null)
  tar -xzf "$dir"/*.tgz -C "$dir"
  echo "$dir/package"
}

# install <source file> <destination dir>
install_file() {
  mkdir -p "$2"
  cp "$1" "$2/"
}

# licence <unpacked package dir>: the package's licence field from package.json.
licence() {
  node -e 'process.stdout.write(String(require(process.argv[1] + "/package.json").license))' "$1"
}

rm -rf "$VENDOR/htmx" "$VENDOR/echarts" "$VENDOR/bootstrap"

pkg="$(fetch htmx.org "$HTMX_VERSION")"
install_file "$pkg/dist/htmx.min.js" "$VENDOR/htmx"
install_file "$pkg/LICENSE" "$VENDOR/htmx"
HTMX_LICENCE="$(licence "$pkg")"

pkg="$(fetch echarts "$ECHARTS_VERSION")"
install_file "$pkg/dist/echarts.min.js" "$VENDOR/echarts"
install_file "$pkg/LICENSE" "$VENDOR/echarts"
[ -f "$pkg/NOTICE" ] && install_file "$pkg/NOTICE" "$VENDOR/echarts"
ECHARTS_LICENCE="$(licence "$pkg")"

pkg="$(fetch bootstrap "$BOOTSTRAP_VERSION")"
install_file "$pkg/dist/css/bootstrap.min.css" "$VENDOR/bootstrap/css"
install_file "$pkg/dist/js/bootstrap.bundle.min.js" "$VENDOR/bootstrap/js"
install_file "$pkg/LICENSE" "$VENDOR/bootstrap"
BOOTSTRAP_LICENCE="$(licence "$pkg")"

# Drop the sourceMappingURL comments: we do not ship the .map files, and a dangling reference
# breaks collectstatic under ManifestStaticFilesStorage (and 404s in the browser's dev tools).
find "$VENDOR" -name '*.min.*' -exec sed -i -E 's@/[*/]# sourceMappingURL=[^ ]+( \*/)?$@@' {} +

row() { printf '%-11s %-12s %-8s %-11s %s\n' "$@"; }
{
  echo "# Vendored front-end assets, written by scripts/vendor-static.sh (do not edit by hand)."
  echo "# Each package's LICENSE sits next to its files; sourceMappingURL comments are stripped."
  row "# name" "npm package" version licence files
  row htmx htmx.org "$HTMX_VERSION" "$HTMX_LICENCE" "htmx/htmx.min.js htmx/LICENSE"
  row echarts echarts "$ECHARTS_VERSION" "$ECHARTS_LICENCE" \
    "echarts/echarts.min.js echarts/LICENSE echarts/NOTICE"
  row bootstrap bootstrap "$BOOTSTRAP_VERSION" "$BOOTSTRAP_LICENCE" \
    "bootstrap/css/bootstrap.min.css bootstrap/js/bootstrap.bundle.min.js bootstrap/LICENSE"
} > "$VENDOR/VERSIONS.txt"

echo "Vendored into $VENDOR:"
(cd "$VENDOR" && find . -type f | sort)

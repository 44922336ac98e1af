#!/usr/bin/env bash
# Copies the pinned chart library (Chart.js) from the npm registry into static/vendor/ with its
# licence and version. Run by hand when bumping the version; the copy is committed so the
# supervisor dashboard needs no build step.
set -euo pipefail
cd "$(dirname "$0")/.."
CHARTJS=4.5.1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "chart.js@${CHARTJS}" >/dev/null && tar xzf chart.js-*.tgz)
mkdir -p static/vendor/chart.js
cp "$tmp/package/dist/chart.umd.min.js" static/vendor/chart.js/chart.umd.min.js
cp "$tmp/package/LICENSE.md" static/vendor/chart.js/LICENSE.md
echo "chart.js ${CHARTJS} from the npm registry" > static/vendor/chart.js/VERSION
echo "vendored chart.js ${CHARTJS}"

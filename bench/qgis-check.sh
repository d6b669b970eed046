#!/usr/bin/env bash
# QGIS check: every layer of out/ opens in QGIS (PyQGIS, offscreen) the way a user opens it: the GeoJSON
# layers through OGR (valid, features, EPSG:4326, typed dates on events), events.qml applied, the map
# sheets and tiles.mbtiles as georeferenced rasters (EPSG:3857). Installs QGIS when missing (we are root in
# CI); never skips a check silently.
# Usage: bench/qgis-check.sh [OUT_DIR]   (default: out/, rebuilt first with the README's main command)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out}
# QGIS's Python bindings are for the system interpreter, not whatever python3 comes first on PATH.
PY=/usr/bin/python3
if ! "$PY" -c 'import qgis' 2>/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qgis python3-qgis >/dev/null
fi
[ -n "${1:-}" ] || cargo run --release -q -- build >/dev/null
export QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/qgis-runtime-$UID}
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
# QGIS prints Qt and proj chatter on stderr; our verdicts are on stdout.
"$PY" bench/qgis_check.py "$OUT" 2> >(grep -v -e '^Application path prefix' -e 'QStandardPaths' >&2)

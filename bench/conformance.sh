#!/usr/bin/env bash
# Conformance: the tools users use must accept everything frontmap writes.
# Installs what it needs (we are root in CI); never skips a check silently.
# Usage: bench/conformance.sh [OUT_DIR]   (default: out/, rebuilt first with the README's main command)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out}

# need CMD PACKAGE: install the Debian package when the command is missing.
need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  [ -n "${APT_UPDATED:-}" ] || { apt-get update -qq; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
need ogrinfo gdal-bin
need pip3 python3-pip
need npm npm
TOOLS=${FRONTMAP_TOOLS:-.cache/conformance}
mkdir -p "$TOOLS"
python3 -c "import shapely" 2>/dev/null || pip install -q --target "$TOOLS/py" shapely==2.1.2
export PYTHONPATH="$TOOLS/py:${PYTHONPATH:-}"
[ -x "$TOOLS/npm/node_modules/.bin/geojsonhint" ] || npm install --silent --prefix "$TOOLS/npm" @mapbox/geojsonhint@2.2.0 >/dev/null

fail=0
echo "== GeoJSON layers"
for f in "$OUT"/*.geojson; do
  [ -e "$f" ] || continue
  if ! ogrinfo -ro -al -so "$f" >/tmp/ogrinfo.$$ 2>&1 || grep -qi "error" /tmp/ogrinfo.$$; then
    echo "FAIL ogrinfo $f"; cat /tmp/ogrinfo.$$; fail=1
  else
    echo "ok   ogrinfo $f ($(grep -m1 'Geometry:' /tmp/ogrinfo.$$ | sed 's/Geometry: //'), $(grep -m1 'Feature Count' /tmp/ogrinfo.$$))"
  fi
  if ! "$TOOLS/npm/node_modules/.bin/geojsonhint" "$f"; then echo "FAIL geojsonhint $f"; fail=1; else echo "ok   geojsonhint $f"; fi
done
python3 bench/check_geojson.py "$OUT"/*.geojson || fail=1
rm -f /tmp/ogrinfo.$$
exit $fail

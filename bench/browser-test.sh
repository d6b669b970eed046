#!/usr/bin/env bash
# Browser test of the web viewer out/index.html (issue 6): serves OUT on 127.0.0.1 with python3 -m http.server,
# opens the page in headless Debian Chromium (driven by npm playwright-core) with a fresh profile, and checks
# no page errors, tiles loaded, the date slider filtering events, a popup quoting a source, and the same
# page from file:// (tests/browser/viewer.cjs). Saves a screenshot to target/browser/viewer.png.
#
# Installs what it needs (we are root in CI): Debian `chromium` when /usr/bin/chromium is missing, npm
# `playwright-core` (pinned) into $FRONTMAP_TOOLS (default .cache/browser). Builds the tiles and the page
# with `frontmap tiles` when OUT has none (they are not committed). Never skips.
# Usage: bench/browser-test.sh [OUT_DIR]   (default: out)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out}
TOOLS=${FRONTMAP_TOOLS:-.cache/browser}
PLAYWRIGHT_VERSION=1.65.1

need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  [ -n "${APT_UPDATED:-}" ] || { apt-get update -qq; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
need node nodejs
need npm npm
if [ ! -x /usr/bin/chromium ]; then
  [ -n "${APT_UPDATED:-}" ] || { apt-get update -qq; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
mkdir -p "$TOOLS"
PW="$TOOLS/node_modules/playwright-core"
if ! grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$PW/package.json" 2>/dev/null; then
  npm install --silent --no-audit --no-fund --prefix "$TOOLS" "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null
fi

if [ ! -f "$OUT/index.html" ] || [ ! -f "$OUT/index.data.js" ] || [ ! -d "$OUT/tiles" ]; then
  echo "building the tiles and the viewer into $OUT"
  cargo run --release -q -- tiles --out "$OUT"
fi

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
LOG=$(mktemp)
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$OUT" >"$LOG" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 50); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null && break
  sleep 0.1
done

echo "== Web viewer in headless $(/usr/bin/chromium --version 2>/dev/null | head -1 | cut -c1-40), playwright-core $PLAYWRIGHT_VERSION, http://127.0.0.1:$PORT/"
PLAYWRIGHT_CORE="$PWD/$PW" node tests/browser/viewer.cjs "http://127.0.0.1:$PORT/index.html" "$OUT" target/browser/viewer.png

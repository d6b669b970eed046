#!/usr/bin/env bash
# Scale (issue 8): time and peak memory of geoparse + events, and of the whole build, as the corpus grows.
#
# 1. Generate synthetic corpora of 100, 1,000 and 10,000 articles with bench/corpus.sh (real sentences
#    shuffled, place names swapped) in $SCALE_DIR (default /tmp/frontmap-scale).
# 2. For each size, under /usr/bin/time (wall seconds, peak RSS):
#    (a) `frontmap events --articles DIR > /dev/null`: read + geoparse + code + merge events, no
#        rendering; median of RUNS runs (default 3);
#    (b) `frontmap build --articles DIR --out OUT --force` into an empty OUT with an empty gazetteer
#        snapshot cache (cold), once.
# 3. Print one table: articles, seconds, articles/s, peak RSS MB, for both.
# Usage: bench/scale.sh [RUNS] [SIZES...]   e.g. bench/scale.sh 3 100 1000 10000
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
shift || true
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100 1000 10000)
DIR=${SCALE_DIR:-/tmp/frontmap-scale}
install() { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
[ -x /usr/bin/time ] || install time
command -v python3 >/dev/null || install python3
cargo build --release --quiet
BIN=$PWD/target/release/frontmap
mkdir -p "$DIR"

# measure OUT_FILE CMD...: run CMD under /usr/bin/time, append "seconds kb" to OUT_FILE.
measure() {
  local out=$1
  shift
  /usr/bin/time -f '%e %M' -o "$out.one" "$@" >/dev/null 2>"$out.err" || { cat "$out.err" >&2; return 1; }
  cat "$out.one" >>"$out"
}

# median FILE: the run of median wall time ("seconds kb").
median() { sort -n "$1" | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }'; }

rows=()
for n in "${SIZES[@]}"; do
  corpus=$DIR/corpus-$n
  if [ "$(find "$corpus/" -maxdepth 1 -name '*.txt' 2>/dev/null | wc -l)" -ne "$n" ]; then
    bench/corpus.sh "$n" "$corpus" >/dev/null
  fi
  ev=$DIR/events-$n.times
  : >"$ev"
  for _ in $(seq "$RUNS"); do
    measure "$ev" "$BIN" events --articles "$corpus"
  done
  out=$DIR/out-$n
  bt=$DIR/build-$n.times
  rm -rf "$out" "$DIR/snapshots" "$bt"
  FRONTMAP_CACHE=$DIR/snapshots measure "$bt" "$BIN" build --articles "$corpus" --out "$out" --force
  rows+=("$n events $(median "$ev")" "$n build $(median "$bt")")
  echo "$n articles done" >&2
done

printf '%s\n' "${rows[@]}" | python3 -c '
import sys
runs = sys.argv[1]
print()
print("| articles | command | seconds | articles/s | peak RSS (MB) |")
print("|---:|---|---:|---:|---:|")
for line in sys.stdin:
    n, what, s, kb = line.split()
    n, s, kb = int(n), float(s), int(kb)
    label = f"events (geoparse + events), median of {runs}" if what == "events" else "build --force (cold, everything)"
    print(f"| {n:,} | {label} | {s:.2f} | {n / max(s, 0.01):,.0f} | {kb / 1024:,.0f} |")
' "$RUNS"

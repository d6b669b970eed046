#!/usr/bin/env bash
# Incremental rebuilds (issue 7): cold build, no-change rebuild, and moving Rawa 0.05° north, on a
# scratch copy of the bundled inputs. Prints times and how many files and tiles each build rewrote.
# Usage: bench/incremental.sh [RUNS]   (TMPDIR=/dev/shm for tmpfs; BIN=path/to/frontmap measures that binary
# instead of building this checkout's)
#   cold build: median of 3 (empty out/, empty gazetteer snapshot cache each time);
#   no-change rebuild: median of RUNS (default 20);
#   one-place edit: the first edit, then the median of RUNS more edits, each moving Rawa 0.05° (5.5 km),
#   alternately south and north, to a latitude never used before (so no gazetteer snapshot of an earlier
#   state is reused).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${1:-20}
if [ -n "${BIN:-}" ]; then
  B=$(realpath "$BIN")
else
  cargo build --release -q
  B=$ROOT/target/release/frontmap
fi
S=$(mktemp -d)
trap 'rm -rf "$S"' EXIT
cp -r articles gazetteer styles "$S/"
cd "$S"
export FRONTMAP_CACHE="$S/snapshots"
ms() { python3 -c "import sys; print(f'{(float(sys.argv[2]) - float(sys.argv[1])) * 1000:.0f}')" "$1" "$2"; }
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
pct() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]) * 100:.1f}')" "$1" "$2"; }
# rewritten FILE_MARKER: files of out/ newer than the marker (tiles counted apart).
rewritten() {
  local all tiles
  all=$(find out -type f -newer "$1" -not -path 'out/.cache/*' | wc -l)
  tiles=$(find out/tiles -type f -newer "$1" | wc -l)
  echo "$((all - tiles)) files + $tiles tiles"
}
total_tiles() { find out/tiles -type f | wc -l; }
GN=gazetteer/geonames/cities500-mideast.txt
north() { sed -i 's/^\(92004\t.*\)\t34.48229\t41.91898\t/\1\t34.53229\t41.91898\t/' "$GN"; }
# to LAT: Rawa's row, wherever it is now, to latitude LAT.
to() { sed -i "s/^\(92004\t.*\)\t34\.[0-9]*\t41.91898\t/\1\t$1\t41.91898\t/" "$GN"; }

echo "== cold build (empty out/, no gazetteer snapshot), median of 3"
times=()
for _ in 1 2 3; do
  rm -rf out "$FRONTMAP_CACHE"
  t0=$(now); "$B" build >/dev/null 2>&1; t1=$(now)
  times+=("$(ms "$t0" "$t1")")
done
cold=$(printf '%s\n' "${times[@]}" | median)
echo "cold build: median ${cold} ms (${times[*]}), $(find out -type f -not -path 'out/.cache/*' | wc -l) files ($(total_tiles) tiles)"

echo "== no-change rebuild (median of $RUNS)"
touch marker; sleep 0.01
times=()
for _ in $(seq "$RUNS"); do
  t0=$(now); "$B" build >/dev/null; t1=$(now)
  times+=("$(ms "$t0" "$t1")")
done
echo "no-change rebuild: median $(printf '%s\n' "${times[@]}" | median) ms; rewritten: $(rewritten marker)"

# The cold builds' writes are flushed first, so no edit waits on their writeback.
sync
echo "== move Rawa (GeoNames 92004) 0.05° north: first edit of the file"
north
grep -q $'\t34.53229\t41.91898\t' "$GN" || { echo "Rawa row not found"; exit 1; }
touch marker; sleep 0.01
t0=$(now); FRONTMAP_TIMING=1 "$B" build 2>timing.txt | tee report.txt; t1=$(now)
first=$(ms "$t0" "$t1")
grep -v 'tiles:' timing.txt | sed 's/^/  /'
echo "one-place edit, first: ${first} ms ($(pct "$first" "$cold")% of the cold build); rewritten: $(rewritten marker) of $(total_tiles)"

echo "== one-place edits, Rawa moved 0.05° south, north, south… to a new latitude each time (median of $RUNS)"
times=()
for i in $(seq "$RUNS"); do
  to "$(python3 -c "print(f'{34.48229 + ($i % 2 == 0) * 0.05 + $i * 0.00001:.5f}')")"
  grep -q $'^92004\t.*\t41.91898\t' "$GN" || { echo "Rawa row not found"; exit 1; }
  touch marker; sleep 0.01
  t0=$(now); "$B" build >/dev/null; t1=$(now)
  times+=("$(ms "$t0" "$t1")")
done
edit=$(printf '%s\n' "${times[@]}" | median)
echo "one-place edit: median ${edit} ms ($(pct "$edit" "$cold")% of the cold build; min $(printf '%s\n' "${times[@]}" | sort -n | head -1), max $(printf '%s\n' "${times[@]}" | sort -n | tail -1)); last rewrote: $(rewritten marker)"

#!/usr/bin/env bash
# Incremental rebuilds (issue 7): cold build, no-change rebuild, and moving Rawa 0.05° north, on a
# scratch copy of the bundled inputs. Prints times and how many files and tiles each build rewrote.
# Usage: bench/incremental.sh [RUNS]   (no-change rebuild: median of RUNS, default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${1:-20}
cargo build --release -q
B=$ROOT/target/release/frontmap
S=$(mktemp -d)
trap 'rm -rf "$S"' EXIT
cp -r articles gazetteer styles "$S/"
cd "$S"
export FRONTMAP_CACHE="$S/snapshots"
ms() { python3 -c "import sys; print(f'{(float(sys.argv[2]) - float(sys.argv[1])) * 1000:.0f}')" "$1" "$2"; }
now() { date +%s.%N; }
# rewritten FILE_MARKER: files of out/ newer than the marker (tiles counted apart).
rewritten() {
  local all tiles
  all=$(find out -type f -newer "$1" -not -path 'out/.cache/*' | wc -l)
  tiles=$(find out/tiles -type f -newer "$1" | wc -l)
  echo "$((all - tiles)) files + $tiles tiles"
}
total_tiles() { find out/tiles -type f | wc -l; }

echo "== cold build (empty out/, no gazetteer snapshot)"
t0=$(now); "$B" build >/dev/null 2>&1; t1=$(now)
cold=$(ms "$t0" "$t1")
echo "cold build: ${cold} ms, $(find out -type f -not -path 'out/.cache/*' | wc -l) files ($(total_tiles) tiles)"

echo "== cold build, gazetteer snapshot warm (--force into an empty out/)"
rm -rf out
t0=$(now); "$B" build >/dev/null 2>&1; t1=$(now)
warm=$(ms "$t0" "$t1")
echo "cold build, warm snapshot: ${warm} ms"

echo "== no-change rebuild (median of $RUNS)"
touch marker; sleep 0.01
times=()
for _ in $(seq "$RUNS"); do
  t0=$(now); "$B" build >/dev/null; t1=$(now)
  times+=("$(ms "$t0" "$t1")")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "no-change rebuild: median ${median} ms; rewritten: $(rewritten marker)"

echo "== move Rawa (GeoNames 92004) 0.05° north"
sed -i 's/^\(92004\t.*\)\t34.48229\t41.91898\t/\1\t34.53229\t41.91898\t/' gazetteer/geonames/cities500-mideast.txt
grep -q $'\t34.53229\t41.91898\t' gazetteer/geonames/cities500-mideast.txt || { echo "Rawa row not found"; exit 1; }
touch marker; sleep 0.01
t0=$(now); FRONTMAP_TIMING=1 "$B" build 2>timing.txt | tee report.txt; t1=$(now)
edit=$(ms "$t0" "$t1")
grep -v 'tiles:' timing.txt | sed 's/^/  /'
echo "one-place edit: ${edit} ms ($(python3 -c "print(f'{$edit / $cold * 100:.0f}')")% of the cold build, $(python3 -c "print(f'{$edit / $warm * 100:.0f}')")% of the warm-snapshot cold build); rewritten: $(rewritten marker) of $(total_tiles)"

echo "== the same edit, second time (gazetteer snapshot of the edited file warm): move back and forth"
sed -i 's/\t34.53229\t41.91898\t/\t34.48229\t41.91898\t/' gazetteer/geonames/cities500-mideast.txt
"$B" build >/dev/null
sed -i 's/\t34.48229\t41.91898\t/\t34.53229\t41.91898\t/' gazetteer/geonames/cities500-mideast.txt
touch marker; sleep 0.01
t0=$(now); "$B" build >/dev/null; t1=$(now)
echo "one-place edit, snapshot warm: $(ms "$t0" "$t1") ms; rewritten: $(rewritten marker)"

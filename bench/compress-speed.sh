#!/usr/bin/env bash
# Decode/prompt speed per weight type on a random Qwen2.5-0.5B-shaped model, smelt and llama.cpp back to
# back on the same file (docs/BENCHMARKS.md, "Compression" section).
# usage: bench/compress-speed.sh OUTDIR [TYPES...]
#   LLAMACPP_DIR: folder with bench.mjs and node_modules (default bench/llamacpp; see its README)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-/tmp/smelt-compress-bench}"
shift || true
TYPES=("$@")
[ ${#TYPES[@]} -gt 0 ] || TYPES=(F16 Q8_0 Q6_K Q5_K_M Q5_0 Q4_K_M Q4_0 IQ4_NL IQ4_XS Q3_K_M Q2_K)
LLAMACPP_DIR="${LLAMACPP_DIR:-$ROOT/bench/llamacpp}"
SMELT="${SMELT:-$ROOT/smelt}"   # a frozen build can be passed, so edits do not trigger rebuilds mid-run
mkdir -p "$OUT"
for t in "${TYPES[@]}"; do
  f="$OUT/qwen2.5-0.5b-$t.gguf"
  [ -f "$f" ] || "$SMELT" model random --shape qwen2.5-0.5b --type "$t" -o "$f" >&2
  echo "{\"type\":\"$t\",\"bytes\":$(stat -c %s "$f")}" | tee -a "$OUT/results.jsonl"
  "$SMELT" bench "$f" --threads 2 --prompt 128 --gen 32 -r 2 --no-membw --json | tee -a "$OUT/results.jsonl"
  (cd "$LLAMACPP_DIR" && node bench.mjs "$f" 2 128 32 2) | tee -a "$OUT/results.jsonl"
  rm -f "$f"
done

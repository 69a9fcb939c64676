#!/usr/bin/env bash
# Decode/prompt speed of smelt and llama.cpp on the same files, back to back (docs/BENCHMARKS.md).
# usage: bench/engine-vs-llamacpp.sh OUTDIR   (needs bench/llamacpp installed: see its README)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-/tmp/smelt-bench}"
mkdir -p "$OUT"
for t in Q8_0 Q4_0 Q4_K_M; do
  f="$OUT/qwen2.5-0.5b-$t.gguf"
  [ -f "$f" ] || "$ROOT/smelt" model random --shape qwen2.5-0.5b --type "$t" -o "$f"
done
gcc -O2 -mavx512f -pthread "$ROOT/../shared/tools/membw.c" -o "$OUT/membw" 2>/dev/null && "$OUT/membw" 2 | tee "$OUT/membw.txt"
for t in Q8_0 Q4_0 Q4_K_M; do
  f="$OUT/qwen2.5-0.5b-$t.gguf"
  "$ROOT/smelt" bench "$f" --threads 2 --prompt 128 --gen 64 -r 3 --json | tee -a "$OUT/results.jsonl"
  (cd "$ROOT/bench/llamacpp" && node bench.mjs "$f" 2 128 64 3) | tee -a "$OUT/results.jsonl"
done

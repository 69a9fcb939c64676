#!/usr/bin/env bash
# Decode/prompt speed of smelt and llama.cpp on the same files, back to back (docs/BENCHMARKS.md).
# usage: bench/engine-vs-llamacpp.sh OUTDIR [TYPES...]
# llama.cpp reference: llama-bench from bench/llamacpp/build-llama-cpp.sh (LLAMA_BENCH=path overrides),
# else node-llama-cpp's prebuilt binaries through bench/llamacpp/bench.mjs.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-/tmp/smelt-bench}"
shift || true
TYPES=("${@:-Q8_0 Q4_0 Q4_K_M}")
read -r -a TYPES <<< "${TYPES[*]}"
LLAMA_BENCH="${LLAMA_BENCH:-/tmp/llama.cpp/build/bin/llama-bench}"
mkdir -p "$OUT"
for t in "${TYPES[@]}"; do
  f="$OUT/qwen2.5-0.5b-$t.gguf"
  [ -f "$f" ] || "$ROOT/smelt" model random --shape qwen2.5-0.5b --type "$t" -o "$f"
done
gcc -O2 -mavx512f -pthread "$ROOT/../shared/tools/membw.c" -o "$OUT/membw" 2>/dev/null && "$OUT/membw" 2 | tee "$OUT/membw.txt" || true
for t in "${TYPES[@]}"; do
  f="$OUT/qwen2.5-0.5b-$t.gguf"
  "$ROOT/smelt" bench "$f" --threads 2 --prompt 128 --gen 64 -r 3 --json | tee -a "$OUT/results.jsonl"
  if [ -x "$LLAMA_BENCH" ]; then
    "$LLAMA_BENCH" -m "$f" -t 2 -p 128 -n 64 -r 3 -o jsonl | sed "s|^|{\"engine\":\"llama-bench\",\"type\":\"$t\",\"row\":|; s|\$|}|" | tee -a "$OUT/results.jsonl"
  else
    (cd "$ROOT/bench/llamacpp" && node bench.mjs "$f" 2 128 64 3) | tee -a "$OUT/results.jsonl"
  fi
done

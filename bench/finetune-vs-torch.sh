#!/usr/bin/env bash
# LoRA training throughput and peak memory of smelt and PyTorch CPU on the same GGUF, back to back
# (docs/BENCHMARKS.md). PyTorch set-up: ../shared/README.md (python3-torch + OpenBLAS-openmp).
# usage: bench/finetune-vs-torch.sh [OUTDIR] [SHAPE=smollm2-135m] [SEQ=256] [STEPS=3]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-/tmp/smelt-bench}"
SHAPE="${2:-smollm2-135m}"
SEQ="${3:-256}"
STEPS="${4:-3}"
mkdir -p "$OUT"
f="$OUT/$SHAPE-F32.gguf"
[ -f "$f" ] || "$ROOT/smelt" model random --shape "$SHAPE" --type F32 -o "$f"
for run in 1 2; do
  SMELT_JAVA_OPTS="-Xmx1500m" "$ROOT/smelt" bench-train "$f" --seq "$SEQ" --steps "$STEPS" --threads 2 --rank 16 --grad-checkpointing | tee -a "$OUT/finetune.txt"
  SMELT_JAVA_OPTS="-Xmx1500m" "$ROOT/smelt" bench-train "$f" --seq "$SEQ" --steps "$STEPS" --threads 2 --rank 16 | tee -a "$OUT/finetune.txt"
  OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 "$ROOT/../shared/tools/torch_lora_bench.py" "$f" "$SEQ" "$STEPS" 2 16 | tee -a "$OUT/finetune.txt"
done

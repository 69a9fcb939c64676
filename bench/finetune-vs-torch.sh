#!/usr/bin/env bash
# LoRA training throughput and peak memory of smelt and PyTorch CPU on the same GGUF, back to back
# (docs/BENCHMARKS.md). PyTorch set-up: ../shared/README.md (python3-torch + OpenBLAS-openmp).
# usage: bench/finetune-vs-torch.sh [OUTDIR] [SHAPE=smollm2-135m] [SEQ=256] [STEPS=3] [ROUNDS=2]
#   SHAPE: smollm2-135m or qwen2.5-0.5b (any `smelt model random --shape` name)
#   SMELT_HEAP overrides smelt's Java heap (-Xmx) for both smelt runs.
# smelt prints CPU seconds per step beside tokens/s: on a shared machine that is the comparable number.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-/tmp/smelt-bench}"
SHAPE="${2:-smollm2-135m}"
SEQ="${3:-256}"
STEPS="${4:-3}"
ROUNDS="${5:-2}"
mkdir -p "$OUT"
f="$OUT/$SHAPE-F32.gguf"
[ -f "$f" ] || "$ROOT/smelt" model random --shape "$SHAPE" --type F32 -o "$f"
# Heap for the run that keeps every activation (~45 MiB per layer per 512 tokens on Qwen2.5-0.5B, ~10 MiB per
# layer per 256 on SmolLM2-135M) plus LoRA state and one chunk of logits; gradient checkpointing keeps
# one block's activations, so the smaller heap always suffices there.
case "$SHAPE" in
  qwen2.5-0.5b) if [ "$SEQ" -gt 256 ]; then KEEP_HEAP=2600m; else KEEP_HEAP=1800m; fi ;;
  *) if [ "$SEQ" -gt 256 ]; then KEEP_HEAP=1800m; else KEEP_HEAP=1500m; fi ;;
esac
CKPT_HEAP=1500m
if [ -n "${SMELT_HEAP:-}" ]; then KEEP_HEAP="$SMELT_HEAP"; CKPT_HEAP="$SMELT_HEAP"; fi
for run in $(seq 1 "$ROUNDS"); do
  echo "# round $run: $SHAPE seq $SEQ, $STEPS steps, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/finetune.txt"
  SMELT_JAVA_OPTS="-Xmx$CKPT_HEAP" "$ROOT/smelt" bench-train "$f" --seq "$SEQ" --steps "$STEPS" --threads 2 --rank 16 --grad-checkpointing | tee -a "$OUT/finetune.txt"
  SMELT_JAVA_OPTS="-Xmx$KEEP_HEAP" "$ROOT/smelt" bench-train "$f" --seq "$SEQ" --steps "$STEPS" --threads 2 --rank 16 | tee -a "$OUT/finetune.txt"
  OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 "$ROOT/../shared/tools/torch_lora_bench.py" "$f" "$SEQ" "$STEPS" 2 16 | tee -a "$OUT/finetune.txt"
done

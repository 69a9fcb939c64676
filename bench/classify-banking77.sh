#!/usr/bin/env bash
# Banking77 intent classification (../shared/data/banking77: 10,003 train / 3,080 test, 77 intents):
# the frozen-embedding head and full fine-tuning of the encoder, each timed with /usr/bin/time -v
# (wall clock, peak RSS). Usage: bench/classify-banking77.sh OUT_DIR [MODEL] [EPOCHS] [THREADS]
set -euo pipefail
out=${1:?usage: $0 OUT_DIR [MODEL] [EPOCHS] [THREADS]}
model=${2:-all-minilm-l6-v2}
epochs=${3:-5}
threads=${4:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
data=$root/../shared/data/banking77
mkdir -p "$out"
for method in head full; do
  args=(classify-train --model "$model" --data "$data/train.csv" --test "$data/test.csv" --text-column text
        --label-column category --out "$out/$method" --method "$method" --threads "$threads" --seed 42)
  [ "$method" = full ] && args+=(--epochs "$epochs" --val-fraction 0.05)
  /usr/bin/time -v "$root/smelt" "${args[@]}" > "$out/$method.json" 2> "$out/$method.log"
  grep -E '"test_accuracy"|"total_train_seconds"' "$out/$method.json"
  grep -E 'Elapsed \(wall|Maximum resident' "$out/$method.log"
done

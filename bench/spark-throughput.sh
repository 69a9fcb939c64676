#!/usr/bin/env bash
# smelt on Spark vs one machine (docs/BENCHMARKS.md, issue 16): rows/s of classify and embed over the first ROWS rows
# of Banking77's train.csv via `smelt classify|embed` (one JVM, --threads CORES), `smelt spark ... --master local[CORES]`
# and `smelt spark ... --master local-cluster[2,CORES/2,MB]` (two executor JVMs), run back to back per task so the
# machine's load is as equal as it gets. Wall time per command includes JVM start, Spark start and model loads
# (what a user waits for); the Spark summary line also gives each executor's model load time.
# usage: bench/spark-throughput.sh CLASSIFIER_DIR [ROWS] [OUTDIR]      (CLASSIFIER_DIR: a classify-train output)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CLF="${1:?usage: bench/spark-throughput.sh CLASSIFIER_DIR [ROWS] [OUTDIR]}"
ROWS="${2:-10000}"
OUT="${3:-/tmp/smelt-spark-bench}"
CORES="${CORES:-2}"
DATA="${DATA:-$ROOT/../shared/data/banking77/train.csv}"
mkdir -p "$OUT"
python3 - "$DATA" "$ROWS" "$OUT" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))[: int(sys.argv[2])]
with open(sys.argv[3] + '/in.csv', 'w', newline='') as f:
    w = csv.writer(f); w.writerow(['text', 'category']); [w.writerow([r['text'], r['category']]) for r in rows]
with open(sys.argv[3] + '/in.jsonl', 'w') as f:
    [f.write(json.dumps({'text': r['text']}) + '\n') for r in rows]
PY
N=$(($(wc -l < "$OUT/in.jsonl")))
echo "rows: $N; load average: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/results.txt"
timed() { # name, command...
  local name="$1"; shift
  rm -rf "$OUT/out-$name.jsonl"
  local t0=$(date +%s.%N)
  "$@" > "$OUT/stdout-$name" 2> "$OUT/stderr-$name"
  local t1=$(date +%s.%N)
  local s=$(echo "$t1 - $t0" | bc -l)
  printf '%-22s %8.1f s %8.1f rows/s   %s\n' "$name" "$s" "$(echo "$N / $s" | bc -l)" "$(grep -ho 'model loads: .*' "$OUT/stderr-$name" || true)" \
    | tee -a "$OUT/results.txt"
}
SP=(spark --input "$OUT/in.csv" --text-column text)
for task in classify embed; do
  if [ "$task" = classify ]; then M=(--model "$CLF"); else M=(); fi
  timed "$task-single" "$ROOT/smelt" "$task" "${M[@]}" --threads "$CORES" < "$OUT/in.jsonl"
  timed "$task-local" "$ROOT/smelt" "${SP[0]}" "$task" "${SP[@]:1}" "${M[@]}" --output "$OUT/out-$task-local.jsonl" --master "local[$CORES]"
  timed "$task-cluster" "$ROOT/smelt" "${SP[0]}" "$task" "${SP[@]:1}" "${M[@]}" --output "$OUT/out-$task-cluster.jsonl" \
    --master "local-cluster[2,$((CORES / 2)),1536]"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/results.txt"

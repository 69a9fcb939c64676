#!/usr/bin/env bash
# Narrow-task serving benchmark (docs/BENCHMARKS.md): 8 concurrent clients classify Banking77 test sentences with a
# shared few-shot system prompt (the 77 labels and 2 examples) and response_format json_schema {"label": enum of the
# 77 labels}, temperature 0, against smelt serve and (with LLAMA_SERVER) llama-server on the same GGUF: a
# Qwen2.5-0.5B-shaped Q4_0 file with random weights and the shared Qwen3 tokenizer (bench/qwen3-tokenizer.sh).
# smelt runs twice: as configured by default (jump-forward decoding on) and with --no-jump-forward.
# Prints one JSON line per server, as bench/serve-load.sh does: {"server":..,"threads":..,"result":{"requests_per_s":..,
# "latency_p50_ms":..,"latency_p95_ms":..,...}}, appended to OUT/serve-narrow.jsonl. Loopback only.
# usage: bench/serve-narrow.sh [OUTDIR] [REQUESTS_PER_CLIENT] [THREADS]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-/tmp/smelt-serve-bench}"
REQ="${2:-4}"
THREADS="${3:-$(nproc)}"
PORT="${PORT:-18090}"
CLIENTS=8
DATA="${BANKING77:-$ROOT/../shared/data/banking77}"
[ -f "$DATA/test.csv" ] || DATA=/work/shared/data/banking77
mkdir -p "$OUT"
source "$ROOT/bench/lib.sh"
make_qwen_model
f="$MODEL_FILE"

run_load() { # name port kind
  # warm-up: loads the model, JIT, and puts the shared system prompt in a cache, as a long-running server has it
  "$JAVA" "$ROOT/bench/NarrowLoad.java" "http://127.0.0.1:$2" default 1 1 "$DATA" "$3" >/dev/null
  echo -n "{\"server\":\"$1\",\"threads\":$THREADS,\"result\":"
  "$JAVA" "$ROOT/bench/NarrowLoad.java" "http://127.0.0.1:$2" default "$CLIENTS" "$REQ" "$DATA" "$3"
  echo "}"
}

serve_smelt() { # name extra-flags...
  local name="$1"; shift
  start_server "$OUT/smelt-$name.log" "$PORT" "$ROOT/smelt" serve "$f" --host 127.0.0.1 --port "$PORT" -np "$CLIENTS" -c 1024 --threads "$THREADS" "$@"
  run_load "$name" "$PORT" smelt | tee -a "$OUT/serve-narrow.jsonl"
  curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^smelt_(jump_forward|prompt_tokens|generated|draft)' >"$OUT/smelt-$name.metrics" || true
  stop_pid "$SERVER_PID"
}

serve_smelt smelt
serve_smelt smelt-no-jump --no-jump-forward

if [ -n "${LLAMA_SERVER:-}" ]; then
  start_server "$OUT/llama-server.log" "$((PORT + 1))" "$LLAMA_SERVER" -m "$f" --host 127.0.0.1 --port "$((PORT + 1))" -np "$CLIENTS" -c $((CLIENTS * 1024)) -t "$THREADS"
  run_load llama-server "$((PORT + 1))" llama | tee -a "$OUT/serve-narrow.jsonl"
  stop_pid "$SERVER_PID"
fi

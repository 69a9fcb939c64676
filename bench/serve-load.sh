#!/usr/bin/env bash
# Load benchmark of `smelt serve` (docs/BENCHMARKS.md): 1, 4 and 8 concurrent streaming clients on a
# Qwen2.5-0.5B-shaped Q4_0 model (random weights, the shared Qwen3 tokenizer: bench/qwen3-tokenizer.sh), 64-token
# completions of 32-word prompts drawn from that tokenizer's whole-word vocabulary, loopback only.
# usage: bench/serve-load.sh [OUTDIR] [REQUESTS_PER_CLIENT] [THREADS]
# If LLAMA_SERVER points to a llama-server binary, the same load runs against `llama-server -np 8`.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-/tmp/smelt-serve-bench}"
REQ="${2:-8}"
THREADS="${3:-$(nproc)}"
PORT="${PORT:-18080}"
mkdir -p "$OUT"
source "$ROOT/bench/lib.sh"
make_qwen_model
f="$MODEL_FILE"

run_load() { # name port model
  # warm-up (loads the model, JIT), then the measured rounds
  "$JAVA" "$ROOT/bench/ServeLoad.java" "http://127.0.0.1:$2" "$3" 1 1 8 "$OUT/qwen3-tok/words.txt" >/dev/null
  for c in 1 4 8; do
    echo -n "{\"server\":\"$1\",\"threads\":$THREADS,\"result\":"
    "$JAVA" "$ROOT/bench/ServeLoad.java" "http://127.0.0.1:$2" "$3" "$c" "$REQ" 64 "$OUT/qwen3-tok/words.txt"
    echo "}"
  done | tee -a "$OUT/serve-load.jsonl"
}

start_server "$OUT/smelt-serve.log" "$PORT" "$ROOT/smelt" serve "$f" --host 127.0.0.1 --port "$PORT" -np 8 -c 512 --threads "$THREADS"
run_load smelt "$PORT" default
stop_pid "$SERVER_PID"

if [ -n "${LLAMA_SERVER:-}" ]; then
  start_server "$OUT/llama-server.log" "$((PORT + 1))" "$LLAMA_SERVER" -m "$f" --host 127.0.0.1 --port "$((PORT + 1))" -np 8 -c 4096 -t "$THREADS"
  run_load llama-server "$((PORT + 1))" default
  stop_pid "$SERVER_PID"
fi

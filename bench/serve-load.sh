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
"$ROOT/bench/qwen3-tokenizer.sh" "$OUT/qwen3-tok"
f="$OUT/qwen2.5-0.5b-Q4_0-qwen3vocab.gguf"
[ -f "$f" ] || "$ROOT/smelt" model random --shape qwen2.5-0.5b --type Q4_0 --tokenizer "$OUT/qwen3-tok" -o "$f"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAVA="$JAVA_HOME/bin/java"

wait_health() {
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$1/health" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "server on port $1 did not become healthy" >&2; return 1
}

run_load() { # name port model
  # warm-up (loads the model, JIT), then the measured rounds
  "$JAVA" "$ROOT/bench/ServeLoad.java" "http://127.0.0.1:$2" "$3" 1 1 8 "$OUT/qwen3-tok/words.txt" >/dev/null
  for c in 1 4 8; do
    echo -n "{\"server\":\"$1\",\"threads\":$THREADS,\"result\":"
    "$JAVA" "$ROOT/bench/ServeLoad.java" "http://127.0.0.1:$2" "$3" "$c" "$REQ" 64 "$OUT/qwen3-tok/words.txt"
    echo "}"
  done | tee -a "$OUT/serve-load.jsonl"
}

"$ROOT/smelt" serve "$f" --host 127.0.0.1 --port "$PORT" -np 8 -c 512 --threads "$THREADS" >"$OUT/smelt-serve.log" 2>&1 &
SMELT_PID=$!
trap 'kill $SMELT_PID 2>/dev/null || true' EXIT
wait_health "$PORT"
run_load smelt "$PORT" default
kill "$SMELT_PID"; wait "$SMELT_PID" 2>/dev/null || true

if [ -n "${LLAMA_SERVER:-}" ]; then
  "$LLAMA_SERVER" -m "$f" --host 127.0.0.1 --port "$((PORT + 1))" -np 8 -c 4096 -t "$THREADS" >"$OUT/llama-server.log" 2>&1 &
  LLAMA_PID=$!
  trap 'kill $LLAMA_PID 2>/dev/null || true' EXIT
  wait_health "$((PORT + 1))"
  run_load llama-server "$((PORT + 1))" default
  kill "$LLAMA_PID"; wait "$LLAMA_PID" 2>/dev/null || true
fi

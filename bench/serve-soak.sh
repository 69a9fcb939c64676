#!/usr/bin/env bash
# Soak of `smelt serve` (docs/BENCHMARKS.md): mixed requests with random client disconnects for
# DURATION seconds (default 600), then slots in use, queue depth and heap at the end.
# usage: bench/serve-soak.sh [OUTDIR] [DURATION_S] [CLIENTS] [MODEL.gguf]
# (SMELT=/path/to/launcher runs another build, e.g. a copy of the jars that a rebuild cannot replace mid-run)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-/tmp/smelt-serve-soak}"
DUR="${2:-600}"
CLIENTS="${3:-6}"
MODEL="${4:-$ROOT/../shared/reference/models/shakespeare-Q4_0.gguf}"
PORT="${PORT:-18090}"
mkdir -p "$OUT"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
"${SMELT:-$ROOT/smelt}" serve "$MODEL" --host 127.0.0.1 --port "$PORT" -np 4 -c 1024 --queue 8 >"$OUT/smelt-serve.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.2; done
"$JAVA_HOME/bin/java" "$ROOT/bench/ServeSoak.java" "http://127.0.0.1:$PORT" default "$DUR" "$CLIENTS" | tee -a "$OUT/soak.jsonl"

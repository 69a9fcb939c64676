#!/usr/bin/env bash
# Soak of `smelt serve` (docs/RELIABILITY.md): mixed requests, the malformed corpus and random client disconnects for
# DURATION seconds (default 600), then slots in use, queue depth, engine health and heap at the end. Every 60 s the
# server gets a full GC (jcmd GC.run) and its heap use right after is appended to OUTDIR/heap-after-gc.tsv: flat
# over the run means nothing accumulates.
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
GCPID=
trap 'kill $PID 2>/dev/null || true; [ -n "$GCPID" ] && kill $GCPID 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.2; done
heap_after_gc() {
  "$JAVA_HOME/bin/jcmd" "$PID" GC.run >/dev/null 2>&1 || return 0
  local mb
  mb=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^jvm_memory_used_bytes\{area="heap"/ {s += $NF} END {printf "%.1f", s / 1e6}')
  printf '%s\t%s\n' "$(date -u +%H:%M:%S)" "$mb" >>"$OUT/heap-after-gc.tsv"
}
: >"$OUT/heap-after-gc.tsv"
( for _ in $(seq 1 $((DUR / 60))); do heap_after_gc; sleep 60; done; heap_after_gc ) &
GCPID=$!
"$JAVA_HOME/bin/java" "$ROOT/bench/ServeSoak.java" "http://127.0.0.1:$PORT" default "$DUR" "$CLIENTS" | tee -a "$OUT/soak.jsonl"
wait $GCPID 2>/dev/null || true
GCPID=
heap_after_gc
echo "heap used right after a full GC (MB), every 60 s:"; cat "$OUT/heap-after-gc.tsv"

#!/usr/bin/env bash
# Replica-pool benchmark (docs/BENCHMARKS.md, issue 16): `smelt route` with a `type: pool` target in front of
# local `smelt serve` replicas, driven by bench/PoolLoad.java (streamed chat completions whose prompts share one
# of TENANTS long system prompts). Phases:
#   one    - the pool over 1 replica
#   three  - the pool over 3 replicas (same per-replica settings): aggregate throughput vs one
#   kill   - 3 replicas; one is killed (SIGKILL) mid-load and restarted: failed client requests must be 0
#   affinity on / off - fresh replicas each, prefix affinity on vs off: prompt tokens reused from the replicas'
#            prefix caches (smelt_prompt_tokens_reused / smelt_prompt_tokens) and time to first token
# usage: bench/pool-load.sh [OUTDIR] [CLIENTS] [REQUESTS_PER_CLIENT] [THREADS_PER_REPLICA]
# MODEL (default: ../shared/reference/models/qwen2-Q8_0.gguf, a tiny random-weight Qwen2) picks the model.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-/tmp/smelt-pool-bench}"
CLIENTS="${2:-6}"
REQ="${3:-8}"
THREADS="${4:-1}"
MODEL="${MODEL:-$ROOT/../shared/reference/models/qwen2-Q8_0.gguf}"
TENANTS=6
MAXTOK=16
BASE_PORT="${BASE_PORT:-18190}"
mkdir -p "$OUT"
source "$ROOT/bench/lib.sh"
declare -A PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

replica() { # i: start replica i on BASE_PORT+i
  "$ROOT/smelt" serve "$MODEL" --host 127.0.0.1 --port "$((BASE_PORT + $1))" -np 4 -c 2048 --threads "$THREADS" \
    >>"$OUT/replica-$1.log" 2>&1 &
  PIDS[r$1]=$!
}
stop() { stop_pid "${PIDS[$1]}"; unset "PIDS[$1]"; }
router() { # affinity_chars replica-indices...
  local aff="$1"; shift
  local urls=""
  for i in "$@"; do urls="$urls${urls:+, }http://127.0.0.1:$((BASE_PORT + i))"; done
  cat >"$OUT/router.yaml" <<YAML
targets:
  fleet: {type: pool, model: default, replicas: [$urls], affinity_prefix_chars: $aff, health_interval_seconds: 1,
          consecutive_failures: 2, base_ejection_seconds: 5, timeout_seconds: 120}
policy: {type: rules, weak: fleet, strong: fleet}
YAML
  "$ROOT/smelt" route --router "$OUT/router.yaml" --host 127.0.0.1 --port "$BASE_PORT" >>"$OUT/router.log" 2>&1 &
  PIDS[router]=$!
  wait_health "$BASE_PORT"
}
load() { "$JAVA" "$ROOT/bench/PoolLoad.java" "http://127.0.0.1:$BASE_PORT" "$CLIENTS" "$REQ" "$TENANTS" "$MAXTOK"; }
metric() { # name: sum over replicas 1..3 that are up
  local s=0
  for i in 1 2 3; do
    v=$(curl -sf "http://127.0.0.1:$((BASE_PORT + i))/metrics" 2>/dev/null | awk -v n="$1" '$1 == n {print $2}' | head -1)
    s=$(awk -v a="$s" -v b="${v:-0}" 'BEGIN {print a + b}')
  done
  echo "$s"
}
record() { echo "{\"phase\":\"$1\",\"threads_per_replica\":$THREADS,\"result\":$2}" | tee -a "$OUT/pool-load.jsonl"; }

for i in 1 2 3; do replica "$i"; done
for i in 1 2 3; do wait_health "$((BASE_PORT + i))"; done

router 0 1
load >/dev/null # warm-up: JIT, model pages
record one "$(load)"
stop router

router 0 1 2 3
load >/dev/null
record three "$(load)"

# kill: the same router; replica 2 is killed 2 s into the load and restarted 3 s later
load >"$OUT/kill.json" &
LOAD=$!
sleep 2; kill -9 "${PIDS[r2]}"; wait "${PIDS[r2]}" 2>/dev/null || true
sleep 3; replica 2
wait "$LOAD"
record kill "$(cat "$OUT/kill.json")"
stop router

for aff in 256 0; do
  for i in 1 2 3; do stop "r$i"; done
  for i in 1 2 3; do replica "$i"; done
  for i in 1 2 3; do wait_health "$((BASE_PORT + i))"; done
  router "$aff" 1 2 3
  r="$(load)"
  p=$(metric smelt_prompt_tokens_total); u=$(metric smelt_prompt_tokens_reused_total)
  record "affinity_$aff" "{\"load\":$r,\"prompt_tokens\":$p,\"prompt_tokens_reused\":$u}"
  stop router
done

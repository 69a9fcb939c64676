# Shell functions shared by the serving benchmarks (bench/serve-load.sh, bench/serve-narrow.sh, bench/pool-load.sh);
# sourced, not run. Expects ROOT (the repository root) and OUT (the output folder) to be set.
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAVA="$JAVA_HOME/bin/java"

wait_health() { # port: waits up to 120 s for GET /health on loopback to answer 2xx
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$1/health" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "server on port $1 did not become healthy" >&2; return 1
}

make_qwen_model() { # sets MODEL_FILE to OUT's Qwen2.5-0.5B-shaped Q4_0 GGUF (random weights, the shared Qwen3
  # tokenizer), making the tokenizer (bench/qwen3-tokenizer.sh) and the file when they are not there yet
  "$ROOT/bench/qwen3-tokenizer.sh" "$OUT/qwen3-tok"
  MODEL_FILE="$OUT/qwen2.5-0.5b-Q4_0-qwen3vocab.gguf"
  [ -f "$MODEL_FILE" ] || "$ROOT/smelt" model random --shape qwen2.5-0.5b --type Q4_0 --tokenizer "$OUT/qwen3-tok" -o "$MODEL_FILE"
}

start_server() { # log port command...: starts a server in the background, logging to LOG, sets SERVER_PID (stopped when
  # the script exits) and waits until it answers /health on PORT
  local log="$1" port="$2"; shift 2
  "$@" >"$log" 2>&1 &
  SERVER_PID=$!
  trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
  wait_health "$port"
}

stop_pid() { # pid: stops a server this script started and waits for it to exit
  kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true
}

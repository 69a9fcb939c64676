#!/usr/bin/env bash
# Regenerates the quantized reference models of ../shared/reference/models from their F32 files with
# llama.cpp's llama-quantize (1 thread) into OUT_DIR, and compares each with the shared file byte for byte.
# The -imatrix files record the importance matrix's path in their metadata (quantize.imatrix.file): they
# were made from inside reference/golden, as here.
# Usage: quantized-models.sh SHARED_DIR OUT_DIR [LLAMA_BIN_DIR=/work/llama.cpp/build/bin]
set -euo pipefail
shared=$(cd "${1:?SHARED_DIR}" && pwd); mkdir -p "${2:?OUT_DIR}"; out=$(cd "$2" && pwd); bin=${3:-/work/llama.cpp/build/bin}
models="$shared/reference/models"
fail=0
check() { # NAME SRC TYPE [imatrix]
  local name=$1 src=$2 type=$3
  if [ -n "${4:-}" ]; then
    (cd "$shared/reference/golden" && "$bin/llama-quantize" --imatrix shakespeare.imatrix.gguf "$models/$src.gguf" "$out/$name.gguf" "$type" 1 >/dev/null 2>&1)
  else
    "$bin/llama-quantize" "$models/$src.gguf" "$out/$name.gguf" "$type" 1 >/dev/null 2>&1
  fi
  if cmp -s "$out/$name.gguf" "$models/$name.gguf"; then echo "same  $name"; else echo "DIFF  $name"; fail=1; fi
}
for t in F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K_M Q4_K_M Q5_K_M Q6_K IQ4_NL IQ4_XS; do check "llama-$t" llama "$t"; done
for m in qwen2 qwen3 phi3 gemma3; do for t in Q8_0 Q4_K_M; do check "$m-$t" "$m" "$t"; done; done
for t in Q8_0 Q6_K Q4_K_M Q4_0; do check "shakespeare-$t" shakespeare "$t"; done
for t in Q4_K_M Q4_0; do check "shakespeare-$t-imatrix" shakespeare "$t" imatrix; done
exit $fail

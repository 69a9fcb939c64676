#!/usr/bin/env bash
# Regenerates the llama.cpp quality goldens of the Shakespeare model into OUT_DIR:
#   shakespeare.imatrix.gguf  llama-imatrix -c 256 over the first 200,000 bytes of input.txt (named calib.txt,
#                             the name its metadata records); compared tensor by tensor with the shared one
#   ppl-kld.txt               llama-perplexity -c 256 on the validation text (bytes 1,003,854.. of input.txt):
#                             F32 PPL, then per quantized file PPL and --kl-divergence against the F32 logits
#                             (the numbers of shakespeare.ppl-kld.csv)
# Usage: shakespeare-quality.sh SHARED_DIR OUT_DIR [LLAMA_BIN_DIR=/work/llama.cpp/build/bin] [--imatrix-only]
set -euo pipefail
shared=$(cd "${1:?SHARED_DIR}" && pwd); mkdir -p "${2:?OUT_DIR}"; out=$(cd "$2" && pwd); bin=${3:-/work/llama.cpp/build/bin}
here=$(cd "$(dirname "$0")" && pwd)
models="$shared/reference/models"
text="$shared/data/tinyshakespeare/input.txt"
head -c 200000 "$text" > "$out/calib.txt"
(cd "$out" && "$bin/llama-imatrix" -m "$models/shakespeare.gguf" -f calib.txt -c 256 -o shakespeare.imatrix.gguf -t 1 >imatrix.log 2>&1)
python3 - "$out/shakespeare.imatrix.gguf" "$shared/reference/golden/shakespeare.imatrix.gguf" "$here" <<'PY'
import sys
sys.path.insert(0, sys.argv[3])
import gguf_tensors
(_, a), (_, b) = gguf_tensors.read(sys.argv[1]), gguf_tensors.read(sys.argv[2])
same = set(a) == set(b) and all(a[n][2] == b[n][2] for n in a)
print(("same " if same else "DIFF ") + "shakespeare.imatrix.gguf tensors")
sys.exit(0 if same else 1)
PY
[ "${4:-}" = "--imatrix-only" ] && exit 0
tail -c +1003855 "$text" > "$out/val.txt"
"$bin/llama-perplexity" -m "$models/shakespeare.gguf" -f "$out/val.txt" -c 256 -t 1 --kl-divergence-base "$out/base.kld" > "$out/ppl-kld.txt" 2>&1
for m in Q8_0 Q6_K Q4_K_M Q4_0 Q4_K_M-imatrix Q4_0-imatrix; do
  echo "== shakespeare-$m" >> "$out/ppl-kld.txt"
  "$bin/llama-perplexity" -m "$models/shakespeare-$m.gguf" -c 256 -t 1 --kl-divergence-base "$out/base.kld" --kl-divergence >> "$out/ppl-kld.txt" 2>&1
done
grep -E "^== |Final estimate|Mean    KLD|Same top p" "$out/ppl-kld.txt"

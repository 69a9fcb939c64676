#!/usr/bin/env bash
# Quality per compression on the trained reference model (docs/BENCHMARKS.md, "Compression" section):
# every quantization type with and without the importance matrix, prune and lowrank variants, each
# judged by `smelt kld` against shakespeare.gguf on the first CHUNKS×256 tokens of the validation text.
# usage: bench/compress-quality.sh OUTDIR [CHUNKS]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SHARED="$ROOT/../shared"
OUT="${1:-/tmp/smelt-compress-quality}"
CHUNKS="${2:-40}"
BASE="$SHARED/reference/models/shakespeare.gguf"
IM="$SHARED/reference/golden/shakespeare.imatrix.gguf"
SMELT="${SMELT:-$ROOT/smelt}"   # a frozen build can be passed, so edits do not trigger rebuilds mid-run
mkdir -p "$OUT"
tail -c +1003855 "$SHARED/data/tinyshakespeare/input.txt" > "$OUT/val.txt"
kld() { # NAME FILE
  echo "{\"name\":\"$1\",\"bytes\":$(stat -c %s "$2"),\"kld\":$("$SMELT" kld "$BASE" "$2" -f "$OUT/val.txt" -c 256 --chunks "$CHUNKS" -t 2 --json)}" \
    | tee -a "$OUT/results.jsonl"
}
for t in F16 BF16 Q8_0 Q6_K Q5_K_M Q5_1 Q5_0 Q4_K_M Q4_1 Q4_0 IQ4_NL IQ4_XS Q3_K_M Q2_K; do
  "$SMELT" quantize "$BASE" "$OUT/$t.gguf" --type "$t" -t 2 2>/dev/null
  kld "$t" "$OUT/$t.gguf"
  "$SMELT" quantize "$BASE" "$OUT/$t-im.gguf" --type "$t" --imatrix "$IM" -t 2 2>/dev/null
  kld "$t+imatrix" "$OUT/$t-im.gguf"
  rm -f "$OUT/$t.gguf" "$OUT/$t-im.gguf"
done
for m in magnitude wanda; do
  for s in "--sparsity 0.5" "--pattern 2:4" "--sparsity 0.25"; do
    n="prune $m ${s#--}"
    "$SMELT" prune "$BASE" "$OUT/p.gguf" --method $m $s --imatrix "$IM" -t 2 2>/dev/null
    kld "$n" "$OUT/p.gguf"
  done
done
"$SMELT" prune "$BASE" "$OUT/p.gguf" --method wanda --sparsity 0.5 --imatrix "$IM" --type Q4_0 -t 2 2>/dev/null
kld "prune wanda sparsity 0.5 + Q4_0" "$OUT/p.gguf"
for r in 160 128 96 64; do
  for im in "--imatrix $IM" ""; do
    "$SMELT" lowrank "$BASE" "$OUT/l.gguf" --rank $r --tensors attn_q,attn_k,attn_v,attn_o,ffn_gate,ffn_up,ffn_down $im -t 2 2>/dev/null
    kld "lowrank all rank $r ${im:+asvd}" "$OUT/l.gguf"
  done
done
for e in 0.99 0.95 0.9; do
  "$SMELT" lowrank "$BASE" "$OUT/l.gguf" --energy $e --imatrix "$IM" -t 2 2>/dev/null
  kld "lowrank all energy $e asvd" "$OUT/l.gguf"
done
rm -f "$OUT/p.gguf" "$OUT/l.gguf"

#!/usr/bin/env bash
# Prepares the shared Qwen3 tokenizer for the serving benchmarks: DIR/tokenizer.json (unzipped), DIR/tokenizer_config.json
# with a plain ChatML template (Qwen3's own template adds thinking blocks that servers handle differently; ChatML is the
# format both smelt and llama-server render identically), and DIR/words.txt: whole-word vocabulary entries for prompts.
# usage: bench/qwen3-tokenizer.sh DIR
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SRC="${SHARED:-$ROOT/../shared}/reference/tokenizers/hf/qwen3"
[ -d "$SRC" ] || SRC=/work/shared/reference/tokenizers/hf/qwen3
DIR="$1"
mkdir -p "$DIR"
[ -f "$DIR/tokenizer.json" ] || gzip -dc "$SRC/tokenizer.json.gz" >"$DIR/tokenizer.json"
python3 - "$SRC/tokenizer_config.json" "$DIR" <<'PY'
import json, sys, re
cfg = json.load(open(sys.argv[1]))
cfg["chat_template"] = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
                        "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
json.dump(cfg, open(sys.argv[2] + "/tokenizer_config.json", "w"))
vocab = json.load(open(sys.argv[2] + "/tokenizer.json"))["model"]["vocab"]
words = sorted(w[1:] for w in vocab if w.startswith("\u0120") and re.fullmatch(r"[a-z]{3,10}", w[1:]))
open(sys.argv[2] + "/words.txt", "w").write("\n".join(words) + "\n")
PY

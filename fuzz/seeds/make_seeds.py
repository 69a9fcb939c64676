#!/usr/bin/env python3
"""Writes the fuzz seed corpus (small files only) under fuzz/src/test/resources. Run from the repo root:
   python3 fuzz/seeds/make_seeds.py [../shared]
Seeds are synthetic miniatures of the reference formats plus a few small reference files copied whole
(chat templates, a task YAML). Re-running overwrites the seeds it makes and leaves fuzzer findings alone."""
import json, os, struct, sys

ROOT = "fuzz/src/test/resources/dev/smelt"
SHARED = sys.argv[1] if len(sys.argv) > 1 else "../shared"

def out(cls, method, name, data, pkg="fuzz"):
    d = os.path.join(ROOT, pkg, cls + "Inputs", method)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

# ---- GGUF -------------------------------------------------------------------------------------------------
def gstr(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b

def kv(key, typ, payload):
    return gstr(key) + struct.pack("<I", typ) + payload

U32, I32, F32, STR, ARR = 4, 5, 6, 8, 9

def arr(etype, items):
    body = b""
    for it in items:
        if etype == STR: body += gstr(it)
        elif etype == I32: body += struct.pack("<i", it)
        elif etype == F32: body += struct.pack("<f", it)
    return struct.pack("<IQ", etype, len(items)) + body

def gguf(meta, tensors, alignment=32):
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(meta))
    for m in meta: head += m
    off = 0; infos = b""; datas = []
    for name, dims, typ, data in tensors:
        infos += gstr(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", typ, off)
        pad = (-len(data)) % alignment
        datas.append(data + b"\0" * pad); off += len(data) + pad
    blob = head + infos
    blob += b"\0" * ((-len(blob)) % alignment)
    return blob + b"".join(datas)

def f32s(vals): return b"".join(struct.pack("<f", v) for v in vals)

toks = ["<unk>", "<s>", "</s>", "a", "b", "ab", "\u0120", "\u0120a", "h", "e", "l", "o", "he", "ll"]
tok_meta = [kv("tokenizer.ggml.model", STR, gstr("gpt2")), kv("tokenizer.ggml.pre", STR, gstr("default")),
            kv("tokenizer.ggml.tokens", ARR, arr(STR, toks)), kv("tokenizer.ggml.token_type", ARR, arr(I32, [2, 3, 3] + [1] * (len(toks) - 3))),
            kv("tokenizer.ggml.merges", ARR, arr(STR, ["a b", "\u0120 a", "h e", "l l"])),
            kv("tokenizer.ggml.bos_token_id", U32, struct.pack("<I", 1)), kv("tokenizer.ggml.eos_token_id", U32, struct.pack("<I", 2))]
n, dim = len(toks), 8
llama_meta = [kv("general.architecture", STR, gstr("llama")), kv("llama.embedding_length", U32, struct.pack("<I", dim)),
              kv("llama.block_count", U32, struct.pack("<I", 1)), kv("llama.attention.head_count", U32, struct.pack("<I", 2)),
              kv("llama.attention.head_count_kv", U32, struct.pack("<I", 1)), kv("llama.feed_forward_length", U32, struct.pack("<I", 16)),
              kv("llama.context_length", U32, struct.pack("<I", 64)), kv("llama.rope.freq_base", F32, struct.pack("<f", 10000.0))]
def w(*shape):
    k = 1
    for s in shape: k *= s
    return f32s([((i * 7) % 11 - 5) / 10 for i in range(k)])
layer = [("blk.0.attn_norm.weight", [dim], 0, w(dim)), ("blk.0.attn_q.weight", [dim, dim], 0, w(dim, dim)),
         ("blk.0.attn_k.weight", [dim, 4], 0, w(dim, 4)), ("blk.0.attn_v.weight", [dim, 4], 0, w(dim, 4)),
         ("blk.0.attn_output.weight", [dim, dim], 0, w(dim, dim)), ("blk.0.ffn_norm.weight", [dim], 0, w(dim)),
         ("blk.0.ffn_gate.weight", [dim, 16], 0, w(dim, 16)), ("blk.0.ffn_up.weight", [dim, 16], 0, w(dim, 16)),
         ("blk.0.ffn_down.weight", [16, dim], 0, w(16, dim))]
model = gguf(llama_meta + tok_meta, [("token_embd.weight", [dim, n], 0, w(dim, n)), ("output_norm.weight", [dim], 0, w(dim))] + layer)
out("ModelFilesFuzzTest", "gguf", "tiny-llama.gguf", model)
out("ModelFilesFuzzTest", "gguf", "tokenizer-only.gguf", gguf(tok_meta, [("t", [8], 0, f32s(range(8)))]))
spm = [kv("tokenizer.ggml.model", STR, gstr("llama")), kv("tokenizer.ggml.tokens", ARR, arr(STR, ["<unk>", "<s>", "</s>", "<0x41>", "\u2581a", "a", "b"])),
       kv("tokenizer.ggml.scores", ARR, arr(F32, [0, 0, 0, 0, -1, -2, -3])), kv("tokenizer.ggml.token_type", ARR, arr(I32, [2, 3, 3, 6, 1, 1, 1]))]
out("ModelFilesFuzzTest", "gguf", "spm-q8.gguf", gguf(spm, [("q", [32], 8, struct.pack("<e", 0.5) + bytes(range(32)))]))

# ---- safetensors ------------------------------------------------------------------------------------------
def safet(entries, meta=None):
    hdr = {}; data = b""
    if meta: hdr["__metadata__"] = meta
    for name, dtype, shape, payload in entries:
        hdr[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    h = json.dumps(hdr).encode()
    return struct.pack("<Q", len(h)) + h + data
out("ModelFilesFuzzTest", "safetensors", "mixed.safetensors",
    safet([("w", "F32", [2, 3], f32s(range(6))), ("h", "F16", [4], struct.pack("<4e", 1, 2, 3, 4)),
           ("b", "BF16", [2], b"\x80\x3f\x00\x40"), ("i", "I64", [2], struct.pack("<2q", 1, 2))], {"format": "pt"}))
out("ModelFilesFuzzTest", "safetensors", "empty.safetensors", safet([]))

# ---- PEFT adapter: config \0 safetensors ---------------------------------------------------------------------
cfg = json.dumps({"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj", "v_proj"], "bias": "none"})
ad = safet([("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", "F32", [2, 8], f32s([0.1] * 16)),
            ("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", "F32", [8, 2], f32s([0.2] * 16)),
            ("base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight", "F16", [2, 8], struct.pack("<16e", *[0.1] * 16)),
            ("base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight", "F16", [4, 2], struct.pack("<8e", *[0.3] * 8))])
out("ModelFilesFuzzTest", "peftAdapter", "q-and-v", cfg.encode() + b"\0" + ad)

# ---- ONNX protobuf (as in OnnxModelTest.tinyGraph) --------------------------------------------------------
def varint(v):
    b = b""
    while v & ~0x7F:
        b += bytes([(v & 0x7F) | 0x80]); v >>= 7
    return b + bytes([v])
def key(f, wt): return varint(f << 3 | wt)
def u(f, v): return key(f, 0) + varint(v)
def by(f, b): return key(f, 2) + varint(len(b)) + b
def st(f, s): return by(f, s.encode())
W = u(1, 2) + u(1, 3) + u(2, 1) + st(8, "W") + by(9, f32s([1, 2, 3, 4, 5, 6]))
B = by(1, varint(3)) + u(2, 1) + st(8, "b.bias") + by(4, f32s([7, 8, 9]))
mm = st(1, "x") + st(1, "W") + st(2, "y") + st(3, "/MatMul") + st(4, "MatMul")
shape = u(1, 2) + u(2, 7) + by(9, struct.pack("<2q", 12, 32))
cst = st(2, "c") + st(3, "/Constant") + st(4, "Constant") + by(5, st(1, "value") + by(5, shape) + u(20, 4))
graph = by(1, mm) + by(1, cst) + st(2, "g") + by(5, W) + by(5, B) + by(11, st(1, "x"))
out("ModelFilesFuzzTest", "onnx", "tiny.onnx", u(1, 8) + st(2, "pytorch") + by(7, graph) + by(8, u(2, 14)))

# ---- tokenizer.json -----------------------------------------------------------------------------------------
bpe = {"version": "1.0", "added_tokens": [{"id": 5, "content": "<|end|>", "special": True, "single_word": False, "lstrip": False,
       "rstrip": False, "normalized": False}], "normalizer": None,
       "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
       "post_processor": None, "decoder": {"type": "ByteLevel"},
       "model": {"type": "BPE", "dropout": None, "unk_token": None, "fuse_unk": False, "byte_fallback": False,
                 "vocab": {"a": 0, "b": 1, "ab": 2, "\u0120": 3, "\u0120a": 4, "<|end|>": 5}, "merges": ["a b", "\u0120 a"]}}
out("ModelFilesFuzzTest", "tokenizerJson", "bpe.json", json.dumps(bpe))
wp = {"version": "1.0", "added_tokens": [], "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
      "strip_accents": None, "lowercase": True}, "pre_tokenizer": {"type": "BertPreTokenizer"},
      "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
                "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "hello": 4, "world": 5, "##s": 6}}}
out("ModelFilesFuzzTest", "tokenizerJson", "wordpiece.json", json.dumps(wp))
uni = {"version": "1.0", "added_tokens": [], "normalizer": None, "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581",
       "prepend_scheme": "always", "split": True}, "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
       "model": {"type": "BPE", "byte_fallback": True, "unk_token": "<unk>", "fuse_unk": True,
                 "vocab": {"<unk>": 0, "<0x41>": 1, "\u2581": 2, "a": 3, "\u2581a": 4}, "merges": [["\u2581", "a"]]}}
out("ModelFilesFuzzTest", "tokenizerJson", "spm-bpe.json", json.dumps(uni))

# ---- chat templates (reference goldens: small strings) -------------------------------------------------------
try:
    g = json.load(open(os.path.join(SHARED, "reference/golden/chat-templates.golden.json")))
    for name, t in g["templates"].items():
        out("ModelFilesFuzzTest", "chatTemplate", name + ".jinja", t["template"])
except OSError:
    pass
out("ModelFilesFuzzTest", "chatTemplate", "chatml.jinja", "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")

# ---- request bodies --------------------------------------------------------------------------------------------
schema = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 20}, "n": {"type": "integer", "minimum": 0},
          "tags": {"type": "array", "items": {"enum": ["a", "中", "🙂"]}, "maxItems": 3}}, "required": ["name"]}
P = "server"
out("RequestBodyFuzzTest", "openAiChat", "plain.json", json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}), P)
out("RequestBodyFuzzTest", "openAiChat", "schema.json", json.dumps({"model": "m", "messages": [{"role": "system", "content": "x"}, {"role": "user", "content": [{"type": "text", "text": "hi"}]}],
    "temperature": 0.5, "top_p": 0.9, "stop": ["\n"], "seed": 3, "logprobs": True, "top_logprobs": 2,
    "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}}), P)
out("RequestBodyFuzzTest", "openAiChat", "tools.json", json.dumps({"model": "m", "messages": [{"role": "user", "content": "weather?"}],
    "tools": [{"type": "function", "function": {"name": "get", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
    "tool_choice": "required", "stream": True, "stream_options": {"include_usage": True}}), P)
out("RequestBodyFuzzTest", "openAiCompletions", "plain.json", json.dumps({"model": "m", "prompt": "Once", "max_tokens": 4, "logit_bias": {"5": -100}, "echo": True}), P)
out("RequestBodyFuzzTest", "openAiCompletions", "ids.json", json.dumps({"model": "m", "prompt": [1, 2, 3], "n": 2, "stop": "x"}), P)
out("RequestBodyFuzzTest", "ollamaGenerate", "plain.json", json.dumps({"model": "m", "prompt": "hi", "options": {"num_predict": 5, "temperature": 0, "top_k": 3},
    "format": schema, "keep_alive": "5m", "stream": False}), P)
out("RequestBodyFuzzTest", "ollamaGenerate", "raw.json", json.dumps({"model": "m", "prompt": "hi", "raw": True, "system": "s", "format": "json"}), P)
out("RequestBodyFuzzTest", "ollamaChat", "plain.json", json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}], "options": {"seed": 1}, "keep_alive": 0}), P)
out("RequestBodyFuzzTest", "ollamaChat", "tools.json", json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]}), P)

# ---- JSON Schema \0 output ---------------------------------------------------------------------------------------
out("SchemaFuzzTest", "jsonSchema", "object", json.dumps(schema).encode() + b"\0" + '{"name": "中", "n": 3, "tags": ["🙂"]}'.encode())
out("SchemaFuzzTest", "jsonSchema", "const", b'{"const": "\xc3\xa9"}\0"\xc3\xa9"')
out("SchemaFuzzTest", "jsonSchema", "anyof", json.dumps({"anyOf": [{"type": "number", "minimum": -1.5}, {"type": "null"}, {"type": "string", "pattern": "^[a-z]+$"}],
    "$defs": {"x": {"type": "boolean"}}}).encode() + b"\0-1.25")
out("SchemaFuzzTest", "jsonSchema", "ref", json.dumps({"$ref": "#/$defs/n", "$defs": {"n": {"type": "object", "properties": {"next": {"$ref": "#/$defs/n"}}}}}).encode() + b'\0{"next": {}}')

# ---- training data, task and router YAML -------------------------------------------------------------------------
out("TrainingInputsFuzzTest", "jsonlTrainingData", "mixed.jsonl",
    '{"prompt": "Q: 2+2?", "completion": " 4"}\n{"text": "plain text"}\n{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n{"text": "x", "label": "y"}\n')
out("TrainingInputsFuzzTest", "csvData", "quoted.csv", 'text,label\n"Hello, ""world""",greeting\nbye,farewell\n"multi\nline",other\n')
try:
    with open(os.path.join(SHARED, "data/banking77/test.csv"), "rb") as f:
        out("TrainingInputsFuzzTest", "csvData", "banking77-head.csv", b"".join(f.readlines()[:6]))
except OSError:
    pass
task = open("examples/banking77/task.yaml").read().split("  - card_linking")[0] + "  - yes\n  - no\n"
out("TrainingInputsFuzzTest", "taskYaml", "banking77-head.yaml", task)
out("TrainingInputsFuzzTest", "taskYaml", "gsm8k.yaml", open("examples/gsm8k/task.yaml").read())
out("TrainingInputsFuzzTest", "taskYaml", "schema.yaml", "name: s\ninstructions: Extract.\noutput_schema:\n  type: object\n  properties:\n    a: {type: string}\nexamples:\n  - {input: x, output: '{\"a\": \"x\"}'}\n")
out("TrainingInputsFuzzTest", "routerYaml", "cascade.yaml", """task: task.yaml
targets:
  small: {type: gguf, path: model.gguf}
  teacher: {type: openai, url: https://api.openai.com/v1, model: gpt-4o-mini, api_key_env: OPENAI_API_KEY, price_in: 0.15, price_out: 0.60}
policy:
  type: cascade
  weak: small
  strong: teacher
  min_confidence: 0.8
  require_valid: true
fallbacks: [teacher, small]
timeout_seconds: 30
budget_usd: 10
""")
out("TrainingInputsFuzzTest", "routerYaml", "rules.yaml", """targets:
  on: {type: gguf, path: a.gguf}
  off: {type: gguf, path: b.gguf}
policy:
  type: rules
  weak: on
  strong: off
  rules:
    - {regex: "(?i)refund", target: off}
    - {keywords: [yes, no], min_chars: 10, max_chars: 500, target: off}
""")
print("seeds written under", ROOT)

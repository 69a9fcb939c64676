# Reference for `smelt embed` start-up: onnxruntime + HF tokenizers, same ONNX file and tokenizer.json.
import sys, json, numpy as np, onnxruntime as ort
from tokenizers import Tokenizer
d = sys.argv[1]
tok = Tokenizer.from_file(d + "/all-minilm-l6-v2-tokenizer.json")
o = ort.SessionOptions(); o.intra_op_num_threads = 2
s = ort.InferenceSession(d + "/all-minilm-l6-v2.onnx", o, providers=["CPUExecutionProvider"])
names = [i.name for i in s.get_inputs()]
for line in sys.stdin:
    e = tok.encode(json.loads(line)["text"])
    ids = np.array([e.ids], dtype=np.int64); mask = np.array([e.attention_mask], dtype=np.int64)
    feed = {"input_ids": ids, "attention_mask": mask}
    if "token_type_ids" in names: feed["token_type_ids"] = np.zeros_like(ids)
    h = s.run(None, feed)[0]
    v = (h * mask[..., None]).sum(1) / mask.sum(1, keepdims=True); v = v / np.linalg.norm(v, axis=1, keepdims=True)
    print(json.dumps({"embedding": v[0].tolist()}))

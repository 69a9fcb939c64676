#!/usr/bin/env python3
"""Checks (or fills in) logits_float_ref of the forward goldens (reference/golden/MODEL.golden.safetensors).

A forward golden holds tokens I32[40] (a 24-token prompt + llama.cpp's 16-token greedy continuation),
logits_llamacpp F32[40, vocab] (llama.cpp CPU, 1 thread) and logits_float_ref F32[40, vocab]: torch_ref.py's
float32 forward over the exactly dequantized weights, row i = next-token logits after tokens[0..i].

  forward_golden.py check GOLDEN.safetensors MODELS_DIR    recompute logits_float_ref from the golden's tokens
                                                           and print the largest difference per row max

Quantized models need llama.cpp's gguf-py to dequantize (PYTHONPATH=/path/to/llama.cpp/gguf-py);
F32/F16 files are read by gguf_tensors.py. Needs python3 with torch and numpy.
"""
import os, sys
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_ref
from lora_golden import read_st


def check(golden_path, models_dir):
    meta, t = read_st(golden_path)
    arch, kv, W = torch_ref.load(os.path.join(models_dir, meta["model"]))
    with torch.no_grad():
        lg = torch_ref.forward(arch, kv, W, [int(x) for x in t["tokens"]]).numpy()
    ref = t["logits_float_ref"]
    worst = float(np.max(np.max(np.abs(lg - ref), axis=1) / np.max(np.abs(ref), axis=1)))
    print(f"{golden_path}: largest |recomputed - logits_float_ref| per row max {worst:.3g}")
    return worst


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        sys.exit(0 if check(sys.argv[2], sys.argv[3]) < 1e-5 else 1)
    sys.exit(__doc__)

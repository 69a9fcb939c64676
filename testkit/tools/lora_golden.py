#!/usr/bin/env python3
"""Makes or checks the PyTorch LoRA goldens (reference/golden/MODEL.lora.golden.safetensors).

A golden holds two token sequences with target masks, LoRA pairs (r, alpha; scale alpha/r) on
q,k,v,o,gate,up,down of every layer, and what PyTorch computes from them over torch_ref.py's forward:
the loss (summed cross-entropy of every target token, predicted from the previous position, divided by
the number of targets of both sequences), the gradient of every A and B, and A/B after one
torch.optim.AdamW step (lr 1e-3, weight decay 0.01, default betas and eps).

  lora_golden.py make MODEL.gguf OUT.safetensors [seed]   write a new golden (random tokens, masks, A, B)
  lora_golden.py check GOLDEN.safetensors MODELS_DIR      recompute loss, gradients and the AdamW step from
                                                          a golden's own inputs; print the largest differences

Needs python3 with torch and numpy (Debian: apt-get install python3-torch); F32 models only.
"""
import json, os, struct, sys
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_ref

SUFFIXES = ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down")
DT = {"F32": np.float32, "I32": np.int32}


def read_st(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    head = json.loads(raw[8:8 + n])
    meta = head.pop("__metadata__", {})
    out = {}
    for k, v in head.items():
        a, b = v["data_offsets"]
        out[k] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=DT[v["dtype"]]).reshape(v["shape"]).copy()
    return meta, out


def write_st(path, meta, tensors):
    head, blobs, off = {"__metadata__": meta}, [], 0
    for k, a in tensors.items():
        a = np.ascontiguousarray(a)
        dtype = {np.dtype(np.float32): "F32", np.dtype(np.int32): "I32"}[a.dtype]
        head[k] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        blobs.append(a.tobytes())
        off += a.nbytes
    h = json.dumps(head).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def compute(model_path, seqs, masks, lora_np, rank, alpha, lr, wd):
    arch, kv, W = torch_ref.load(model_path)
    scale = alpha / rank
    lora = {m: (torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True), scale) for m, (a, b) in lora_np.items()}
    total, count = 0, 0
    for toks, mask in zip(seqs, masks):
        logits = torch_ref.forward(arch, kv, W, [int(t) for t in toks], lora)
        logp = torch.log_softmax(logits, -1)
        for i in range(1, len(toks)):
            if mask[i]:
                total = total - logp[i - 1, int(toks[i])]
                count += 1
    loss = total / count
    loss.backward()
    out = {"loss": np.array([loss.item()], dtype=np.float32)}
    params = []
    for m, (a, b, _) in lora.items():
        out[f"grad.{m}.A"], out[f"grad.{m}.B"] = a.grad.numpy().copy(), b.grad.numpy().copy()
        params += [a, b]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    opt.step()
    for m, (a, b, _) in lora.items():
        out[f"adamw.{m}.A"], out[f"adamw.{m}.B"] = a.detach().numpy().copy(), b.detach().numpy().copy()
    return out


def make(model_path, out_path, seed=0, rank=4, alpha=8.0, lr=1e-3, wd=0.01):
    arch, kv, W = torch_ref.load(model_path)
    rng = np.random.default_rng(seed)
    vocab = W["token_embd.weight"].shape[0]
    seqs = [np.concatenate([[1], rng.integers(3, vocab, n - 1)]).astype(np.int32) for n in (13, 15)]
    masks = [(np.arange(len(s)) >= len(s) // 3).astype(np.int32) for s in seqs]
    for m in masks:
        m[0] = 0
    lora = {}
    for name in sorted(n[:-len(".weight")] for n in W if n.endswith(".weight") and n.split(".")[-2] in SUFFIXES):
        o, i = W[name + ".weight"].shape
        lora[name] = ((rng.standard_normal((rank, i)) / np.sqrt(i)).astype(np.float32),
                      (rng.standard_normal((o, rank)) * 0.05).astype(np.float32))
    res = compute(model_path, seqs, masks, lora, rank, alpha, lr, wd)
    t = {}
    for s, (toks, mask) in enumerate(zip(seqs, masks)):
        t[f"seq{s}.tokens"], t[f"seq{s}.target_mask"] = toks, mask
    for m, (a, b) in lora.items():
        t[f"lora.{m}.A"], t[f"lora.{m}.B"] = a, b
    t.update(res)
    meta = {"model": os.path.basename(model_path), "rank": str(rank), "alpha": str(alpha), "modules": ",".join(lora),
            "lr": str(lr), "weight_decay": str(wd)}
    write_st(out_path, meta, t)


def check(golden_path, models_dir):
    meta, t = read_st(golden_path)
    rank, alpha = int(meta["rank"]), float(meta["alpha"])
    mods = meta["modules"].split(",")
    lora = {m: (t[f"lora.{m}.A"], t[f"lora.{m}.B"]) for m in mods}
    seqs = [t[f"seq{s}.tokens"] for s in range(2)]
    masks = [t[f"seq{s}.target_mask"] for s in range(2)]
    res = compute(os.path.join(models_dir, meta["model"]), seqs, masks, lora, rank, alpha, float(meta["lr"]), float(meta["weight_decay"]))
    worst = 0.0
    for k, v in res.items():
        g = t[k]
        d = float(np.max(np.abs(g - v)) / max(np.max(np.abs(g)), 1e-30))
        worst = max(worst, d)
    print(f"{golden_path}: loss {res['loss'][0]:.8f} vs golden {t['loss'][0]:.8f}; largest difference {worst:.3g} of a tensor's max")
    return worst


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 0)
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        sys.exit(0 if check(sys.argv[2], sys.argv[3]) < 1e-4 else 1)
    else:
        sys.exit(__doc__)

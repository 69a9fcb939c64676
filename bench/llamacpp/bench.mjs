// llama.cpp reference timings through node-llama-cpp's prebuilt CPU binaries (bench only, not shipped).
// usage: node bench.mjs MODEL.gguf [threads=2] [prompt=128] [gen=64] [reps=3]
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
const [model, threads = "2", prompt = "128", gen = "64", reps = "3"] = process.argv.slice(2);
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const m = await llama.loadModel({modelPath: model, gpuLayers: 0});
const vocab = m.tokens.tokenizer ? 0 : 0;
function rnd(n, seed) { let s = seed; const out = []; for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) % 2147483648; out.push(3 + (s % 200)); } return out; }
const pp = [], tg = [];
for (let r = -1; r < Number(reps); r++) {
  const ctx = await m.createContext({contextSize: Number(prompt) + Number(gen) + 16, batchSize: Number(prompt), threads: Number(threads), sequences: 1});
  const seq = ctx.getSequence();
  let t0 = performance.now();
  await seq.evaluateWithoutGeneratingNewTokens(rnd(Number(prompt), 7 + r));
  let dt = (performance.now() - t0) / 1000;
  if (r >= 0) pp.push(Number(prompt) / dt);
  await ctx.dispose();
  const ctx2 = await m.createContext({contextSize: Number(gen) + 16, batchSize: 32, threads: Number(threads), sequences: 1});
  const seq2 = ctx2.getSequence();
  const toks = rnd(Number(gen), 11 + r);
  let n = 0;
  t0 = performance.now();
  for (const tok of toks) { await seq2.evaluateWithoutGeneratingNewTokens([tok]); n++; }
  dt = (performance.now() - t0) / 1000;
  if (r >= 0) tg.push(n / dt);
  await ctx2.dispose();
}
const mean = a => a.reduce((x, y) => x + y, 0) / a.length;
console.log(JSON.stringify({engine: "llama.cpp (node-llama-cpp 3.22.1 prebuilt CPU)", model, threads: Number(threads),
  prompt_tokens_per_s: +mean(pp).toFixed(2), decode_tokens_per_s: +mean(tg).toFixed(2), pp, tg}));
process.exit(0);

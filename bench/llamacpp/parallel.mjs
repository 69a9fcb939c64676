// llama.cpp reference for the serve load benchmark (bench only, not shipped): C sequences of one
// context generating concurrently (node-llama-cpp batches their decode steps into one llama_decode,
// as llama-server -np C does), each R times a ~33-token prompt → 64 sampled tokens (temperature 0.8).
// Reports aggregate tokens/s and time to first token p50/p99 like bench/ServeLoad.java.
// usage: node parallel.mjs MODEL.gguf THREADS CLIENTS ROUNDS [MAX_TOKENS]
import {getLlama, LlamaCompletion, LlamaLogLevel} from "node-llama-cpp";
const [model, threads = "2", clients = "1", rounds = "2", maxTokens = "64"] = process.argv.slice(2);
const C = Number(clients), R = Number(rounds), N = Number(maxTokens);
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const m = await llama.loadModel({modelPath: model, gpuLayers: 0});
const ctx = await m.createContext({contextSize: 512 * C, sequences: C, threads: Number(threads), batchSize: 512});
const openers = ["Once", "Today", "Later", "Meanwhile", "Suddenly", "Finally", "Yesterday", "Soon"];
const prompt = (c, r) => `${openers[(c + r) % openers.length]} the quick brown fox jumps over the lazy dog while the farmer counts sheep `
  + `in the green valley near the river, and then the story continues with ${c}.${r}`;
const ttft = [];
let tokens = 0;
async function client(c) {
  const seq = ctx.getSequence();
  const completion = new LlamaCompletion({contextSequence: seq});
  for (let r = 0; r < R; r++) {
    const t0 = performance.now();
    let first = true;
    await completion.generateCompletion(prompt(c, r), {maxTokens: N, temperature: 0.8, customStopTriggers: [],
      onToken: (t) => { if (first) { ttft.push(performance.now() - t0); first = false; } tokens += t.length; }});
    await seq.clearHistory();
  }
}
// warm-up
{ const s = ctx.getSequence(); await new LlamaCompletion({contextSequence: s}).generateCompletion("Hello", {maxTokens: 4}); s.dispose(); }
const t0 = performance.now();
await Promise.all(Array.from({length: C}, (_, c) => client(c)));
const wall = (performance.now() - t0) / 1000;
ttft.sort((a, b) => a - b);
const pct = (p) => ttft[Math.max(0, Math.min(ttft.length - 1, Math.ceil(p * ttft.length) - 1))];
console.log(JSON.stringify({server: "llama.cpp (node-llama-cpp 3.22.1, one context, C sequences)", threads: Number(threads),
  result: {clients: C, requests: C * R, tokens, wall_s: +wall.toFixed(2), tokens_per_s: +(tokens / wall).toFixed(2),
    ttft_p50_ms: Math.round(pct(0.5)), ttft_p99_ms: Math.round(pct(0.99)), errors: 0}}));
process.exit(0);

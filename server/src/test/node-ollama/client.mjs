// Drives a running smelt server with the official ollama package: listings with tags, generate (context both ways,
// streaming), chat, show, embed, errors. Usage: node client.mjs HOST MODEL EMBEDDER. Exits non-zero on any mismatch.
import assert from 'node:assert/strict';
import { Ollama } from 'ollama';

const [host, model, embedder] = process.argv.slice(2);
const ollama = new Ollama({ host });

assert.match((await ollama.version()).version, /^\d+\.\d+\.\d+$/);
const names = (await ollama.list()).models.map((m) => m.name);
assert.ok(names.includes(`${model}:latest`), names.join(','));
assert.ok(names.includes(`${embedder}:latest`), names.join(','));

const options = { temperature: 0, num_predict: 6 };
const first = await ollama.generate({ model: `${model}:latest`, prompt: 'ROMEO:', raw: true, options });
assert.equal(first.done, true);
assert.equal(first.eval_count, 6);
assert.ok(Array.isArray(first.context) && first.context.length > 6);
const next = await ollama.generate({ model, prompt: ' JULIET:', raw: true, options, context: first.context });
assert.deepEqual(next.context.slice(0, first.context.length), first.context);

let streamed = '';
let last = null;
for await (const part of await ollama.generate({ model, prompt: 'ROMEO:', raw: true, options, stream: true })) {
  streamed += part.response;
  last = part;
}
assert.equal(streamed, first.response);
assert.deepEqual(last.context, first.context);

const chat = await ollama.chat({ model, messages: [{ role: 'user', content: 'Hi' }], options });
assert.equal(chat.message.role, 'assistant');
assert.equal(typeof chat.message.content, 'string');

assert.equal((await ollama.show({ model })).details.family, 'llama');
assert.deepEqual((await ollama.show({ model: embedder })).capabilities, ['embedding']);
const emb = await ollama.embed({ model: embedder, input: ['hello', 'world'] });
assert.equal(emb.embeddings.length, 2);
assert.equal(emb.embeddings[0].length, 384);

await assert.rejects(ollama.generate({ model: 'no-such-model', prompt: 'x' }), (e) => e.status_code === 404 && /does not exist/.test(e.error));
await assert.rejects(ollama.generate({ model, prompt: 'x', options: { mirostat: 2 } }), (e) => e.status_code === 400 && /mirostat/.test(e.error));
assert.ok((await ollama.ps()).models.some((m) => m.name === `${model}:latest`));
console.log('ollama-js: all checks passed');

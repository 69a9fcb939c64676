// Drives a running smelt server with the official openai package: chat, streaming, tools, json_schema, errors.
// Usage: node client.mjs BASE_URL API_KEY MODEL. Exits non-zero (with the failed assertion) on any mismatch.
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const [baseURL, apiKey, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 120_000 });
const user = (content) => [{ role: 'user', content }];

const chat = await client.chat.completions.create({ model, messages: user('ROMEO:'), max_tokens: 10, temperature: 0 });
assert.equal(chat.object, 'chat.completion');
assert.equal(chat.usage.completion_tokens, 10);
assert.equal(chat.choices[0].finish_reason, 'length');

const stream = await client.chat.completions.create({ model, messages: user('ROMEO:'), max_tokens: 10, temperature: 0, stream: true,
  stream_options: { include_usage: true } });
let streamed = '';
let usage = null;
for await (const chunk of stream) {
  streamed += chunk.choices[0]?.delta?.content ?? '';
  usage = chunk.usage ?? usage;
}
assert.equal(streamed, chat.choices[0].message.content);
assert.equal(usage.completion_tokens, 10);

const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Weather in a city',
  parameters: { type: 'object', properties: { city: { enum: ['Paris', 'London'] }, unit: { enum: ['c', 'f'] } }, required: ['city', 'unit'] } } }];
const call = await client.chat.completions.create({ model, messages: user('Weather in Paris?'), tools, tool_choice: 'required', max_tokens: 200, seed: 3 });
assert.equal(call.choices[0].finish_reason, 'tool_calls');
const tc = call.choices[0].message.tool_calls[0];
assert.equal(typeof tc.function.arguments, 'string');
assert.ok(['Paris', 'London'].includes(JSON.parse(tc.function.arguments).city));

// the SDK's stream helper accumulates tool-call deltas into the final message
const runner = client.beta.chat.completions.stream({ model, messages: user('Weather?'), tools,
  tool_choice: { type: 'function', function: { name: 'get_weather' } }, max_tokens: 200, seed: 4 });
const final = await runner.finalChatCompletion();
const streamedCall = final.choices[0].message.tool_calls[0];
assert.equal(streamedCall.function.name, 'get_weather');
assert.ok(['c', 'f'].includes(JSON.parse(streamedCall.function.arguments).unit));

const schema = { type: 'object', properties: { intent: { enum: ['lost_card', 'refund'] }, urgent: { type: 'boolean' } },
  required: ['intent', 'urgent'], additionalProperties: false };
const structured = await client.chat.completions.create({ model, messages: user('My card is gone'), max_tokens: 200, seed: 5,
  response_format: { type: 'json_schema', json_schema: { name: 'ticket', strict: true, schema } } });
const doc = JSON.parse(structured.choices[0].message.content);
assert.ok(['lost_card', 'refund'].includes(doc.intent));
assert.equal(typeof doc.urgent, 'boolean');

await assert.rejects(client.chat.completions.create({ model: 'no-such-model', messages: user('x') }),
  (e) => e instanceof OpenAI.NotFoundError && e.status === 404);
await assert.rejects(client.chat.completions.create({ model, messages: user('x'), max_tokens: -1 }),
  (e) => e instanceof OpenAI.BadRequestError && e.error?.param === 'max_tokens');
await assert.rejects(new OpenAI({ baseURL, apiKey: 'wrong', maxRetries: 0 }).chat.completions.create({ model, messages: user('x') }),
  (e) => e instanceof OpenAI.AuthenticationError);
const models = await client.models.list();
assert.ok(models.data.some((m) => m.id === model));
console.log('openai-node: all checks passed');

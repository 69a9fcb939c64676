// The playground: one conversation with a served model over /v1/chat/completions (SSE), rendered as text only.
import { apiFetch, errorText, readEvents, el } from '/ui/api.js';
import { validate } from '/ui/schema.js';

const $ = id => document.getElementById(id);
const conversation = []; // OpenAI messages (without the system prompt), each {role, content}
let running = null;      // the AbortController of the answer being streamed

function status(text, isError) {
  $('status').textContent = text;
  $('status').classList.toggle('error', !!isError);
}

async function loadModels() {
  const r = await apiFetch('/v1/models');
  if (!r.ok) { status('cannot list models: ' + await errorText(r), true); return; }
  const data = (await r.json()).data || [];
  const select = $('model');
  select.replaceChildren(...data.map(m => { const o = el('option', null, m.id); o.value = m.id; return o; }));
  if (!data.length) status('this server serves no chat model', true);
}

function render() {
  const box = $('messages');
  box.replaceChildren();
  conversation.forEach((m, i) => box.append(messageElement(m, i)));
  $('regenerate').disabled = running !== null || !conversation.some(m => m.role === 'user');
  box.scrollTop = box.scrollHeight;
}

/** A message's text: its content, then one line per tool call, name(arguments). */
function callsText(m) {
  const calls = (m.tool_calls || []).map(c => `tool call: ${c.function.name}(${c.function.arguments})`);
  return [m.content].concat(calls).filter(x => x).join('\n');
}

/** A message as the API takes it: role and content, and the tool calls an answer made. */
function wire(m) {
  const w = { role: m.role, content: m.content };
  if (m.tool_calls && m.tool_calls.length) w.tool_calls = m.tool_calls;
  return w;
}

function messageElement(m, index) {
  const div = el('div', 'message ' + m.role);
  div.append(el('span', 'role', m.role === 'user' ? 'You' : 'Model' + (m.model ? ' · ' + m.model : '')));
  const body = el('div', 'content', callsText(m));
  div.append(body);
  m.view = body;
  if (m.stats) div.append(el('p', 'stats', m.stats));
  if (m.check) div.append(el('p', 'check ' + (m.check.ok ? 'ok' : 'bad'), m.check.text));
  if (m.role === 'user' && running === null) {
    const edit = el('button', 'edit', 'Edit');
    edit.type = 'button';
    edit.setAttribute('aria-label', 'Edit this message and drop the replies after it');
    edit.addEventListener('click', () => {
      $('prompt').value = m.content;
      conversation.splice(index);
      render();
      $('prompt').focus();
    });
    div.append(edit);
  }
  return div;
}

function schema() {
  if (!$('schema-mode').checked) return null;
  try {
    return JSON.parse($('schema').value);
  } catch (e) {
    throw new Error('the JSON schema is not valid JSON: ' + e.message);
  }
}

function tools() {
  const text = $('tools').value.trim();
  if (!text) return null;
  let t;
  try { t = JSON.parse(text); } catch (e) { throw new Error('the tool definitions are not valid JSON: ' + e.message); }
  if (!Array.isArray(t)) throw new Error('the tool definitions must be a JSON array of {"type":"function","function":{...}}');
  return t;
}

/** The streamed tool-call deltas of one choice merged into whole calls (OpenAI sends the arguments in pieces). */
function mergeToolCalls(calls, deltas) {
  for (const d of deltas) {
    const c = calls[d.index || 0] || (calls[d.index || 0] = { id: '', type: 'function', function: { name: '', arguments: '' } });
    if (d.id) c.id = d.id;
    if (d.function && d.function.name) c.function.name += d.function.name;
    if (d.function && d.function.arguments) c.function.arguments += d.function.arguments;
  }
}

function requestBody(s, t) {
  const messages = [];
  const system = $('system').value.trim();
  if (system) messages.push({ role: 'system', content: system });
  conversation.filter(m => !m.pending).forEach(m => messages.push(wire(m)));
  const body = { model: $('model').value, messages, stream: true, stream_options: { include_usage: true } };
  const num = (id, int) => { const v = $(id).value.trim(); return v === '' ? undefined : (int ? parseInt(v, 10) : parseFloat(v)); };
  for (const [id, int] of [['temperature', false], ['top_p', false], ['max_tokens', true], ['seed', true]]) {
    const v = num(id, int);
    if (v !== undefined && !Number.isNaN(v)) body[id] = v;
  }
  if (s) body.response_format = { type: 'json_schema', json_schema: { name: 'playground', schema: s, strict: true } };
  if (t) { body.tools = t; body.tool_choice = $('tool_choice').value; }
  return body;
}

/** Streams one answer into a new assistant message; the stop button aborts it. */
async function answer() {
  let s, t;
  try { s = schema(); t = tools(); } catch (e) { status(e.message, true); return; }
  const reply = { role: 'assistant', content: '', pending: true };
  const body = requestBody(s, t);
  conversation.push(reply);
  running = new AbortController();
  $('stop').disabled = false;
  $('messages').setAttribute('aria-busy', 'true'); // screen readers announce the answer once, not every token
  render();
  status('generating…');
  const started = performance.now();
  let first = null, chunks = 0, usage = null, finish = null;
  try {
    const r = await apiFetch('/v1/chat/completions', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal: running.signal });
    if (!r.ok) throw new Error(await errorText(r));
    await readEvents(r.body, data => {
      if (data === '[DONE]') return;
      const o = JSON.parse(data);
      if (o.error) throw new Error(o.error.message || JSON.stringify(o.error));
      if (o.usage) usage = o.usage;
      if (o.model && !reply.model) { reply.model = o.model; reply.view.previousSibling.textContent = 'Model · ' + o.model; }
      const c = (o.choices || [])[0];
      if (!c) return;
      if (c.finish_reason) finish = c.finish_reason;
      if (c.delta && c.delta.tool_calls) {
        if (first === null) first = performance.now();
        mergeToolCalls(reply.tool_calls || (reply.tool_calls = []), c.delta.tool_calls);
        reply.view.textContent = callsText(reply);
      }
      const piece = c.delta && c.delta.content;
      if (piece) {
        if (first === null) first = performance.now();
        chunks++;
        reply.content += piece;
        reply.view.textContent = callsText(reply); // text, never HTML
      }
    });
    status(finish ? 'done (' + finish + ')' : 'done');
  } catch (e) {
    if (e.name === 'AbortError') status('stopped');
    else status(e.message, true);
  } finally {
    const end = performance.now();
    const tokens = usage ? usage.completion_tokens : chunks;
    const ttft = first === null ? null : first - started;
    const rate = first !== null && end > first && tokens > 1 ? (tokens - 1) / ((end - first) / 1000) : null;
    reply.stats = `${tokens} tokens · TTFT ${ttft === null ? '–' : Math.round(ttft) + ' ms'} · ${rate === null ? '–' : rate.toFixed(1) + ' tokens/s'}`;
    if (s) reply.check = checkJson(s, reply.content);
    delete reply.pending;
    running = null;
    $('stop').disabled = true;
    $('messages').setAttribute('aria-busy', 'false');
    render();
  }
}

function checkJson(s, text) {
  let v;
  try { v = JSON.parse(text); } catch (e) { return { ok: false, text: 'not valid JSON: ' + e.message }; }
  const problems = validate(s, v);
  return problems.length ? { ok: false, text: 'JSON does not match the schema: ' + problems.join('; ') }
    : { ok: true, text: 'valid JSON matching the schema' };
}

function send(ev) {
  ev.preventDefault();
  if (running) return;
  const text = $('prompt').value;
  if (!text.trim()) { status('type a message first', true); return; }
  if (!$('model').value) { status('no model to send to', true); return; }
  conversation.push({ role: 'user', content: text });
  $('prompt').value = '';
  answer();
}

function regenerate() {
  if (running) return;
  while (conversation.length && conversation[conversation.length - 1].role === 'assistant') conversation.pop();
  if (conversation.length) answer();
}

function download(name, type, text) {
  const a = el('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/** The conversation as OpenAI messages (system prompt first), as sent to the API. */
export function exportMessages() {
  const system = $('system').value.trim();
  return (system ? [{ role: 'system', content: system }] : [])
    .concat(conversation.filter(m => !m.pending).map(wire));
}

/** The conversation as one `smelt finetune --data` JSONL line (loss on every assistant turn); empty without an answer. */
export function exportJsonl() {
  const msgs = exportMessages();
  return msgs.some(m => m.role === 'assistant') ? JSON.stringify({ messages: msgs }) + '\n' : '';
}

$('composer').addEventListener('submit', send);
$('prompt').addEventListener('keydown', ev => {
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); $('composer').requestSubmit(); }
});
$('stop').addEventListener('click', () => running && running.abort());
$('regenerate').addEventListener('click', regenerate);
$('clear').addEventListener('click', () => { if (!running) { conversation.length = 0; render(); status(''); } });
$('export-json').addEventListener('click', () => download('conversation.json', 'application/json',
  JSON.stringify({ messages: exportMessages() }, null, 2)));
$('export-jsonl').addEventListener('click', () => download('conversation.jsonl', 'application/jsonl', exportJsonl()));
render();
loadModels();

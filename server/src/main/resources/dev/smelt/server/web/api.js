// The keyed API, shared by every page: the bearer key lives in sessionStorage (this tab only); a 401 opens the
// key dialog and retries once the user has given a key.
const KEY = 'smelt.apiKey';

export function apiKey() {
  return sessionStorage.getItem(KEY);
}

function headers(extra) {
  const h = Object.assign({}, extra || {});
  const k = apiKey();
  if (k) h['Authorization'] = 'Bearer ' + k;
  return h;
}

let pendingKey = null;

/** Shows the key dialog; resolves when the user has submitted a key. */
export function askForKey(message) {
  if (pendingKey) return pendingKey;
  const dialog = document.getElementById('key-dialog');
  const form = document.getElementById('key-form');
  const input = document.getElementById('api-key');
  document.getElementById('key-error').textContent = message || '';
  pendingKey = new Promise(resolve => {
    form.addEventListener('submit', ev => {
      ev.preventDefault();
      sessionStorage.setItem(KEY, input.value.trim());
      input.value = '';
      dialog.close();
      pendingKey = null;
      resolve();
    }, { once: true });
  });
  if (!dialog.open) dialog.showModal();
  input.focus();
  return pendingKey;
}

/** fetch() with the key; on 401 asks for a (new) key and retries. */
export async function apiFetch(path, options = {}) {
  for (;;) {
    const r = await fetch(path, Object.assign({}, options, { headers: headers(options.headers) }));
    if (r.status !== 401) return r;
    const hadKey = apiKey() !== null;
    sessionStorage.removeItem(KEY);
    await askForKey(hadKey ? 'That key was refused; try another.' : '');
  }
}

/** The error message of a failed response, in OpenAI's or Ollama's shape. */
export async function errorText(r) {
  const text = await r.text();
  try {
    const o = JSON.parse(text);
    if (o.error && typeof o.error === 'object') return o.error.message || text;
    if (typeof o.error === 'string') return o.error;
  } catch (e) { /* not JSON */ }
  return `HTTP ${r.status}: ${text}`;
}

/**
 * Reads a text/event-stream body, calling onData with each event's data (the concatenated data: lines);
 * returns when the stream ends. Works on fetch() bodies, so POSTs and bearer headers work, unlike EventSource.
 */
export async function readEvents(body, onData) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let i;
    while ((i = buf.search(/\r?\n\r?\n/)) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(buf[i] === '\r' ? i + 4 : i + 2);
      const data = block.split(/\r?\n/).filter(l => l.startsWith('data:')).map(l => l.slice(5).replace(/^ /, '')).join('\n');
      if (data) onData(data);
    }
  }
}

/** A new element with text content only: user and model text never becomes HTML. */
export function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * Follows a dashboard's stats stream (GET path, Server-Sent Events, with the key), calling onSample with each
 * parsed sample and onStatus(text, bad) as the connection changes; reconnects after a pause when it ends or fails.
 * Resolves only if the server has no such stream (404), after saying so.
 */
export async function streamStats(path, onSample, onStatus) {
  for (;;) {
    try {
      const r = await apiFetch(path, { headers: { Accept: 'text/event-stream' } });
      if (r.status === 404) {
        onStatus(`this server has no live stats at ${path}`, true);
        return;
      }
      if (!r.ok) throw new Error(await errorText(r));
      onStatus('connected', false);
      await readEvents(r.body, data => onSample(JSON.parse(data)));
      onStatus('disconnected; reconnecting…', true);
    } catch (e) {
      onStatus('cannot read the stats: ' + e.message, true);
    }
    await new Promise(res => setTimeout(res, 2000));
  }
}

// The Runs page: training runs and eval results under the server's --runs folder, from /api/smelt/runs. Every name,
// label and value from the files is set as text (el()), never as HTML.
import uPlot from '/ui/uplot.js';
import { apiFetch, apiKey, errorText, el } from '/ui/api.js';

const $ = id => document.getElementById(id);
const COLORS = ['#0b5cad', '#a3121f', '#1a6b2f', '#6b3fa0', '#8a5a00'];
const KINDS = { finetune: 'finetune', classifier: 'classify-train', mlflow: 'MLflow', eval: 'eval' };
let plots = [];
/** x-axis tick spacings: steps and epochs are whole numbers. */
const STEP_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000];

/** What the browser tests read: how many runs are listed, charts drawn, comparisons shown. */
window.smeltRuns = { runs: 0, charts: 0, compared: 0, shown: null };

function fmt(v, digits = 4) {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(digits);
  return String(v);
}

function bytes(n) {
  if (n < 1024) return n + ' B';
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return v.toFixed(1) + ' ' + units[i];
}

function row(cells, header) {
  const tr = el('tr');
  cells.forEach((c, i) => {
    const td = c instanceof Node ? (() => { const t = el(header && i === 0 ? 'th' : 'td'); t.append(c); return t; })()
      : el(header && i === 0 ? 'th' : 'td', typeof c === 'number' ? 'num' : null, fmt(c));
    if (header && i === 0) td.scope = 'row';
    tr.append(td);
  });
  return tr;
}

/** A table; every column after the first holds numbers (right-aligned, header included). */
function table(headers, rows) {
  const t = el('table');
  const head = el('thead');
  const tr = el('tr');
  headers.forEach((h, i) => { const th = el('th', i > 0 ? 'num' : null, h); th.scope = 'col'; tr.append(th); });
  head.append(tr);
  const body = el('tbody');
  rows.forEach(r => body.append(r));
  t.append(head, body);
  return t;
}

/**
 * A link to a file of a run. Without API keys the browser opens it directly; with a key (which a plain link cannot
 * send) the file is fetched with it and opened from a blob.
 */
function fileLink(url, name, download) {
  const a = el('a', null, name);
  a.href = url;
  if (!download) { a.target = '_blank'; a.rel = 'noopener'; }
  a.addEventListener('click', async ev => {
    if (!apiKey()) return;
    ev.preventDefault();
    const r = await apiFetch(url);
    if (!r.ok) { showErrors([await errorText(r)]); return; }
    const blobUrl = URL.createObjectURL(await r.blob());
    if (download) {
      const d = el('a'); d.href = blobUrl; d.download = name; d.click();
    } else {
      const w = window.open(blobUrl, '_blank');
      if (w) w.addEventListener('load', () => adoptStyles(w));
    }
    setTimeout(() => URL.revokeObjectURL(blobUrl), 60000);
  });
  return a;
}

/**
 * A report opened from a blob runs under this page's policy, which refuses its inline style sheet; its CSS is applied
 * through the CSSOM instead (constructed style sheets are not inline styles). Scripts stay refused.
 */
function adoptStyles(w) {
  const css = [...w.document.querySelectorAll('style')].map(s => s.textContent).join('\n');
  if (!css) return;
  const sheet = new w.CSSStyleSheet();
  sheet.replaceSync(css);
  w.document.adoptedStyleSheets = [...w.document.adoptedStyleSheets, sheet];
}

function showErrors(errors) {
  $('run-errors').replaceChildren(...errors.map(e => el('li', null, e)));
}

/** Whether this server was started with --runs: its OpenAPI document (keyless) lists the routes it registered. */
async function runsEnabled() {
  const r = await fetch('/openapi.json');
  return r.ok && Object.hasOwn((await r.json()).paths || {}, '/api/smelt/runs');
}

async function loadList() {
  if (!await runsEnabled()) { // asked first, so a server without runs logs no failed request
    $('runs-status').textContent = 'This server shows no runs: start it with --runs DIR (smelt serve --runs DIR, smelt route --runs DIR).';
    fillCompare([]);
    return [];
  }
  const r = await apiFetch('/api/smelt/runs');
  if (!r.ok) { $('runs-status').textContent = 'cannot list the runs: ' + await errorText(r); return []; }
  const list = await r.json();
  $('runs-status').textContent = `${list.runs.length} run${list.runs.length === 1 ? '' : 's'} under ${list.root}` +
    (list.truncated ? ' (the search stopped early: the folder is very large)' : '');
  $('runs').replaceChildren(...list.runs.map(run => {
    const open = el('button', 'link', run.name || run.path);
    open.type = 'button';
    open.addEventListener('click', () => { location.hash = 'run=' + run.id; });
    const name = el('span');
    name.append(open, el('br'), el('small', 'muted', run.path));
    const summary = run.error ? el('span', 'error', 'error: ' + run.error) : el('span', null, run.summary || '');
    const tr = row([name, KINDS[run.kind] || run.kind, summary, new Date(run.modified).toLocaleString()], true);
    tr.dataset.id = run.id;
    return tr;
  }));
  window.smeltRuns.runs = list.runs.length;
  applyFilter();
  fillCompare(list.runs.filter(run => run.kind === 'eval' && !run.error));
  return list.runs;
}

/** Shows only the rows whose text holds every word typed in the filter box (case-insensitive). */
function applyFilter() {
  const words = $('filter').value.toLowerCase().split(/\s+/).filter(Boolean);
  for (const tr of $('runs').children) {
    const text = tr.textContent.toLowerCase();
    tr.hidden = !words.every(w => text.includes(w));
  }
}

function fillCompare(evals) {
  const options = [];
  for (const run of evals) {
    for (const target of run.targets || []) {
      const o = el('option', null, `${run.path} — ${target}`);
      o.value = JSON.stringify([run.id, target]);
      options.push(o);
    }
  }
  $('compare-a').replaceChildren(...options.map(o => o.cloneNode(true)));
  $('compare-b').replaceChildren(...options.map(o => o.cloneNode(true)));
  if (options.length > 1) $('compare-b').selectedIndex = 1;
  $('compare-form').querySelector('button').disabled = options.length < 2;
  $('compare-status').textContent = options.length < 2 ? 'Comparing needs two eval results (smelt eval --out DIR) under the runs folder.' : '';
}

/** Axis tick labels with enough digits to tell ticks apart (a learning rate of 1e-3 decaying is not "0.001 0.001"). */
function ticks(u, vals) {
  return vals.map(v => v === null ? '' : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-2) ? v.toExponential(2) : String(+v.toPrecision(4)));
}

function drawCharts(charts) {
  plots.forEach(p => p.destroy());
  plots = [];
  const box = $('run-charts');
  box.replaceChildren();
  const drawn = charts.filter(c => c.x.length).map(c => {
    const holder = el('div', 'chart-box');
    const area = el('div', 'chart');
    area.setAttribute('role', 'img');
    area.setAttribute('aria-label', `${c.title} over ${c.x.length} ${c.x_name}s: ${c.series.map(s => s.name).join(', ')}`);
    holder.append(el('h3', null, c.title), area);
    box.append(holder);
    return [c, area];
  });
  // measured once every box is in the grid, so each chart gets its own column's width
  for (const [c, area] of drawn) {
    plots.push(new uPlot({
      width: Math.max(300, area.clientWidth), height: 200,
      scales: { x: { time: false } },
      series: [{ label: c.x_name }, ...c.series.map((s, i) => ({ label: s.name, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true }))],
      axes: [{ label: c.x_name, incrs: STEP_INCRS }, { size: 70, values: ticks }],
    }, [c.x, ...c.series.map(s => s.values)], area));
  }
  window.smeltRuns.charts = plots.length;
}

function evalSection(result, report) {
  const box = el('div');
  if (report) {
    const p = el('p');
    p.append('Report: ', fileLink(report, 'report.html', false));
    box.append(p);
  }
  for (const t of result.results || []) {
    box.append(el('h3', null, `${t.target} on ${result.task || 'the task'}`));
    box.append(table(['Metric', 'Value'], [['accuracy', t.accuracy], ['macro-F1', t.macro_f1], ['valid answers', t.validity],
      ['errors', t.errors], ['examples', t.n], ['latency p50 (ms)', t.latency_p50_ms], ['latency p95 (ms)', t.latency_p95_ms],
      ['USD per 1k queries', t.cost_per_1k_usd]].filter(([, v]) => v !== undefined).map(([k, v]) => row([k, v], true))));
    if (Array.isArray(t.per_class) && t.per_class.length) {
      const d = el('details');
      d.append(el('summary', null, `Per class (${t.per_class.length} labels)`));
      d.append(table(['Label', 'Precision', 'Recall', 'F1', 'Support'],
        t.per_class.map(c => row([c.label, c.precision, c.recall, c.f1, c.support], true))));
      box.append(d);
    }
  }
  return box;
}

async function showRun(id) {
  const r = await apiFetch('/api/smelt/runs/' + encodeURIComponent(id));
  $('run').hidden = false;
  if (!r.ok) {
    $('run-title').textContent = 'Run';
    showErrors([await errorText(r)]);
    return;
  }
  const run = await r.json();
  $('run-title').textContent = `${run.name} (${KINDS[run.kind] || run.kind}${run.status ? ', ' + run.status : ''})`;
  $('run-path').textContent = run.path;
  showErrors(run.errors || []);
  drawCharts(run.charts || []);
  $('run-eval').replaceChildren(...(run.eval ? [evalSection(run.eval, run.report)] : []));
  const config = Object.assign({}, run.config || {});
  if (run.adapter_config) {
    for (const [k, v] of Object.entries(run.adapter_config)) config['adapter_config.json: ' + k] = typeof v === 'object' ? JSON.stringify(v) : v;
  }
  $('run-config').replaceChildren(...Object.entries(config).map(([k, v]) => row([k, typeof v === 'object' ? JSON.stringify(v) : v], true)));
  $('run-files').replaceChildren(...(run.files || []).map(f => {
    const tr = el('tr');
    const td = el('td');
    td.append(fileLink(f.url, f.name, !/\.(html|json|jsonl|csv|txt|yaml)$/.test(f.name)));
    tr.append(td, el('td', 'num', bytes(f.bytes)));
    return tr;
  }));
  window.smeltRuns.shown = run.id;
  $('run-title').focus(); // keyboard users land on what they opened
}

/** Metrics that count things: shown as whole numbers; every other metric with four decimals (1 is 1.0000 accuracy). */
const COUNTS = new Set(['errors', 'n', 'support']);

function metricText(name, v) {
  if (v === null || v === undefined) return '–';
  return COUNTS.has(name) ? String(v) : v.toFixed(4);
}

function delta(v, better, name) {
  if (v === null || v === undefined) return el('td', 'num', '–');
  const sign = v > 0 ? '+' : '';
  const mark = better === 'b' ? ' ▲ B better' : better === 'a' ? ' ▼ A better' : '';
  return el('td', 'num ' + (better === 'b' ? 'better' : better === 'a' ? 'worse' : ''), sign + metricText(name, v) + mark);
}

/** A table row: a header cell, then numbers formatted as metric {@code name}. */
function metricRow(label, name, values) {
  const tr = el('tr');
  const th = el('th', null, label);
  th.scope = 'row';
  tr.append(th, ...values.map(v => el('td', 'num', metricText(name, v))));
  return tr;
}

async function compare(ev) {
  ev.preventDefault();
  const [a, aTarget] = JSON.parse($('compare-a').value);
  const [b, bTarget] = JSON.parse($('compare-b').value);
  const q = new URLSearchParams({ a, b, a_target: aTarget, b_target: bTarget });
  $('compare-status').textContent = 'comparing…';
  const r = await apiFetch('/api/smelt/compare?' + q);
  if (!r.ok) { $('compare-status').textContent = 'cannot compare: ' + await errorText(r); return; }
  const c = await r.json();
  $('compare-status').textContent = [`A: ${c.a.path} — ${c.a.target}`, `B: ${c.b.path} — ${c.b.target}`, ...c.notes].join(' · ');
  const metrics = table(['Metric', 'A', 'B', 'Δ (B − A)'], c.metrics.map(m => {
    const tr = metricRow(m.label, m.name, [m.a, m.b]);
    tr.append(delta(m.delta, m.better, m.name));
    return tr;
  }));
  metrics.id = 'compare-metrics';
  const parts = [metrics];
  if (c.per_class.length) {
    const per = table(['Label', 'F1 A', 'F1 B', 'Δ F1', 'Precision A', 'Precision B', 'Recall A', 'Recall B', 'Support A', 'Support B'],
      c.per_class.map(p => {
        const A = p.a || {};
        const B = p.b || {};
        const tr = metricRow(p.label, 'f1', [A.f1, B.f1]);
        tr.append(delta(p.delta_f1, p.delta_f1 > 0 ? 'b' : p.delta_f1 < 0 ? 'a' : null, 'f1'));
        for (const v of [A.precision, B.precision, A.recall, B.recall]) tr.append(el('td', 'num', metricText('f1', v)));
        for (const v of [A.support, B.support]) tr.append(el('td', 'num', metricText('support', v)));
        return tr;
      }));
    per.id = 'compare-per-class';
    parts.push(el('h3', null, 'Per class'), per);
  }
  $('compare-out').replaceChildren(...parts);
  window.smeltRuns.compared++;
}

function route() {
  const m = /^#run=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (m) showRun(m[1]);
}

$('compare-form').addEventListener('submit', compare);
$('filter').addEventListener('input', applyFilter);
$('refresh').addEventListener('click', () => loadList().then(route).catch(e => { $('runs-status').textContent = 'cannot list the runs: ' + e.message; }));
window.addEventListener('hashchange', route);
window.addEventListener('resize', () => plots.forEach(p => p.setSize({ width: Math.max(320, p.root.parentNode.clientWidth || 380), height: 200 })));
loadList().then(route).catch(e => { $('runs-status').textContent = 'cannot list the runs: ' + e.message; });

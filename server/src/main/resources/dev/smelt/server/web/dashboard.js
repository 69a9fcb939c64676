// The server dashboard: live from the /api/smelt/stats SSE stream (fetch, so the bearer key can be sent).
import uPlot from '/ui/uplot.js';
import { streamStats, el } from '/ui/api.js';

const WINDOW_SECONDS = 300; // the charts show the last five minutes
const $ = id => document.getElementById(id);
const COLORS = ['#0b5cad', '#a3121f'];

const charts = [...document.querySelectorAll('.chart')].map(box => {
  const names = box.dataset.series.split(',');
  const data = [[], ...names.map(() => [])];
  const plot = new uPlot({
    width: Math.max(300, box.clientWidth), height: 160,
    series: [{}, ...names.map((n, i) => ({ label: n.replace(/_/g, ' '), stroke: COLORS[i % COLORS.length], width: 2, spanGaps: false }))],
    axes: [{}, { size: 60 }],
  }, data, box);
  return { names, data, plot, box };
});
window.addEventListener('resize', () => charts.forEach(c => c.plot.setSize({ width: Math.max(300, c.box.clientWidth), height: 160 })));

/** Points drawn so far on each chart (the browser tests read it to see the charts move). */
window.smeltDashboard = { samples: 0, maxTokensPerSecond: 0 };

function onSample(s) {
  const t = Date.now() / 1000;
  for (const c of charts) {
    c.data[0].push(t);
    c.names.forEach((n, i) => c.data[i + 1].push(s[n] === null || s[n] === undefined ? null : s[n]));
    while (c.data[0].length && c.data[0][0] < t - WINDOW_SECONDS) c.data.forEach(a => a.shift());
    c.plot.setData(c.data);
  }
  window.smeltDashboard.samples++;
  window.smeltDashboard.last = s;
  window.smeltDashboard.maxTokensPerSecond = Math.max(window.smeltDashboard.maxTokensPerSecond, s.tokens_per_second || 0);
  $('health').textContent = s.healthy ? 'healthy' : 'unhealthy';
  $('health').className = 'health ' + (s.healthy ? 'ok' : 'bad');
  $('problems').replaceChildren(...(s.problems || []).map(p => el('li', null, p)));
  $('slots').textContent = `${s.slots_busy} / ${s.slots_total}`;
  $('queue').textContent = String(s.queue_depth);
  $('generated').textContent = String(s.generated_tokens);
  $('models').replaceChildren(...s.models.map(m => {
    const tr = el('tr');
    const left = m.keep_alive_seconds_left === null ? 'never' : m.keep_alive_seconds_left + ' s';
    for (const v of [m.name, (m.adapters || []).join(', ') || '–', `${m.slots_busy} / ${m.slots}`, m.queue_depth,
      `${m.kv_used_tokens} / ${m.kv_capacity_tokens}`, left]) tr.append(el('td', null, String(v)));
    return tr;
  }));
}

streamStats('/api/smelt/stats', onSample, (text, bad) => {
  $('health').textContent = text;
  if (bad) $('health').className = 'health bad';
});

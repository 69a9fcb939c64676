// The router dashboard (smelt route's /dashboard): live from the /api/smelt/router/stats SSE stream. Every value
// from the server, prompts included, reaches the page as text (el / textContent), never as HTML.
import uPlot from '/ui/uplot.js';
import { streamStats, el } from '/ui/api.js';

const $ = id => document.getElementById(id);
const COLORS = ['#0b5cad', '#a3121f', '#1a6b2f'];
const pct = x => (x * 100).toFixed(1) + '%';
const usd = x => '$' + x.toFixed(x < 1 ? 6 : 2);
const num = x => (x >= 1e300 ? 'never' : String(Math.round(x * 10000) / 10000));

/** A chart of per-request series (x: request number); names are the sample point fields. */
function chart(id, series) {
  const box = $(id);
  const data = [[], ...series.map(() => [])];
  const plot = new uPlot({
    width: Math.max(300, box.clientWidth), height: 160,
    scales: { x: { time: false } },
    series: [{ label: 'request' }, ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2, dash: s.dash }))],
    axes: [{}, { size: 60 }],
  }, data, box);
  return { box, data, plot, series };
}

const charts = [
  chart('chart-share', [{ label: 'last window', field: 'window_share' }, { label: 'since start', field: 'cumulative_share' },
    { label: 'budget', field: 'budget', dash: [6, 4] }]),
  chart('chart-cost', [{ label: 'spent (USD)', field: 'cost_usd' },
    { label: 'strong target for everything (USD, est.)', field: 'strong_for_everything_usd', dash: [6, 4] }]),
  chart('chart-threshold', [{ label: 'threshold', field: 'threshold' }]),
];
window.addEventListener('resize', () => charts.forEach(c => c.plot.setSize({ width: Math.max(300, c.box.clientWidth), height: 160 })));

/** What the page has shown (the browser tests read it). */
window.smeltRouter = { samples: 0, last: null, points: 0, lastRequest: 0, shownRequests: -1 };

function rows(tbody, list) {
  $(tbody).replaceChildren(...list.map(cells => {
    const tr = el('tr');
    cells.forEach(v => tr.append(el('td', null, String(v))));
    return tr;
  }));
}

function onSample(s) {
  window.smeltRouter.samples++;
  window.smeltRouter.last = s;
  const budget = s.share.target;
  const fresh = s.points.filter(p => p.request > window.smeltRouter.lastRequest); // a reconnect sends the kept points again
  for (const p of fresh) {
    p.budget = budget;
    p.threshold = p.threshold >= 1e300 ? null : p.threshold;
    for (const c of charts) {
      c.data[0].push(p.request);
      c.series.forEach((x, i) => c.data[i + 1].push(p[x.field] === undefined ? null : p[x.field]));
    }
  }
  if (fresh.length) charts.forEach(c => c.plot.setData(c.data));
  window.smeltRouter.points += fresh.length;
  window.smeltRouter.lastRequest = Math.max(window.smeltRouter.lastRequest, ...fresh.map(p => p.request));

  $('share-window-size').textContent = String(Math.min(s.requests, s.share.window));
  $('share-window').textContent = pct(s.share.window_share);
  $('strong-name').textContent = s.strong;
  $('share-target').textContent = budget === null ? 'none set' : `${pct(budget)} (${s.share.mode} mode)`;
  $('share-cumulative').textContent = pct(s.share.cumulative_share);
  $('strong-calls').textContent = String(s.share.strong_calls);
  $('requests-total').textContent = String(s.requests);
  $('threshold').textContent = num(s.share.threshold);
  $('held-back').textContent = s.share.held_back === undefined ? 'no budget' : String(s.share.held_back);

  const everything = s.cost.strong_for_everything_usd;
  $('cost-total').textContent = usd(s.cost.total_usd);
  $('cost-everything').textContent = everything === null ? 'not known yet' : usd(everything);
  $('cost-saved').textContent = everything ? pct(1 - s.cost.total_usd / everything) : '–';

  if (s.requests === window.smeltRouter.shownRequests) return; // nothing new: no redraw under a screen reader
  window.smeltRouter.shownRequests = s.requests;
  rows('targets', Object.entries(s.targets).map(([t, n]) => [t, n, pct(n / Math.max(1, s.requests))]));
  rows('reasons', Object.entries(s.reasons).sort((a, b) => b[1] - a[1]));
  rows('latency', s.latency.map(l => [l.path, l.count, l.p50_ms.toFixed(1), l.p95_ms.toFixed(1)]));
  rows('adjustments', s.adjustments.slice().reverse().map(a => [a.request, num(a.from), num(a.to), pct(a.window_share)]));
  rows('escalated', s.escalated.map(e => [e.request, new Date(e.at).toLocaleTimeString(), e.prompt, e.path, e.reason,
    e.confidence === null ? '–' : e.confidence.toFixed(3), e.latency_ms.toFixed(1), e.cost_usd.toFixed(6)]));
}

function connection(text, bad) {
  $('connection').textContent = text;
  $('connection').className = 'health ' + (bad ? 'bad' : 'ok');
}

streamStats('/api/smelt/router/stats', onSample, connection);

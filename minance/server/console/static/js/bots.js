// Bots and backtests: whatever the server's admin API lists (GET /admin/bots, GET /admin/backtests), or
// "none" when this installation has no such routes or nothing runs. A backtest report opens in the page, in a
// sandboxed frame: the report is served by id (GET /admin/backtests/ID/report) under its own CSP (no script).
import { badge, clear, fmtTime, h, table } from './dom.js';
import { ApiError, api } from './main.js';

async function listOrNull(path) {
  try {
    const data = await api('GET', path);
    if (Array.isArray(data)) return data;
    return data && Array.isArray(data.items) ? data.items : [];
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

function section(title, rows, missing) {
  const id = `h-${title.toLowerCase().replace(/\W+/g, '-')}`;
  let content;
  if (rows === null) content = h('p', { class: 'muted' }, `None: ${missing}`);
  else if (!rows.length) content = h('p', { class: 'muted' }, 'None.');
  else {
    const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))].slice(0, 10);
    content = table(title, cols.map((c) => ({ label: c, cell: (r) => (typeof r[c] === 'object' && r[c] !== null ? JSON.stringify(r[c]) : String(r[c] ?? '')) })), rows);
  }
  return h('section', { class: 'panel', 'aria-labelledby': id }, h('h2', { id }, title), content);
}

// -- backtest reports ------------------------------------------------------------------------------------------
// Ratios from the report's summary (fractions); shown, never computed with.
const pct = (v) => (typeof v === 'number' && Number.isFinite(v) ? `${(v * 100).toFixed(2)} %` : '—');
const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(2) : '—');
const utcDay = (ms) => (typeof ms === 'number' ? new Date(ms).toISOString().slice(0, 10) : '—');
const sign = (v) => (typeof v === 'number' && v !== 0 ? (v > 0 ? 'up' : 'down') : null);

function describe(r) {
  return `${r.strategy} on ${r.symbol} ${r.interval}, ${utcDay(r.start)} → ${utcDay(r.end - 1)}`;
}

function reportViewer() {
  const box = h('section', { class: 'panel report-view', id: 'backtest-report', hidden: true, 'aria-labelledby': 'h-report' });
  function close() { clear(box).hidden = true; }
  function open(r, opener) {
    clear(box).hidden = false;
    const closeButton = h('button', { type: 'button', onclick: () => { close(); opener.focus(); } }, 'Close report');
    box.append(
      h('div', { class: 'spread' },
        h('h2', { id: 'h-report', tabindex: -1 }, `Report: ${describe(r)}`),
        h('div', { class: 'row' },
          h('a', { href: r.reportUrl, target: '_blank', rel: 'noopener noreferrer' }, 'Open in a new tab'),
          closeButton)),
      h('p', { class: 'hint' }, `From ${r.path}`),
      // sandbox with no allowances: the report runs no script and gets an opaque origin
      h('iframe', { class: 'report-frame', src: r.reportUrl, sandbox: true, title: `Backtest report: ${describe(r)}`,
                    referrerpolicy: 'no-referrer' }));
    box.scrollIntoView({ block: 'start' });
    box.querySelector('h2').focus();
  }
  return { box, open, close };
}

function backtestSection(rows, viewer) {
  const id = 'h-backtest-reports';
  let content;
  if (rows === null) content = h('p', { class: 'muted' }, 'None: this server keeps no backtest reports (no /admin/backtests route).');
  else if (!rows.length) {
    content = h('p', { class: 'muted' }, 'None yet: ', h('code', {}, 'minance backtest run STRATEGY ... --report DIR'),
      ' records its report here.');
  } else {
    const cols = [
      { label: 'Created', cell: (r) => fmtTime(r.created) },
      { label: 'Backtest', cell: (r) => h('div', { class: 'backtest' },
        h('strong', {}, String(r.strategy)), ` on ${r.symbol} ${r.interval}`,
        h('span', { class: 'range' }, `${utcDay(r.start)} → ${utcDay(r.end - 1)} (UTC)`),
        h('span', { class: 'params muted' }, Object.entries(r.params || {}).map(([k, v]) => `${k}=${v}`).join(' '))) },
      { label: 'Return', num: true, cell: (r) => h('span', { class: sign(r.metrics.totalReturn) }, pct(r.metrics.totalReturn)) },
      { label: 'Buy & hold', num: true, cell: (r) => pct(r.buyAndHold.totalReturn) },
      { label: 'Sharpe', num: true, cell: (r) => num(r.metrics.sharpe) },
      { label: 'Max drawdown', num: true, cell: (r) => pct(r.metrics.maxDrawdown) },
      { label: 'Trades / fills', num: true, cell: (r) => `${r.metrics.trades ?? '—'} / ${r.metrics.fills ?? '—'}` },
      { label: 'Fees', num: true, cell: (r) => num(r.metrics.fees) },
      { label: 'Report', cell: (r) => (r.available
        ? h('button', { type: 'button', class: 'primary', dataset: { report: r.id }, 'aria-label': `Open report: ${describe(r)}`,
          onclick: (ev) => viewer.open(r, ev.currentTarget) }, 'Open report')
        : badge('files moved or deleted', 'warn')) },
    ];
    content = [table('Backtest reports', cols, rows),
      h('p', { class: 'hint' }, 'Sharpe is annualised with √365 from daily equity, and only for spans of 30 days or more.')];
  }
  return h('section', { class: 'panel', 'aria-labelledby': id, id: 'backtests' }, h('h2', { id }, 'Backtest reports'), content);
}

export async function render(view) {
  const [bots, backtests] = await Promise.all([listOrNull('/admin/bots'), listOrNull('/admin/backtests')]);
  const viewer = reportViewer();
  view.append(
    section('Running bots', bots, 'this server has no bot runner (no /admin/bots route).'),
    backtestSection(backtests, viewer), viewer.box);
}

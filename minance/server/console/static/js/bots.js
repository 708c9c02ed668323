// Bots and backtests: whatever the server's admin API lists (GET /admin/bots, GET /admin/backtests), or
// "none" when this installation has no such routes or nothing runs.
import { h, table } from './dom.js';
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

export async function render(view) {
  const [bots, backtests] = await Promise.all([listOrNull('/admin/bots'), listOrNull('/admin/backtests')]);
  view.append(
    section('Running bots', bots, 'this server has no bot runner (no /admin/bots route).'),
    section('Backtest reports', backtests, 'this server keeps no backtest reports (no /admin/backtests route).'));
}

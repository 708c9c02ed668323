// Activity: every key's requests, newest first, paged on the server (keyset: each page costs the same),
// filtered by key, outcome, IP and time; the first page refreshes itself while "Live" is on.
import { badge, clear, field, fmtTime, h, table } from './dom.js';
import { api, showError } from './main.js';

const PAGE = 50;

export async function render(view) {
  const keys = await api('GET', '/admin/keys');
  const key = h('select', {}, h('option', { value: '' }, 'All keys'),
    keys.map((k) => h('option', { value: k.apiKey }, `${k.label || '(no label)'} · ${k.apiKey.slice(0, 6)}…${k.apiKey.slice(-4)}`)));
  const outcome = h('select', {}, h('option', { value: '' }, 'Any outcome'), h('option', { value: 'ok' }, 'Succeeded'),
    h('option', { value: 'error' }, 'Refused or failed'),
    ['-2015', '-1022', '-1021', '-2010', '-1002', '-1003'].map((c) => h('option', { value: c }, `Code ${c}`)));
  const ip = h('input', { type: 'text', placeholder: 'any', spellcheck: 'false', size: 16 });
  const from = h('input', { type: 'datetime-local' });
  const to = h('input', { type: 'datetime-local' });
  const live = h('input', { type: 'checkbox', checked: true });
  const form = h('form', { class: 'panel row', 'aria-label': 'Activity filters' },
    field('Key', key), field('Outcome', outcome), field('IP', ip), field('From', from), field('To', to),
    h('button', { type: 'submit', class: 'primary' }, 'Apply'),
    h('label', { class: 'check' }, live, h('span', {}, 'Live')));
  const results = h('div', { id: 'activity-table' });
  const newer = h('button', { type: 'button' }, '← Newer');
  const older = h('button', { type: 'button' }, 'Older →');
  const pageNote = h('span', { class: 'muted', 'aria-live': 'polite' });
  view.append(form, results, h('div', { class: 'pager' }, newer, older, pageNote));

  const cursors = [null]; // the `before` cursor of each page visited; [0] is the newest page
  let next = null;
  let busy = false;

  function query() {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (key.value) q.set('key', key.value);
    if (outcome.value) q.set('outcome', outcome.value);
    if (ip.value.trim()) q.set('ip', ip.value.trim());
    if (from.value) q.set('from', String(new Date(from.value).getTime()));
    if (to.value) q.set('to', String(new Date(to.value).getTime()));
    const before = cursors[cursors.length - 1];
    if (before) q.set('before', String(before));
    return q;
  }

  async function load() {
    if (busy) return;
    busy = true;
    try {
      const page = await api('GET', `/admin/activity?${query()}`);
      next = page.next;
      clear(results).append(table('Activity log', [
        { label: 'Time', cell: (r) => fmtTime(r.time) },
        { label: 'API key', cell: (r) => h('code', {}, r.apiKey || '—') },
        { label: 'IP', cell: (r) => r.ip },
        { label: 'Method', cell: (r) => r.method },
        { label: 'Route', cell: (r) => h('code', {}, r.path) },
        { label: 'Outcome', cell: (r) => (r.code === 0 ? badge('OK', 'ok') : badge(String(r.code), 'err')) },
        { label: 'HTTP', num: true, cell: (r) => r.status },
        { label: 'Weight', num: true, cell: (r) => r.weight },
        { label: 'Latency', num: true, cell: (r) => `${(r.latencyUs / 1000).toFixed(2)} ms` },
        { label: 'Note', cell: (r) => r.note || '' },
      ], page.rows, { empty: 'No requests match.' }));
      newer.disabled = cursors.length === 1;
      older.disabled = !next;
      pageNote.textContent = `Page ${cursors.length}${cursors.length === 1 && live.checked ? ' (live)' : ''}`;
    } catch (err) { showError(err); } finally { busy = false; }
  }

  form.addEventListener('submit', (ev) => { ev.preventDefault(); cursors.length = 1; load(); });
  older.addEventListener('click', () => { if (next) { cursors.push(next); load(); } });
  newer.addEventListener('click', () => { if (cursors.length > 1) { cursors.pop(); load(); } });
  live.addEventListener('change', load);
  await load();
  // live updates: re-read the newest page every 2 s while it is the one shown
  const timer = setInterval(() => { if (live.checked && cursors.length === 1 && !document.hidden) load(); }, 2000);
  return () => clearInterval(timer);
}

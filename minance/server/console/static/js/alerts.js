// Alerts: what the server noticed about the keys, with what each kind means and what to do about it.
import { badge, clear, field, fmtTime, h } from './dom.js';
import { api, showError } from './main.js';

const KINDS = {
  NEW_IP: ['A key was used from an address it had never used before.',
    'If you do not recognise the address, delete the key and create a new one restricted to your trusted IPs.'],
  AUTH_FAILURE_BURST: ['Many requests with a bad signature (-1022) or timestamp (-1021) in a short time.',
    'Check the client\u2019s clock and the secret it signs with. If the requests are not yours, the API key is known to someone else: rotate it.'],
  PERMISSION_DENIED: ['The key was refused something it is not allowed: an IP outside its allow-list, a missing permission, an endpoint group or a symbol.',
    'If it was your program, widen the key\u2019s restrictions on API Management. If not, someone else holds the key: delete it.'],
  WITHDRAWAL_ATTEMPT: ['Someone asked to withdraw funds with this key.',
    'If you did not, delete the key at once and check the account\u2019s balances.'],
  GRACE_PERIOD_USE: ['A rotated key is still being used during its grace period.',
    'Move the client to the new key before the grace period ends; after that the old key is refused.'],
};

export async function render(view) {
  const keys = await api('GET', '/admin/keys');
  const kind = h('select', {}, h('option', { value: '' }, 'All kinds'), Object.keys(KINDS).map((k) => h('option', { value: k }, k)));
  const key = h('select', {}, h('option', { value: '' }, 'All keys'),
    keys.map((k) => h('option', { value: k.apiKey }, `${k.label || '(no label)'} · ${k.apiKey.slice(0, 6)}…${k.apiKey.slice(-4)}`)));
  const form = h('form', { class: 'panel row', 'aria-label': 'Alert filters' }, field('Kind', kind), field('Key', key),
    h('button', { type: 'submit', class: 'primary' }, 'Apply'));
  const list = h('div', { id: 'alert-list' });
  const more = h('button', { type: 'button', hidden: true }, 'Older alerts');
  view.append(form, list, h('div', { class: 'pager' }, more));
  let before = null;
  let paged = false; // older alerts appended: stop refreshing the first page under the reader

  async function load(append) {
    const q = new URLSearchParams({ limit: '50' });
    if (kind.value) q.set('kind', kind.value);
    if (key.value) q.set('key', key.value);
    if (append && before) q.set('before', String(before));
    try {
      const alerts = (await api('GET', `/admin/alerts?${q}`)).reverse(); // the API answers oldest first
      if (!append) clear(list);
      if (!alerts.length && !append) list.append(h('p', { class: 'panel muted' }, 'No alerts.'));
      for (const a of alerts) {
        const [means, todo] = KINDS[a.kind] || ['', ''];
        list.append(h('article', { class: 'panel alert', dataset: { kind: a.kind } },
          h('div', { class: 'spread' }, h('h2', {}, badge(a.kind, a.kind === 'NEW_IP' || a.kind === 'GRACE_PERIOD_USE' ? 'warn' : 'err'), ' ', a.detail),
            h('span', { class: 'muted' }, fmtTime(a.time), a.apiKey ? ` · key ${a.apiKey}` : '')),
          h('p', {}, h('strong', {}, 'What it means: '), means),
          h('p', {}, h('strong', {}, 'What to do: '), todo)));
      }
      before = alerts.length ? alerts[alerts.length - 1].id : before;
      more.hidden = alerts.length < 50;
    } catch (err) { showError(err); }
  }
  form.addEventListener('submit', (ev) => { ev.preventDefault(); paged = false; load(false); });
  more.addEventListener('click', () => { paged = true; load(true); });
  await load(false);
  const timer = setInterval(() => { if (!paged && !document.hidden) load(false); }, 5000);
  return () => clearInterval(timer);
}

// API Management, laid out like Binance's: create a key (the secret shown once), then per key its
// restrictions (permissions, IP allow-list, endpoint groups, symbols, expiry), rotate and delete.
import { badge, clear, field, fmtDate, fmtTime, h, nextId } from './dom.js';
import { api, notify, showError } from './main.js';

const GROUPS = ['market', 'account', 'trade', 'stream', 'wallet'];
// loose shape check for a quick hint; the server's parser (keys/iprules.py) decides
const IP_SHAPE = /^([0-9]{1,3}(\.[0-9]{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)(\/[0-9]{1,3})?$/;

export async function render(view) {
  const once = h('div', { id: 'secret-once' });
  const list = h('div', { id: 'key-list' });
  const accounts = await api('GET', '/admin/accounts');
  view.append(
    h('p', { class: 'notice' },
      'Reading is always enabled. Withdrawals can only be enabled on a key restricted to trusted IPs. ',
      'Spot trading on a key without an IP restriction lapses 30 days after it was enabled, as on Binance: ',
      'restrict the key to your IPs to keep it. Every change applies to the key\u2019s next request.'),
    createPanel(accounts, once, reload), once, list);

  async function reload() {
    const keys = await api('GET', '/admin/keys');
    keys.sort((a, b) => b.createTime - a.createTime);
    clear(list);
    const live = keys.filter((k) => k.status === 'active' || k.status === 'grace');
    const gone = keys.filter((k) => !live.includes(k));
    if (!keys.length) list.append(h('p', { class: 'panel muted' }, 'No API keys yet: create one above.'));
    for (const key of live) list.append(keyCard(key, once, reload));
    if (gone.length) {
      list.append(h('details', { class: 'panel' }, h('summary', {}, `Deleted, expired and retired keys (${gone.length})`),
        gone.map((k) => h('p', {}, h('strong', {}, k.label || '(no label)'), ' ', badge(k.status, k.status), ' ',
          h('code', {}, mask(k.apiKey)), ` · ${k.account} · created ${fmtTime(k.createTime)}`,
          k.revokeTime ? ` · deleted ${fmtTime(k.revokeTime)}` : ''))));
    }
  }
  await reload();
}

function mask(apiKey) { return `${apiKey.slice(0, 6)}…${apiKey.slice(-4)}`; }

function createPanel(accounts, once, reload) {
  const account = h('select', { required: true }, accounts.map((a) => h('option', { value: a.name }, a.name)));
  const label = h('input', { type: 'text', maxlength: 64, required: true, placeholder: 'e.g. trading bot' });
  const typeName = nextId('type');
  const hmacRadio = h('input', { type: 'radio', name: typeName, value: 'HMAC', checked: true });
  const asymRadio = h('input', { type: 'radio', name: typeName, value: 'ASYM' });
  const asymType = h('select', {}, h('option', { value: 'ED25519' }, 'Ed25519 (recommended)'), h('option', { value: 'RSA' }, 'RSA'));
  const pem = h('textarea', { spellcheck: 'false', placeholder: '-----BEGIN PUBLIC KEY-----' });
  const file = h('input', { type: 'file', accept: '.pem,.pub,.txt,text/plain' });
  file.addEventListener('change', async () => { if (file.files[0]) pem.value = await file.files[0].text(); });
  const spot = h('input', { type: 'checkbox' });
  const asymBox = h('div', { class: 'asym', hidden: true },
    field('Key type', asymType),
    field('Public key (PEM)', pem, 'Paste your public key, or choose the file. The private key never leaves your machine.'),
    field('…or upload the public key file', file));
  const sync = () => { asymBox.hidden = !asymRadio.checked; };
  hmacRadio.addEventListener('change', sync);
  asymRadio.addEventListener('change', sync);

  const form = h('form', { class: 'panel stack', 'aria-labelledby': 'create-h' },
    h('div', { class: 'spread' }, h('h2', { id: 'create-h' }, 'Create API key')),
    accounts.length ? null : h('p', { class: 'notice warn' }, 'No account yet: create one on the Accounts page first.'),
    h('fieldset', {}, h('legend', {}, 'Choose the API key type'),
      h('label', { class: 'check' }, hmacRadio, h('span', {}, 'System generated (HMAC): the secret key is made here and shown once')),
      h('label', { class: 'check' }, asymRadio, h('span', {}, 'Self-generated (Ed25519 or RSA): you register your public key'))),
    h('div', { class: 'row' }, field('Account', account), field('Label', label)),
    asymBox,
    h('label', { class: 'check' }, spot, h('span', {}, 'Enable Spot & Margin Trading')),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Create API')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { account: account.value, label: label.value.trim(), permissions: spot.checked ? ['reading', 'spot'] : ['reading'] };
    if (asymRadio.checked) { body.type = asymType.value; body.publicKey = pem.value; } else body.type = 'HMAC';
    try {
      const issued = await api('POST', '/admin/keys', body);
      label.value = ''; pem.value = ''; file.value = '';
      showOnce(once, issued, 'API key created');
      await reload();
    } catch (err) { showError(err); }
  });
  return form;
}

// The secret, once: shown with copy buttons and a warning, and removed from the page when dismissed.
function showOnce(box, issued, title) {
  clear(box);
  const rows = [['API Key', issued.apiKey]];
  if (issued.secretKey) rows.push(['Secret Key', issued.secretKey]);
  const heading = nextId('once');
  const panel = h('section', { class: 'panel secret-once', 'aria-labelledby': heading },
    h('h2', { id: heading }, title),
    issued.secretKey
      ? h('p', { class: 'notice warn', role: 'alert' }, 'Copy the secret key now: it is shown only this once and cannot be shown again. ',
        'Keep it out of code and chats (for example: minance vault add). Anyone who has it can use this key.')
      : h('p', { class: 'notice' }, 'Sign requests with the private key that belongs to the public key you registered.'),
    rows.map(([name, value]) => {
      const out = h('output', { class: name === 'Secret Key' ? 'secret' : 'apikey', 'aria-label': name }, value);
      const copy = h('button', { type: 'button' }, `Copy ${name}`);
      copy.addEventListener('click', async () => {
        try { await navigator.clipboard.writeText(value); notify(`${name} copied`); } catch (err) {
          window.getSelection().selectAllChildren(out); notify('Selected: press Ctrl+C to copy', 'warn');
        }
      });
      return h('div', { class: 'field' }, h('span', { class: 'muted' }, name), h('div', { class: 'value' }, out, copy));
    }),
    h('div', { class: 'row' }, h('button', { type: 'button', class: 'primary', onclick: () => clear(box) }, 'I have saved it: hide')));
  box.append(panel);
  panel.querySelector('button').focus();
}

function keyCard(key, once, reload) {
  const now = Date.now();
  const perms = new Set(key.permissions);
  const ips = [...key.ips];
  const card = h('article', { class: 'key', 'aria-labelledby': `k-${key.apiKey.slice(0, 12)}`, dataset: { label: key.label } });

  // -- permissions
  const spot = h('input', { type: 'checkbox', checked: perms.has('spot') });
  const withdraw = h('input', { type: 'checkbox', checked: perms.has('withdrawals') });
  const withdrawNote = h('p', { class: 'hint' });
  const lapse = h('p', { class: 'hint' });
  if (perms.has('spot') && key.tradingAuthorityExpirationTime) {
    const when = fmtDate(key.tradingAuthorityExpirationTime);
    if (key.canTrade) lapse.textContent = `Unrestricted key: spot trading lapses on ${when}. Restrict access to trusted IPs to keep it.`;
    else { lapse.textContent = `Spot trading lapsed on ${when} (unrestricted key). Restrict IPs, or save to re-enable it for 30 days.`; lapse.className = 'notice warn'; }
  }

  // -- IP allow-list editor
  const ipName = nextId('ipmode');
  const unrestricted = h('input', { type: 'radio', name: ipName, value: 'any', checked: !ips.length });
  const restricted = h('input', { type: 'radio', name: ipName, value: 'list', checked: ips.length > 0 });
  const chips = h('ul', { class: 'chips', 'aria-label': 'Trusted IPs' });
  const ipInput = h('input', { type: 'text', placeholder: '203.0.113.7, 10.0.0.0/8, 2001:db8::/32', spellcheck: 'false' });
  const addIp = h('button', { type: 'button' }, 'Add IP');
  const ipBox = h('div', { class: 'ip-editor' }, chips,
    h('div', { class: 'row' }, field('Trusted IP or CIDR (IPv4 or IPv6)', ipInput), addIp));
  const drawIps = () => {
    clear(chips);
    for (const ip of ips) {
      chips.append(h('li', {}, ip, h('button', { type: 'button', 'aria-label': `Remove ${ip}`, onclick: () => { ips.splice(ips.indexOf(ip), 1); drawIps(); } }, '×')));
    }
    ipBox.hidden = !restricted.checked;
    const needIps = !restricted.checked || !ips.length;
    withdraw.disabled = needIps && !withdraw.checked;
    withdrawNote.textContent = needIps ? 'Withdrawals need an IP restriction: add at least one trusted IP first.' : '';
  };
  const add = () => {
    for (const part of ipInput.value.split(/[\s,]+/).filter(Boolean)) {
      if (!IP_SHAPE.test(part)) { notify(`Not an IP address or CIDR: ${part}`, 'error'); return; }
      if (!ips.includes(part)) ips.push(part);
    }
    ipInput.value = '';
    drawIps();
  };
  addIp.addEventListener('click', add);
  ipInput.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); add(); } });
  unrestricted.addEventListener('change', drawIps);
  restricted.addEventListener('change', drawIps);

  // -- endpoint groups, symbols, expiry, label
  const allGroups = h('input', { type: 'checkbox', checked: key.endpointGroups === null });
  const groupBoxes = GROUPS.map((g) => h('input', { type: 'checkbox', value: g, checked: key.endpointGroups === null || key.endpointGroups.includes(g), disabled: key.endpointGroups === null }));
  allGroups.addEventListener('change', () => groupBoxes.forEach((b) => { b.disabled = allGroups.checked; if (allGroups.checked) b.checked = true; }));
  const symbols = h('input', { type: 'text', value: (key.symbols || []).join(', '), placeholder: 'all symbols', spellcheck: 'false' });
  const never = h('input', { type: 'checkbox', checked: !key.expireTime });
  const expiry = h('input', { type: 'datetime-local', value: key.expireTime ? localInput(key.expireTime) : '', disabled: !key.expireTime });
  never.addEventListener('change', () => { expiry.disabled = never.checked; });
  const label = h('input', { type: 'text', value: key.label, maxlength: 64 });

  const save = h('button', { type: 'button', class: 'primary' }, 'Save restrictions');
  save.addEventListener('click', async () => {
    const body = {
      label: label.value.trim(),
      permissions: ['reading', ...(spot.checked ? ['spot'] : []), ...(withdraw.checked ? ['withdrawals'] : [])],
      ips: restricted.checked ? ips : [],
      endpointGroups: allGroups.checked ? null : groupBoxes.filter((b) => b.checked).map((b) => b.value),
      symbols: symbols.value.trim() ? symbols.value.split(/[\s,]+/).filter(Boolean) : null,
      expireTime: never.checked || !expiry.value ? null : new Date(expiry.value).getTime(),
    };
    try { await api('PATCH', `/admin/keys/${key.apiKey}`, body); notify(`Saved: ${body.label || mask(key.apiKey)}`); await reload(); } catch (err) { showError(err); }
  });
  const rotate = h('button', { type: 'button' }, 'Rotate…');
  rotate.addEventListener('click', () => rotateDialog(key, once, reload));
  const revoke = h('button', { type: 'button', class: 'danger' }, 'Delete…');
  revoke.addEventListener('click', () => revokeDialog(key, reload));

  const headingId = `k-${key.apiKey.slice(0, 12)}`;
  card.append(
    h('header', {}, h('h2', { id: headingId }, key.label || '(no label)'), badge(key.status, key.status), badge(key.type),
      h('code', { title: 'API key (masked)' }, mask(key.apiKey)), h('span', { class: 'muted' }, `account ${key.account}`)),
    h('div', { class: 'body' },
      h('div', {},
        h('dl', { class: 'meta' },
          h('dt', {}, 'Created'), h('dd', {}, fmtTime(key.createTime)),
          h('dt', {}, 'Last used'), h('dd', {}, fmtTime(key.lastUsedTime)),
          h('dt', {}, 'Expires'), h('dd', {}, key.expireTime ? fmtTime(key.expireTime) : 'never'),
          key.graceUntil ? [h('dt', {}, 'Grace until'), h('dd', {}, `${fmtTime(key.graceUntil)} (rotated to ${mask(key.rotatedTo || '')})`)] : null,
          key.rotatedFrom ? [h('dt', {}, 'Rotated from'), h('dd', {}, mask(key.rotatedFrom))] : null),
        h('fieldset', {}, h('legend', {}, 'API restrictions'),
          h('label', { class: 'check' }, h('input', { type: 'checkbox', checked: true, disabled: true }), h('span', {}, 'Enable Reading')),
          h('label', { class: 'check' }, spot, h('span', {}, 'Enable Spot & Margin Trading')), lapse,
          h('label', { class: 'check' }, withdraw, h('span', {}, 'Enable Withdrawals')), withdrawNote),
        field('Label', label)),
      h('div', {},
        h('fieldset', {}, h('legend', {}, 'IP access restrictions'),
          h('label', { class: 'check' }, unrestricted, h('span', {}, 'Unrestricted (less secure): this key can be used from any IP')),
          h('label', { class: 'check' }, restricted, h('span', {}, 'Restrict access to trusted IPs only (recommended)')),
          ipBox),
        h('fieldset', {}, h('legend', {}, 'Endpoint groups'),
          h('label', { class: 'check' }, allGroups, h('span', {}, 'All endpoint groups')),
          h('div', { class: 'row' }, GROUPS.map((g, i) => h('label', { class: 'check' }, groupBoxes[i], h('span', {}, g))))),
        h('div', { class: 'row' }, field('Symbols', symbols, 'Comma-separated, e.g. BTCUSDT, ETHUSDT. Empty: all symbols.')),
        h('div', { class: 'row' }, field('Expires', expiry), h('label', { class: 'check' }, never, h('span', {}, 'Never expires'))))),
    h('div', { class: 'actions' }, save, rotate, revoke));
  drawIps();
  return card;
}

function localInput(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

function modal(title, content, confirmLabel, danger, onConfirm) {
  const headingId = nextId('dlg');
  const ok = h('button', { type: 'button', class: danger ? 'danger' : 'primary' }, confirmLabel);
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const dialog = h('dialog', { 'aria-labelledby': headingId }, h('h2', { id: headingId }, title), content,
    h('div', { class: 'row' }, ok, cancel));
  const close = () => { dialog.close(); dialog.remove(); };
  cancel.addEventListener('click', close);
  dialog.addEventListener('cancel', () => dialog.remove());
  ok.addEventListener('click', async () => { ok.disabled = true; try { await onConfirm(); close(); } catch (err) { ok.disabled = false; showError(err); } });
  document.body.append(dialog);
  dialog.showModal();
  cancel.focus();
}

function revokeDialog(key, reload) {
  modal(`Delete API key “${key.label || mask(key.apiKey)}”?`,
    h('p', {}, `Requests signed with ${mask(key.apiKey)} fail with -2015 from the next request on. This cannot be undone.`),
    'Delete key', true, async () => { await api('POST', `/admin/keys/${key.apiKey}/revoke`); notify('Key deleted'); await reload(); });
}

function rotateDialog(key, once, reload) {
  const grace = h('input', { type: 'number', min: 0, value: 86400, step: 60 });
  const pem = h('textarea', { spellcheck: 'false', placeholder: '-----BEGIN PUBLIC KEY-----' });
  const asym = key.type !== 'HMAC';
  modal(`Rotate “${key.label || mask(key.apiKey)}”`,
    h('div', {}, h('p', {}, 'A new key with the same restrictions is issued. The old one keeps working during the grace period, then retires.'),
      field('Grace period (seconds)', grace), asym ? field('New public key (PEM)', pem) : null),
    'Rotate', false, async () => {
      const body = { graceSeconds: Number(grace.value) };
      if (asym) body.publicKey = pem.value;
      const issued = await api('POST', `/admin/keys/${key.apiKey}/rotate`, body);
      showOnce(once, issued, 'Key rotated: the new key');
      await reload();
    });
}

// Accounts: balances (free / locked), the deposit faucet, open orders and recent trades of one account.
import { clear, field, fmtAmount, fmtTime, h, table } from './dom.js';
import { api, notify, showError } from './main.js';

export async function render(view) {
  let accounts = await api('GET', '/admin/accounts');
  const pick = h('select', {});
  const fill = (selected) => {
    clear(pick).append(...accounts.map((a) => h('option', { value: a.name, selected: a.name === selected }, a.name)));
  };
  fill(accounts[0] && accounts[0].name);
  const newName = h('input', { type: 'text', placeholder: 'alice', spellcheck: 'false', maxlength: 32 });
  const createForm = h('form', { class: 'row' }, field('New account', newName), h('button', { type: 'submit' }, 'Create account'));
  const asset = h('input', { type: 'text', value: 'USDT', size: 8, spellcheck: 'false' });
  const amount = h('input', { type: 'text', inputmode: 'decimal', value: '1000', size: 12 });
  const faucet = h('form', { class: 'row', 'aria-label': 'Deposit faucet' }, field('Asset', asset), field('Amount', amount),
    h('button', { type: 'submit', class: 'primary' }, 'Deposit'));
  const balances = h('div', { id: 'balances' });
  const orders = h('div', { id: 'open-orders' });
  const trades = h('div', { id: 'recent-trades' });
  view.append(
    h('section', { class: 'panel' }, h('div', { class: 'row' }, field('Account', pick), createForm)),
    h('div', { class: 'grid2' },
      h('section', { class: 'panel', 'aria-labelledby': 'bal-h' }, h('h2', { id: 'bal-h' }, 'Balances'), balances),
      h('section', { class: 'panel', 'aria-labelledby': 'dep-h' }, h('h2', { id: 'dep-h' }, 'Deposit faucet'),
        h('p', { class: 'hint' }, 'Test money: credited at once, recorded in the deposit history (GET /sapi/v1/capital/deposit/hisrec).'), faucet)),
    h('section', { class: 'panel', 'aria-labelledby': 'oo-h' }, h('h2', { id: 'oo-h' }, 'Open orders'), orders),
    h('section', { class: 'panel', 'aria-labelledby': 'tr-h' }, h('h2', { id: 'tr-h' }, 'Recent trades'), trades));

  async function load() {
    const name = pick.value;
    if (!name) { clear(balances).append(h('p', { class: 'muted' }, 'No account yet: create one above.')); return; }
    try {
      const [acct, open, mine] = await Promise.all([api('GET', `/admin/accounts/${encodeURIComponent(name)}`),
        api('GET', `/admin/accounts/${encodeURIComponent(name)}/orders`),
        api('GET', `/admin/accounts/${encodeURIComponent(name)}/trades?limit=50`)]);
      clear(balances).append(table('Balances', [
        { label: 'Asset', cell: (b) => b.asset },
        { label: 'Free', num: true, cell: (b) => fmtAmount(b.free) },
        { label: 'Locked', num: true, cell: (b) => fmtAmount(b.locked) },
      ], acct.balances, { empty: 'No balances: deposit some test money.' }));
      clear(orders).append(table('Open orders', [
        { label: 'Time', cell: (o) => fmtTime(o.time) }, { label: 'Symbol', cell: (o) => o.symbol },
        { label: 'Side', cell: (o) => h('span', { class: o.side === 'BUY' ? 'up' : 'down' }, o.side) },
        { label: 'Type', cell: (o) => o.type }, { label: 'Price', num: true, cell: (o) => fmtAmount(o.price) },
        { label: 'Quantity', num: true, cell: (o) => fmtAmount(o.origQty) },
        { label: 'Filled', num: true, cell: (o) => fmtAmount(o.executedQty) }, { label: 'Status', cell: (o) => o.status },
      ], open, { empty: 'No open orders.' }));
      clear(trades).append(table('Recent trades', [
        { label: 'Time', cell: (t) => fmtTime(t.time) }, { label: 'Symbol', cell: (t) => t.symbol },
        { label: 'Side', cell: (t) => h('span', { class: t.isBuyer ? 'up' : 'down' }, t.isBuyer ? 'BUY' : 'SELL') },
        { label: 'Price', num: true, cell: (t) => fmtAmount(t.price) }, { label: 'Quantity', num: true, cell: (t) => fmtAmount(t.qty) },
        { label: 'Fee', num: true, cell: (t) => `${fmtAmount(t.commission)} ${t.commissionAsset}` },
        { label: 'Role', cell: (t) => (t.isMaker ? 'maker' : 'taker') },
      ], mine, { empty: 'No trades yet.' }));
    } catch (err) { showError(err); }
  }

  pick.addEventListener('change', load);
  faucet.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', `/admin/accounts/${encodeURIComponent(pick.value)}/deposit`, { asset: asset.value.trim().toUpperCase(), amount: amount.value.trim() });
      notify(`Deposited ${amount.value} ${asset.value.toUpperCase()} to ${pick.value}`);
      await load();
    } catch (err) { showError(err); }
  });
  createForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const made = await api('POST', '/admin/accounts', { name: newName.value.trim() });
      accounts = await api('GET', '/admin/accounts');
      fill(made.name);
      newName.value = '';
      notify(`Account ${made.name} created`);
      await load();
    } catch (err) { showError(err); }
  });
  await load();
  const timer = setInterval(() => { if (!document.hidden) load(); }, 3000);
  return () => clearInterval(timer);
}

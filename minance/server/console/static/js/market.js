// Market: a live candlestick chart (drawn here on a canvas) and the order book of one symbol, from the
// exchange's public REST API; refreshed every 2 s.
import { clear, field, fmtAmount, h } from './dom.js';
import { showError } from './main.js';

async function get(path) {
  const resp = await fetch(path, { cache: 'no-store' });
  const data = await resp.json();
  if (!resp.ok) throw new Error(data.msg || resp.statusText);
  return data;
}

export async function render(view) {
  const info = await get('/api/v3/exchangeInfo');
  const names = info.symbols.map((s) => s.symbol);
  const symbol = h('select', {}, names.map((n) => h('option', { value: n, selected: n === 'BTCUSDT' }, n)));
  const interval = h('select', {}, ['1m', '5m', '15m', '1h'].map((i) => h('option', { value: i }, i)));
  const ticker = h('div', { class: 'ticker', 'aria-live': 'off' });
  const canvas = h('canvas', { role: 'img', 'aria-label': 'Price chart' });
  const chartBox = h('div', { class: 'chart-box' }, canvas);
  const book = h('div', { id: 'order-book' });
  view.append(
    h('section', { class: 'panel' }, h('div', { class: 'spread' }, h('div', { class: 'row' }, field('Symbol', symbol), field('Interval', interval)), ticker)),
    h('div', { class: 'grid2' },
      h('section', { class: 'panel', 'aria-labelledby': 'chart-h' }, h('h2', { id: 'chart-h' }, 'Price'), chartBox),
      h('section', { class: 'panel', 'aria-labelledby': 'book-h' }, h('h2', { id: 'book-h' }, 'Order book'), book)));

  let klines = [];
  async function load() {
    const s = symbol.value;
    try {
      const [k, depth, t] = await Promise.all([get(`/api/v3/klines?symbol=${s}&interval=${interval.value}&limit=90`),
        get(`/api/v3/depth?symbol=${s}&limit=12`), get(`/api/v3/ticker/24hr?symbol=${s}`)]);
      klines = k;
      draw(canvas, klines);
      canvas.setAttribute('aria-label', chartLabel(s, interval.value, klines));
      drawTicker(ticker, t);
      drawBook(book, depth);
    } catch (err) { showError(err); }
  }
  symbol.addEventListener('change', load);
  interval.addEventListener('change', load);
  const resize = new ResizeObserver(() => draw(canvas, klines));
  resize.observe(chartBox);
  await load();
  const timer = setInterval(() => { if (!document.hidden) load(); }, 2000);
  return () => { clearInterval(timer); resize.disconnect(); };
}

function chartLabel(s, iv, k) {
  if (!k.length) return `${s}: no price history yet`;
  return `${s} ${iv} candles: ${k.length} periods, from ${fmtAmount(k[0][1])} to ${fmtAmount(k[k.length - 1][4])}`;
}

function drawTicker(box, t) {
  const change = Number(t.priceChangePercent);
  clear(box).append(
    h('span', { class: `last ${change >= 0 ? 'up' : 'down'}` }, fmtAmount(t.lastPrice)),
    h('span', {}, h('span', { class: 'muted' }, '24h change '), h('span', { class: change >= 0 ? 'up' : 'down' }, `${fmtAmount(t.priceChange)} (${t.priceChangePercent}%)`)),
    h('span', {}, h('span', { class: 'muted' }, '24h high '), fmtAmount(t.highPrice)),
    h('span', {}, h('span', { class: 'muted' }, '24h low '), fmtAmount(t.lowPrice)),
    h('span', {}, h('span', { class: 'muted' }, '24h volume '), fmtAmount(t.volume)));
}

function drawBook(box, depth) {
  const rows = (side, levels) => levels.map(([p, q]) => h('tr', { class: side }, h('td', { class: 'num' }, fmtAmount(p)), h('td', { class: 'num' }, fmtAmount(q))));
  const asks = [...depth.asks].reverse();
  const mid = depth.bids.length && depth.asks.length ? h('tr', {}, h('td', { colspan: 2, class: 'muted' },
    `spread ${(Number(depth.asks[0][0]) - Number(depth.bids[0][0])).toPrecision(4)}`)) : null;
  clear(box).append(h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'Order book' },
    h('table', { class: 'book' }, h('caption', { class: 'sr-only' }, 'Asks above, bids below'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'num' }, 'Price'), h('th', { scope: 'col', class: 'num' }, 'Quantity'))),
      h('tbody', {}, rows('ask', asks), mid, rows('bid', depth.bids)))));
}

// Candles on a canvas sized to the device's pixels; prices are turned into numbers for drawing only.
function draw(canvas, k) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const hgt = canvas.clientHeight;
  if (!w || !hgt) return;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(hgt * dpr);
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, hgt);
  g.font = '11px system-ui, sans-serif';
  if (!k.length) { g.fillStyle = '#5e6673'; g.fillText('No trades yet', 12, 20); return; }
  const axis = 64;
  const volH = Math.round(hgt * 0.18);
  const top = 8;
  const bottom = hgt - volH - 18;
  let lo = Infinity; let hi = -Infinity; let vmax = 0;
  for (const c of k) { lo = Math.min(lo, Number(c[3])); hi = Math.max(hi, Number(c[2])); vmax = Math.max(vmax, Number(c[5])); }
  if (hi === lo) { hi += 1; lo -= 1; }
  const pad = (hi - lo) * 0.05; hi += pad; lo -= pad;
  const y = (p) => top + (hi - p) / (hi - lo) * (bottom - top);
  const step = (w - axis) / k.length;
  g.strokeStyle = '#eceef0'; g.fillStyle = '#5e6673'; g.lineWidth = 1;
  for (let i = 0; i <= 4; i += 1) {
    const p = lo + (hi - lo) * i / 4; const yy = Math.round(y(p)) + 0.5;
    g.beginPath(); g.moveTo(0, yy); g.lineTo(w - axis, yy); g.stroke();
    g.fillText(p.toPrecision(6), w - axis + 6, yy + 4);
  }
  k.forEach((c, i) => {
    const [o, hi2, lo2, cl, v] = [Number(c[1]), Number(c[2]), Number(c[3]), Number(c[4]), Number(c[5])];
    const x = i * step + step / 2;
    const color = cl >= o ? '#03a66d' : '#cf304a';
    g.strokeStyle = color; g.fillStyle = color;
    g.beginPath(); g.moveTo(Math.round(x) + 0.5, y(hi2)); g.lineTo(Math.round(x) + 0.5, y(lo2)); g.stroke();
    const bw = Math.max(1, step * 0.7);
    g.fillRect(x - bw / 2, Math.min(y(o), y(cl)), bw, Math.max(1, Math.abs(y(o) - y(cl))));
    const vh = vmax ? v / vmax * (volH - 4) : 0;
    g.globalAlpha = 0.35; g.fillRect(x - bw / 2, hgt - 14 - vh, bw, vh); g.globalAlpha = 1;
  });
  const last = Number(k[k.length - 1][4]);
  const ly = Math.round(y(last)) + 0.5;
  g.setLineDash([4, 3]); g.strokeStyle = '#1e2329';
  g.beginPath(); g.moveTo(0, ly); g.lineTo(w - axis, ly); g.stroke(); g.setLineDash([]);
  g.fillStyle = '#1e2329'; g.fillRect(w - axis + 2, ly - 9, axis - 4, 18);
  g.fillStyle = '#fff'; g.fillText(last.toPrecision(6), w - axis + 6, ly + 4);
  const t0 = new Date(k[0][0]); const t1 = new Date(k[k.length - 1][0]);
  const hm = (d) => `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  g.fillStyle = '#5e6673'; g.fillText(hm(t0), 2, hgt - 2); g.fillText(hm(t1), w - axis - 32, hgt - 2);
}

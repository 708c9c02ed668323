// The console shell: session (CSRF token), the admin API helper, page routing, sign-out, notices.
import { clear, h } from './dom.js';

const PAGES = {
  keys: { title: 'API Management', load: () => import('./keys.js') },
  activity: { title: 'Activity', load: () => import('./activity.js') },
  alerts: { title: 'Alerts', load: () => import('./alerts.js') },
  accounts: { title: 'Accounts', load: () => import('./accounts.js') },
  market: { title: 'Market', load: () => import('./market.js') },
  bots: { title: 'Bots and backtests', load: () => import('./bots.js') },
};

const session = { csrf: null };
let cleanup = null;

export class ApiError extends Error {
  constructor(message, code, status) { super(message); this.code = code; this.status = status; }
}

// Every admin call goes through here: the session cookie rides along (same origin) and writes carry the
// CSRF token in a header a cross-site form cannot set.
export async function api(method, path, body) {
  const init = { method, headers: {}, credentials: 'same-origin', cache: 'no-store' };
  if (method !== 'GET') init.headers['X-CSRF-Token'] = session.csrf;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(path, init);
  const type = resp.headers.get('content-type') || '';
  const data = type.includes('json') ? await resp.json() : null;
  if (resp.status === 401 && path.startsWith('/admin/')) {
    window.location.assign('/console/signin');
    throw new ApiError('signed out', -1002, 401);
  }
  if (!resp.ok) throw new ApiError((data && data.msg) || resp.statusText, data && data.code, resp.status);
  return data;
}

export function notify(message, kind = 'ok') {
  const box = document.getElementById('toast');
  clear(box).append(h('p', { class: `notice ${kind}` }, message));
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => clear(box), 6000);
}

export function showError(err) { notify(err instanceof Error ? err.message : String(err), 'error'); }

function pageFromPath() {
  const name = window.location.pathname.replace(/^\/console\/?/, '').split('/')[0];
  return PAGES[name] ? name : 'keys';
}

async function show(name) {
  if (cleanup) { cleanup(); cleanup = null; }
  const page = PAGES[name];
  document.title = `${page.title} · minance console`;
  document.getElementById('page-title').textContent = page.title;
  for (const link of document.querySelectorAll('nav.pages a')) {
    if (link.dataset.page === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const view = clear(document.getElementById('view'));
  view.setAttribute('aria-busy', 'true');
  try {
    const mod = await page.load();
    cleanup = (await mod.render(view)) || null;
  } catch (err) {
    showError(err);
  } finally {
    view.removeAttribute('aria-busy');
    document.body.dataset.page = name;
  }
}

async function signOut() {
  await fetch('/console/signout', { method: 'POST', headers: { 'X-CSRF-Token': session.csrf }, credentials: 'same-origin' });
  window.location.assign('/console/signin');
}

async function start() {
  const resp = await fetch('/console/session', { credentials: 'same-origin', cache: 'no-store' });
  if (!resp.ok) { window.location.assign('/console/signin'); return; }
  session.csrf = (await resp.json()).csrfToken;
  document.getElementById('signout').addEventListener('click', signOut);
  document.querySelector('nav.pages').addEventListener('click', (ev) => {
    const link = ev.target.closest('a[data-page]');
    if (!link || ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
    ev.preventDefault();
    if (link.dataset.page !== pageFromPath()) window.history.pushState({}, '', link.href);
    show(link.dataset.page).then(() => document.getElementById('main').focus());
  });
  window.addEventListener('popstate', () => show(pageFromPath()));
  await show(pageFromPath());
}

start().catch(showError);

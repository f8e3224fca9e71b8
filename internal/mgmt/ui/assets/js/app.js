// The single-page app: login, navigation (hash routes, as RabbitMQ's UI:
// #/queues/%2F/name), the vhost filter and the 5-second refresh loop.

import { api, saveCredentials, clearCredentials, credentials, username, setUnauthenticatedHandler } from './api.js';
import { h, clear, toast } from './dom.js';
import { overviewPage, sampleOverview } from './overview.js';
import { connectionsPage, channelsPage } from './conns.js';
import { exchangesPage, exchangePage } from './exchanges.js';
import { queuesPage } from './queues.js';
import { queuePage } from './queue.js';
import { bindingsPage } from './bindings.js';
import { vhostsPage, usersPage, permissionsPage, policiesPage } from './admin.js';
import { topicPermissionsPage } from './topic_perms.js';
import { limitsPage } from './limits.js';
import { definitionsPage } from './defs.js';

const REFRESH_MS = 5000;

const NAV = [
  ['', 'Overview'], ['connections', 'Connections'], ['channels', 'Channels'], ['exchanges', 'Exchanges'],
  ['queues', 'Queues'], ['bindings', 'Bindings'], ['vhosts', 'Virtual hosts'], ['users', 'Users'],
  ['permissions', 'Permissions'], ['topic-permissions', 'Topic permissions'], ['policies', 'Policies'],
  ['limits', 'Limits'], ['definitions', 'Definitions'],
];

// ROUTES maps the first hash segment to a page; detail pages take
// (vhost, name).
const ROUTES = {
  '': () => overviewPage,
  connections: () => connectionsPage,
  channels: () => channelsPage,
  exchanges: (args) => (args.length === 2 ? exchangePage : exchangesPage),
  queues: (args) => (args.length === 2 ? queuePage : queuesPage),
  bindings: () => bindingsPage,
  vhosts: () => vhostsPage,
  users: () => usersPage,
  permissions: () => permissionsPage,
  'topic-permissions': () => topicPermissionsPage,
  policies: () => policiesPage,
  limits: () => limitsPage,
  definitions: () => definitionsPage,
};

// ctx is what pages share: the vhost filter, the vhost names, the
// overview (exchange types, versions).
const ctx = {
  vhost: sessionStorage.getItem('warren.vhost') || '',
  vhosts: [],
  overview: null,
  go(hash) { location.hash = hash; },
  async reloadVHosts() {
    const vs = await api('GET', '/vhosts?columns=name');
    ctx.vhosts = vs.map((v) => v.name).sort();
    if (ctx.vhost && !ctx.vhosts.includes(ctx.vhost)) setVHost('');
    renderVHostSelect();
  },
  // defaultVHost is the vhost add-forms start with.
  defaultVHost() { return ctx.vhost || (ctx.vhosts.includes('/') ? '/' : ctx.vhosts[0] || '/'); },
};

let current = null; // {el, refresh, destroy}
let timer = null;

function setVHost(v) {
  ctx.vhost = v;
  sessionStorage.setItem('warren.vhost', v);
}

function renderVHostSelect() {
  const sel = document.getElementById('vhost-select');
  clear(sel, h('option', { value: '' }, 'All'),
    ctx.vhosts.map((v) => h('option', { value: v, selected: v === ctx.vhost }, v)));
  sel.value = ctx.vhost;
}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const segs = raw === '' ? [''] : raw.split('/').map((s) => {
    try { return decodeURIComponent(s); } catch (e) { return s; }
  });
  return { key: segs[0], args: segs.slice(1) };
}

async function route() {
  const { key, args } = parseHash();
  const pick = ROUTES[key];
  document.querySelectorAll('#nav a').forEach((a) => a.classList.toggle('active', a.dataset.key === key));
  if (current && current.destroy) current.destroy();
  current = null;
  const main = document.getElementById('page');
  if (!pick) {
    clear(main, h('h1', {}, 'Not found'), h('p', {}, 'No page at ' + location.hash + '.'));
    return;
  }
  const page = pick(args)(ctx, ...args);
  current = page;
  clear(main, page.el);
  await refreshNow();
}

async function refreshNow() {
  const page = current;
  // The overview's charts keep their history while other pages show.
  if (!page || !page.samples) sampleOverview(ctx).catch(() => {});
  if (!page || !page.refresh) return;
  try {
    await page.refresh();
    document.getElementById('foot-updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    if (page === current) document.getElementById('foot-updated').textContent = 'refresh failed: ' + e.message;
  }
}

function showLogin(message) {
  if (timer) { clearInterval(timer); timer = null; }
  document.getElementById('app').hidden = true;
  document.getElementById('login').hidden = false;
  document.getElementById('login-error').textContent = message || '';
  const f = document.getElementById('login-form');
  f.password.value = '';
  (f.username.value ? f.password : f.username).focus();
}

async function start() {
  document.getElementById('login').hidden = true;
  document.getElementById('app').hidden = false;
  document.getElementById('who-user').textContent = username();
  const nav = document.getElementById('nav');
  clear(nav, NAV.map(([k, label]) => h('a', { href: '#/' + k, dataset: { key: k } }, label)));
  try {
    ctx.overview = await api('GET', '/overview');
    document.getElementById('foot-version').textContent =
      `${ctx.overview.product_name || 'Warren'} ${ctx.overview.product_version || ''} (RabbitMQ API ${ctx.overview.management_version || ''})`;
    await ctx.reloadVHosts();
  } catch (e) {
    toast(e.message, true);
  }
  await route();
  if (timer) clearInterval(timer);
  timer = setInterval(() => { if (!document.hidden) refreshNow(); }, REFRESH_MS);
}

function init() {
  setUnauthenticatedHandler(() => { clearCredentials(); showLogin('Your session has ended: log in again.'); });
  window.addEventListener('hashchange', () => { if (credentials()) route(); });
  document.getElementById('vhost-select').addEventListener('change', (ev) => { setVHost(ev.target.value); route(); });
  document.getElementById('logout').addEventListener('click', () => { clearCredentials(); showLogin(''); });
  document.getElementById('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    const user = f.username.value, pass = f.password.value;
    const err = document.getElementById('login-error');
    err.textContent = '';
    try {
      saveCredentials(user, pass);
      const auth = credentials();
      clearCredentials();
      await api('GET', '/whoami', undefined, { auth });
      saveCredentials(user, pass);
      await start();
    } catch (e) {
      clearCredentials();
      err.textContent = e.status === 401 ? 'Login failed: ' + e.message : e.message;
    }
  });
  if (credentials()) start(); else showLogin('');
}

init();

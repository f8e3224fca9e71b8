// Limits, as RabbitMQ's Admin → Limits: per virtual host (connections,
// queues) and per user (connections, channels), each a table of the limits
// set with a Clear button and a form to set one.

import { api, enc, listPath, userNames } from './api.js';
import { h, clear, table, form, field, input, select, fmtNum, toast, danger, section } from './dom.js';

const KINDS = {
  vhost: { path: 'vhost-limits', what: 'virtual host', title: 'Virtual host', names: ['max-connections', 'max-queues'] },
  user: { path: 'user-limits', what: 'user', title: 'User', names: ['max-connections', 'max-channels'] },
};

// limitRows flattens [{vhost|user, value: {name: n}}] to one row per
// limit. A vhost whose limits were all removed is listed with value []
// (RabbitMQ keeps the empty parameter): that is no limits, no rows.
function limitRows(entries, key) {
  const rows = [];
  for (const e of entries) {
    const v = e.value && typeof e.value === 'object' && !Array.isArray(e.value) ? e.value : {};
    for (const name of Object.keys(v).sort()) rows.push({ owner: e[key], name, value: v[name] });
  }
  return rows;
}

// limitValue sends a number when the text is one, else the text as typed,
// so that the API's own validation message says what is wrong with it.
function limitValue(s) {
  const t = s.trim();
  return t !== '' && Number.isFinite(Number(t)) ? Number(t) : t;
}

// limitsPart is one kind's table and form; owners() lists the names the
// form offers.
function limitsPart(ctx, kind, owners) {
  const k = KINDS[kind];
  const list = h('div', { id: k.path });
  const ownerSel = select('owner', [], '');
  const add = form([
    field(k.title, ownerSel),
    field('Limit', select('name', k.names, k.names[0])),
    field('Value', input('value', { required: true, inputmode: 'numeric', autocomplete: 'off' }), 'A whole number; negative means no limit.'),
  ], `Set ${k.what} limit`, async (v, f) => {
    await api('PUT', `/${k.path}/${enc(v.owner)}/${enc(v.name)}`, { value: limitValue(v.value) });
    toast(`Limit ${v.name} of ${k.what} ${v.owner} set.`);
    f.value.value = '';
    await refresh();
  });
  let loaded = false;

  async function refresh() {
    if (!loaded) {
      const names = await owners();
      clear(ownerSel, names.map((n) => h('option', { value: n, selected: kind === 'vhost' && n === ctx.defaultVHost() }, n)));
      loaded = true;
    }
    // The vhost filter applies to vhost limits; user limits span vhosts.
    const es = await api('GET', kind === 'vhost' ? listPath(k.path, ctx.vhost) : '/' + k.path);
    clear(list, table([
      { title: k.title, get: (r) => r.owner },
      { title: 'Limit', get: (r) => r.name },
      { title: 'Value', num: true, get: (r) => fmtNum(r.value) },
      {
        title: '', get: (r) => danger('Clear', `Remove limit ${r.name} of ${k.what} ${r.owner}?`, async () => {
          await api('DELETE', `/${k.path}/${enc(r.owner)}/${enc(r.name)}`);
          toast(`Limit ${r.name} of ${k.what} ${r.owner} cleared.`);
          await refresh();
        }),
      },
    ], limitRows(es, kind), `No ${k.what} limits`));
  }
  const el = [list, section(`Set / update a ${k.what} limit`, true, add)];
  return { el, refresh };
}

export function limitsPage(ctx) {
  const vh = limitsPart(ctx, 'vhost', async () => ctx.vhosts);
  const us = limitsPart(ctx, 'user', userNames);
  const el = h('div', {}, h('h1', {}, 'Limits'),
    h('h2', {}, 'Virtual host limits'), vh.el,
    h('h2', {}, 'User limits'), us.el);
  return { el, refresh: () => Promise.all([vh.refresh(), us.refresh()]) };
}

// Exchanges: list, add, and one exchange's page (bindings, publish,
// delete).

import { api, enc, listPath } from './api.js';
import { h, clear, table, kv, form, field, input, select, checkbox, textarea, parseJSONObject, features, jsonCell, toast, danger, link, section } from './dom.js';
import { exchangeLabel, exchangeHref, bindingsTable, bindForm } from './bindings.js';
import { publishForm } from './publish.js';

function exchangeTypes(ctx) {
  const ts = ((ctx.overview && ctx.overview.exchange_types) || []).map((t) => t.name);
  return ts.length ? ts : ['direct', 'fanout', 'headers', 'topic'];
}

export function exchangesPage(ctx) {
  const list = h('div', {});
  const add = form([
    field('Virtual host', select('vhost', ctx.vhosts, ctx.defaultVHost())),
    field('Name', input('name', { required: true })),
    field('Type', select('type', exchangeTypes(ctx), 'direct')),
    field('Durable', checkbox('durable', true)),
    field('Auto-delete', checkbox('auto_delete', false)),
    field('Internal', checkbox('internal', false)),
    field('Arguments', textarea('arguments', { rows: 2, placeholder: '{"alternate-exchange": "my-ae"}' }), 'A JSON object; optional.'),
  ], 'Add exchange', async (v, f) => {
    await api('PUT', `/exchanges/${enc(v.vhost)}/${enc(v.name)}`, {
      type: v.type, durable: v.durable, auto_delete: v.auto_delete, internal: v.internal,
      arguments: parseJSONObject(v.arguments, 'Arguments'),
    });
    toast(`Exchange ${v.name} added.`);
    f.name.value = '';
    await refresh();
  });
  const el = h('div', {}, h('h1', {}, 'Exchanges'), list, section('Add a new exchange', false, add));

  async function refresh() {
    const xs = await api('GET', listPath('exchanges', ctx.vhost));
    const cols = [];
    if (!ctx.vhost) cols.push({ title: 'Virtual host', get: (x) => x.vhost });
    cols.push(
      { title: 'Name', get: (x) => link(exchangeHref(x.vhost, x.name), exchangeLabel(x.name)) },
      { title: 'Type', get: (x) => x.type },
      { title: 'Features', get: features },
    );
    clear(list, h('p', { class: 'muted' }, `${xs.length} exchange(s)`), table(cols, xs, 'No exchanges'));
  }
  return { el, refresh };
}

export function exchangePage(ctx, vhost, name) {
  const real = name === 'amq.default' ? '' : name;
  const info = h('div', {});
  const srcList = h('div', {});
  const dstList = h('div', {});
  const path = `/exchanges/${enc(vhost)}/${enc(name)}`;
  const builtin = real === '' || real.startsWith('amq.');
  const el = h('div', {},
    h('h1', {}, 'Exchange ', h('code', {}, exchangeLabel(real)), h('span', { class: 'muted' }, ' in ' + vhost)),
    info,
    h('h2', {}, 'Bindings from this exchange'), srcList,
    real === '' ? null : section('Add a binding from this exchange', false, bindForm(vhost, { source: real }, () => refresh())),
    h('h2', {}, 'Bindings to this exchange'), dstList,
    section('Publish message', false, publishForm(vhost, real, undefined)),
    builtin ? null : section('Delete this exchange', false, h('div', { class: 'toolbar' },
      danger('Delete exchange', `Delete exchange ${real}?`, async () => {
        await api('DELETE', path);
        toast(`Exchange ${real} deleted.`);
        ctx.go('#/exchanges');
      }, 'danger'))),
  );

  async function refresh() {
    const x = await api('GET', path);
    clear(info, h('div', { class: 'panel' }, kv([
      ['Type', x.type], ['Features', features(x)], ['Arguments', jsonCell(x.arguments)],
    ])));
    if (real === '') {
      clear(srcList, h('p', { class: 'muted' }, 'The default exchange is bound implicitly to every queue by its name.'));
      clear(dstList, h('p', { class: 'muted' }, 'None.'));
      return;
    }
    const [src, dst] = await Promise.all([api('GET', path + '/bindings/source'), api('GET', path + '/bindings/destination')]);
    clear(srcList, bindingsTable(src, refresh, false));
    clear(dstList, bindingsTable(dst, refresh, false));
  }
  return { el, refresh };
}

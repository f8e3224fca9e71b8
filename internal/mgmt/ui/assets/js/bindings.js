// Bindings: the table and add form used on exchange and queue pages,
// and the Bindings page listing all of them.

import { api, enc, listPath } from './api.js';
import { h, clear, table, form, field, input, select, textarea, parseJSONObject, jsonCell, toast, danger, link } from './dom.js';

export const exchangeLabel = (name) => (name === '' ? '(AMQP default)' : name);

export function exchangeHref(vhost, name) {
  return `#/exchanges/${enc(vhost)}/${enc(name === '' ? 'amq.default' : name)}`;
}

export function destHref(b) {
  return b.destination_type === 'queue'
    ? `#/queues/${enc(b.vhost)}/${enc(b.destination)}`
    : exchangeHref(b.vhost, b.destination);
}

// unbind deletes one binding by its properties key.
export async function unbind(b) {
  const d = b.destination_type === 'queue' ? 'q' : 'e';
  await api('DELETE', `/bindings/${enc(b.vhost)}/e/${enc(b.source)}/${d}/${enc(b.destination)}/${enc(b.properties_key)}`);
}

// bind creates a binding from source to a queue ('q') or exchange ('e').
export async function bind(vhost, source, destType, dest, key, args) {
  await api('POST', `/bindings/${enc(vhost)}/e/${enc(source)}/${destType}/${enc(dest)}`, { routing_key: key, arguments: args });
}

// bindingsTable renders bindings; showVHost adds the vhost column.
export function bindingsTable(rows, onChange, showVHost) {
  const cols = [];
  if (showVHost) cols.push({ title: 'Virtual host', get: (b) => b.vhost });
  cols.push(
    { title: 'From', get: (b) => link(exchangeHref(b.vhost, b.source), exchangeLabel(b.source)) },
    { title: 'To', get: (b) => [link(destHref(b), b.destination), ' ', h('span', { class: 'muted' }, b.destination_type)] },
    { title: 'Routing key', get: (b) => h('code', {}, b.routing_key) },
    { title: 'Arguments', get: (b) => jsonCell(b.arguments) },
    {
      title: '', get: (b) => (b.source === ''
        ? h('span', { class: 'muted' }, '(implicit)')
        : danger('Unbind', `Remove the binding from ${b.source} to ${b.destination} (${b.routing_key})?`, async () => {
          await unbind(b);
          toast('Binding removed.');
          await onChange();
        })),
    },
  );
  return table(cols, rows, 'No bindings');
}

// bindForm adds a binding. fixed: {source} (exchange page: choose the
// destination) or {destination, destType} (queue page: choose the source).
export function bindForm(vhost, fixed, onDone) {
  const fields = [];
  if (fixed.source === undefined) {
    fields.push(field('From exchange', input('source', { required: true })));
  } else {
    fields.push(field('To', select('dest_type', [['q', 'Queue'], ['e', 'Exchange']], 'q')));
    fields.push(field('Destination', input('destination', { required: true })));
  }
  fields.push(
    field('Routing key', input('routing_key')),
    field('Arguments', textarea('arguments', { rows: 2, placeholder: '{"x-match": "all"}' }), 'A JSON object; optional.'),
  );
  return form(fields, 'Bind', async (v, f) => {
    const args = parseJSONObject(v.arguments, 'Arguments');
    if (fixed.source === undefined) await bind(vhost, v.source, fixed.destType, fixed.destination, v.routing_key, args);
    else await bind(vhost, fixed.source, v.dest_type, v.destination, v.routing_key, args);
    toast('Binding added.');
    f.reset();
    await onDone();
  });
}

export function bindingsPage(ctx) {
  const list = h('div', {});
  const add = form([
    field('Virtual host', select('vhost', ctx.vhosts, ctx.defaultVHost())),
    field('From exchange', input('source', { required: true })),
    field('To', select('dest_type', [['q', 'Queue'], ['e', 'Exchange']], 'q')),
    field('Destination', input('destination', { required: true })),
    field('Routing key', input('routing_key')),
    field('Arguments', textarea('arguments', { rows: 2 }), 'A JSON object; optional.'),
  ], 'Bind', async (v, f) => {
    await bind(v.vhost, v.source, v.dest_type, v.destination, v.routing_key, parseJSONObject(v.arguments, 'Arguments'));
    toast('Binding added.');
    f.reset();
    await refresh();
  });
  const el = h('div', {}, h('h1', {}, 'Bindings'), list,
    h('details', { class: 'section' }, h('summary', {}, 'Add a binding'), h('div', { class: 'body' }, add)));

  async function refresh() {
    const bs = await api('GET', listPath('bindings', ctx.vhost));
    clear(list, h('p', { class: 'muted' }, `${bs.length} binding(s); the default exchange's implicit bindings are not listed`),
      bindingsTable(bs, refresh, !ctx.vhost));
  }
  return { el, refresh };
}

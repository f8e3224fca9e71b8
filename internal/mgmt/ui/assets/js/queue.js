// One queue's page: counts and rates, consumers, bindings, publish, get,
// move, purge, delete.

import { api, enc } from './api.js';
import { h, clear, table, kv, features, jsonCell, fmtNum, fmtBytes, fmtRate, rate, toast, danger, section } from './dom.js';
import { bindingsTable, bindForm } from './bindings.js';
import { publishForm } from './publish.js';
import { getSection, moveSection } from './queue_ops.js';

export function queuePage(ctx, vhost, name) {
  const path = `/queues/${enc(vhost)}/${enc(name)}`;
  const info = h('div', { id: 'queue-info' });
  const consumers = h('div', {});
  const bindings = h('div', {});
  const el = h('div', {},
    h('h1', {}, 'Queue ', h('code', {}, name), h('span', { class: 'muted' }, ' in ' + vhost)),
    info,
    h('h2', {}, 'Consumers'), consumers,
    h('h2', {}, 'Bindings'), bindings,
    section('Add a binding to this queue', false, bindForm(vhost, { destination: name, destType: 'q' }, () => refresh())),
    section('Publish message', false, publishForm(vhost, '', name, () => refresh())),
    section('Get messages', false, getSection(vhost, name, () => refresh())),
    section('Move messages', false, moveSection(vhost, name, () => refresh())),
    section('Purge or delete', false, h('div', { class: 'toolbar' },
      danger('Purge messages', `Remove every ready message from ${name}?`, async () => {
        await api('DELETE', path + '/contents');
        toast(`Queue ${name} purged.`);
        await refresh();
      }, 'danger'),
      danger('Delete queue', `Delete queue ${name} and its messages?`, async () => {
        await api('DELETE', path);
        toast(`Queue ${name} deleted.`);
        ctx.go('#/queues');
      }, 'danger'))),
  );

  async function refresh() {
    let q;
    try {
      q = await api('GET', path);
    } catch (e) {
      if (e.status === 404) {
        clear(info, h('p', { class: 'error' }, `Queue ${name} does not exist in ${vhost}.`));
        return;
      }
      throw e;
    }
    clear(info, h('div', { class: 'panel' }, kv([
      ['State', q.state],
      ['Features', features(q)],
      ['Arguments', jsonCell(q.arguments)],
      ['Ready', fmtNum(q.messages_ready), 'ready'],
      ['Unacked', fmtNum(q.messages_unacknowledged), 'unacked'],
      ['Total', fmtNum(q.messages), 'messages'],
      ['Ready bytes', fmtBytes(q.message_bytes_ready)],
      ['Consumers', fmtNum(q.consumers), 'consumers'],
      ['Rates', `publish ${fmtRate(rate(q, 'publish'))} · deliver / get ${fmtRate(rate(q, 'deliver_get'))} · ack ${fmtRate(rate(q, 'ack'))} · redeliver ${fmtRate(rate(q, 'redeliver'))}`],
      ['Idle since', q.idle_since || ''],
    ])));
    clear(consumers, table([
      { title: 'Channel', get: (c) => (c.channel_details && c.channel_details.name) || '' },
      { title: 'Consumer tag', get: (c) => h('code', {}, c.consumer_tag) },
      { title: 'Ack required', get: (c) => (c.ack_required ? 'yes' : 'no') },
      { title: 'Exclusive', get: (c) => (c.exclusive ? 'yes' : 'no') },
      { title: 'Prefetch', num: true, get: (c) => fmtNum(c.prefetch_count) },
      { title: 'Arguments', get: (c) => jsonCell(c.arguments) },
    ], q.consumer_details || [], 'No consumers'));
    const bs = await api('GET', path + '/bindings');
    clear(bindings, bindingsTable(bs, refresh, false));
  }
  return { el, refresh };
}

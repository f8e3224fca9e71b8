// Topic permissions: per user, vhost and topic exchange, the routing keys
// a user may publish with (write) and bind with (read). RabbitMQ shows
// them on its user page; Warren has no user page, so they get their own,
// next to Permissions.

import { api, enc, query } from './api.js';
import { h, clear, table, form, field, input, select, toast, danger, section } from './dom.js';
import { usersOnce } from './admin.js';

export function topicPermissionsPage(ctx) {
  const list = h('div', { id: 'topic-permissions' });
  const userSel = select('user', [], '');
  const add = form([
    field('User', userSel),
    field('Virtual host', select('vhost', ctx.vhosts, ctx.defaultVHost())),
    field('Exchange', input('exchange', { value: 'amq.topic', required: true }), 'A topic exchange.'),
    field('Write regexp', input('write', { value: '.*' }), 'Routing keys the user may publish with.'),
    field('Read regexp', input('read', { value: '.*' }), 'Routing keys the user may bind queues with.'),
  ], 'Set topic permission', async (v) => {
    await api('PUT', `/topic-permissions/${enc(v.vhost)}/${enc(v.user)}`, { exchange: v.exchange, write: v.write, read: v.read });
    toast(`Topic permission of ${v.user} on ${v.exchange} in ${v.vhost} set.`);
    await refresh();
  });
  const el = h('div', {}, h('h1', {}, 'Topic permissions'), list, section('Set topic permission', true, add));
  const loadUsers = usersOnce(userSel);

  async function refresh() {
    await loadUsers();
    const ps = (await api('GET', '/topic-permissions')).filter((p) => !ctx.vhost || p.vhost === ctx.vhost);
    clear(list, table([
      { title: 'User', get: (p) => p.user },
      { title: 'Virtual host', get: (p) => p.vhost },
      { title: 'Exchange', get: (p) => p.exchange || '(AMQP default)' },
      { title: 'Write', get: (p) => h('code', {}, p.write) },
      { title: 'Read', get: (p) => h('code', {}, p.read) },
      {
        // ?exchange= clears this exchange's entry only; without it the
        // API removes all of the user's topic permissions in the vhost
        // (so does an empty one: the default exchange's entry cannot be
        // cleared alone).
        title: '', get: (p) => danger('Clear', `Remove the topic permission of ${p.user} on ${p.exchange} in ${p.vhost}?`, async () => {
          await api('DELETE', `/topic-permissions/${enc(p.vhost)}/${enc(p.user)}` + query({ exchange: p.exchange }));
          toast('Topic permission cleared.');
          await refresh();
        }),
      },
    ], ps, 'No topic permissions'));
  }
  return { el, refresh };
}

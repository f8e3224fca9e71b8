// Connections (with close) and channels.

import { api, enc, listPath } from './api.js';
import { h, clear, table, fmtNum, fmtBytes, toast, danger } from './dom.js';

const byteRate = (d) => (d ? fmtBytes(Math.round(d.rate)) + '/s' : '');

function client(c) {
  const p = c.client_properties || {};
  return [p.product, p.version].filter(Boolean).join(' ') || p.platform || '';
}

export function connectionsPage(ctx) {
  const list = h('div', {});
  const el = h('div', {}, h('h1', {}, 'Connections'), list);

  async function refresh() {
    const cs = await api('GET', listPath('connections', ctx.vhost));
    clear(list, h('p', { class: 'muted' }, `${cs.length} connection(s)`), table([
      { title: 'Name', get: (c) => [c.name, c.user_provided_name ? h('div', { class: 'muted' }, c.user_provided_name) : null] },
      { title: 'Virtual host', get: (c) => c.vhost || '' },
      { title: 'User', get: (c) => c.user || '' },
      { title: 'State', get: (c) => c.state },
      { title: 'TLS', get: (c) => (c.ssl ? 'yes' : '') },
      { title: 'Client', get: client },
      { title: 'Channels', num: true, get: (c) => fmtNum(c.channels) },
      { title: 'From client', num: true, get: (c) => byteRate(c.recv_oct_details) },
      { title: 'To client', num: true, get: (c) => byteRate(c.send_oct_details) },
      {
        title: '', get: (c) => danger('Close', `Close connection ${c.name}?`, async () => {
          await api('DELETE', '/connections/' + enc(c.name), undefined, { headers: { 'X-Reason': 'Closed via the management UI' } });
          toast('Connection closed');
          await refresh();
        }),
      },
    ], cs, 'No connections'));
  }
  return { el, refresh };
}

export function channelsPage(ctx) {
  const list = h('div', {});
  const el = h('div', {}, h('h1', {}, 'Channels'), list);

  async function refresh() {
    const cs = await api('GET', listPath('channels', ctx.vhost));
    clear(list, h('p', { class: 'muted' }, `${cs.length} channel(s)`), table([
      { title: 'Channel', get: (c) => c.name },
      { title: 'Virtual host', get: (c) => c.vhost || '' },
      { title: 'User', get: (c) => c.user || '' },
      { title: 'Mode', get: (c) => [c.confirm ? 'confirm' : '', c.transactional ? 'tx' : ''].filter(Boolean).join(', ') },
      { title: 'State', get: (c) => c.state || 'running' },
      { title: 'Consumers', num: true, get: (c) => fmtNum(c.consumer_count) },
      { title: 'Unacked', num: true, get: (c) => fmtNum(c.messages_unacknowledged) },
      { title: 'Prefetch', num: true, get: (c) => fmtNum(c.prefetch_count) },
      { title: 'Global prefetch', num: true, get: (c) => fmtNum(c.global_prefetch_count) },
    ], cs, 'No channels'));
  }
  return { el, refresh };
}

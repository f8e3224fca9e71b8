// Overview: totals, live charts of queued messages and message rates
// (from /api/overview, sampled every refresh), and the node's resources.

import { api } from './api.js';
import { h, clear, fmtNum, fmtBytes, fmtDuration, kv } from './dom.js';
import { LineChart } from './chart.js';

const KEEP = 120; // samples kept: 10 minutes at 5 s

// history survives navigating away and back: the app keeps sampling
// while other pages are shown.
const history = [];

// sampleOverview fetches /api/overview and records one chart sample.
export async function sampleOverview(ctx) {
  const o = await api('GET', '/overview');
  ctx.overview = o;
  const ms = o.message_stats || {};
  const r = (k) => (ms[k + '_details'] ? ms[k + '_details'].rate : 0);
  const qt = o.queue_totals || {};
  history.push({
    t: Date.now(),
    v: {
      ready: qt.messages_ready || 0, unacked: qt.messages_unacknowledged || 0, total: qt.messages || 0,
      publish: r('publish'), deliver: r('deliver_get'), ack: r('ack'), redeliver: r('redeliver'),
    },
  });
  while (history.length > KEEP) history.shift();
  return o;
}

function card(label, id) {
  return h('div', { class: 'card' }, h('div', { class: 'k' }, label), h('div', { class: 'v', dataset: { k: id } }, '–'));
}

export function overviewPage(ctx) {
  const cards = h('div', { class: 'cards' },
    card('Connections', 'connections'), card('Channels', 'channels'), card('Exchanges', 'exchanges'),
    card('Queues', 'queues'), card('Consumers', 'consumers'),
    card('Ready', 'messages_ready'), card('Unacked', 'messages_unacknowledged'), card('Total messages', 'messages'));
  const depth = new LineChart('Queued messages', [
    { key: 'ready', label: 'Ready' }, { key: 'unacked', label: 'Unacked' }, { key: 'total', label: 'Total' },
  ], fmtNum, true);
  const rates = new LineChart('Message rates (msg/s)', [
    { key: 'publish', label: 'Publish' }, { key: 'deliver', label: 'Deliver / get' },
    { key: 'ack', label: 'Ack' }, { key: 'redeliver', label: 'Redeliver' },
  ], (v) => (v < 10 && v % 1 ? v.toFixed(1) : fmtNum(Math.round(v))));
  const node = h('div', {});
  const el = h('div', {}, h('h1', {}, 'Overview'), cards,
    h('div', { class: 'charts' }, depth.el, rates.el), h('h2', {}, 'Node'), node);

  async function refresh() {
    const o = await sampleOverview(ctx);
    const tot = { ...(o.object_totals || {}), ...(o.queue_totals || {}) };
    el.querySelectorAll('.card .v').forEach((v) => { v.textContent = fmtNum(tot[v.dataset.k] ?? 0); });
    depth.setPoints(history);
    rates.setPoints(history);
    await refreshNode(o);
  }

  async function refreshNode(o) {
    let n;
    try {
      n = await api('GET', '/nodes/' + encodeURIComponent(o.node));
    } catch (e) {
      clear(node, h('p', { class: 'muted' }, 'Node details need the monitoring or administrator tag.'));
      return;
    }
    const alarm = (on) => (on ? h('span', { class: 'tag err' }, 'ALARM') : h('span', { class: 'tag' }, 'ok'));
    clear(node, h('div', { class: 'panel' }, kv([
      ['Name', n.name],
      ['Version', `${o.product_name} ${o.product_version} · RabbitMQ API ${o.rabbitmq_version} · ${o.erlang_version}`],
      ['Uptime', fmtDuration(n.uptime || 0)],
      ['Memory', [fmtBytes(n.mem_used), n.mem_limit ? ' of ' + fmtBytes(n.mem_limit) + ' high watermark ' : ' ', alarm(n.mem_alarm)]],
      ['Disk free', [n.disk_free ? fmtBytes(n.disk_free) : 'n/a', ' (limit ' + fmtBytes(n.disk_free_limit) + ') ', alarm(n.disk_free_alarm)]],
      ['File descriptors', `${fmtNum(n.fd_used)} of ${fmtNum(n.fd_total)}`],
      ['Listeners', (o.listeners || []).map((l) => `${l.protocol} ${l.ip_address}:${l.port}`).join(', ')],
    ])));
  }

  return {
    el, refresh, samples: true, destroy() { depth.destroy(); rates.destroy(); },
  };
}

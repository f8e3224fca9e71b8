// Operations on one queue's messages: get (peek or take) and move to
// another queue.
//
// Moving is done here, in the browser, with the API RabbitMQ has: take a
// batch with POST /get (ackmode ack_requeue_false, base64 payloads, so
// any bytes survive), then publish each message through the default
// exchange to the target queue with its properties and headers. Before
// taking anything the target queue must exist; if a publish is refused
// or not routed, that message and the rest of its batch are published
// back to the source queue (at its tail) and moving stops. Between the
// take and the publish the messages exist only in the browser: closing
// the tab mid-batch loses at most one batch (the batch size bounds it).
// The original exchange and routing key are not kept (as with a shovel).

import { api, enc } from './api.js';
import { h, clear, form, field, input, select, kv, toast } from './dom.js';
import { publishMessage, propsForRepublish } from './publish.js';

const qpath = (vhost, name) => `/queues/${enc(vhost)}/${enc(name)}`;

// getMessages wraps POST /api/queues/{vhost}/{name}/get.
export function getMessages(vhost, name, count, ackmode, encoding, truncate) {
  const body = { count, ackmode, encoding };
  if (truncate > 0) body.truncate = truncate;
  return api('POST', qpath(vhost, name) + '/get', body);
}

function republish(vhost, m, routingKey) {
  return publishMessage(vhost, '', {
    properties: propsForRepublish(m.properties), routing_key: routingKey,
    payload: m.payload, payload_encoding: 'base64',
  });
}

// moveMessages moves up to max ready messages from src to dst in batches
// and resolves to how many moved; progress(n) is called after each batch.
export async function moveMessages(vhost, src, dst, max, batch, progress) {
  if (src === dst) throw new Error('The target is the source queue.');
  await api('GET', qpath(vhost, dst) + '?columns=name'); // 404 when the target does not exist
  let moved = 0;
  while (moved < max) {
    const n = Math.min(batch, max - moved);
    const msgs = await getMessages(vhost, src, n, 'ack_requeue_false', 'base64', 0);
    if (!msgs || msgs.length === 0) break;
    for (let i = 0; i < msgs.length; i++) {
      let err = null, routed = false;
      try { routed = await republish(vhost, msgs[i], dst); } catch (e) { err = e; }
      if (!routed) {
        let lost = 0;
        for (const m of msgs.slice(i)) {
          try { if (!(await republish(vhost, m, src))) lost++; } catch (e) { lost++; }
        }
        const back = msgs.length - i - lost;
        throw new Error(`Moving stopped after ${moved} message(s): publishing to ${dst} failed` +
          (err ? ` (${err.message})` : ' (not routed)') + `; ${back} message(s) returned to the end of ${src}` +
          (lost ? `, ${lost} could not be returned and are lost` : '') + '.');
      }
      moved++;
    }
    if (progress) progress(moved);
    if (msgs.length < n) break;
  }
  return moved;
}

function messageView(m, i) {
  const p = m.properties || {};
  const payload = m.payload_encoding === 'base64'
    ? [h('div', { class: 'muted' }, `base64, ${m.payload_bytes} bytes`), h('pre', {}, m.payload)]
    : [h('div', { class: 'muted' }, `${m.payload_bytes} bytes`), h('pre', {}, m.payload)];
  const props = Object.entries(p).map(([k, v]) => [k, typeof v === 'object' ? h('code', {}, JSON.stringify(v)) : String(v)]);
  return h('div', { class: 'msg' },
    h('div', { class: 'head' }, `Message ${i + 1} · exchange `, h('code', {}, m.exchange === '' ? '(AMQP default)' : m.exchange),
      ' · routing key ', h('code', {}, m.routing_key), m.redelivered ? ' · redelivered' : '',
      ` · ${m.message_count} left in queue`),
    props.length ? kv(props) : null,
    h('div', { class: 'payload' }, payload));
}

// getSection is the "Get messages" form and its results.
export function getSection(vhost, name, onChange) {
  const out = h('div', {});
  const f = form([
    field('Ack mode', select('ackmode', [
      ['ack_requeue_true', 'Nack message requeue true (peek)'],
      ['ack_requeue_false', 'Automatic ack (take)'],
      ['reject_requeue_true', 'Reject requeue true'],
      ['reject_requeue_false', 'Reject requeue false'],
    ], 'ack_requeue_true')),
    field('Encoding', select('encoding', [['auto', 'Auto string / base64'], ['base64', 'base64']], 'auto')),
    field('Messages', input('count', { type: 'number', min: 1, value: '1' })),
    field('Truncate', input('truncate', { type: 'number', min: 0, value: '50000' }), 'Bytes of payload shown at most (0: all).'),
  ], 'Get message(s)', async (v) => {
    const msgs = await getMessages(vhost, name, Number(v.count) || 1, v.ackmode, v.encoding, Number(v.truncate) || 0);
    clear(out, msgs.length ? msgs.map(messageView) : h('p', { class: 'muted' }, 'Queue is empty.'));
    if (v.ackmode !== 'ack_requeue_true' && v.ackmode !== 'reject_requeue_true' && msgs.length) {
      toast(`${msgs.length} message(s) removed from the queue.`);
    }
    await onChange();
  });
  return h('div', {}, f, out);
}

// moveSection is the "Move messages" form.
export function moveSection(vhost, name, onChange) {
  const status = h('p', { class: 'muted' });
  const f = form([
    field('Target queue', input('target', { required: true }), 'A queue in the same virtual host; it must exist.'),
    field('Messages', input('max', { type: 'number', min: 0, value: '0' }), '0 moves every message ready now.'),
    field('Batch size', input('batch', { type: 'number', min: 1, max: 500, value: '100' })),
  ], 'Move messages', async (v) => {
    const q = await api('GET', qpath(vhost, name) + '?columns=messages_ready');
    const ready = q.messages_ready || 0;
    const max = Number(v.max) > 0 ? Math.min(Number(v.max), ready) : ready;
    if (max === 0) { toast('No ready messages to move.'); return; }
    status.textContent = `Moving ${max} message(s)…`;
    try {
      const n = await moveMessages(vhost, name, v.target, max, Math.max(1, Math.min(500, Number(v.batch) || 100)),
        (k) => { status.textContent = `Moved ${k} of ${max}…`; });
      status.textContent = `Moved ${n} message(s) to ${v.target}.`;
      toast(`Moved ${n} message(s) to ${v.target}.`);
    } catch (e) {
      status.textContent = e.message;
      throw e;
    } finally {
      await onChange();
    }
  });
  return h('div', {}, h('p', { class: 'muted' },
    'Messages are taken in batches and republished to the target through the default exchange, keeping their properties and headers.'),
  f, status);
}

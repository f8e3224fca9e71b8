// The publish-message form, for an exchange page and (through the
// default exchange) a queue page.

import { api, enc } from './api.js';
import { form, field, input, select, textarea, parseJSONObject, toast } from './dom.js';

// publishMessage posts one message to an exchange ('' or 'amq.default'
// is the default exchange) and resolves to whether it was routed.
export async function publishMessage(vhost, exchange, body) {
  const name = exchange === '' ? 'amq.default' : exchange;
  const r = await api('POST', `/exchanges/${enc(vhost)}/${enc(name)}/publish`, body);
  return !!(r && r.routed);
}

// publishForm builds the form. routingKey, when given, is fixed (a
// queue's name through the default exchange). onDone runs after each
// successful publish.
export function publishForm(vhost, exchange, routingKey, onDone) {
  const fields = [];
  if (routingKey === undefined) fields.push(field('Routing key', input('routing_key')));
  fields.push(
    field('Delivery mode', select('delivery_mode', [['1', '1 - Non-persistent'], ['2', '2 - Persistent']], '1')),
    field('Headers', textarea('headers', { placeholder: '{"x-key": "value"}', rows: 2 }), 'A JSON object; optional.'),
    field('Properties', textarea('properties', { placeholder: '{"content_type": "text/plain", "message_id": "1"}', rows: 2 }),
      'content_type, correlation_id, reply_to, expiration, message_id, timestamp, type, user_id, app_id, priority…'),
    field('Payload encoding', select('payload_encoding', [['string', 'String (UTF-8)'], ['base64', 'Base64']], 'string')),
    field('Payload', textarea('payload', { rows: 4 })),
  );
  return form(fields, 'Publish message', async (v) => {
    const props = parseJSONObject(v.properties, 'Properties');
    const headers = parseJSONObject(v.headers, 'Headers');
    props.delivery_mode = Number(v.delivery_mode);
    if (Object.keys(headers).length) props.headers = headers;
    const routed = await publishMessage(vhost, exchange, {
      properties: props,
      routing_key: routingKey === undefined ? v.routing_key : routingKey,
      payload: v.payload,
      payload_encoding: v.payload_encoding,
    });
    if (routed) toast('Message published.');
    else toast('Message published, but not routed to any queue.', true);
    if (onDone) await onDone(routed);
  });
}

// propsForRepublish turns the properties of a got message back into
// publishable ones.
export function propsForRepublish(p) {
  const out = { ...(p || {}) };
  if (out.delivery_mode === undefined) out.delivery_mode = 1;
  return out;
}


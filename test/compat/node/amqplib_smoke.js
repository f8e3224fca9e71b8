#!/usr/bin/env node
// AMQP 0-9-1 compatibility smoke test with amqplib (npm amqplib 0.10,
// installed by `npm ci --prefix test/compat/node`).
//
// Usage: node test/compat/node/amqplib_smoke.js HOST PORT
//
// Prints deterministic lines describing what the broker did; the output is
// compared against a golden file recorded against RabbitMQ
// (see scripts/compat.sh).
'use strict';

const amqp = require('amqplib');
const defs = require('amqplib/lib/defs');
const { CAPS, NEWER_HEADERS, out, sleep, waitUntil } = require('./lib');

const [HOST, PORT] = process.argv.slice(2);
const P = 'compat.node';


async function connect(heartbeat) {
  const c = await amqp.connect({
    protocol: 'amqp', hostname: HOST, port: Number(PORT),
    username: 'guest', password: 'guest', vhost: '/', heartbeat,
  }, { timeout: 10000 });
  c.on('error', (e) => out('connection error event', e.code));
  return c;
}

// A channel whose server-side closure is expected (the rejected promise
// reports it); without an 'error' listener Node would throw.
async function channel(conn, confirm = false) {
  const ch = confirm ? await conn.createConfirmChannel() : await conn.createChannel();
  ch.on('error', () => {});
  return ch;
}

// Deterministic rendering of a value as amqplib decodes it. dropTime leaves
// out the 'time' key of tables (x-death's wall-clock time).
function fmt(v, dropTime = false) {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Buffer.isBuffer(v)) return 'Buffer:' + v.toString('hex');
  if (Array.isArray(v)) return '[' + v.map((x) => fmt(x, dropTime)).join(', ') + ']';
  if (typeof v === 'object') {
    if (Object.prototype.hasOwnProperty.call(v, '!')) return `${v['!']}(${JSON.stringify(v.value)})`;
    return '{' + Object.keys(v).sort().filter((k) => !(dropTime && k === 'time'))
      .map((k) => JSON.stringify(k) + ': ' + fmt(v[k], dropTime)).join(', ') + '}';
  }
  return `${typeof v}:${JSON.stringify(v)}`;
}

const body = (m) => JSON.stringify(m.content.toString());

function show(label, m) {
  out(`${label} body=${body(m)}`);
  const f = m.fields;
  out(`${label} delivery exchange=${JSON.stringify(f.exchange)} routing_key=${JSON.stringify(f.routingKey)} redelivered=${f.redelivered}`);
  const p = Object.assign({}, m.properties);
  const headers = p.headers;
  delete p.headers;
  for (const k of Object.keys(p).sort()) out(`${label} prop ${k}=${fmt(p[k])}`);
  for (const k of Object.keys(headers || {}).sort()) out(`${label} header ${k}=${fmt(headers[k])}`);
}

function errStr(e) {
  if (typeof e.code !== 'number') return `exception ${e.message}`;
  const kind = /^Connection closed/.test(e.message) ? 'connection' : 'channel';
  let text = '';
  if (e.code === 404) {
    const m = /with message "(.*)"$/s.exec(e.message);
    text = ' text=' + (m ? m[1] : e.message);
  }
  return `${kind} error code=${e.code}${text}`;
}

async function attempt(fn) {
  try {
    const r = await fn();
    return 'no error' + (r === undefined ? '' : ' ' + r);
  } catch (e) {
    return errStr(e);
  }
}

// Collects deliveries of a consumer; take(want, quietMs) waits for `want`
// of them (at most 5 s), then `quietMs` more for any beyond those.
function collector() {
  const got = [];
  const c = {
    got,
    cancelled: [],
    fn: (m) => {
      if (m === null) c.cancelled.push('null');
      else got.push(m);
    },
    async take(want, quietMs) {
      await waitUntil(() => got.length >= want, 5000);
      await sleep(quietMs);
      return got.splice(0, got.length);
    },
  };
  return c;
}

const pairs = (ms) => '[' + ms.map((m) => `(${m.content} ${m.fields.redelivered})`).join(', ') + ']';

async function drainBodies(ch, q) {
  const bodies = [];
  for (let i = 0; i < 100; i++) {
    const m = await ch.get(q, { noAck: true });
    if (!m) break;
    bodies.push(m.content.toString());
  }
  return '[' + bodies.join(', ') + ']';
}

async function pollGet(ch, q, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const m = await ch.get(q, { noAck: true });
    if (m || Date.now() > end) return m;
    await sleep(50);
  }
}

function showDeadLettered(label, d) {
  if (!d) {
    out(`${label}: nothing dead-lettered`);
    return;
  }
  out(`${label}: ${body(d)} exchange=${d.fields.exchange} routing_key=${d.fields.routingKey}`);
  const h = d.properties.headers || {};
  for (const k of Object.keys(h).sort()) {
    if (!NEWER_HEADERS.includes(k)) out(`  header ${k}=${fmt(h[k], true)}`);
  }
}

const TS = { '!': 'timestamp', value: 1614834367 };

function mixedHeaders() {
  return {
    str: 'hello',
    empty: '',
    utf8: 'h\u00e9llo \u2713',
    smallint: -3, // amqplib sends 'b' (signed 8-bit)
    short: 300, // 's'
    int: 70000, // 'I'
    long: 2 ** 40, // 'l'
    int32: { '!': 'int32', value: 42 },
    uint8: { '!': 'uint8', value: 200 },
    uint16: { '!': 'uint16', value: 60000 },
    uint32: { '!': 'uint32', value: 4000000000 },
    int64: { '!': 'int64', value: -5 },
    bool: true,
    false: false,
    float: { '!': 'float', value: 1.5 },
    double: 2.25,
    decimal: { '!': 'decimal', value: { places: 2, digits: 123 } },
    timestamp: TS,
    bytes: Buffer.from([1, 2, 0x72, 0x61, 0x77]),
    void: null,
    nested: { a: 1, b: 'x', deeper: { c: false, list: [1, 2] } },
    array: [1, 'two', true, 2.5, { k: 'v' }, null, Buffer.from([9]), TS, { '!': 'int32', value: 7 }],
  };
}

async function cleanup(conn) {
  let ch = await channel(conn);
  for (const q of ['q1', 'q2', 'q3', 'args', 'counts', 'conf', 'qos', 'recover', 'tx', 'excl',
    'cancel', 'rpc', 'dlsrc', 'dlttl', 'dlq']) {
    try {
      await ch.deleteQueue(`${P}.${q}`);
    } catch (e) {
      ch = await channel(conn);
    }
  }
  for (const x of ['direct', 'fanout', 'topic', 'headers', 'e2e', 'dlx']) {
    try {
      await ch.deleteExchange(`${P}.${x}`);
    } catch (e) {
      ch = await channel(conn);
    }
  }
  await ch.close();
}

async function main() {
  // --- connection -------------------------------------------------------
  const conn = await connect(10);
  const c = conn.connection;
  out('connect ok');
  out('heartbeat negotiated', c.heartbeat);
  out('tune channel_max', c.channelMax, 'frame_max', c.frameMax);
  const sp = c.serverProperties;
  for (const k of ['capabilities', 'product', 'version', 'platform']) {
    out(`server property ${k} present=${k in sp}`);
  }
  const caps = sp.capabilities || {};
  for (const k of CAPS) out(`capability ${k}=${caps[k] === true}`);
  const blocked = [];
  conn.on('blocked', (reason) => blocked.push(`blocked ${reason}`));
  conn.on('unblocked', () => blocked.push('unblocked'));
  out('blocked/unblocked listeners registered');
  await cleanup(conn);

  const ch = await channel(conn);
  out('channel open', ch.ch);

  // --- topology -----------------------------------------------------------
  for (const t of ['direct', 'fanout', 'topic', 'headers']) {
    const r = await ch.assertExchange(`${P}.${t}`, t, { durable: false, autoDelete: false });
    out(`exchange.declare ${t} ok`, r.exchange);
  }
  await ch.assertExchange(`${P}.e2e`, 'fanout', { durable: false, autoDelete: false });
  await ch.bindExchange(`${P}.e2e`, `${P}.topic`, 'e2e.#');
  out('exchange.bind ok');
  let d = await ch.assertQueue(`${P}.q1`, { durable: true, autoDelete: false });
  out(`queue.declare q1 name=${d.queue} messages=${d.messageCount} consumers=${d.consumerCount}`);
  d = await ch.assertQueue('', { exclusive: true, durable: false });
  const anon = d.queue;
  out(`queue.declare server-named prefix=${anon.slice(0, 8)} messages=${d.messageCount} consumers=${d.consumerCount}`);
  const qargs = {
    'x-max-length': 10, 'x-message-ttl': 60000, 'x-dead-letter-exchange': `${P}.dlx`,
  };
  d = await ch.assertQueue(`${P}.args`, { durable: false, autoDelete: false, arguments: qargs });
  out(`queue.declare with x-max-length/x-message-ttl/x-dead-letter-exchange name=${d.queue} messages=${d.messageCount}`);
  d = await ch.assertQueue(`${P}.args`, { durable: false, autoDelete: false, arguments: qargs });
  out('queue.declare same args again ok', d.queue);
  await ch.assertQueue(`${P}.q2`, { durable: false, autoDelete: false });
  await ch.assertQueue(`${P}.q3`, { durable: false, autoDelete: false });
  await ch.bindQueue(`${P}.q1`, `${P}.direct`, 'k1');
  await ch.bindQueue(anon, `${P}.fanout`, '');
  await ch.bindQueue(anon, `${P}.e2e`, '');
  await ch.bindQueue(`${P}.q2`, `${P}.topic`, 'a.*.c');
  await ch.bindQueue(`${P}.q3`, `${P}.headers`, '', { 'x-match': 'all', h1: 'v1', h2: 2 });
  out('bindings ok');

  // --- publish with every property, get and consume back ------------------
  const props = {
    contentType: 'application/json', contentEncoding: 'utf-8', headers: mixedHeaders(),
    deliveryMode: 2, priority: 5, correlationId: 'corr-1', replyTo: 'reply.q',
    expiration: '60000', messageId: 'msg-1', timestamp: 1577934245,
    type: 'test.type', userId: 'guest', appId: 'compat',
    clusterId: 'cluster-x', // amqplib 0.10 never sends cluster-id (decoded: undefined)
  };
  ch.publish(`${P}.direct`, 'k1', Buffer.from('{"n": 1}'), props);
  ch.publish(`${P}.direct`, 'k1', Buffer.from('{"n": 2}'), props);
  let m = await ch.get(`${P}.q1`, { noAck: false });
  out('get-ok message_count', m.fields.messageCount);
  show('get', m);
  ch.ack(m);

  const c1 = collector();
  const ok = await ch.consume(`${P}.q1`, c1.fn, { noAck: false });
  for (const x of await c1.take(1, 300)) {
    show('consume', x);
    ch.ack(x);
  }
  await ch.cancel(ok.consumerTag);
  out('basic.cancel ok');

  ch.publish(`${P}.topic`, 'a.b.c', Buffer.from('topic-match'));
  ch.publish(`${P}.topic`, 'a.b.d', Buffer.from('topic-miss'));
  ch.publish(`${P}.topic`, 'e2e.x', Buffer.from('e2e-via-topic'));
  ch.publish(`${P}.fanout`, 'ignored', Buffer.from('fanout'));
  ch.publish(`${P}.headers`, '', Buffer.from('headers-match'), { headers: { h1: 'v1', h2: 2, h3: 'extra' } });
  ch.publish(`${P}.headers`, '', Buffer.from('headers-miss'), { headers: { h1: 'v1' } });
  ch.publish(`${P}.headers`, '', Buffer.from('headers-int32-2'), { headers: { h1: 'v1', h2: { '!': 'int32', value: 2 } } });
  ch.publish(`${P}.headers`, '', Buffer.from('headers-string-2'), { headers: { h1: 'v1', h2: '2' } });
  out('routed q2:', await drainBodies(ch, `${P}.q2`));
  out('routed q3:', await drainBodies(ch, `${P}.q3`));
  out('routed server-named:', await drainBodies(ch, anon));
  await ch.unbindExchange(`${P}.e2e`, `${P}.topic`, 'e2e.#');
  ch.publish(`${P}.topic`, 'e2e.x', Buffer.from('after-unbind'));
  out('exchange.unbind ok; server-named:', await drainBodies(ch, anon));
  // amqplib's CC/BCC options: RabbitMQ's sender-selected distribution
  // (CC is delivered to the extra routing keys and kept, BCC is removed).
  ch.publish('', `${P}.q1`, Buffer.from('cc-bcc'), { CC: [`${P}.q2`], BCC: `${P}.q3`, headers: { h: 1 } });
  for (const q of ['q1', 'q2', 'q3']) {
    const x = await ch.get(`${P}.${q}`, { noAck: true });
    out(`CC/BCC ${q}:`, x ? `${x.content} routing_key=${x.fields.routingKey} headers=${fmt(x.properties.headers)}` : 'nothing');
  }

  // --- counts ---------------------------------------------------------------
  // A queue.declare after basic.publish is no sync point in RabbitMQ (the
  // count can lag), so these publishes wait for their confirms.
  const pub = await channel(conn, true);
  const cq = `${P}.counts`;
  await ch.assertQueue(cq, { durable: false, autoDelete: false });
  out('get empty', (await ch.get(cq, { noAck: true })) === false);
  for (let i = 0; i < 3; i++) pub.sendToQueue(cq, Buffer.from(`c${i}`), {});
  await pub.waitForConfirms();
  out('declare-ok message_count', (await ch.checkQueue(cq)).messageCount);
  m = await ch.get(cq, { noAck: true });
  out('get-ok message_count', m.fields.messageCount, 'body', body(m));
  out('purge count', (await ch.purgeQueue(cq)).messageCount);
  for (let i = 0; i < 4; i++) pub.sendToQueue(cq, Buffer.from(`d${i}`), {});
  await pub.waitForConfirms();
  out('delete count', (await ch.deleteQueue(cq)).messageCount);
  await pub.close();

  // --- publisher confirms + mandatory ---------------------------------------
  const cch = await channel(conn, true);
  const confq = `${P}.conf`;
  await cch.assertQueue(confq, { durable: false, autoDelete: false });
  let acked = 0;
  let nacked = 0;
  const ackFrames = [];
  cch.on('ack', (f) => ackFrames.push(f.deliveryTag));
  cch.on('nack', (f) => ackFrames.push(f.deliveryTag));
  const returns = [];
  cch.on('return', (r) => returns.push(`code=${r.fields.replyCode} text=${r.fields.replyText} exchange=${r.fields.exchange} routing_key=${r.fields.routingKey} body=${body(r)}`));
  const N = 20;
  for (let i = 0; i < N; i++) {
    cch.sendToQueue(confq, Buffer.from(`conf${i}`), { persistent: true }, (err) => {
      if (err) nacked++;
      else acked++;
    });
  }
  await cch.waitForConfirms();
  out(`confirms published=${N} acked=${acked} nacked=${nacked} max_tag=${Math.max(0, ...ackFrames)}`);
  out('confirm queued', (await cch.checkQueue(confq)).messageCount);
  let unroutableAck = null;
  cch.publish(`${P}.direct`, 'nowhere', Buffer.from('unroutable'), { mandatory: true }, (err) => {
    unroutableAck = err ? 'nack' : 'ack';
  });
  await cch.waitForConfirms();
  await waitUntil(() => returns.length > 0, 5000);
  for (const r of returns) out('basic.return', r);
  out('unroutable confirm', unroutableAck, 'tag', Math.max(0, ...ackFrames));
  await cch.close();

  // --- qos / ack / nack / reject / recover -----------------------------------
  const qq = `${P}.qos`;
  const qch = await channel(conn, true);
  await qch.assertQueue(qq, { durable: false, autoDelete: false });
  for (let i = 0; i < 5; i++) qch.sendToQueue(qq, Buffer.from(`m${i}`), {});
  await qch.waitForConfirms();
  await qch.prefetch(2);
  const qc = collector();
  const qok = await qch.consume(qq, qc.fn, { noAck: false });
  const first = await qc.take(2, 500);
  out('prefetch=2 unacked deliveries', pairs(first));
  qch.nack(first[0], false, true);
  const afterNack = await qc.take(1, 300);
  out('after nack requeue', pairs(afterNack));
  qch.reject(first[1], false);
  const afterReject = await qc.take(1, 300);
  out('after reject', pairs(afterReject));
  const pending = afterNack.concat(afterReject);
  for (let n = 0; pending.length > 0 && n < 20; n++) {
    const x = pending.shift();
    out('ack', x.content.toString(), x.fields.redelivered);
    qch.ack(x);
    pending.push(...await qc.take(0, 300));
  }
  await qch.cancel(qok.consumerTag);
  out('qos queue remaining', (await qch.checkQueue(qq)).messageCount);

  const rq = `${P}.recover`;
  await qch.assertQueue(rq, { durable: false, autoDelete: false });
  qch.sendToQueue(rq, Buffer.from('rec'), {});
  await qch.waitForConfirms();
  m = await qch.get(rq, { noAck: false });
  out('recover before', body(m), m.fields.redelivered);
  await qch.recover();
  m = await qch.get(rq, { noAck: false });
  out('recover after', m ? body(m) : null, m ? m.fields.redelivered : null);
  if (m) qch.ack(m);
  await qch.close();

  // --- transactions (amqplib has no tx API; its channel rpc sends them) --
  const tq = `${P}.tx`;
  const tch = await channel(conn);
  const tx = (method, reply) => tch.rpc(method, {}, reply);
  await tch.assertQueue(tq, { durable: false, autoDelete: false });
  await tx(defs.TxSelect, defs.TxSelectOk);
  out('tx.select ok');
  tch.sendToQueue(tq, Buffer.from('rolled-back'));
  await tx(defs.TxRollback, defs.TxRollbackOk);
  out('tx.rollback ok; queued', (await tch.checkQueue(tq)).messageCount);
  tch.sendToQueue(tq, Buffer.from('committed'));
  out('before commit; queued', (await tch.checkQueue(tq)).messageCount);
  await tx(defs.TxCommit, defs.TxCommitOk);
  out('tx.commit ok; queued', (await tch.checkQueue(tq)).messageCount);
  m = await tch.get(tq, { noAck: false });
  tch.ack(m);
  await tx(defs.TxRollback, defs.TxRollbackOk);
  out('tx get', body(m), 'ack rolled back; queued', (await tch.checkQueue(tq)).messageCount);
  tch.ack(m);
  await tx(defs.TxCommit, defs.TxCommitOk);
  out('ack committed; queued', (await tch.checkQueue(tq)).messageCount);
  await tch.close();

  // --- direct reply-to ------------------------------------------------------
  const rpc = `${P}.rpc`;
  const rch = await channel(conn);
  await rch.assertQueue(rpc, { durable: false, autoDelete: false });
  const replies = collector();
  await rch.consume('amq.rabbitmq.reply-to', replies.fn, { noAck: true });
  rch.sendToQueue(rpc, Buffer.from('request'), { replyTo: 'amq.rabbitmq.reply-to', correlationId: 'rpc-1' });
  const server = await channel(conn);
  m = await pollGet(server, rpc, 3000);
  const rt = m ? m.properties.replyTo : '';
  out('direct reply-to: request reply_to prefix', rt.slice(0, 22), 'longer', rt.length > 22);
  server.sendToQueue(rt, Buffer.from('response'), { correlationId: 'rpc-1' });
  for (const x of await replies.take(1, 200)) {
    out('direct reply-to: reply', x.content.toString(), `exchange=${JSON.stringify(x.fields.exchange)}`,
      'routing_key prefix', x.fields.routingKey.slice(0, 22), 'correlation_id', x.properties.correlationId,
      'redelivered', x.fields.redelivered);
  }
  await server.close();
  await rch.close();

  // --- dead-lettering ---------------------------------------------------------
  const dch = await channel(conn, true);
  await dch.assertExchange(`${P}.dlx`, 'fanout', { durable: false, autoDelete: false });
  await dch.assertQueue(`${P}.dlq`, { durable: false, autoDelete: false });
  await dch.bindQueue(`${P}.dlq`, `${P}.dlx`, '');
  await dch.assertQueue(`${P}.dlsrc`, {
    durable: false, autoDelete: false,
    arguments: { 'x-dead-letter-exchange': `${P}.dlx`, 'x-dead-letter-routing-key': 'dlk', 'x-max-length': 2 },
  });
  const dh = mixedHeaders();
  for (const k of ['nested', 'str', 'empty', 'utf8']) delete dh[k];
  dch.sendToQueue(`${P}.dlsrc`, Buffer.from('rejected'), { headers: dh, timestamp: 1577934245 });
  await dch.waitForConfirms();
  m = await dch.get(`${P}.dlsrc`, { noAck: false });
  dch.reject(m, false);
  showDeadLettered('dead-lettered (rejected)', await pollGet(dch, `${P}.dlq`, 3000));
  for (let i = 0; i < 3; i++) dch.sendToQueue(`${P}.dlsrc`, Buffer.from(`ml${i}`), {});
  await dch.waitForConfirms();
  showDeadLettered('dead-lettered (maxlen)', await pollGet(dch, `${P}.dlq`, 3000));
  out('x-max-length 2 keeps', await drainBodies(dch, `${P}.dlsrc`));
  await dch.assertQueue(`${P}.dlttl`, {
    durable: false, autoDelete: false,
    arguments: { 'x-dead-letter-exchange': `${P}.dlx`, 'x-message-ttl': 50 },
  });
  dch.sendToQueue(`${P}.dlttl`, Buffer.from('expired-queue-ttl'), {});
  await dch.waitForConfirms();
  showDeadLettered('dead-lettered (expired, x-message-ttl)', await pollGet(dch, `${P}.dlq`, 3000));
  dch.sendToQueue(`${P}.dlsrc`, Buffer.from('expired-per-message'), { expiration: '50' });
  await dch.waitForConfirms();
  await sleep(150);
  out('expired message not delivered', await drainBodies(dch, `${P}.dlsrc`));
  showDeadLettered('dead-lettered (expired, expiration)', await pollGet(dch, `${P}.dlq`, 3000));
  await dch.close();

  // --- errors -----------------------------------------------------------------
  let ech = await channel(conn);
  out('passive declare missing:', await attempt(() => ech.checkQueue(`${P}.missing`)));
  ech = await channel(conn);
  out('redeclare different args:', await attempt(() => ech.assertQueue(`${P}.args`, {
    durable: false, autoDelete: false, arguments: Object.assign({}, qargs, { 'x-max-length': 20 }),
  })));
  ech = await channel(conn);
  out('redeclare exchange different type:', await attempt(() => ech.assertExchange(`${P}.direct`, 'fanout', { durable: false })));
  ech = await channel(conn);
  out('publish to missing exchange:', await attempt(async () => {
    ech.publish(`${P}.nosuchexchange`, 'k', Buffer.from('x'));
    await ech.checkQueue(`${P}.q1`);
    await sleep(300);
  }));
  ech = await channel(conn);
  out('basic.ack unknown delivery tag:', await attempt(async () => {
    ech.ack({ fields: { deliveryTag: 99 } });
    await ech.checkQueue(`${P}.q1`);
    await sleep(300);
  }));
  ech = await channel(conn);
  await ech.assertQueue(`${P}.excl`, { exclusive: true, durable: false });
  const conn2 = await connect(0);
  let och = await channel(conn2);
  out('other connection passive declare exclusive:', await attempt(() => och.checkQueue(`${P}.excl`)));
  och = await channel(conn2);
  out('other connection consume exclusive:', await attempt(() => och.consume(`${P}.excl`, () => {}, { noAck: true })));
  och = await channel(conn2);
  out('other connection delete exclusive:', await attempt(() => och.deleteQueue(`${P}.excl`)));
  och = await channel(conn2);
  out('other connection new channel after errors ok', (await och.checkQueue(`${P}.q1`)).queue);
  await conn2.close();
  ech = await channel(conn);
  out('new channel after errors ok', (await ech.checkQueue(`${P}.q1`)).queue);

  // --- consumer cancel notification --------------------------------------------
  const cancelq = `${P}.cancel`;
  await ech.assertQueue(cancelq, { durable: false, autoDelete: false });
  const cc = collector();
  const cancelTags = [];
  ech.on('cancel', (f) => cancelTags.push(f.consumerTag));
  await ech.consume(cancelq, cc.fn, { consumerTag: 'compat-cancel-tag' });
  const delch = await channel(conn);
  await delch.deleteQueue(cancelq);
  await waitUntil(() => cc.cancelled.length > 0, 5000);
  out('consumer cancel notified: callback got', cc.cancelled.join(','), 'tag', cancelTags.join(','));
  out('channel usable after cancel', (await ech.checkQueue(`${P}.q1`)).queue);

  // --- cleanup and close --------------------------------------------------------
  await cleanup(conn);
  out('blocked notifications', JSON.stringify(blocked));
  let closed = false;
  conn.on('close', () => { closed = true; });
  await conn.close();
  out('connection closed', closed);
}

main().then(() => out('end'), (e) => {
  out('FAILED', e && e.stack ? e.stack.split('\n')[0] : e);
  process.exitCode = 1;
});

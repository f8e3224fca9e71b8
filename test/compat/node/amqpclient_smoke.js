#!/usr/bin/env node
// AMQP 0-9-1 compatibility smoke test with amqp-client.js (npm
// @cloudamqp/amqp-client 4, CloudAMQP's TypeScript client with its own
// codec; installed by `npm ci --prefix test/compat/node`).
//
// Usage: node test/compat/node/amqpclient_smoke.js HOST PORT
//
// Uses the AMQPClient/AMQPChannel API for most checks and the AMQPSession
// API (rpcServer/rpcCall over direct reply-to), as applications do.
// Prints deterministic lines describing what the broker did; the output is
// compared against a golden file recorded against RabbitMQ
// (see scripts/compat.sh).
'use strict';

const { AMQPClient, AMQPSession } = require('@cloudamqp/amqp-client');
const { CAPS, NEWER_HEADERS, out, sleep, waitUntil } = require('./lib');

const [HOST, PORT] = process.argv.slice(2);
const P = 'compat.amqpclient';
const URL = `amqp://guest:guest@${HOST}:${PORT}/`;
const TS = new Date(Date.UTC(2020, 0, 2, 3, 4, 5)); // 1577934245
const HTS = new Date(Date.UTC(2021, 2, 4, 5, 6, 7));


function within(p, ms = 5000) {
  let t;
  return Promise.race([p, new Promise((_, rej) => {
    t = setTimeout(() => rej(new Error('timed out')), ms);
  })]).finally(() => clearTimeout(t));
}

// amqp-client ignores connection.start; this subclass decodes its
// server-properties with the client's own table codec.
class Client extends AMQPClient {
  parseFrames(view) {
    if (this.serverProperties === undefined && view.getUint8(0) === 1 &&
        view.getUint16(7) === 10 && view.getUint16(9) === 10) {
      try {
        this.serverProperties = view.getTable(13)[0];
      } catch (e) {
        this.serverProperties = { decodeError: e.message };
      }
    }
    return super.parseFrames(view);
  }
}

async function connect(query = '') {
  const c = new Client(URL + query);
  c.onerror = () => {};
  await within(c.connect(), 10000);
  return c;
}

// Channel errors are seen as rejected promises; the default onerror only logs.
async function channel(conn) {
  const ch = await within(conn.channel());
  ch.onerror = () => {};
  return ch;
}

// Deterministic rendering of a value as amqp-client decodes it.
function fmt(v, dropTime = false) {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (v instanceof Date) return `Date(${v.toISOString()})`;
  if (v instanceof Uint8Array) return 'bytes:' + Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return '[' + v.map((x) => fmt(x, dropTime)).join(', ') + ']';
  if (typeof v === 'object') {
    return '{' + Object.keys(v).sort().filter((k) => !(dropTime && k === 'time'))
      .map((k) => JSON.stringify(k) + ': ' + fmt(v[k], dropTime)).join(', ') + '}';
  }
  if (typeof v === 'bigint') return `bigint:${v}`;
  return `${typeof v}:${JSON.stringify(v)}`;
}

const str = (m) => JSON.stringify(m.bodyToString());

function show(label, m) {
  out(`${label} body=${str(m)} size=${m.bodySize}`);
  out(`${label} delivery exchange=${JSON.stringify(m.exchange)} routing_key=${JSON.stringify(m.routingKey)} redelivered=${m.redelivered}`);
  const p = Object.assign({}, m.properties);
  const headers = p.headers;
  delete p.headers;
  for (const k of Object.keys(p).sort()) out(`${label} prop ${k}=${fmt(p[k])}`);
  for (const k of Object.keys(headers || {}).sort()) out(`${label} header ${k}=${fmt(headers[k])}`);
}

// amqp-client rejects with "channel N closed: TEXT (CODE)" or
// "connection closed: TEXT (CODE)"; 406 texts differ between brokers.
function errStr(e) {
  const m = /^(channel \d+|connection) closed: (.*) \((\d+)\)$/s.exec(e.message || '');
  if (!m) return `exception ${e.message}`;
  const kind = m[1] === 'connection' ? 'connection' : 'channel';
  const code = Number(m[3]);
  return `${kind} error code=${code}${code === 404 ? ' text=' + m[2] : ''}`;
}

async function attempt(fn) {
  try {
    const r = await within(fn());
    return 'no error' + (r === undefined ? '' : ' ' + r);
  } catch (e) {
    return errStr(e);
  }
}

function collector() {
  const got = [];
  return {
    got,
    fn: (m) => { got.push(m); },
    async take(want, quietMs) {
      await waitUntil(() => got.length >= want, 5000);
      await sleep(quietMs);
      return got.splice(0, got.length);
    },
  };
}

const pairs = (ms) => '[' + ms.map((m) => `(${m.bodyToString()} ${m.redelivered})`).join(', ') + ']';

async function drainBodies(ch, q) {
  const bodies = [];
  for (let i = 0; i < 100; i++) {
    const m = await within(ch.basicGet(q, { noAck: true }));
    if (!m) break;
    bodies.push(m.bodyToString());
  }
  return '[' + bodies.join(', ') + ']';
}

async function pollGet(ch, q, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const m = await within(ch.basicGet(q, { noAck: true }));
    if (m || Date.now() > end) return m;
    await sleep(50);
  }
}

const count = async (ch, q) => (await within(ch.queueDeclare(q, { passive: true }))).messageCount;

function mixedHeaders() {
  return {
    str: 'hello',
    empty: '',
    utf8: 'h\u00e9llo \u2713',
    int: 42, // 'I'
    negint: -7,
    long: 2 ** 40, // 'l'
    bigint: 2n ** 50n, // 'l'
    bool: true,
    false: false,
    float: 1.5, // 'f' (amqp-client sends non-integers in int32 range as float)
    bigfloat: 2 ** 33 + 0.5, // 'd'
    timestamp: HTS, // 'T'
    bytes: new Uint8Array([1, 2, 0x72, 0x61, 0x77]), // 'x'
    void: null, // 'V'
    nested: { a: 1, b: 'x', deeper: { c: false, list: [1, 2] } },
    array: [1, 'two', true, 2.5, { k: 'v' }, null, new Uint8Array([9]), HTS],
  };
}

async function cleanup(conn) {
  let ch = await channel(conn);
  for (const q of ['q1', 'q2', 'q3', 'args', 'counts', 'conf', 'qos', 'recover', 'tx', 'excl',
    'cancel', 'rpc', 'dlsrc', 'dlttl', 'dlq', 'big']) {
    try {
      await within(ch.queueDelete(`${P}.${q}`));
    } catch (e) {
      ch = await channel(conn);
    }
  }
  for (const x of ['direct', 'fanout', 'topic', 'headers', 'e2e', 'dlx']) {
    try {
      await within(ch.exchangeDelete(`${P}.${x}`));
    } catch (e) {
      ch = await channel(conn);
    }
  }
  await within(ch.close());
}

async function main() {
  // --- connection -------------------------------------------------------
  const conn = await connect('?heartbeat=10');
  out('connect ok');
  out('heartbeat negotiated', conn.heartbeat);
  out('tune channel_max', conn.channelMax, 'frame_max', conn.frameMax, '(client asks 8192)');
  const sp = conn.serverProperties || {};
  for (const k of ['capabilities', 'product', 'version', 'platform']) {
    out(`server property ${k} present=${k in sp}`);
  }
  const caps = sp.capabilities || {};
  for (const k of CAPS) out(`capability ${k}=${caps[k] === true}`);
  await cleanup(conn);

  const ch = await channel(conn);
  out('channel open', ch.id);

  // --- topology -----------------------------------------------------------
  for (const t of ['direct', 'fanout', 'topic', 'headers']) {
    await within(ch.exchangeDeclare(`${P}.${t}`, t, { durable: false, autoDelete: false }));
    out(`exchange.declare ${t} ok`);
  }
  await within(ch.exchangeDeclare(`${P}.e2e`, 'fanout', { durable: false, autoDelete: false }));
  await within(ch.exchangeBind(`${P}.e2e`, `${P}.topic`, 'e2e.#'));
  out('exchange.bind ok');
  let d = await within(ch.queueDeclare(`${P}.q1`, { durable: true, autoDelete: false }));
  out(`queue.declare q1 name=${d.name} messages=${d.messageCount} consumers=${d.consumerCount}`);
  d = await within(ch.queueDeclare('', { exclusive: true, durable: false }));
  const anon = d.name;
  out(`queue.declare server-named prefix=${anon.slice(0, 8)} messages=${d.messageCount} consumers=${d.consumerCount}`);
  const qargs = { 'x-max-length': 10, 'x-message-ttl': 60000, 'x-dead-letter-exchange': `${P}.dlx` };
  d = await within(ch.queueDeclare(`${P}.args`, { durable: false, autoDelete: false }, qargs));
  out(`queue.declare with x-max-length/x-message-ttl/x-dead-letter-exchange name=${d.name} messages=${d.messageCount}`);
  d = await within(ch.queueDeclare(`${P}.args`, { durable: false, autoDelete: false }, qargs));
  out('queue.declare same args again ok', d.name);
  for (const q of ['q2', 'q3', 'big']) await within(ch.queueDeclare(`${P}.${q}`, { durable: false, autoDelete: false }));
  await within(ch.queueBind(`${P}.q1`, `${P}.direct`, 'k1'));
  await within(ch.queueBind(anon, `${P}.fanout`, ''));
  await within(ch.queueBind(anon, `${P}.e2e`, ''));
  await within(ch.queueBind(`${P}.q2`, `${P}.topic`, 'a.*.c'));
  await within(ch.queueBind(`${P}.q3`, `${P}.headers`, '', { 'x-match': 'all', h1: 'v1', h2: 2 }));
  out('bindings ok');

  // --- publish with every property, get and consume back ------------------
  // (amqp-client has no cluster-id property)
  const props = {
    contentType: 'application/json', contentEncoding: 'utf-8', headers: mixedHeaders(),
    deliveryMode: 2, priority: 5, correlationId: 'corr-1', replyTo: 'reply.q',
    expiration: '60000', messageId: 'msg-1', timestamp: TS,
    type: 'test.type', userId: 'guest', appId: 'compat',
  };
  await within(ch.basicPublish(`${P}.direct`, 'k1', '{"n": 1}', props));
  await within(ch.basicPublish(`${P}.direct`, 'k1', '{"n": 2}', props));
  let m = await within(ch.basicGet(`${P}.q1`, { noAck: false }));
  out('get-ok message_count', m.messageCount);
  show('get', m);
  await m.ack();
  const c1 = collector();
  const consumer = await within(ch.basicConsume(`${P}.q1`, { noAck: false }, c1.fn));
  for (const x of await c1.take(1, 300)) {
    show('consume', x);
    await x.ack();
  }
  await within(consumer.cancel());
  out('basic.cancel ok');
  // a body over frame_max (8192 here): split into body frames both ways
  const big = Buffer.alloc(20000, 'b');
  await within(ch.basicPublish('', `${P}.big`, big, { messageId: 'big' }));
  m = await pollGet(ch, `${P}.big`, 3000);
  out('large body', m ? `size=${m.bodySize} intact=${Buffer.from(m.body).equals(big)}` : 'nothing');

  const pub = (x, rk, body, p = {}) => within(ch.basicPublish(x, rk, body, p));
  await pub(`${P}.topic`, 'a.b.c', 'topic-match');
  await pub(`${P}.topic`, 'a.b.d', 'topic-miss');
  await pub(`${P}.topic`, 'e2e.x', 'e2e-via-topic');
  await pub(`${P}.fanout`, 'ignored', 'fanout');
  await pub(`${P}.headers`, '', 'headers-match', { headers: { h1: 'v1', h2: 2, h3: 'extra' } });
  await pub(`${P}.headers`, '', 'headers-miss', { headers: { h1: 'v1' } });
  await pub(`${P}.headers`, '', 'headers-bigint-2', { headers: { h1: 'v1', h2: 2n } });
  await pub(`${P}.headers`, '', 'headers-string-2', { headers: { h1: 'v1', h2: '2' } });
  out('routed q2:', await drainBodies(ch, `${P}.q2`));
  out('routed q3:', await drainBodies(ch, `${P}.q3`));
  out('routed server-named:', await drainBodies(ch, anon));
  await within(ch.exchangeUnbind(`${P}.e2e`, `${P}.topic`, 'e2e.#'));
  await pub(`${P}.topic`, 'e2e.x', 'after-unbind');
  out('exchange.unbind ok; server-named:', await drainBodies(ch, anon));
  await pub('', `${P}.q1`, 'cc-bcc', { headers: { CC: [`${P}.q2`], BCC: [`${P}.q3`], h: 1 } });
  for (const q of ['q1', 'q2', 'q3']) {
    const x = await within(ch.basicGet(`${P}.${q}`, { noAck: true }));
    out(`CC/BCC ${q}:`, x ? `${x.bodyToString()} routing_key=${x.routingKey} headers=${fmt(x.properties.headers)}` : 'nothing');
  }

  // --- counts (the publishes wait for their confirms) ---------------------
  const pc = await channel(conn);
  await within(pc.confirmSelect());
  const cq = `${P}.counts`;
  await within(ch.queueDeclare(cq, { durable: false, autoDelete: false }));
  out('get empty', (await within(ch.basicGet(cq, { noAck: true }))) === null);
  for (let i = 0; i < 3; i++) await within(pc.basicPublish('', cq, `c${i}`));
  out('declare-ok message_count', await count(ch, cq));
  m = await within(ch.basicGet(cq, { noAck: true }));
  out('get-ok message_count', m.messageCount, 'body', str(m));
  out('purge count', (await within(ch.queuePurge(cq))).messageCount);
  for (let i = 0; i < 4; i++) await within(pc.basicPublish('', cq, `d${i}`));
  out('delete count', (await within(ch.queueDelete(cq))).messageCount);
  await within(pc.close());

  // --- publisher confirms + mandatory ---------------------------------------
  const cch = await channel(conn);
  await within(cch.confirmSelect());
  const confq = `${P}.conf`;
  await within(cch.queueDeclare(confq, { durable: false, autoDelete: false }));
  const N = 20;
  const res = await within(Promise.allSettled(
    Array.from({ length: N }, (_, i) => cch.basicPublish('', confq, `conf${i}`, { deliveryMode: 2 }))));
  const tags = res.filter((r) => r.status === 'fulfilled').map((r) => r.value);
  out(`confirms published=${N} acked=${tags.length} nacked=${N - tags.length} max_tag=${Math.max(0, ...tags)}`);
  out('confirm queued', await count(cch, confq));
  const returns = [];
  cch.onReturn = (r) => returns.push(`code=${r.replyCode} text=${r.replyText} exchange=${r.exchange} routing_key=${r.routingKey} body=${str(r)}`);
  const utag = await within(cch.basicPublish(`${P}.direct`, 'nowhere', 'unroutable', {}, true));
  await waitUntil(() => returns.length > 0, 5000);
  for (const r of returns) out('basic.return', r);
  out('unroutable confirm tag', utag);
  await within(cch.close());

  // --- qos / ack / nack / reject / recover -----------------------------------
  const qq = `${P}.qos`;
  const qch = await channel(conn);
  await within(qch.confirmSelect());
  await within(qch.queueDeclare(qq, { durable: false, autoDelete: false }));
  for (let i = 0; i < 5; i++) await within(qch.basicPublish('', qq, `m${i}`));
  await within(qch.prefetch(2));
  const qc = collector();
  const qcons = await within(qch.basicConsume(qq, { noAck: false }, qc.fn));
  const first = await qc.take(2, 500);
  out('prefetch=2 unacked deliveries', pairs(first));
  await first[0].nack(true);
  const afterNack = await qc.take(1, 300);
  out('after nack requeue', pairs(afterNack));
  await first[1].reject(false);
  const afterReject = await qc.take(1, 300);
  out('after reject', pairs(afterReject));
  const pending = afterNack.concat(afterReject);
  for (let n = 0; pending.length > 0 && n < 20; n++) {
    const x = pending.shift();
    out('ack', x.bodyToString(), x.redelivered);
    await x.ack();
    pending.push(...await qc.take(0, 300));
  }
  await within(qcons.cancel());
  out('qos queue remaining', await count(qch, qq));
  const rq = `${P}.recover`;
  await within(qch.queueDeclare(rq, { durable: false, autoDelete: false }));
  await within(qch.basicPublish('', rq, 'rec'));
  m = await within(qch.basicGet(rq, { noAck: false }));
  out('recover before', str(m), m.redelivered);
  await within(qch.basicRecover(true));
  m = await within(qch.basicGet(rq, { noAck: false }));
  out('recover after', m ? str(m) : null, m ? m.redelivered : null);
  if (m) await m.ack();
  await within(qch.close());

  // --- transactions -----------------------------------------------------------
  const tq = `${P}.tx`;
  let tch = await channel(conn);
  await within(tch.queueDeclare(tq, { durable: false, autoDelete: false }));
  await within(tch.txSelect());
  out('tx.select ok');
  await within(tch.basicPublish('', tq, 'rolled-back'));
  await within(tch.txRollback());
  out('tx.rollback ok; queued', await count(tch, tq));
  await within(tch.basicPublish('', tq, 'committed'));
  out('before commit; queued', await count(tch, tq));
  await within(tch.txCommit());
  out('tx.commit ok; queued', await count(tch, tq));
  m = await within(tch.basicGet(tq, { noAck: false }));
  await within(tch.basicAck(m.deliveryTag));
  await within(tch.txRollback());
  out('tx get', str(m), 'ack rolled back; queued', await count(tch, tq));
  await within(tch.basicAck(m.deliveryTag));
  await within(tch.txCommit());
  out('ack committed; queued', await count(tch, tq));
  await within(tch.close());

  // prefetch=1 consumer on a transactional channel: the slot is freed by the
  // committed ack, not by the basic.ack itself.
  const pch = await channel(conn);
  await within(pch.confirmSelect());
  for (let i = 0; i < 3; i++) await within(pch.basicPublish('', tq, `t${i}`));
  tch = await channel(conn);
  await within(tch.basicQos(1));
  await within(tch.txSelect());
  const tc = collector();
  const tcons = await within(tch.basicConsume(tq, { noAck: false }, tc.fn));
  const tgot = await tc.take(1, 500);
  out('tx prefetch=1: delivered', pairs(tgot));
  await within(tgot[0].ack());
  out('tx prefetch=1: after basic.ack, before commit', pairs(await tc.take(0, 500)));
  await within(tch.txCommit());
  const tmore = await tc.take(1, 500);
  out('tx prefetch=1: after tx.commit', pairs(tmore));
  if (tmore.length) await within(tmore[tmore.length - 1].ack());
  await within(tch.txRollback());
  out('tx prefetch=1: after basic.ack + tx.rollback', pairs(await tc.take(0, 500)));
  await within(tcons.cancel());
  await within(tch.close());
  await within(pch.close());

  // --- direct reply-to (AMQPSession rpcServer / rpcCall) ---------------------
  const session = await within(AMQPSession.connect(URL, { logger: null, maxRetries: 1 }), 10000);
  const seen = [];
  const server = await within(session.rpcServer(`${P}.rpc`, (req) => {
    const rt = req.properties.replyTo || '';
    seen.push(`request ${str(req)} reply_to prefix ${rt.slice(0, 22)} longer ${rt.length > 22} correlation_id set ${!!req.properties.correlationId}`);
    return 'response:' + req.bodyToString();
  }));
  const reply = await within(session.rpcCall(`${P}.rpc`, 'request', { timeout: 5000 }));
  for (const s of seen) out('direct reply-to:', s);
  out('direct reply-to: reply', str(reply), `exchange=${JSON.stringify(reply.exchange)}`,
    'routing_key prefix', reply.routingKey.slice(0, 22), 'redelivered', reply.redelivered);
  await within(server.close());
  await within(session.stop());
  out('session stopped');

  // --- dead-lettering ---------------------------------------------------------
  const dch = await channel(conn);
  await within(dch.confirmSelect());
  await within(dch.exchangeDeclare(`${P}.dlx`, 'fanout', { durable: false, autoDelete: false }));
  await within(dch.queueDeclare(`${P}.dlq`, { durable: false, autoDelete: false }));
  await within(dch.queueBind(`${P}.dlq`, `${P}.dlx`, ''));
  await within(dch.queueDeclare(`${P}.dlsrc`, { durable: false, autoDelete: false },
    { 'x-dead-letter-exchange': `${P}.dlx`, 'x-dead-letter-routing-key': 'dlk', 'x-max-length': 2 }));
  const showDL = (label, x) => {
    if (!x) return out(`${label}: nothing dead-lettered`);
    out(`${label}: ${str(x)} exchange=${x.exchange} routing_key=${x.routingKey}`);
    const h = x.properties.headers || {};
    for (const k of Object.keys(h).sort()) {
      if (!NEWER_HEADERS.includes(k)) out(`  header ${k}=${fmt(h[k], true)}`);
    }
    return undefined;
  };
  await within(dch.basicPublish('', `${P}.dlsrc`, 'rejected', { headers: { orig: 1, s: 'x' }, timestamp: TS }));
  m = await within(dch.basicGet(`${P}.dlsrc`, { noAck: false }));
  await m.reject(false);
  showDL('dead-lettered (rejected)', await pollGet(dch, `${P}.dlq`, 3000));
  for (let i = 0; i < 3; i++) await within(dch.basicPublish('', `${P}.dlsrc`, `ml${i}`));
  showDL('dead-lettered (maxlen)', await pollGet(dch, `${P}.dlq`, 3000));
  out('x-max-length 2 keeps', await drainBodies(dch, `${P}.dlsrc`));
  await within(dch.queueDeclare(`${P}.dlttl`, { durable: false, autoDelete: false },
    { 'x-dead-letter-exchange': `${P}.dlx`, 'x-message-ttl': 50 }));
  await within(dch.basicPublish('', `${P}.dlttl`, 'expired-queue-ttl'));
  showDL('dead-lettered (expired, x-message-ttl)', await pollGet(dch, `${P}.dlq`, 3000));
  await within(dch.basicPublish('', `${P}.dlsrc`, 'expired-per-message', { expiration: '50' }));
  await sleep(150);
  out('expired message not delivered', await drainBodies(dch, `${P}.dlsrc`));
  showDL('dead-lettered (expired, expiration)', await pollGet(dch, `${P}.dlq`, 3000));
  await within(dch.close());

  // --- errors -----------------------------------------------------------------
  let ech = await channel(conn);
  out('passive declare missing:', await attempt(() => ech.queueDeclare(`${P}.missing`, { passive: true })));
  out('channel closed after error', ech.closed);
  ech = await channel(conn);
  out('redeclare different args:', await attempt(() => ech.queueDeclare(`${P}.args`,
    { durable: false, autoDelete: false }, Object.assign({}, qargs, { 'x-max-length': 20 }))));
  ech = await channel(conn);
  out('redeclare exchange different type:', await attempt(() => ech.exchangeDeclare(`${P}.direct`, 'fanout', { durable: false })));
  ech = await channel(conn);
  out('publish to missing exchange:', await attempt(async () => {
    await ech.basicPublish(`${P}.nosuchexchange`, 'k', 'x');
    await ech.queueDeclare(`${P}.q1`, { passive: true });
    await sleep(300);
  }));
  ech = await channel(conn);
  await within(ech.confirmSelect());
  out('publish to missing exchange (confirm channel):', await attempt(() => ech.basicPublish(`${P}.nosuchexchange`, 'k', 'x')));
  ech = await channel(conn);
  out('basic.ack unknown delivery tag:', await attempt(async () => {
    await ech.basicAck(99);
    await ech.queueDeclare(`${P}.q1`, { passive: true });
    await sleep(300);
  }));
  ech = await channel(conn);
  await within(ech.queueDeclare(`${P}.excl`, { exclusive: true, durable: false }));
  const conn2 = await connect();
  let och = await channel(conn2);
  out('other connection passive declare exclusive:', await attempt(() => och.queueDeclare(`${P}.excl`, { passive: true })));
  och = await channel(conn2);
  out('other connection consume exclusive:', await attempt(() => och.basicConsume(`${P}.excl`, { noAck: true }, () => {})));
  och = await channel(conn2);
  out('other connection delete exclusive:', await attempt(() => och.queueDelete(`${P}.excl`)));
  och = await channel(conn2);
  out('other connection new channel after errors ok', (await within(och.queueDeclare(`${P}.q1`, { passive: true }))).name);
  await within(conn2.close());
  ech = await channel(conn);
  out('new channel after errors ok', (await within(ech.queueDeclare(`${P}.q1`, { passive: true }))).name);

  // --- consumer cancel notification --------------------------------------------
  const cancelq = `${P}.cancel`;
  await within(ech.queueDeclare(cancelq, { durable: false, autoDelete: false }));
  const cc = await within(ech.basicConsume(cancelq, { tag: 'compat-cancel-tag', noAck: false }, () => {}));
  out('consumer tag', cc.tag);
  const waited = cc.wait(5000).then(() => 'closed without error', (e) => `rejected: ${e.message}`);
  const delch = await channel(conn);
  await within(delch.queueDelete(cancelq));
  out('consumer cancel notified:', await waited, 'consumers left', ech.consumers.size);
  out('channel usable after cancel', (await within(ech.queueDeclare(`${P}.q1`, { passive: true }))).name);

  // --- cleanup and close --------------------------------------------------------
  await cleanup(conn);
  await within(conn.close());
  out('connection closed', conn.closed);
}

main().then(() => {
  out('end');
  process.exit(0);
}, (e) => {
  out('failed:', e && e.stack ? e.stack : e);
  process.exit(1);
});

#!/usr/bin/python3
"""AMQP 0-9-1 compatibility smoke test with aio-pika (Debian python3-aio-pika,
which brings aiormq and pamqp: an asyncio client with its own codec).

Usage: aiopika_smoke.py HOST PORT

Uses aio-pika's robust connection (connect_robust) for the normal traffic and
its plain connection (connect) for the error cases, as an application would;
where aio-pika has no API (basic.recover, basic.ack of an arbitrary tag,
cluster-id, double/decimal headers) it calls aiormq's channel methods.

Prints deterministic lines describing what the broker did; the output is
compared against a golden file recorded against RabbitMQ
(see scripts/compat.sh).
"""
import asyncio
import datetime
import decimal
import signal
import sys

import aio_pika
import aiormq
import aiormq.exceptions as aexc
from aiormq import spec

from compatlib import fmt, out, watchdog

HOST, PORT = sys.argv[1], sys.argv[2]
P = 'compat.aiopika'
URL = f'amqp://guest:guest@{HOST}:{PORT}/'
CAPS = ['publisher_confirms', 'basic.nack', 'consumer_cancel_notify',
        'exchange_exchange_bindings', 'connection.blocked',
        'authentication_failure_close', 'per_consumer_qos', 'direct_reply_to']
# RabbitMQ 3.13 added these dead-lettering headers; the goldens come from
# 3.10, which has no such headers, so the comparison leaves them out.
NEWER_HEADERS = ('x-last-death-exchange', 'x-last-death-queue', 'x-last-death-reason')
UTC = datetime.timezone.utc
TS = datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)  # 1577934245
T = 5  # seconds: the bound of every single wait below

PROPS = ['app_id', 'cluster_id', 'content_encoding', 'content_type', 'correlation_id',
         'delivery_mode', 'expiration', 'message_id', 'priority', 'reply_to',
         'timestamp', 'type', 'user_id']


def show(label, m):
    """An aio-pika IncomingMessage, as aio-pika presents it."""
    out(f'{label} body={m.body!r}')
    out(f'{label} delivery exchange={m.exchange!r} routing_key={m.routing_key!r} '
        f'redelivered={m.redelivered!r}')
    for k in PROPS:
        out(f'{label} prop {k}={fmt(getattr(m, k))}')
    for k in sorted(m.headers_raw):
        out(f'{label} header {k}={fmt(m.headers_raw[k])}')


def show_raw(label, dm):
    """An aiormq DeliveredMessage: the properties as pamqp decoded them."""
    out(f'{label} body={dm.body!r} redelivered={dm.redelivered!r}')
    p = dm.header.properties
    for k in ['app_id', 'cluster_id', 'content_encoding', 'content_type', 'correlation_id',
              'delivery_mode', 'expiration', 'message_id', 'message_type', 'priority',
              'reply_to', 'timestamp', 'user_id']:
        out(f'{label} prop {k}={fmt(getattr(p, k))}')
    for k in sorted(p.headers or {}):
        out(f'{label} header {k}={fmt(p.headers[k])}')


CODES = {aexc.ChannelAccessRefused: 403, aexc.ChannelNotFoundEntity: 404,
         aexc.ChannelLockedResource: 405, aexc.ChannelPreconditionFailed: 406}


def err(e):
    """code=N for a channel error (with the text for 404: 406 texts differ
    between brokers and versions)."""
    code = CODES.get(type(e))
    if code is not None:
        text = e.args[0] if e.args else ''
    elif isinstance(e, aexc.ChannelClosed) and len(e.args) >= 2:
        code, text = e.args[0], e.args[1]
    elif isinstance(e, aexc.ConnectionClosed):
        return f'connection error {type(e).__name__}'
    else:
        return f'exception {type(e).__name__}'
    return f'code={code}' + (f' text={text}' if code == 404 else '')


async def attempt(coro):
    try:
        r = await asyncio.wait_for(coro, T)
        return 'no error' + ('' if r is None else f' {r}')
    except (aexc.AMQPError, asyncio.TimeoutError) as e:
        return err(e)


async def wait_until(cond, limit=T):
    end = asyncio.get_running_loop().time() + limit
    while not cond() and asyncio.get_running_loop().time() < end:
        await asyncio.sleep(0.02)
    return cond()


class Collector:
    """Deliveries of a consumer; take(want, quiet) waits for `want` of them
    (at most 5 s), then `quiet` seconds more for any beyond those."""

    def __init__(self):
        self.got = []

    async def on(self, m):  # the consumer callback
        self.got.append(m)

    async def take(self, want, quiet):
        await wait_until(lambda: len(self.got) >= want)
        await asyncio.sleep(quiet)
        r, self.got = self.got, []
        return r


def pairs(ms):
    return '[' + ', '.join(f'({m.body.decode()} {m.redelivered})' for m in ms) + ']'


async def bodies(q):
    r = []
    for _ in range(100):
        m = await q.get(no_ack=True, fail=False, timeout=T)
        if m is None:
            break
        r.append(m.body.decode())
    return '[' + ', '.join(r) + ']'


async def poll_get(q, limit=3.0):
    end = asyncio.get_running_loop().time() + limit
    while True:
        m = await q.get(no_ack=True, fail=False, timeout=T)
        if m is not None or asyncio.get_running_loop().time() > end:
            return m
        await asyncio.sleep(0.05)


async def count(ch, name):
    q = await ch.declare_queue(name, passive=True, timeout=T)
    return q.declaration_result.message_count


QUEUES = ['q1', 'q2', 'q3', 'args', 'counts', 'conf', 'qos', 'recover', 'tx', 'excl',
          'cancel', 'rpc', 'dlsrc', 'dlttl', 'dlq', 'raw']
EXCHANGES = ['direct', 'fanout', 'topic', 'headers', 'e2e', 'dlx']


async def cleanup(conn):
    ch = await conn.channel()
    for q in QUEUES:
        await ch.queue_delete(f'{P}.{q}', timeout=T)
    for x in EXCHANGES:
        await ch.exchange_delete(f'{P}.{x}', timeout=T)
    await ch.close()


def mixed_headers():
    # aio-pika converts header values it has no AMQP type for (float,
    # Decimal) to JSON bytes before pamqp encodes them; bytes become 'x'.
    return {
        'str': 'hello', 'empty': '', 'utf8': 'h\u00e9llo \u2713',
        # (pamqp 3.2 cannot encode negative ints in -128..-1: it packs 'b'
        # unsigned and raises, so the negative value here is a short)
        'int': 42, 'negint': -300, 'short': 300, 'int32': 70000, 'long': 2 ** 40,
        'bool': True, 'false': False, 'float': 1.5,
        'timestamp': datetime.datetime(2021, 3, 4, 5, 6, 7),
        'bytes': b'\x01\x02raw', 'void': None,
        'nested': {'a': 1, 'b': 'x', 'deeper': {'c': False, 'list': [1, 2]}},
        'array': [1, 'two', True, {'k': 'v'}, None, datetime.datetime(2021, 3, 4, 5, 6, 7)],
    }


def raw_headers():
    # Passed to aiormq as they are: pamqp encodes float as 'f', Decimal as 'D'
    # (not negative ones: pamqp 3.2 packs the digits unsigned).
    h = mixed_headers()
    h.update({'float': 2.25, 'decimal': decimal.Decimal('1.23'),
              'bytes': bytearray(b'\x01\x02raw'), 'array': [1, 2.5, decimal.Decimal('0.5')]})
    return h


async def main():
    # --- connection (robust) ----------------------------------------------
    conn = await aio_pika.connect_robust(URL + '?heartbeat=10', timeout=T)
    raw = conn.transport.connection  # the aiormq connection
    out('connect ok', type(conn).__name__)
    tune = raw.connection_tune
    out('heartbeat negotiated', tune.heartbeat)
    out('tune channel_max', tune.channel_max, 'frame_max', tune.frame_max)
    sp = raw.server_properties
    for k in ['capabilities', 'product', 'version', 'platform']:
        out(f'server property {k} present={k in sp}')
    caps = sp.get('capabilities', {})
    for c in CAPS:
        out(f'capability {c}={caps.get(c) is True}')
    await cleanup(conn)

    ch = await conn.channel()
    out('channel open', type(ch).__name__, not ch.is_closed)

    # --- topology ---------------------------------------------------------
    ex = {}
    for t in ['direct', 'fanout', 'topic', 'headers']:
        ex[t] = await ch.declare_exchange(f'{P}.{t}', t, durable=False, auto_delete=False, timeout=T)
        out(f'exchange.declare {t} ok', ex[t].name)
    e2e = await ch.declare_exchange(f'{P}.e2e', 'fanout', auto_delete=False, timeout=T)
    await e2e.bind(ex['topic'], 'e2e.#', timeout=T)
    out('exchange.bind ok')
    q1 = await ch.declare_queue(f'{P}.q1', durable=True, auto_delete=False, timeout=T)
    d = q1.declaration_result
    out(f'queue.declare q1 name={d.queue} messages={d.message_count} consumers={d.consumer_count}')
    # a robust queue without a name gets a client-made one (amq_0x...)
    anon = await ch.declare_queue(exclusive=True, timeout=T)
    d = anon.declaration_result
    out(f'queue.declare robust unnamed prefix={anon.name[:4]} messages={d.message_count} consumers={d.consumer_count}')
    d = await ch.channel.queue_declare('', exclusive=True, timeout=T)
    out(f'queue.declare server-named (aiormq) prefix={d.queue[:8]} messages={d.message_count} consumers={d.consumer_count}')
    qargs = {'x-max-length': 10, 'x-message-ttl': 60000, 'x-dead-letter-exchange': f'{P}.dlx'}
    qa = await ch.declare_queue(f'{P}.args', auto_delete=False, arguments=qargs, timeout=T)
    out(f'queue.declare with x-max-length/x-message-ttl/x-dead-letter-exchange name={qa.name} '
        f'messages={qa.declaration_result.message_count}')
    qa = await ch.declare_queue(f'{P}.args', auto_delete=False, arguments=qargs, timeout=T)
    out('queue.declare same args again ok', qa.name)
    q2 = await ch.declare_queue(f'{P}.q2', auto_delete=False, timeout=T)
    q3 = await ch.declare_queue(f'{P}.q3', auto_delete=False, timeout=T)
    await q1.bind(ex['direct'], 'k1', timeout=T)
    await anon.bind(ex['fanout'], '', timeout=T)
    await anon.bind(e2e, '', timeout=T)
    await q2.bind(ex['topic'], 'a.*.c', timeout=T)
    await q3.bind(ex['headers'], '', arguments={'x-match': 'all', 'h1': 'v1', 'h2': 2}, timeout=T)
    out('bindings ok')

    # --- publish with every property, get and consume back ------------------
    msg = aio_pika.Message(
        b'{"n": 1}', headers=mixed_headers(), content_type='application/json',
        content_encoding='utf-8', delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        priority=5, correlation_id='corr-1', reply_to='reply.q', expiration=60,
        message_id='msg-1', timestamp=TS, type='test.type', user_id='guest', app_id='compat')
    r = await ex['direct'].publish(msg, 'k1', timeout=T)
    out('publish confirmed', type(r).__name__)
    # aio-pika has no cluster-id property (deprecated in 0-9-1): aiormq sends it.
    props = msg.properties
    props.cluster_id = 'cluster-x'
    props.headers = raw_headers()
    r = await ch.channel.basic_publish(b'{"n": 2}', exchange=f'{P}.direct', routing_key='k1',
                                       properties=props, timeout=T)
    out('aiormq publish confirmed', type(r).__name__)
    m = await q1.get(no_ack=False, timeout=T)
    out('get-ok message_count', m.message_count)
    show('get', m)
    await m.ack()
    col = Collector()
    tag = await q1.consume(col.on, no_ack=False, timeout=T)
    got = await col.take(1, 0.3)
    for x in got:
        show('consume', x)
        await x.ack()
    await q1.cancel(tag, timeout=T)
    out('basic.cancel ok')
    # the same message as aiormq (pamqp) decodes it, without aio-pika's conversion
    await ch.channel.basic_publish(b'raw', exchange=f'{P}.direct', routing_key='k1',
                                   properties=props, timeout=T)
    dm = await ch.channel.basic_get(f'{P}.q1', no_ack=True, timeout=T)
    show_raw('aiormq get', dm)

    await ex['topic'].publish(aio_pika.Message(b'topic-match'), 'a.b.c', mandatory=False, timeout=T)
    await ex['topic'].publish(aio_pika.Message(b'topic-miss'), 'a.b.d', mandatory=False, timeout=T)
    await ex['topic'].publish(aio_pika.Message(b'e2e-via-topic'), 'e2e.x', mandatory=False, timeout=T)
    await ex['fanout'].publish(aio_pika.Message(b'fanout'), 'ignored', mandatory=False, timeout=T)
    for body, h in [(b'headers-match', {'h1': 'v1', 'h2': 2, 'h3': 'extra'}),
                    (b'headers-miss', {'h1': 'v1'}),
                    (b'headers-string-2', {'h1': 'v1', 'h2': '2'})]:
        await ex['headers'].publish(aio_pika.Message(body, headers=h), '', mandatory=False, timeout=T)
    out('routed q2:', await bodies(q2))
    out('routed q3:', await bodies(q3))
    out('routed unnamed:', await bodies(anon))
    await e2e.unbind(ex['topic'], 'e2e.#', timeout=T)
    await ex['topic'].publish(aio_pika.Message(b'after-unbind'), 'e2e.x', mandatory=False, timeout=T)
    out('exchange.unbind ok; unnamed:', await bodies(anon))
    # sender-selected distribution: CC is kept, BCC removed
    await ch.default_exchange.publish(
        aio_pika.Message(b'cc-bcc', headers={'CC': [f'{P}.q2'], 'BCC': [f'{P}.q3'], 'h': 1}),
        f'{P}.q1', timeout=T)
    for name, q in [('q1', q1), ('q2', q2), ('q3', q3)]:
        x = await q.get(no_ack=True, fail=False, timeout=T)
        out(f'CC/BCC {name}:', f'{x.body.decode()} routing_key={x.routing_key} headers={fmt(x.headers_raw)}'
            if x else 'nothing')

    # --- counts (the publishes wait for their confirms) ---------------------
    cq = await ch.declare_queue(f'{P}.counts', auto_delete=False, timeout=T)
    out('get empty', (await cq.get(no_ack=True, fail=False, timeout=T)) is None)
    for i in range(3):
        await ch.default_exchange.publish(aio_pika.Message(f'c{i}'.encode()), cq.name, timeout=T)
    out('declare-ok message_count', await count(ch, cq.name))
    m = await cq.get(no_ack=True, timeout=T)
    out('get-ok message_count', m.message_count, 'body', m.body)
    out('purge count', (await cq.purge(timeout=T)).message_count)
    for i in range(4):
        await ch.default_exchange.publish(aio_pika.Message(f'd{i}'.encode()), cq.name, timeout=T)
    out('delete count', (await cq.delete(if_unused=False, if_empty=False, timeout=T)).message_count)

    # --- publisher confirms + mandatory ---------------------------------------
    cch = await conn.channel(publisher_confirms=True, on_return_raises=True)
    confq = await cch.declare_queue(f'{P}.conf', auto_delete=False, timeout=T)
    N = 20
    res = await asyncio.gather(*[
        cch.default_exchange.publish(aio_pika.Message(f'conf{i}'.encode(), delivery_mode=2), confq.name, timeout=T)
        for i in range(N)], return_exceptions=True)
    acked = sum(isinstance(x, spec.Basic.Ack) for x in res)
    out(f'confirms published={N} acked={acked} other={N - acked} max_tag={cch.channel.delivery_tag}')
    out('confirm queued', await count(cch, confq.name))
    cdirect = await cch.get_exchange(f'{P}.direct', ensure=False)
    try:
        r = await cdirect.publish(aio_pika.Message(b'unroutable', message_id='unr-1'), 'nowhere',
                                  mandatory=True, timeout=T)
        out('mandatory unroutable: no return', type(r).__name__)
    except aio_pika.exceptions.PublishError as e:
        rf = e.message.delivery
        out(f'basic.return code={rf.reply_code} text={rf.reply_text} exchange={rf.exchange} '
            f'routing_key={rf.routing_key} body={e.message.body!r}')
    out('unroutable publish tag', cch.channel.delivery_tag)
    # a plain channel's return callbacks (aio-pika's default publish is mandatory)
    rch = await conn.channel()
    returned = []
    rch.return_callbacks.add(lambda _ch, m: returned.append(m))
    rdirect = await rch.get_exchange(f'{P}.direct', ensure=False)
    await rdirect.publish(aio_pika.Message(b'unroutable-2'), 'nowhere', timeout=T)
    await wait_until(lambda: returned)
    out('return callback', [(m.body, m.exchange, m.routing_key) for m in returned])
    await rch.close()
    await cch.close()

    # --- qos / ack / nack / reject / recover -------------------------------
    qch = await conn.channel()
    qq = await qch.declare_queue(f'{P}.qos', auto_delete=False, timeout=T)
    for i in range(5):
        await qch.default_exchange.publish(aio_pika.Message(f'm{i}'.encode()), qq.name, timeout=T)
    await qch.set_qos(prefetch_count=2, timeout=T)
    qc = Collector()
    qtag = await qq.consume(qc.on, no_ack=False, timeout=T)
    first = await qc.take(2, 0.5)
    out('prefetch=2 unacked deliveries', pairs(first))
    await first[0].nack(requeue=True)
    after_nack = await qc.take(1, 0.3)
    out('after nack requeue', pairs(after_nack))
    await first[1].reject(requeue=False)
    after_reject = await qc.take(1, 0.3)
    out('after reject', pairs(after_reject))
    pending = after_nack + after_reject
    n = 0
    while pending and n < 20:
        n += 1
        x = pending.pop(0)
        out('ack', x.body.decode(), x.redelivered)
        await x.ack()
        pending += await qc.take(0, 0.3)
    await qq.cancel(qtag, timeout=T)
    out('qos queue remaining', await count(qch, qq.name))

    rq = await qch.declare_queue(f'{P}.recover', auto_delete=False, timeout=T)
    await qch.default_exchange.publish(aio_pika.Message(b'rec'), rq.name, timeout=T)
    m = await rq.get(no_ack=False, timeout=T)
    out('recover before', m.body, m.redelivered)
    await qch.channel.basic_recover(requeue=True, timeout=T)  # no aio-pika API
    m = await rq.get(no_ack=False, fail=False, timeout=T)
    out('recover after', m and m.body, m and m.redelivered)
    if m:
        await m.ack()
    await qch.close()

    # --- transactions (tx and confirms exclude each other) ----------------
    tch = await conn.channel(publisher_confirms=False)
    tq = await tch.declare_queue(f'{P}.tx', auto_delete=False, timeout=T)
    tx = tch.transaction()
    await tx.select(timeout=T)
    out('tx.select ok')
    await tch.default_exchange.publish(aio_pika.Message(b'rolled-back'), tq.name, timeout=T)
    await tx.rollback(timeout=T)
    out('tx.rollback ok; queued', await count(tch, tq.name))
    await tch.default_exchange.publish(aio_pika.Message(b'committed'), tq.name, timeout=T)
    out('before commit; queued', await count(tch, tq.name))
    await tx.commit(timeout=T)
    out('tx.commit ok; queued', await count(tch, tq.name))
    m = await tq.get(no_ack=False, timeout=T)
    await m.ack()
    await tx.rollback(timeout=T)
    out('tx get', m.body, 'ack rolled back; queued', await count(tch, tq.name))
    await tch.channel.basic_ack(m.delivery_tag)
    await tx.commit(timeout=T)
    out('ack committed; queued', await count(tch, tq.name))
    await tch.close()

    # prefetch=1 consumer on a transactional channel: the slot is freed by the
    # committed ack, not by the basic.ack itself.
    pch = await conn.channel()
    for i in range(3):
        await pch.default_exchange.publish(aio_pika.Message(f't{i}'.encode()), f'{P}.tx', timeout=T)
    tch = await conn.channel(publisher_confirms=False)
    await tch.set_qos(prefetch_count=1, timeout=T)
    tx = tch.transaction()
    await tx.select(timeout=T)
    tq = await tch.get_queue(f'{P}.tx', ensure=False)
    tc = Collector()
    ttag = await tq.consume(tc.on, no_ack=False, timeout=T)
    got = await tc.take(1, 0.5)
    out('tx prefetch=1: delivered', [x.body for x in got])
    await got[0].ack()
    more = await tc.take(0, 0.5)
    out('tx prefetch=1: after basic.ack, before commit', [x.body for x in more])
    await tx.commit(timeout=T)
    more = await tc.take(1, 0.5)
    out('tx prefetch=1: after tx.commit', [x.body for x in more])
    if more:
        await more[-1].ack()
    await tx.rollback(timeout=T)
    more2 = await tc.take(0, 0.5)
    out('tx prefetch=1: after basic.ack + tx.rollback', [x.body for x in more2])
    await tq.cancel(ttag, timeout=T)
    await tch.close()
    await pch.close()

    # --- direct reply-to ---------------------------------------------------
    rch = await conn.channel()
    rpcq = await rch.declare_queue(f'{P}.rpc', auto_delete=False, timeout=T)
    replyq = await rch.get_queue('amq.rabbitmq.reply-to', ensure=False)
    replies = Collector()
    await replyq.consume(replies.on, no_ack=True, timeout=T)
    await rch.default_exchange.publish(
        aio_pika.Message(b'request', reply_to='amq.rabbitmq.reply-to', correlation_id='rpc-1'),
        rpcq.name, timeout=T)
    server = await conn.channel()
    sq = await server.get_queue(f'{P}.rpc', ensure=False)
    m = await poll_get(sq)
    rt = m.reply_to if m else ''
    out('direct reply-to: request reply_to prefix', rt[:22], 'longer', len(rt) > 22)
    await server.default_exchange.publish(aio_pika.Message(b'response', correlation_id='rpc-1'), rt, timeout=T)
    for x in await replies.take(1, 0.2):
        out('direct reply-to: reply', x.body, f'exchange={x.exchange!r}', 'routing_key prefix',
            x.routing_key[:22], 'correlation_id', x.correlation_id, 'redelivered', x.redelivered)
    await server.close()
    await rch.close()

    # --- dead-lettering ------------------------------------------------------
    dch = await conn.channel()
    dlx = await dch.declare_exchange(f'{P}.dlx', 'fanout', auto_delete=False, timeout=T)
    dlq = await dch.declare_queue(f'{P}.dlq', auto_delete=False, timeout=T)
    await dlq.bind(dlx, '', timeout=T)
    src = await dch.declare_queue(f'{P}.dlsrc', auto_delete=False, timeout=T, arguments={
        'x-dead-letter-exchange': f'{P}.dlx', 'x-dead-letter-routing-key': 'dlk', 'x-max-length': 2})

    def show_dl(label, dm):
        if dm is None:
            out(f'{label}: nothing dead-lettered')
            return
        out(f'{label}: {dm.body!r} exchange={dm.exchange} routing_key={dm.routing_key}')
        for k in sorted(dm.headers_raw):
            if k not in NEWER_HEADERS:
                out(f'  header {k}={fmt(dm.headers_raw[k], drop_time=True)}')
    await dch.default_exchange.publish(aio_pika.Message(b'rejected', headers={'orig': 1, 's': 'x'}),
                                       src.name, timeout=T)
    m = await src.get(no_ack=False, timeout=T)
    await m.reject(requeue=False)
    show_dl('dead-lettered (rejected)', await poll_get(dlq))
    for i in range(3):
        await dch.default_exchange.publish(aio_pika.Message(f'ml{i}'.encode()), src.name, timeout=T)
    show_dl('dead-lettered (maxlen)', await poll_get(dlq))
    out('x-max-length 2 keeps', await bodies(src))
    ttl = await dch.declare_queue(f'{P}.dlttl', auto_delete=False, timeout=T, arguments={
        'x-dead-letter-exchange': f'{P}.dlx', 'x-message-ttl': 50})
    await dch.default_exchange.publish(aio_pika.Message(b'expired-queue-ttl'), ttl.name, timeout=T)
    show_dl('dead-lettered (expired, x-message-ttl)', await poll_get(dlq))
    await dch.default_exchange.publish(aio_pika.Message(b'expired-per-message', expiration=0.05),
                                       src.name, timeout=T)
    await asyncio.sleep(0.15)
    out('expired message not delivered', await bodies(src))
    show_dl('dead-lettered (expired, expiration)', await poll_get(dlq))
    await dch.close()

    # --- errors (plain connection and channels) -----------------------------
    pconn = await aio_pika.connect(URL, timeout=T)
    out('plain connect ok', type(pconn).__name__)
    ech = await pconn.channel()
    out('passive declare missing:', await attempt(ech.declare_queue(f'{P}.missing', passive=True)))
    out('channel closed after error', ech.is_closed)
    ech = await pconn.channel()
    out('redeclare different args:', await attempt(ech.declare_queue(
        f'{P}.args', auto_delete=False, arguments=dict(qargs, **{'x-max-length': 20}))))
    ech = await pconn.channel()
    out('redeclare exchange different type:', await attempt(
        ech.declare_exchange(f'{P}.direct', 'fanout', auto_delete=False)))
    ech = await pconn.channel()
    nox = await ech.get_exchange(f'{P}.nosuchexchange', ensure=False)
    out('publish to missing exchange:', await attempt(nox.publish(aio_pika.Message(b'x'), 'k')))
    ech = await pconn.channel()

    async def ack_unknown():
        await ech.channel.basic_ack(99)  # aio-pika acks only messages it has
        await ech.declare_queue(f'{P}.q1', passive=True)
        await asyncio.sleep(0.3)
    out('basic.ack unknown delivery tag:', await attempt(ack_unknown()))
    ech = await pconn.channel()
    await ech.declare_queue(f'{P}.excl', exclusive=True, timeout=T)
    conn2 = await aio_pika.connect(URL, timeout=T)
    och = await conn2.channel()
    out('other connection passive declare exclusive:', await attempt(och.declare_queue(f'{P}.excl', passive=True)))
    och = await conn2.channel()
    ex_q = await och.get_queue(f'{P}.excl', ensure=False)
    out('other connection consume exclusive:', await attempt(ex_q.consume(lambda m: None, no_ack=True)))
    och = await conn2.channel()
    out('other connection delete exclusive:', await attempt(och.queue_delete(f'{P}.excl')))
    och = await conn2.channel()
    out('other connection new channel after errors ok', (await och.declare_queue(f'{P}.q1', passive=True, timeout=T)).name)
    await conn2.close()
    ech = await pconn.channel()
    out('new channel after errors ok', (await ech.declare_queue(f'{P}.q1', passive=True, timeout=T)).name)

    # --- consumer cancel notification ----------------------------------------
    # aiormq drops the consumer on basic.cancel from the server (aio-pika has
    # no callback for it): watch its consumer table.
    cq = await ech.declare_queue(f'{P}.cancel', auto_delete=False, timeout=T)
    ctag = await cq.consume(lambda m: None, consumer_tag='compat-cancel-tag', timeout=T)
    out('consumer registered', ctag, ctag in ech.channel.consumers)
    delch = await pconn.channel()
    await delch.queue_delete(f'{P}.cancel', timeout=T)
    gone = await wait_until(lambda: ctag not in ech.channel.consumers)
    out('consumer cancel notified (consumer dropped by client)', gone)
    out('channel usable after cancel', (await ech.declare_queue(f'{P}.q1', passive=True, timeout=T)).name)
    await pconn.close()
    out('plain connection closed', pconn.is_closed)

    # --- cleanup and close -------------------------------------------------------
    await cleanup(conn)
    await conn.close()
    out('robust connection closed', conn.is_closed)


if __name__ == '__main__':
    signal.signal(signal.SIGALRM, watchdog)
    signal.alarm(50)
    asyncio.run(main())
    out('end')

#!/usr/bin/python3
"""AMQP 0-9-1 compatibility smoke test with pika (Debian python3-pika, 1.2).

Usage: pika_smoke.py HOST PORT

Uses pika's BlockingConnection for most checks (the way most applications
use pika) and its asynchronous SelectConnection for one publish/consume
round trip with publisher confirms. pika 1.2 cannot encode a float header
value (it raises UnsupportedAMQPFieldException); the script shows that, then
teaches pika's table encoder the AMQP double ('d') so that floats still make
the round trip through the broker. pika 1.2's decoder has quirks that show
in the output as they are (they come from the client, so RabbitMQ and Warren
get the same): 'd'/'f' (double/float) decode truncated to pika's `long`, and
'l' (the 64-bit signed int pika itself encodes) decodes as unsigned.

Prints deterministic lines describing what the broker did; the output is
compared against a golden file recorded against RabbitMQ
(see scripts/compat.sh).
"""
import datetime
import decimal
import logging
import signal
import struct
import sys
import time

import pika
import pika.data

from compatlib import fmt, out, watchdog
import pika.exceptions as pexc
from pika import spec

HOST, PORT = sys.argv[1], int(sys.argv[2])
P = 'compat.pika'
CAPS = ['publisher_confirms', 'basic.nack', 'consumer_cancel_notify',
        'exchange_exchange_bindings', 'connection.blocked',
        'authentication_failure_close', 'per_consumer_qos', 'direct_reply_to']
# RabbitMQ 3.13 added these dead-lettering headers; the goldens come from
# 3.10, which has no such headers, so the comparison leaves them out.
NEWER_HEADERS = ('x-last-death-exchange', 'x-last-death-queue', 'x-last-death-reason')
TS = 1577934245  # 2020-01-02T03:04:05Z
T = 5  # seconds: the bound of every single wait below

# pika logs returned/nacked messages and broker channel closes as warnings
# (to stderr, which the comparison captures); what matters is printed here.
logging.getLogger('pika').addHandler(logging.NullHandler())
logging.getLogger('pika').propagate = False


PROPS = ['app_id', 'cluster_id', 'content_encoding', 'content_type', 'correlation_id',
         'delivery_mode', 'expiration', 'message_id', 'priority', 'reply_to',
         'timestamp', 'type', 'user_id']


def show(label, method, props, body):
    out(f'{label} body={body!r}')
    out(f'{label} delivery exchange={method.exchange!r} routing_key={method.routing_key!r} '
        f'redelivered={method.redelivered!r}')
    for k in PROPS:
        out(f'{label} prop {k}={fmt(getattr(props, k))}')
    for k in sorted(props.headers or {}):
        out(f'{label} header {k}={fmt(props.headers[k])}')


def params(heartbeat=0):
    return pika.ConnectionParameters(
        host=HOST, port=PORT, virtual_host='/',
        credentials=pika.PlainCredentials('guest', 'guest'),
        heartbeat=heartbeat, connection_attempts=1, socket_timeout=T,
        stack_timeout=T, blocked_connection_timeout=T)


def connect(heartbeat=0):
    return pika.BlockingConnection(params(heartbeat))


def pump(conn, cond, limit=T):
    """Processes events until cond() holds (at most `limit` seconds)."""
    end = time.monotonic() + limit
    while not cond():
        rem = end - time.monotonic()
        if rem <= 0:
            break
        conn.process_data_events(time_limit=min(rem, 0.2))
    return cond()


def settle(conn, secs):
    """Processes events for `secs` seconds (to see whether more arrive)."""
    end = time.monotonic() + secs
    while True:
        rem = end - time.monotonic()
        if rem <= 0:
            return
        conn.process_data_events(time_limit=rem)


def err(e):
    """code=N for a broker close (with the text for 404: 406 texts differ
    between brokers and versions)."""
    if isinstance(e, (pexc.ChannelClosedByBroker, pexc.ConnectionClosedByBroker)):
        kind = 'channel' if isinstance(e, pexc.ChannelClosedByBroker) else 'connection'
        return (f'{kind} closed code={e.reply_code}' +
                (f' text={e.reply_text}' if e.reply_code == 404 else ''))
    return f'exception {type(e).__name__}'


def attempt(fn):
    try:
        r = fn()
        return 'no error' + ('' if r is None else f' {r}')
    except (pexc.AMQPError, pexc.ChannelClosedByBroker) as e:
        return err(e)


class Collector:
    """on_message_callback for basic_consume; keeps (method, props, body)."""

    def __init__(self):
        self.got = []

    def __call__(self, ch, method, props, body):
        self.got.append((method, props, body))

    def take(self, conn, want, quiet):
        pump(conn, lambda: len(self.got) >= want)
        settle(conn, quiet)
        r, self.got = self.got, []
        return r


def pairs(ms):
    return '[' + ', '.join(f'({b.decode()} {m.redelivered})' for m, _, b in ms) + ']'


def bodies(ch, q):
    r = []
    for _ in range(100):
        m, _, b = ch.basic_get(q, auto_ack=True)
        if m is None:
            break
        r.append(b.decode())
    return '[' + ', '.join(r) + ']'


def poll_get(ch, q, limit=3.0):
    end = time.monotonic() + limit
    while True:
        m, p, b = ch.basic_get(q, auto_ack=True)
        if m is not None or time.monotonic() > end:
            return m, p, b
        time.sleep(0.05)


def count(ch, q):
    return ch.queue_declare(q, passive=True).method.message_count


QUEUES = ['q1', 'q2', 'q3', 'args', 'counts', 'rp', 'qos', 'recover', 'tx', 'prio',
          'gen', 'rpc', 'dlsrc', 'dlttl', 'dlq', 'excl', 'cancel', 'async']
EXCHANGES = ['direct', 'fanout', 'topic', 'headers', 'e2e', 'dlx']


def cleanup(conn):
    ch = conn.channel()
    for q in QUEUES:
        ch.queue_delete(f'{P}.{q}')
    for x in EXCHANGES:
        ch.exchange_delete(f'{P}.{x}')
    ch.close()


def install_float_encoder():
    """pika 1.2's encode_value has no float case; add AMQP double ('d')."""
    orig = pika.data.encode_value

    def encode_value(pieces, value):
        if isinstance(value, float):
            pieces.append(struct.pack('>cd', b'd', value))
            return 9
        return orig(pieces, value)
    pika.data.encode_value = encode_value  # encode_table and lists look it up here


def mixed_headers():
    return {
        'str': 'hello', 'empty': '', 'utf8': 'h\u00e9llo \u2713',
        'int': 42, 'negint': -7, 'int32': 70000, 'long': 2 ** 40, 'neglong': -(2 ** 40),
        'bool': True, 'false': False, 'float': 1.5, 'negfloat': -0.25,
        'decimal': decimal.Decimal('1.23'), 'negdecimal': decimal.Decimal('-4.5'),
        'timestamp': datetime.datetime(2021, 3, 4, 5, 6, 7),
        'bytes': b'\x01\x02raw', 'void': None,
        'nested': {'a': 1, 'b': 'x', 'deeper': {'c': False, 'list': [1, 2]}},
        'array': [1, 'two', True, 2.5, decimal.Decimal('0.5'), {'k': 'v'}, None,
                  datetime.datetime(2021, 3, 4, 5, 6, 7), [b'in', 'nested']],
    }


def main():
    # --- connection ---------------------------------------------------------
    conn = connect(heartbeat=10)
    impl = conn._impl  # the negotiated values live on the underlying connection
    out('connect ok', type(conn).__name__, 'mechanism', impl.params.credentials.TYPE)
    out('heartbeat negotiated', impl.params.heartbeat)
    out('tune channel_max', impl.params.channel_max, 'frame_max', impl.params.frame_max)
    sp = impl.server_properties
    for k in ['capabilities', 'product', 'version', 'platform']:
        out(f'server property {k} present={k in sp}')
    caps = impl.server_capabilities or {}
    for c in CAPS:
        out(f'capability {c}={caps.get(c) is True}')
    out('pika supported: publisher_confirms', conn.publisher_confirms_supported,
        'basic_nack', conn.basic_nack_supported,
        'consumer_cancel_notify', conn.consumer_cancel_notify_supported,
        'exchange_exchange_bindings', conn.exchange_exchange_bindings_supported)
    blocked = []
    conn.add_on_connection_blocked_callback(lambda c, m: blocked.append(('blocked', m.method.reason)))
    conn.add_on_connection_unblocked_callback(lambda c, m: blocked.append(('unblocked',)))
    out('blocked/unblocked callbacks registered')
    cleanup(conn)

    ch = conn.channel()
    out('channel open', type(ch).__name__, ch.is_open, 'number>0', ch.channel_number > 0)
    pub = conn.channel()
    pub.confirm_delivery()
    out('confirm_delivery ok')

    def pubc(rk, body, exchange='', props=None, mandatory=False):
        pub.basic_publish(exchange, rk, body, properties=props, mandatory=mandatory)

    # --- topology -------------------------------------------------------------
    for t in ['direct', 'fanout', 'topic', 'headers']:
        r = ch.exchange_declare(f'{P}.{t}', t, durable=False, auto_delete=False)
        out(f'exchange.declare {t} ok', type(r.method).__name__)
    ch.exchange_declare(f'{P}.e2e', 'fanout', auto_delete=False)
    r = ch.exchange_bind(f'{P}.e2e', f'{P}.topic', 'e2e.#')
    out('exchange.bind ok', type(r.method).__name__)
    d = ch.queue_declare(f'{P}.q1', durable=True, auto_delete=False).method
    out(f'queue.declare q1 durable name={d.queue} messages={d.message_count} consumers={d.consumer_count}')
    d = ch.queue_declare('', exclusive=True).method
    anon = d.queue
    out(f'queue.declare server-named prefix={anon[:8]} messages={d.message_count} consumers={d.consumer_count}')
    qargs = {'x-max-length': 10, 'x-message-ttl': 60000, 'x-dead-letter-exchange': f'{P}.dlx'}
    d = ch.queue_declare(f'{P}.args', auto_delete=False, arguments=qargs).method
    out(f'queue.declare with x-max-length/x-message-ttl/x-dead-letter-exchange name={d.queue} '
        f'messages={d.message_count}')
    d = ch.queue_declare(f'{P}.args', auto_delete=False, arguments=qargs).method
    out('queue.declare same args again ok', d.queue)
    d = ch.queue_declare(f'{P}.prio', auto_delete=False, arguments={'x-max-priority': 5}).method
    out('queue.declare x-max-priority ok', d.queue)
    ch.queue_declare(f'{P}.q2', auto_delete=False)
    ch.queue_declare(f'{P}.q3', auto_delete=False)
    ch.queue_bind(f'{P}.q1', f'{P}.direct', 'k1')
    ch.queue_bind(anon, f'{P}.fanout', '')
    ch.queue_bind(anon, f'{P}.e2e', '')
    ch.queue_bind(f'{P}.q2', f'{P}.topic', 'a.*.c')
    ch.queue_bind(f'{P}.q3', f'{P}.headers', '', arguments={'x-match': 'all', 'h1': 'v1', 'h2': 2})
    out('bindings ok')

    # --- publish with every property and mixed headers, get and consume back --
    try:
        pika.data.encode_table([], {'float': 1.5})
        out('pika encodes float header: yes')
    except pexc.UnsupportedAMQPFieldException as e:
        out('pika encodes float header: no', type(e).__name__)
    install_float_encoder()
    props = pika.BasicProperties(
        content_type='application/json', content_encoding='utf-8', headers=mixed_headers(),
        delivery_mode=2, priority=5, correlation_id='corr-1', reply_to='reply.q',
        expiration='60000', message_id='msg-1', timestamp=TS, type='test.type',
        user_id='guest', app_id='compat', cluster_id='cluster-x')
    pubc('k1', b'{"n": 1}', exchange=f'{P}.direct', props=props)
    pubc('k1', b'{"n": 2}', exchange=f'{P}.direct', props=props)
    out('published 2 with confirms')
    m, p, b = ch.basic_get(f'{P}.q1', auto_ack=False)
    out('get-ok message_count', m.message_count, 'method', type(m).__name__)
    show('get', m, p, b)
    ch.basic_ack(m.delivery_tag)
    col = Collector()
    tag = ch.basic_consume(f'{P}.q1', col, auto_ack=False)
    for m, p, b in col.take(conn, 1, 0.3):
        show('consume', m, p, b)
        ch.basic_ack(m.delivery_tag)
    r = ch.basic_cancel(tag)
    out('basic.cancel ok', r)

    pubc('a.b.c', b'topic-match', exchange=f'{P}.topic')
    pubc('a.b.d', b'topic-miss', exchange=f'{P}.topic')
    pubc('e2e.x', b'e2e-via-topic', exchange=f'{P}.topic')
    pubc('ignored', b'fanout', exchange=f'{P}.fanout')
    for body, h in [(b'headers-match', {'h1': 'v1', 'h2': 2, 'h3': 'extra'}),
                    (b'headers-miss', {'h1': 'v1'}),
                    (b'headers-string-2', {'h1': 'v1', 'h2': '2'})]:
        pubc('', body, exchange=f'{P}.headers', props=pika.BasicProperties(headers=h))
    out('routed q2:', bodies(ch, f'{P}.q2'))
    out('routed q3:', bodies(ch, f'{P}.q3'))
    out('routed server-named:', bodies(ch, anon))
    r = ch.exchange_unbind(f'{P}.e2e', f'{P}.topic', 'e2e.#')
    pubc('e2e.x', b'after-unbind', exchange=f'{P}.topic')
    out('exchange.unbind ok', type(r.method).__name__, 'server-named:', bodies(ch, anon))

    # sender-selected distribution: CC is kept, BCC removed
    pubc(f'{P}.q1', b'cc-bcc', props=pika.BasicProperties(
        headers={'CC': [f'{P}.q2'], 'BCC': [f'{P}.q3'], 'h': 1}))
    for name in ['q1', 'q2', 'q3']:
        m, p, b = ch.basic_get(f'{P}.{name}', auto_ack=True)
        out(f'CC/BCC {name}:', f'{b.decode()} routing_key={m.routing_key} headers={fmt(p.headers)}'
            if m else 'nothing')

    # --- counts (the publishes wait for their confirms) ---------------------------
    q = f'{P}.counts'
    ch.queue_declare(q, auto_delete=False)
    m, p, b = ch.basic_get(q)
    out('get empty', m is None and p is None and b is None)
    for i in range(3):
        pubc(q, f'c{i}'.encode())
    out('declare-ok message_count', count(ch, q))
    m, p, b = ch.basic_get(q, auto_ack=True)
    out('get-ok message_count', m.message_count, 'body', b)
    out('purge count', ch.queue_purge(q).method.message_count)
    for i in range(4):
        pubc(q, f'd{i}'.encode())
    out('delete count', ch.queue_delete(q).method.message_count)

    # --- publisher confirms: unroutable mandatory, nack via reject-publish -------
    cch = conn.channel()
    cch.confirm_delivery()
    try:
        cch.basic_publish(f'{P}.direct', 'nowhere', b'unroutable',
                          properties=pika.BasicProperties(message_id='unr-1'), mandatory=True)
        out('mandatory unroutable: no error')
    except pexc.UnroutableError as e:
        out('mandatory unroutable:', type(e).__name__, 'returned', len(e.messages))
        for rm in e.messages:
            out(f'basic.return code={rm.method.reply_code} text={rm.method.reply_text} '
                f'exchange={rm.method.exchange} routing_key={rm.method.routing_key} '
                f'body={rm.body!r} message_id={rm.properties.message_id}')
    try:
        cch.basic_publish(f'{P}.direct', 'nowhere', b'unroutable-not-mandatory')
        out('non-mandatory unroutable: acked')
    except pexc.AMQPError as e:
        out('non-mandatory unroutable:', type(e).__name__)
    rp = f'{P}.rp'
    cch.queue_declare(rp, auto_delete=False, arguments={'x-max-length': 1, 'x-overflow': 'reject-publish'})
    for i in range(3):
        try:
            cch.basic_publish('', rp, f'rp{i}'.encode())
            out(f'reject-publish rp{i}: acked')
        except pexc.NackError as e:
            out(f'reject-publish rp{i}:', type(e).__name__, 'messages', len(e.messages))
    out('reject-publish queued', count(cch, rp), 'body', bodies(cch, rp))
    try:
        cch.basic_publish('', rp, b'rp-mandatory', mandatory=True)
        out('reject-publish after drain: acked')
    except pexc.AMQPError as e:
        out('reject-publish after drain:', type(e).__name__)
    out('confirm channel still open', cch.is_open)
    cch.close()

    # --- qos / ack / nack / reject / recover ----------------------------------------
    qch = conn.channel()
    q = f'{P}.qos'
    qch.queue_declare(q, auto_delete=False)
    for i in range(5):
        pubc(q, f'm{i}'.encode())
    qch.basic_qos(prefetch_count=2)
    qc = Collector()
    qtag = qch.basic_consume(q, qc, auto_ack=False)
    first = qc.take(conn, 2, 0.5)
    out('prefetch=2 unacked deliveries', pairs(first))
    qch.basic_nack(first[0][0].delivery_tag, multiple=False, requeue=True)
    after_nack = qc.take(conn, 1, 0.3)
    out('after nack requeue', pairs(after_nack))
    qch.basic_reject(first[1][0].delivery_tag, requeue=False)
    after_reject = qc.take(conn, 1, 0.3)
    out('after reject', pairs(after_reject))
    pending = after_nack + after_reject
    n = 0
    while pending and n < 20:
        n += 1
        m, _, b = pending.pop(0)
        out('ack', b.decode(), m.redelivered)
        qch.basic_ack(m.delivery_tag)
        pending += qc.take(conn, 0, 0.3)
    qch.basic_cancel(qtag)
    out('qos queue remaining', count(qch, q))

    r = f'{P}.recover'
    qch.queue_declare(r, auto_delete=False)
    pubc(r, b'rec')
    m, _, b = qch.basic_get(r, auto_ack=False)
    out('recover before', b, m.redelivered)
    qch.basic_recover(requeue=True)
    m, _, b = qch.basic_get(r, auto_ack=False)
    out('recover after', b, m and m.redelivered)
    if m:
        qch.basic_ack(m.delivery_tag)
    qch.close()

    # --- transactions -----------------------------------------------------------------
    q = f'{P}.tx'
    tch = conn.channel()
    tch.queue_declare(q, auto_delete=False)
    tch.tx_select()
    out('tx.select ok')
    tch.basic_publish('', q, b'rolled-back')
    tch.tx_rollback()
    out('tx.rollback ok; queued', count(tch, q))
    tch.basic_publish('', q, b'committed')
    out('before commit; queued', count(tch, q))
    tch.tx_commit()
    out('tx.commit ok; queued', count(tch, q))
    m, _, b = tch.basic_get(q, auto_ack=False)
    tch.basic_ack(m.delivery_tag)
    tch.tx_rollback()
    out('tx get', b, 'ack rolled back; queued', count(tch, q))
    tch.basic_ack(m.delivery_tag)
    tch.tx_commit()
    out('ack committed; queued', count(tch, q))
    tch.close()

    # prefetch=1 consumer on a transactional channel: the slot is freed by the
    # committed ack, not by the basic.ack itself.
    for i in range(3):
        pubc(q, f't{i}'.encode())
    tch = conn.channel()
    tch.basic_qos(prefetch_count=1)
    tch.tx_select()
    tc = Collector()
    ttag = tch.basic_consume(q, tc, auto_ack=False)
    got = tc.take(conn, 1, 0.5)
    out('tx prefetch=1: delivered', [b for _, _, b in got])
    tch.basic_ack(got[0][0].delivery_tag)
    more = tc.take(conn, 0, 0.5)
    out('tx prefetch=1: after basic.ack, before commit', [b for _, _, b in more])
    tch.tx_commit()
    more = tc.take(conn, 1, 0.5)
    out('tx prefetch=1: after tx.commit', [b for _, _, b in more])
    if more:
        tch.basic_ack(more[-1][0].delivery_tag)
    tch.tx_rollback()
    more2 = tc.take(conn, 0, 0.5)
    out('tx prefetch=1: after basic.ack + tx.rollback', [b for _, _, b in more2])
    tch.basic_cancel(ttag)
    tch.close()

    # --- priority queue ---------------------------------------------------------------
    q = f'{P}.prio'
    for pr in [1, 5, 3, 9, 0, 4]:
        pubc(q, f'p{pr}'.encode(), props=pika.BasicProperties(priority=pr))
    out('x-max-priority 5 order', bodies(ch, q))

    # --- consume() generator with inactivity_timeout ------------------------------------
    q = f'{P}.gen'
    gch = conn.channel()
    gch.queue_declare(q, auto_delete=False)
    for i in range(3):
        pubc(q, f'g{i}'.encode())
    seen, idle = [], 0
    for m, p, b in gch.consume(q, auto_ack=False, inactivity_timeout=0.5):
        if m is None:
            idle += 1
            break
        seen.append((b.decode(), m.redelivered))
        gch.basic_ack(m.delivery_tag)
        if len(seen) > 10:
            break
    out('consume() generator got', seen, 'then inactivity yields', idle)
    out('consume() cancel requeued', gch.cancel())
    out('generator queue remaining', count(gch, q))
    gch.close()

    # --- direct reply-to ------------------------------------------------------------------
    rch = conn.channel()
    rpcq = f'{P}.rpc'
    rch.queue_declare(rpcq, auto_delete=False)
    replies = Collector()
    rch.basic_consume('amq.rabbitmq.reply-to', replies, auto_ack=True)
    rch.basic_publish('', rpcq, b'request', properties=pika.BasicProperties(
        reply_to='amq.rabbitmq.reply-to', correlation_id='rpc-1'))
    server = conn.channel()
    m, p, b = poll_get(server, rpcq)
    rt = (p.reply_to or '') if m else ''
    out('direct reply-to: request reply_to prefix', rt[:22], 'longer', len(rt) > 22)
    server.basic_publish('', rt, b'response', properties=pika.BasicProperties(correlation_id='rpc-1'))
    for m, p, b in replies.take(conn, 1, 0.2):
        out('direct reply-to: reply', b, f'exchange={m.exchange!r}', 'routing_key prefix',
            m.routing_key[:22], 'correlation_id', p.correlation_id, 'redelivered', m.redelivered)
    server.close()
    rch.close()

    # --- dead-lettering ---------------------------------------------------------------------
    dch = conn.channel()
    dch.exchange_declare(f'{P}.dlx', 'fanout', auto_delete=False)
    dlq = f'{P}.dlq'
    dch.queue_declare(dlq, auto_delete=False)
    dch.queue_bind(dlq, f'{P}.dlx', '')
    src = f'{P}.dlsrc'
    dch.queue_declare(src, auto_delete=False, arguments={
        'x-dead-letter-exchange': f'{P}.dlx', 'x-dead-letter-routing-key': 'dlk'})

    def show_dl(label, got):
        m, p, b = got
        if m is None:
            out(f'{label}: nothing dead-lettered')
            return
        out(f'{label}: {b!r} exchange={m.exchange} routing_key={m.routing_key} '
            f'expiration={p.expiration!r}')
        for k in sorted(p.headers or {}):
            if k not in NEWER_HEADERS:
                out(f'  header {k}={fmt(p.headers[k], drop_time=True)}')
    pubc(src, b'rejected', props=pika.BasicProperties(headers={'orig': 1, 's': 'x'}))
    m, _, _ = dch.basic_get(src, auto_ack=False)
    dch.basic_reject(m.delivery_tag, requeue=False)
    show_dl('dead-lettered (rejected)', poll_get(dch, dlq))
    ttl = f'{P}.dlttl'
    dch.queue_declare(ttl, auto_delete=False, arguments={'x-dead-letter-exchange': f'{P}.dlx'})
    pubc(ttl, b'expired', props=pika.BasicProperties(expiration='50'))
    show_dl('dead-lettered (expired)', poll_get(dch, dlq))
    dch.close()

    # --- errors, each followed by a new channel that works ---------------------------------
    econn = connect()
    ech = econn.channel()
    out('passive declare missing:', attempt(lambda: ech.queue_declare(f'{P}.missing', passive=True)))
    out('channel closed after error', ech.is_closed)
    ech = econn.channel()
    out('  new channel ok', ech.queue_declare(f'{P}.q1', passive=True).method.queue)
    out('redeclare different args:', attempt(lambda: ech.queue_declare(
        f'{P}.args', auto_delete=False, arguments=dict(qargs, **{'x-max-length': 20}))))
    ech = econn.channel()
    out('  new channel ok', ech.queue_declare(f'{P}.q1', passive=True).method.queue)
    ech.confirm_delivery()
    out('publish to missing exchange (confirms):', attempt(
        lambda: ech.basic_publish(f'{P}.nosuchexchange', 'k', b'x')))
    ech = econn.channel()
    out('  new channel ok', ech.queue_declare(f'{P}.q1', passive=True).method.queue)
    ech.queue_declare(f'{P}.excl', exclusive=True)
    conn2 = connect()
    och = conn2.channel()
    out('other connection consume exclusive:', attempt(
        lambda: och.basic_consume(f'{P}.excl', lambda *a: None, auto_ack=True) and None))
    och = conn2.channel()
    out('other connection passive declare exclusive:', attempt(
        lambda: och.queue_declare(f'{P}.excl', passive=True) and None))
    och = conn2.channel()
    out('  other connection new channel ok', och.queue_declare(f'{P}.q1', passive=True).method.queue)
    conn2.close()
    ech = econn.channel()

    def ack_unknown():
        ech.basic_ack(99)
        ech.queue_declare(f'{P}.q1', passive=True)
        econn.process_data_events(time_limit=0.3)
    out('basic.ack unknown delivery tag:', attempt(ack_unknown))
    ech = econn.channel()
    out('  new channel ok', ech.queue_declare(f'{P}.q1', passive=True).method.queue)

    # --- consumer cancel notification (queue deleted) ---------------------------------------
    cq = f'{P}.cancel'
    ech.queue_declare(cq, auto_delete=False)
    cancelled = []
    ech.add_on_cancel_callback(lambda frame: cancelled.append(frame.method.consumer_tag))
    ctag = ech.basic_consume(cq, lambda *a: None, consumer_tag='compat-cancel-tag')
    out('consumer registered', ctag, ctag in ech.consumer_tags)
    delch = econn.channel()
    out('queue.delete of consumed queue message_count', delch.queue_delete(cq).method.message_count)
    pump(econn, lambda: cancelled)
    out('on_cancel_callback', cancelled, 'consumer_tags now', ech.consumer_tags)
    out('channel usable after cancel', ech.is_open, ech.queue_declare(f'{P}.q1', passive=True).method.queue)
    econn.close()
    out('error connection closed', econn.is_closed)

    # --- cleanup and close ----------------------------------------------------------------
    cleanup(conn)
    conn.process_data_events(time_limit=0)
    out('blocked/unblocked events seen', blocked)
    conn.close()
    out('blocking connection closed', conn.is_closed, conn.is_open)


def select_round_trip():
    """One asynchronous round trip with SelectConnection: confirm.select,
    queue.declare, basic.consume, N publishes (acked by the broker), N
    deliveries (acked by the client), basic.cancel, queue.delete, close."""
    N = 5
    q = f'{P}.async'
    st = {'acked': set(), 'nacked': set(), 'got': [], 'events': [], 'tag': None,
          'deleted': None, 'closed': None, 'error': None, 'done': False}
    log = st['events'].append

    def maybe_finish(ch):
        if st['done'] or len(st['got']) < N or len(st['acked']) + len(st['nacked']) < N:
            return
        st['done'] = True
        ch.basic_cancel(st['tag'], callback=lambda f: (
            log('basic.cancel-ok'),
            ch.queue_delete(q, callback=on_deleted)))

    def on_deleted(frame):
        st['deleted'] = frame.method.message_count
        log('queue.delete-ok')
        conn.close()

    def on_confirm(frame):
        mth = frame.method
        tags = range(1, mth.delivery_tag + 1) if mth.multiple else [mth.delivery_tag]
        (st['acked'] if isinstance(mth, spec.Basic.Ack) else st['nacked']).update(tags)
        maybe_finish(frame_ch[0])

    def on_message(ch, method, props, body):
        st['got'].append((body.decode(), props.message_id, method.redelivered))
        ch.basic_ack(method.delivery_tag)
        maybe_finish(ch)

    frame_ch = []

    def on_channel(ch):
        frame_ch.append(ch)
        log('channel open')
        ch.confirm_delivery(on_confirm, callback=lambda f: (
            log('confirm.select-ok'),
            ch.queue_declare(q, auto_delete=False, callback=on_declared)))

    def on_declared(frame):
        ch = frame_ch[0]
        log(f'queue.declare-ok messages={frame.method.message_count}')
        ch.basic_qos(prefetch_count=N, callback=lambda f: (
            log('basic.qos-ok'),
            setattr_tag(ch.basic_consume(q, on_message, auto_ack=False, callback=on_consume_ok))))

    def setattr_tag(tag):
        st['tag'] = tag

    def on_consume_ok(frame):
        ch = frame_ch[0]
        log('basic.consume-ok')
        for i in range(N):
            ch.basic_publish('', q, f'a{i}'.encode(),
                             properties=pika.BasicProperties(message_id=f'id-{i}', delivery_mode=2))

    def on_open(c):
        log('connection open')
        c.channel(on_open_callback=on_channel)

    def on_open_error(c, e):
        st['error'] = f'open error {type(e).__name__}'
        c.ioloop.stop()

    def on_closed(c, reason):
        st['closed'] = type(reason).__name__
        c.ioloop.stop()

    def give_up():
        st['error'] = 'timed out'
        if conn.is_open:
            conn.close()
        else:
            conn.ioloop.stop()

    conn = pika.SelectConnection(params(), on_open_callback=on_open,
                                 on_open_error_callback=on_open_error,
                                 on_close_callback=on_closed)
    timer = conn.ioloop.call_later(T * 2, give_up)
    conn.ioloop.start()
    conn.ioloop.remove_timeout(timer)
    out('select: events', st['events'])
    out('select: published', N, 'acked', sorted(st['acked']), 'nacked', sorted(st['nacked']))
    out('select: consumed', st['got'])
    out('select: queue.delete count', st['deleted'], 'closed', st['closed'], 'error', st['error'])


if __name__ == '__main__':
    signal.signal(signal.SIGALRM, watchdog)
    signal.alarm(50)
    main()
    select_round_trip()
    out('end')

#!/usr/bin/python3
"""AMQP 0-9-1 compatibility smoke test with kombu (Debian python3-kombu),
through its pyamqp transport.

Usage: kombu_smoke.py HOST PORT

Prints deterministic lines describing what the broker did; the output is
compared against a golden file recorded against RabbitMQ
(see scripts/compat.sh). Kombu exposes no tx.* or basic.nack API, so those
are left to the py-amqp script.
"""
import datetime
import socket
import sys
import time

import amqp.exceptions
from kombu import Connection, Consumer, Exchange, Producer, Queue

from compatlib import fmt, out

HOST, PORT = sys.argv[1], sys.argv[2]
P = 'compat.kombu'
URL = f'amqp://guest:guest@{HOST}:{PORT}//'
CAPS = ['publisher_confirms', 'basic.nack', 'consumer_cancel_notify',
        'exchange_exchange_bindings', 'connection.blocked',
        'authentication_failure_close', 'per_consumer_qos', 'direct_reply_to']


def show(label, m):
    out(f'{label} body={m.body!r} content_type={m.content_type!r} '
        f'content_encoding={m.content_encoding!r}')
    di = m.delivery_info
    out(f'{label} delivery exchange={di.get("exchange")!r} '
        f'routing_key={di.get("routing_key")!r} '
        f'redelivered={di.get("redelivered")!r}')
    props = dict(m.properties)
    props.pop('application_headers', None)
    for k in sorted(props):
        out(f'{label} prop {k}={fmt(props[k])}')
    for k in sorted(m.headers or {}):
        out(f'{label} header {k}={fmt(m.headers[k])}')


def drain(conn, quiet=0.5, limit=5.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            conn.drain_events(timeout=quiet)
        except socket.timeout:
            return


def drain_until(conn, cond, limit=5.0):
    end = time.monotonic() + limit
    while not cond() and time.monotonic() < end:
        try:
            conn.drain_events(timeout=0.2)
        except socket.timeout:
            pass
    return cond()


def code(e):
    return f'code={getattr(e, "code", None)}'


EXCHANGES = {t: Exchange(f'{P}.{t}', type=t, durable=False) for t in
             ['direct', 'fanout', 'topic', 'headers']}


def cleanup(conn):
    for q in ['q1', 'q2', 'q3', 'counts', 'qos', 'args', 'cancel', 'excl', 'conf']:
        ch = conn.channel()
        try:
            Queue(f'{P}.{q}', channel=ch).delete()
        except amqp.exceptions.AMQPError:
            pass
        ch.close()
    for x in EXCHANGES.values():
        ch = conn.channel()
        try:
            x.bind(ch).delete()
        except amqp.exceptions.AMQPError:
            pass
        ch.close()


def main():
    conn = Connection(URL, heartbeat=10, connect_timeout=10)
    conn.connect()
    out('connect ok', conn.connected)
    raw = conn.connection  # the underlying amqp.Connection
    out('heartbeat negotiated', conn.get_heartbeat_interval())
    sp = raw.server_properties
    for k in ['capabilities', 'product', 'version', 'platform']:
        out(f'server property {k} present={k in sp}')
    caps = sp.get('capabilities', {})
    for c in CAPS:
        out(f'capability {c}={caps.get(c) is True}')
    cleanup(conn)

    ch = conn.channel()
    for t, x in EXCHANGES.items():
        x.bind(ch).declare()
        out(f'exchange.declare {t} ok')
    q1 = Queue(f'{P}.q1', exchange=EXCHANGES['direct'], routing_key='k1',
               durable=True, auto_delete=False, channel=ch)
    name = q1.declare()
    out('queue.declare+bind q1', name)
    anon = Queue('', exchange=EXCHANGES['fanout'], exclusive=True, channel=ch)
    aname = anon.declare()
    out('server-named queue prefix', aname[:8])
    q2 = Queue(f'{P}.q2', exchange=EXCHANGES['topic'], routing_key='a.*.c',
               auto_delete=False, channel=ch)
    q2.declare()
    q3 = Queue(f'{P}.q3', exchange=EXCHANGES['headers'], auto_delete=False,
               binding_arguments={'x-match': 'any', 'h1': 'v1', 'h2': 2},
               channel=ch)
    q3.declare()
    out('bindings ok')

    producer = Producer(ch)
    headers = {
        'str': 'hello', 'int': 42, 'negint': -7, 'bigint': 2 ** 40,
        'bool': False, 'float': -0.25,
        'nested': {'a': 1, 'b': 'x', 'deeper': {'c': True}},
        'array': [1, 'two', True, {'k': 'v'}, [3]],
        'timestamp': datetime.datetime(2021, 3, 4, 5, 6, 7),
    }
    for n in (1, 2):
        producer.publish(f'body-{n}'.encode(), exchange=EXCHANGES['direct'],
                         routing_key='k1', serializer=None,
                         content_type='text/plain', content_encoding='binary',
                         headers=headers, delivery_mode=2, priority=3,
                         correlation_id='corr-1', reply_to='reply.q',
                         expiration=60, message_id=f'msg-{n}',
                         timestamp=1577934245, type='test.type',
                         user_id='guest', app_id='compat-kombu')
    m = q1.get(no_ack=False)
    out('get-ok message_count', m.delivery_info.get('message_count'))
    show('get', m)
    m.ack()

    got = []
    consumer = Consumer(ch, queues=[q1], callbacks=[lambda body, msg: got.append(msg)],
                        accept=None, no_ack=False)
    consumer.consume()
    drain_until(conn, lambda: got)
    for m in got:
        show('consume', m)
        m.ack()
    consumer.cancel()

    producer.publish(b'topic-match', exchange=EXCHANGES['topic'], routing_key='a.x.c', serializer=None)
    producer.publish(b'topic-miss', exchange=EXCHANGES['topic'], routing_key='a.x.y.c', serializer=None)
    producer.publish(b'fanout', exchange=EXCHANGES['fanout'], routing_key='x', serializer=None)
    producer.publish(b'headers-any', exchange=EXCHANGES['headers'], routing_key='', serializer=None, headers={'h2': 2})
    producer.publish(b'headers-miss', exchange=EXCHANGES['headers'], routing_key='', serializer=None, headers={'h2': 3})
    for q, label in [(q2, 'q2'), (q3, 'q3'), (anon, 'server-named')]:
        bodies = []
        while True:
            m = q.get(no_ack=True)
            if m is None:
                break
            bodies.append(m.body)
        out(f'routed {label}: {bodies!r}')

    # --- counts (publishes confirmed, so the counts are settled) -------
    cconn = Connection(URL, transport_options={'confirm_publish': True})
    cconn.connect()
    cprod = Producer(cconn.channel())
    qc = Queue(f'{P}.counts', auto_delete=False, channel=ch)
    qc.declare()
    out('get empty', qc.get() is None)
    for i in range(3):
        cprod.publish(f'c{i}'.encode(), routing_key=qc.name, serializer=None)
    out('declare-ok message_count', qc.queue_declare(passive=True).message_count)
    m = qc.get(no_ack=True)
    out('get-ok message_count', m.delivery_info['message_count'], 'body', m.body)
    out('purge count', qc.purge())
    for i in range(4):
        cprod.publish(f'd{i}'.encode(), routing_key=qc.name, serializer=None)
    out('delete count', qc.delete())

    # --- confirms (transport option confirm_publish) + mandatory -------
    qconf = Queue(f'{P}.conf', auto_delete=False, channel=ch)
    qconf.declare()
    ok = 0
    for i in range(10):
        cprod.publish(f'conf{i}'.encode(), routing_key=qconf.name, serializer=None, delivery_mode=2)
        ok += 1
    out('confirmed publishes', ok, 'queued', qconf.queue_declare(passive=True).message_count)
    returned = []
    rprod = Producer(cconn.channel(), on_return=lambda exc, exchange, rk, msg: returned.append(
        (exc.reply_code, exc.reply_text, exchange, rk, msg.body)))
    rprod.publish(b'unroutable', exchange=EXCHANGES['direct'], routing_key='nowhere',
                  mandatory=True, serializer=None)
    drain_until(cconn, lambda: returned)
    for r in returned:
        out('basic.return code=%d text=%s exchange=%s routing_key=%s body=%r' % r)
    cconn.release()

    # --- qos / requeue / reject ------------------------------------
    qch = conn.channel()
    qq = Queue(f'{P}.qos', auto_delete=False, channel=qch)
    qq.declare()
    qprod = Producer(qch)
    for i in range(4):
        qprod.publish(f'm{i}'.encode(), routing_key=qq.name, serializer=None)
    qq.queue_declare(passive=True)
    deliveries = []
    qc2 = Consumer(qch, queues=[qq], callbacks=[lambda body, msg: deliveries.append(msg)], accept=None)
    qc2.qos(prefetch_count=2)
    qc2.consume()
    drain(conn)
    out('prefetch=2 deliveries', [(m.body, m.delivery_info['redelivered']) for m in deliveries])
    first, second = deliveries[0], deliveries[1]
    deliveries.clear()
    first.requeue()
    drain(conn)
    out('after requeue', [(m.body, m.delivery_info['redelivered']) for m in deliveries])
    second.reject()
    drain(conn)
    out('after reject', [(m.body, m.delivery_info['redelivered']) for m in deliveries])
    n = 0
    while deliveries and n < 20:
        m = deliveries.pop(0)
        n += 1
        out('ack', m.body, m.delivery_info['redelivered'])
        m.ack()
        drain(conn, quiet=0.3)
    qc2.cancel()
    out('qos queue remaining', qq.queue_declare(passive=True).message_count)

    # --- errors ----------------------------------------------------
    ech = conn.channel()
    try:
        Queue(f'{P}.missing', channel=ech).queue_declare(passive=True)
        out('passive declare missing: no error')
    except amqp.exceptions.ChannelError as e:
        out(f'passive declare missing: {code(e)} text={e.reply_text}')
    ech = conn.channel()
    Queue(f'{P}.args', auto_delete=False, queue_arguments={'x-message-ttl': 1000}, channel=ech).declare()
    try:
        Queue(f'{P}.args', auto_delete=False, queue_arguments={'x-message-ttl': 2000}, channel=ech).declare()
        out('redeclare different args: no error')
    except amqp.exceptions.ChannelError as e:
        out(f'redeclare different args: {code(e)}')
    ech = conn.channel()
    Producer(ech).publish(b'x', exchange=f'{P}.nosuchexchange', routing_key='k', serializer=None)
    try:
        q1.bind(ech).queue_declare(passive=True)
        out('publish to missing exchange: no error')
    except amqp.exceptions.ChannelError as e:
        out(f'publish to missing exchange: {code(e)} text={e.reply_text}')
    ech = conn.channel()
    Queue(f'{P}.excl', exclusive=True, channel=ech).declare()
    other = Connection(URL)
    other.connect()
    try:
        Queue(f'{P}.excl', channel=other.channel()).queue_declare(passive=True)
        out('other connection passive declare exclusive: no error')
    except amqp.exceptions.ChannelError as e:
        out(f'other connection passive declare exclusive: {code(e)}')
    try:
        c = Consumer(other.channel(), queues=[Queue(f'{P}.excl')], callbacks=[lambda b, m: None])
        c.consume()
        out('other connection consume exclusive: no error')
    except amqp.exceptions.ChannelError as e:
        out(f'other connection consume exclusive: {code(e)}')
    out('other connection continues', Queue(f'{P}.q1', channel=other.channel()).queue_declare(passive=True).queue)
    other.release()
    ech = conn.channel()
    out('new channel after errors', q1.bind(ech).queue_declare(passive=True).queue)

    # --- consumer cancel notification ----------------------------------
    qx = Queue(f'{P}.cancel', auto_delete=False, channel=ech)
    qx.declare()
    cx = Consumer(ech, queues=[qx], callbacks=[lambda b, m: None], tag_prefix='compat-')
    cx.consume()
    dch = conn.channel()
    # The basic.cancel may arrive while queue.delete waits for its -ok.
    try:
        Queue(f'{P}.cancel', channel=dch).delete()
        drain(conn, quiet=0.5, limit=3)
        out('consumer cancel: nothing raised')
    except amqp.exceptions.ConsumerCancelled as e:
        out('consumer cancel: ConsumerCancelled raised by drain_events')

    cleanup(conn)
    conn.release()
    out('connection closed', conn.connected)


if __name__ == '__main__':
    main()

#!/usr/bin/python3
"""AMQP 0-9-1 compatibility smoke test with py-amqp (Debian python3-amqp).

Usage: pyamqp_smoke.py HOST PORT

Prints deterministic lines describing what the broker did; the output is
compared against a golden file recorded against RabbitMQ
(see scripts/compat.sh).
"""
import datetime
import decimal
import sys
import time

import amqp
import amqp.exceptions

from compatlib import fmt, out

HOST, PORT = sys.argv[1], sys.argv[2]
P = 'compat.pyamqp'
CAPS = ['publisher_confirms', 'basic.nack', 'consumer_cancel_notify',
        'exchange_exchange_bindings', 'connection.blocked',
        'authentication_failure_close', 'per_consumer_qos', 'direct_reply_to']


def connect(heartbeat=0):
    c = amqp.Connection(host=f'{HOST}:{PORT}', userid='guest',
                        password='guest', login_method='PLAIN',
                        heartbeat=heartbeat, connect_timeout=10,
                        read_timeout=10, write_timeout=10)
    c.connect()
    return c


def show_msg(label, m):
    out(f'{label} body={m.body!r}')
    di = m.delivery_info
    out(f'{label} delivery exchange={di.get("exchange")!r} '
        f'routing_key={di.get("routing_key")!r} '
        f'redelivered={di.get("redelivered")!r}')
    props = dict(m.properties)
    headers = props.pop('application_headers', None)
    for k in sorted(props):
        out(f'{label} prop {k}={fmt(props[k])}')
    if headers is not None:
        for k in sorted(headers):
            out(f'{label} header {k}={fmt(headers[k])}')


def drain(conn, quiet=0.5, limit=5.0):
    """Process incoming frames until nothing arrives for `quiet` seconds."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            conn.drain_events(timeout=quiet)
        except OSError:  # socket.timeout
            return


def drain_until(conn, cond, limit=5.0):
    end = time.monotonic() + limit
    while not cond() and time.monotonic() < end:
        try:
            conn.drain_events(timeout=0.2)
        except OSError:
            pass
    return cond()


def err(e):
    return f'code={getattr(e, "reply_code", None)}'


def cleanup(conn):
    ch = conn.channel()
    for q in ['q1', 'q2', 'q3', 'counts', 'qos', 'tx', 'args', 'cancel',
              'recover', 'excl']:
        try:
            ch.queue_delete(f'{P}.{q}')
        except amqp.exceptions.AMQPError:
            ch = conn.channel()
    for x in ['direct', 'fanout', 'topic', 'headers']:
        try:
            ch.exchange_delete(f'{P}.{x}')
        except amqp.exceptions.AMQPError:
            ch = conn.channel()
    ch.close()


def main():
    # --- connection ---------------------------------------------------
    conn = connect(heartbeat=10)
    out('connect ok')
    out('heartbeat negotiated', conn.heartbeat)
    out('tune channel_max', conn.channel_max, 'frame_max', conn.frame_max)
    sp = conn.server_properties
    for k in ['capabilities', 'product', 'version', 'platform']:
        out(f'server property {k} present={k in sp}')
    caps = sp.get('capabilities', {})
    for c in CAPS:
        out(f'capability {c}={caps.get(c) is True}')
    cleanup(conn)

    ch = conn.channel()
    out('channel open', ch.is_open)

    # --- topology -----------------------------------------------------
    for t in ['direct', 'fanout', 'topic', 'headers']:
        r = ch.exchange_declare(f'{P}.{t}', t, durable=False, auto_delete=False)
        out(f'exchange.declare {t} ok')
    name, mc, cc = ch.queue_declare(f'{P}.q1', durable=True, auto_delete=False)
    out(f'queue.declare q1 name={name} messages={mc} consumers={cc}')
    anon, mc, cc = ch.queue_declare('', exclusive=True)
    out(f'queue.declare server-named prefix={anon[:8]} messages={mc} consumers={cc}')
    ch.queue_declare(f'{P}.q2', auto_delete=False)
    ch.queue_declare(f'{P}.q3', auto_delete=False)
    ch.queue_bind(f'{P}.q1', f'{P}.direct', 'k1')
    ch.queue_bind(anon, f'{P}.fanout', '')
    ch.queue_bind(f'{P}.q2', f'{P}.topic', 'a.*.c')
    ch.queue_bind(f'{P}.q3', f'{P}.headers', '',
                  arguments={'x-match': 'all', 'h1': 'v1', 'h2': 2})
    out('bindings ok')

    headers = {
        'str': 'hello',
        'int': 42,
        'negint': -7,
        'bigint': 2 ** 40,
        'bool': True,
        'float': 1.5,
        'decimal': decimal.Decimal('1.23'),
        'nested': {'a': 1, 'b': 'x', 'deeper': {'c': False}},
        'array': [1, 'two', True, 2.5, {'k': 'v'}],
        'timestamp': datetime.datetime(2021, 3, 4, 5, 6, 7),
        'bytes': b'\x01\x02raw',
        'empty': '',
    }
    props = dict(content_type='application/json', content_encoding='utf-8',
                 application_headers=headers, delivery_mode=2, priority=5,
                 correlation_id='corr-1', reply_to='reply.q',
                 expiration='60000', message_id='msg-1',
                 timestamp=1577934245,
                 type='test.type', user_id='guest', app_id='compat',
                 cluster_id='cluster-x')
    ch.basic_publish(amqp.Message(b'{"n": 1}', **props), f'{P}.direct', 'k1')
    ch.basic_publish(amqp.Message(b'{"n": 2}', **props), f'{P}.direct', 'k1')
    m = ch.basic_get(f'{P}.q1', no_ack=False)
    out('get-ok message_count', m.delivery_info.get('message_count'))
    show_msg('get', m)
    ch.basic_ack(m.delivery_tag)

    got = []
    tag = ch.basic_consume(f'{P}.q1', no_ack=False, callback=got.append)
    drain_until(conn, lambda: got)
    for m in got:
        show_msg('consume', m)
        ch.basic_ack(m.delivery_tag)
    ch.basic_cancel(tag)

    ch.basic_publish(amqp.Message(b'topic-match'), f'{P}.topic', 'a.b.c')
    ch.basic_publish(amqp.Message(b'topic-miss'), f'{P}.topic', 'a.b.d')
    ch.basic_publish(amqp.Message(b'fanout'), f'{P}.fanout', 'ignored')
    ch.basic_publish(amqp.Message(b'headers-match', application_headers={'h1': 'v1', 'h2': 2, 'h3': 'extra'}), f'{P}.headers', '')
    ch.basic_publish(amqp.Message(b'headers-miss', application_headers={'h1': 'v1'}), f'{P}.headers', '')
    for q in [f'{P}.q2', f'{P}.q3', anon]:
        label = 'server-named' if q == anon else q
        bodies = []
        while True:
            m = ch.basic_get(q, no_ack=True)
            if m is None:
                break
            bodies.append(m.body)
        out(f'routed {label}: {bodies!r}')

    # --- counts -------------------------------------------------------
    # A queue.declare after basic.publish is no sync point in RabbitMQ
    # (the count can lag), so these publishes wait for their confirms.
    pub = conn.channel()
    q = f'{P}.counts'
    ch.queue_declare(q, auto_delete=False)
    out('get empty', ch.basic_get(q) is None)
    for i in range(3):
        pub.basic_publish_confirm(amqp.Message(f'c{i}'.encode()), '', q)
    _, mc, _ = ch.queue_declare(q, passive=True)
    out('declare-ok message_count', mc)
    m = ch.basic_get(q, no_ack=True)
    out('get-ok message_count', m.delivery_info['message_count'], 'body', m.body)
    out('purge count', ch.queue_purge(q))
    for i in range(4):
        pub.basic_publish_confirm(amqp.Message(f'd{i}'.encode()), '', q)
    out('delete count', ch.queue_delete(q))
    pub.close()

    # --- publisher confirms ------------------------------------------
    cch = conn.channel()
    cch.confirm_select()
    acks, nacks = set(), set()

    def on_ack(tag, multiple):
        if multiple:
            acks.update(t for t in range(1, tag + 1) if t not in acks)
        else:
            acks.add(tag)

    def on_nack(tag, multiple):
        nacks.add(tag)
    cch.events['basic_ack'].add(on_ack)
    cch.events['basic_nack'].add(on_nack)
    N = 20
    for i in range(N):
        cch.basic_publish(amqp.Message(f'conf{i}'.encode(), delivery_mode=2), '', f'{P}.q1')
    drain_until(conn, lambda: len(acks) + len(nacks) >= N)
    out(f'confirms published={N} acked={len(acks)} nacked={len(nacks)} max_tag={max(acks | nacks | {0})}')
    out('confirm queued', cch.queue_declare(f'{P}.q1', passive=True)[1])
    ch.queue_purge(f'{P}.q1')

    returns = []
    cch.events['basic_return'].add(
        lambda exc, exchange, rk, msg: returns.append((exc.reply_code, exc.reply_text, exchange, rk, msg.body)))
    acks.clear()
    cch.basic_publish(amqp.Message(b'unroutable'), f'{P}.direct', 'nowhere', mandatory=True)
    drain_until(conn, lambda: returns and acks)
    for r in returns:
        out('basic.return code=%d text=%s exchange=%s routing_key=%s body=%r' % r)
    out('unroutable confirm acked', sorted(acks))
    cch.close()

    # --- qos / ack / nack / reject / recover -------------------------
    q = f'{P}.qos'
    qch = conn.channel()
    qch.queue_declare(q, auto_delete=False)
    for i in range(5):
        qch.basic_publish(amqp.Message(f'm{i}'.encode()), '', q)
    qch.basic_qos(0, 2, False)
    deliveries = []
    ctag = qch.basic_consume(q, no_ack=False, callback=deliveries.append)
    drain(conn)
    out('prefetch=2 unacked deliveries', [(m.body, m.delivery_info['redelivered']) for m in deliveries])
    first, second = deliveries[0], deliveries[1]
    deliveries.clear()
    # py-amqp 5.1 has no basic_nack(); send basic.nack (60,120) directly.
    qch.send_method(amqp.spec.Basic.Nack, 'Lbb', (first.delivery_tag, False, True))
    drain(conn)
    out('after nack requeue', [(m.body, m.delivery_info['redelivered']) for m in deliveries])
    qch.basic_reject(second.delivery_tag, requeue=False)
    drain(conn)
    out('after reject', [(m.body, m.delivery_info['redelivered']) for m in deliveries])
    seen = 0
    while deliveries and seen < 20:
        m = deliveries.pop(0)
        seen += 1
        out('ack', m.body, m.delivery_info['redelivered'])
        qch.basic_ack(m.delivery_tag)
        drain(conn, quiet=0.3)
    qch.basic_cancel(ctag)
    out('qos queue remaining', qch.queue_declare(q, passive=True)[1])

    r = f'{P}.recover'
    qch.queue_declare(r, auto_delete=False)
    qch.basic_publish(amqp.Message(b'rec'), '', r)
    m = qch.basic_get(r, no_ack=False)
    out('recover before', m.body, m.delivery_info['redelivered'])
    qch.basic_recover(requeue=True)
    m = qch.basic_get(r, no_ack=False)
    out('recover after', m.body if m else None, m.delivery_info['redelivered'] if m else None)
    if m:
        qch.basic_ack(m.delivery_tag)
    qch.close()

    # --- transactions --------------------------------------------------
    q = f'{P}.tx'
    tch = conn.channel()
    tch.queue_declare(q, auto_delete=False)
    tch.tx_select()
    out('tx.select ok')
    tch.basic_publish(amqp.Message(b'rolled-back'), '', q)
    tch.tx_rollback()
    out('tx.rollback ok; queued', tch.queue_declare(q, passive=True)[1])
    tch.basic_publish(amqp.Message(b'committed'), '', q)
    out('before commit; queued', tch.queue_declare(q, passive=True)[1])
    tch.tx_commit()
    out('tx.commit ok; queued', tch.queue_declare(q, passive=True)[1])
    m = tch.basic_get(q, no_ack=False)
    tch.basic_ack(m.delivery_tag)
    out('tx get', m.body, 'before commit; queued', tch.queue_declare(q, passive=True)[1])
    tch.tx_rollback()
    out('ack rolled back; queued', tch.queue_declare(q, passive=True)[1])
    tch.close()

    # prefetch=1 consumer on a transactional channel: the slot is freed by
    # the committed ack, not by the basic.ack itself.
    pch = conn.channel()
    pch.confirm_select()
    for i in range(3):
        pch.basic_publish_confirm(amqp.Message(f't{i}'.encode()), '', q)
    tch = conn.channel()
    tch.basic_qos(0, 1, False)
    tch.tx_select()
    got = []
    ttag = tch.basic_consume(q, callback=got.append)
    drain(conn)
    out('tx prefetch=1: delivered', [m.body for m in got])
    tch.basic_ack(got[0].delivery_tag)
    drain(conn)
    out('tx prefetch=1: after basic.ack, before commit', [m.body for m in got])
    tch.tx_commit()
    drain(conn)
    out('tx prefetch=1: after tx.commit', [m.body for m in got])
    tch.basic_ack(got[-1].delivery_tag)
    tch.tx_rollback()
    drain(conn)
    out('tx prefetch=1: after basic.ack + tx.rollback', [m.body for m in got])
    tch.basic_cancel(ttag)
    tch.close()
    pch.close()

    # --- errors --------------------------------------------------------
    ech = conn.channel()
    try:
        ech.queue_declare(f'{P}.missing', passive=True)
        out('passive declare missing: no error')
    except amqp.exceptions.ChannelError as e:
        out(f'passive declare missing: {err(e)} text={e.reply_text}')
    ech = conn.channel()
    ech.queue_declare(f'{P}.args', auto_delete=False, arguments={'x-max-length': 10})
    try:
        ech.queue_declare(f'{P}.args', auto_delete=False, arguments={'x-max-length': 20})
        out('redeclare different args: no error')
    except amqp.exceptions.ChannelError as e:
        out(f'redeclare different args: {err(e)}')
    ech = conn.channel()
    ech.basic_publish(amqp.Message(b'x'), f'{P}.nosuchexchange', 'k')
    try:
        ech.queue_declare(f'{P}.q1', passive=True)
        drain(conn, quiet=0.3, limit=1)
        out('publish to missing exchange: no error')
    except amqp.exceptions.ChannelError as e:
        out(f'publish to missing exchange: {err(e)} text={e.reply_text}')
    ech = conn.channel()
    try:
        ech.exchange_declare(f'{P}.direct', 'fanout')
        out('redeclare exchange different type: no error')
    except amqp.exceptions.ChannelError as e:
        out(f'redeclare exchange different type: {err(e)}')
    ech = conn.channel()
    ech.queue_declare(f'{P}.excl', exclusive=True)
    other = connect()
    och = other.channel()
    try:
        och.queue_declare(f'{P}.excl', passive=True)
        out('other connection passive declare exclusive: no error')
    except amqp.exceptions.ChannelError as e:
        out(f'other connection passive declare exclusive: {err(e)}')
    och = other.channel()
    try:
        och.basic_consume(f'{P}.excl', callback=lambda m: None)
        out('other connection consume exclusive: no error')
    except amqp.exceptions.ChannelError as e:
        out(f'other connection consume exclusive: {err(e)}')
    och = other.channel()
    try:
        och.queue_delete(f'{P}.excl')
        out('other connection delete exclusive: no error')
    except amqp.exceptions.ChannelError as e:
        out(f'other connection delete exclusive: {err(e)}')
    och = other.channel()
    out('other connection new channel after errors ok', och.queue_declare(f'{P}.q1', passive=True)[0])
    other.close()
    ech = conn.channel()
    out('new channel after errors ok', ech.queue_declare(f'{P}.q1', passive=True)[0])

    # --- consumer cancel notification ---------------------------------
    q = f'{P}.cancel'
    ech.queue_declare(q, auto_delete=False)
    cancelled = []
    ech.basic_consume(q, consumer_tag='compat-cancel-tag', callback=lambda m: None,
                      on_cancel=cancelled.append)
    dch = conn.channel()
    dch.queue_delete(q)
    drain_until(conn, lambda: cancelled)
    out('consumer cancel notified', cancelled)
    out('channel still open after cancel', ech.is_open)

    # --- cleanup and close ----------------------------------------------
    cleanup(conn)
    conn.close()
    out('connection closed', conn.connected is False or conn.connected is None)


# --- further edge cases ------------------------------------------------------
def txt404(e):
    t = getattr(e, 'reply_text', '') or ''
    return f' text={t}' if getattr(e, 'reply_code', None) == 404 else ''


def probe(label, fn):
    """Runs fn(channel) on a fresh connection (a connection error ends it)."""
    pc = connect()
    ch = pc.channel()
    try:
        r = fn(ch)
        out(f'{label}: ok' + ('' if r is None else f' {r!r}'))
    except amqp.exceptions.ConnectionError as e:
        out(f'{label}: connection error code={e.reply_code}{txt404(e)}')
    except amqp.exceptions.ChannelError as e:
        out(f'{label}: channel error code={e.reply_code}{txt404(e)}')
    finally:
        try:
            pc.close()
        except Exception:
            pass


# RabbitMQ 3.13 added these dead-lettering headers and its current
# documentation lists them; Warren sets them (its own tests check their
# values). The goldens come from 3.10, which has no such headers, so the
# comparison leaves them out.
NEWER_HEADERS = ('x-last-death-exchange', 'x-last-death-queue', 'x-last-death-reason')


def show_dead_lettered(ch, dlq, reason):
    """Waits (bounded) for the next message in dlq and prints it and its
    headers, x-death without its timestamp."""
    d = None
    for _ in range(50):
        d = ch.basic_get(dlq, no_ack=True)
        if d:
            break
        time.sleep(0.05)
    out(f'dead-lettered ({reason}):', d and d.body, d and d.delivery_info['exchange'], d and d.delivery_info['routing_key'])
    for k in sorted(d.headers if d else {}):
        if k not in NEWER_HEADERS:
            out('  header', k, fmt(d.headers[k], drop_time=True))


def extras():
    X = f'{P}.x'
    QS = ['a', 'dlq', 'src', 'ttl', 'ml', 'prio', 'nack', 'ae', 'b', 'qt', 'g1', 'g2']
    XS = ['dlx', 'ae', 'withae']
    conn = connect()
    c0 = conn.channel()
    for q in QS:
        c0.queue_delete(f'{X}.{q}')
    for x in XS:
        c0.exchange_delete(f'{X}.{x}')
    c0.queue_declare(f'{X}.a', auto_delete=False)
    c0.confirm_select()

    def pubc(body, rk, exchange='', **kw):
        c0.basic_publish_confirm(amqp.Message(body, **kw), exchange, rk)

    probe('exchange.declare passive missing', lambda ch: ch.exchange_declare(f'{X}.nox', 'direct', passive=True))
    probe('queue.bind to missing exchange', lambda ch: ch.queue_bind(f'{X}.a', f'{X}.nox', 'k'))
    probe('queue.bind missing queue', lambda ch: ch.queue_bind(f'{X}.noq', 'amq.direct', 'k'))
    probe('queue.unbind missing binding', lambda ch: ch.queue_unbind(f'{X}.a', 'amq.direct', 'nokey'))
    probe('exchange.delete missing', lambda ch: ch.exchange_delete(f'{X}.nox'))
    probe('queue.delete missing', lambda ch: ch.queue_delete(f'{X}.noq'))
    pubc(b'x', f'{X}.a')
    probe('queue.delete if_empty non-empty', lambda ch: ch.queue_delete(f'{X}.a', if_empty=True))

    def if_unused(ch):
        ch.basic_consume(f'{X}.a', callback=lambda m: None)
        return ch.connection.channel().queue_delete(f'{X}.a', if_unused=True)
    probe('queue.delete if_unused with consumer', if_unused)
    probe('queue.declare amq. prefix', lambda ch: ch.queue_declare('amq.compat', auto_delete=False))
    probe('exchange.declare amq. prefix', lambda ch: ch.exchange_declare('amq.compat', 'direct'))
    probe('exchange.delete amq.direct', lambda ch: ch.exchange_delete('amq.direct'))
    probe('exchange.delete default', lambda ch: ch.exchange_delete(''))
    probe('queue.bind to default exchange', lambda ch: ch.queue_bind(f'{X}.a', '', 'k'))
    probe('exchange.declare unknown type', lambda ch: ch.exchange_declare(f'{X}.bad', 'nosuchtype'))
    probe('queue.declare x-queue-type bogus', lambda ch: ch.queue_declare(f'{X}.qt', auto_delete=False, arguments={'x-queue-type': 'bogus'})[0])
    probe('queue.declare x-max-length -1', lambda ch: ch.queue_declare(f'{X}.b', arguments={'x-max-length': -1}))
    probe('queue.declare x-message-ttl string', lambda ch: ch.queue_declare(f'{X}.b', arguments={'x-message-ttl': 'abc'}))
    probe('queue.declare x-overflow bogus', lambda ch: ch.queue_declare(f'{X}.b', arguments={'x-overflow': 'bogus'}))
    probe('queue.declare passive empty name on fresh channel', lambda ch: ch.queue_declare('', passive=True)[0])
    probe('queue.declare passive empty name after declare',
          lambda ch: (ch.queue_declare(f'{X}.a', passive=True), ch.queue_declare('', passive=True)[0])[1])

    def ack_unknown(ch):
        ch.basic_ack(99)
        ch.queue_declare(f'{X}.a', passive=True)
    probe('basic.ack unknown tag', ack_unknown)

    def double_ack(ch):
        m = ch.basic_get(f'{X}.a')
        ch.basic_ack(m.delivery_tag)
        ch.basic_ack(m.delivery_tag)
        ch.queue_declare(f'{X}.a', passive=True)
    pubc(b'y', f'{X}.a')
    probe('basic.ack twice', double_ack)
    probe('tx.commit without tx.select', lambda ch: ch.tx_commit())
    probe('tx.rollback without tx.select', lambda ch: ch.tx_rollback())
    probe('confirm.select on tx channel', lambda ch: (ch.tx_select(), ch.confirm_select()) and None)
    probe('tx.select on confirm channel', lambda ch: (ch.confirm_select(), ch.tx_select()) and None)
    probe('basic.recover requeue=false', lambda ch: (ch.basic_recover(requeue=False), ch.queue_declare(f'{X}.a', passive=True)) and None)
    probe('basic.cancel unknown tag', lambda ch: ch.basic_cancel('no-such-tag'))
    probe('basic.qos global', lambda ch: ch.basic_qos(0, 5, True))
    probe('basic.qos prefetch_size', lambda ch: ch.basic_qos(1000, 0, False))
    probe('channel.flow active=false', lambda ch: ch.flow(False))
    probe('basic.consume exclusive, then another consumer',
          lambda ch: (ch.basic_consume(f'{X}.a', exclusive=True, callback=lambda m: None),
                      ch.connection.channel().basic_consume(f'{X}.a', callback=lambda m: None)) and None)
    probe('basic.consume exclusive while a consumer exists',
          lambda ch: (ch.basic_consume(f'{X}.a', callback=lambda m: None),
                      ch.connection.channel().basic_consume(f'{X}.a', exclusive=True, callback=lambda m: None)) and None)

    def dup_tag(ch):
        ch.basic_consume(f'{X}.a', consumer_tag='dup', callback=lambda m: None)
        ch.basic_consume(f'{X}.a', consumer_tag='dup', callback=lambda m: None)
    probe('basic.consume duplicate consumer tag', dup_tag)
    probe('channel.open on an open channel',
          lambda ch: ch.send_method(amqp.spec.Channel.Open, 's', ('',), wait=amqp.spec.Channel.OpenOk))
    probe('access.request (removed in 0-9-1)',
          lambda ch: ch.send_method((30, 10), 'sbbbbb', ('/data', False, True, True, True, True), wait=(30, 11)))

    # dead-lettering: rejected, then expired by per-message TTL
    c0.exchange_declare(f'{X}.dlx', 'fanout', auto_delete=False)
    c0.queue_declare(f'{X}.dlq', auto_delete=False)
    c0.queue_bind(f'{X}.dlq', f'{X}.dlx')
    c0.queue_declare(f'{X}.src', auto_delete=False, arguments={
        'x-dead-letter-exchange': f'{X}.dlx', 'x-dead-letter-routing-key': 'dlk'})
    pubc(b'dead', f'{X}.src', application_headers={'orig': 1})
    m = c0.basic_get(f'{X}.src')
    c0.basic_reject(m.delivery_tag, requeue=False)
    show_dead_lettered(c0, f'{X}.dlq', 'rejected')
    c0.queue_declare(f'{X}.ttl', auto_delete=False, arguments={'x-dead-letter-exchange': f'{X}.dlx'})
    pubc(b'expire', f'{X}.ttl', expiration='50')
    show_dead_lettered(c0, f'{X}.dlq', 'expired')

    c0.queue_declare(f'{X}.ml', auto_delete=False, arguments={'x-max-length': 2})
    for i in range(3):
        pubc(f'ml{i}'.encode(), f'{X}.ml')
    out('x-max-length 2 drop-head keeps', [c0.basic_get(f'{X}.ml', no_ack=True).body for _ in range(2)])
    c0.queue_declare(f'{X}.prio', auto_delete=False, arguments={'x-max-priority': 5})
    for p in [1, 5, 3, 9, 0]:
        pubc(f'p{p}'.encode(), f'{X}.prio', priority=p)
    out('x-max-priority 5 order', [c0.basic_get(f'{X}.prio', no_ack=True).body for _ in range(5)])

    c0.queue_declare(f'{X}.nack', auto_delete=False)
    for i in range(3):
        pubc(f'n{i}'.encode(), f'{X}.nack')
    gch = conn.channel()
    ms = [gch.basic_get(f'{X}.nack') for _ in range(3)]
    out('get-ok message_count sequence', [m.delivery_info['message_count'] for m in ms])
    gch.send_method(amqp.spec.Basic.Nack, 'Lbb', (ms[2].delivery_tag, True, True))
    ms = [gch.basic_get(f'{X}.nack', no_ack=True) for _ in range(3)]
    out('after basic.nack multiple requeue',
        [(m.body, m.delivery_info['redelivered'], m.delivery_info['message_count']) for m in ms])

    c0.exchange_declare(f'{X}.ae', 'fanout', auto_delete=False)
    c0.queue_declare(f'{X}.ae', auto_delete=False)
    c0.queue_bind(f'{X}.ae', f'{X}.ae')
    c0.exchange_declare(f'{X}.withae', 'direct', auto_delete=False,
                        arguments={'alternate-exchange': f'{X}.ae'})
    ret = []
    c0.events['basic_return'].add(lambda *a: ret.append(a))
    pubc(b'to-ae', 'nokey', exchange=f'{X}.withae', mandatory=True)
    m = c0.basic_get(f'{X}.ae', no_ack=True)
    out('alternate-exchange:', m and m.body, m and m.delivery_info['exchange'], 'returned', len(ret))

    # direct reply-to
    c0.queue_purge(f'{X}.a')
    rch = conn.channel()
    replies = []
    rch.basic_consume('amq.rabbitmq.reply-to', no_ack=True, callback=replies.append)
    rch.confirm_select()
    rch.basic_publish_confirm(amqp.Message(b'req', reply_to='amq.rabbitmq.reply-to'), '', f'{X}.a')
    m = c0.basic_get(f'{X}.a', no_ack=True)
    rt = m.properties.get('reply_to', '') if m else ''
    out('direct reply-to: request reply_to prefix', rt[:22])
    c0.basic_publish(amqp.Message(b'resp'), '', rt)
    drain_until(conn, lambda: replies, limit=3)
    out('direct reply-to: reply', [(r.body, r.delivery_info['routing_key'][:22]) for r in replies])
    probe('direct reply-to: consume in ack mode',
          lambda ch: ch.basic_consume('amq.rabbitmq.reply-to', no_ack=False, callback=lambda m: None) and None)
    probe('direct reply-to: publish without consuming',
          lambda ch: (ch.basic_publish(amqp.Message(b'r', reply_to='amq.rabbitmq.reply-to'), '', f'{X}.a'),
                      ch.queue_declare(f'{X}.a', passive=True)) and None)

    # channel-wide (global) and per-consumer prefetch, two queues, one channel
    for g in ['g1', 'g2']:
        c0.queue_declare(f'{X}.{g}', auto_delete=False)
        for i in range(3):
            pubc(f'{g}-{i}'.encode(), f'{X}.{g}')
    for label, qos in [('global=2', [(2, True)]),
                       ('per-consumer=2 + global=3', [(2, False), (3, True)]),
                       ('per-consumer=1', [(1, False)])]:
        gch = conn.channel()
        for n, is_global in qos:
            gch.basic_qos(0, n, is_global)
        got = []
        gch.basic_consume(f'{X}.g1', callback=got.append)
        gch.basic_consume(f'{X}.g2', callback=got.append)
        drain(conn)
        out(f'basic.qos {label}: unacked deliveries', sorted(m.body for m in got))
        gch.close()  # requeues them

    # server heartbeats while idle (heartbeat=2)
    hc = connect(heartbeat=2)
    before = hc.bytes_recv
    end = time.monotonic() + 3.5
    while time.monotonic() < end:
        hc.heartbeat_tick()
        try:
            hc.drain_events(timeout=0.25)
        except OSError:
            pass
    out('heartbeat=2: negotiated', hc.heartbeat, 'server sent frames while idle', hc.bytes_recv > before)
    hc.close()

    for q in QS:
        c0.queue_delete(f'{X}.{q}')
    for x in XS:
        c0.exchange_delete(f'{X}.{x}')
    conn.close()


if __name__ == '__main__':
    main()
    extras()
    out('end')

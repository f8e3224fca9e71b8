#!/usr/bin/python3
"""Stream queues (x-queue-type=stream) with pika (Debian python3-pika, 1.2).

Usage: pika_stream_smoke.py HOST PORT

A stream is an append-only log read without removing anything: each
consumer starts where its x-stream-offset argument says and every delivery
carries its offset in an x-stream-offset header. Messages are published one
at a time, each confirmed before the next, so that RabbitMQ writes each in
a chunk of its own and the offsets and deliveries below do not depend on
how a broker groups messages. Prints deterministic lines; the output is
compared against a golden file recorded against RabbitMQ (see
scripts/compat.sh).
"""
import signal
import sys
import time

import pika
import pika.exceptions as pexc

from compatlib import fmt, out, watchdog

HOST, PORT = sys.argv[1], int(sys.argv[2])
Q = 'compat.pika.stream'
T = 5  # seconds: the bound of every single wait below


def connect():
    return pika.BlockingConnection(pika.ConnectionParameters(
        host=HOST, port=PORT, virtual_host='/',
        credentials=pika.PlainCredentials('guest', 'guest'),
        heartbeat=0, connection_attempts=1, socket_timeout=T, stack_timeout=T))


def closed(e):
    """The broker's close, with its code and text."""
    kind = 'channel' if isinstance(e, pexc.ChannelClosedByBroker) else 'connection'
    return f'{kind} closed code={e.reply_code} text={e.reply_text}'


def consume(conn, offset, n, qos=10):
    """Consumes from Q on a new channel with x-stream-offset=offset (none
    when None), acks, and prints the first n deliveries, then whether more
    came within half a second."""
    ch = conn.channel()
    ch.basic_qos(prefetch_count=qos)
    got = []
    args = None if offset is None else {'x-stream-offset': offset}
    tag = ch.basic_consume(Q, lambda c, m, p, b: got.append((m, p, b)), arguments=args)
    end = time.monotonic() + T
    while len(got) < n and time.monotonic() < end:
        conn.process_data_events(time_limit=0.2)
    for m, p, b in got[:n]:
        out(f'  {b.decode()} x-stream-offset={fmt(p.headers.get("x-stream-offset"))} redelivered={m.redelivered}')
        ch.basic_ack(m.delivery_tag)
    conn.process_data_events(time_limit=0.5)
    out(f'  {len(got)} delivered' + (' (more than expected)' if len(got) > n else ''))
    # Cancelled and closed while nothing is in flight: pika rejects
    # deliveries still buffered when it cancels, which a stream refuses
    # (540) and which would then depend on timing.
    ch.basic_cancel(tag)
    ch.close()


def publish(ch, first, last):
    for i in range(first, last):
        ch.basic_publish('', Q, f'm{i}'.encode(), mandatory=True)  # confirmed: raises on nack


def main():
    signal.signal(signal.SIGALRM, watchdog)
    signal.alarm(50)
    conn = connect()
    ch = conn.channel()
    ch.queue_delete(Q)
    try:
        ch.queue_declare(Q + '.transient', durable=False, arguments={'x-queue-type': 'stream'})
        out('non-durable stream: declared')
    except pexc.ChannelClosedByBroker as e:
        out('non-durable stream:', closed(e))
    ch = conn.channel()
    ok = ch.queue_declare(Q, durable=True, arguments={'x-queue-type': 'stream', 'x-max-age': '7D'})
    out('declare:', ok.method.queue)
    ch.confirm_delivery()
    publish(ch, 0, 5)
    out('published m0..m4, each confirmed')

    out('from "first":')
    consume(conn, 'first', 5)
    out('from offset 3:')
    consume(conn, 3, 2)
    out('again from "first" (nothing was taken away):')
    consume(conn, 'first', 5)
    out('from "next", then m5 published:')
    nch = conn.channel()
    nch.basic_qos(prefetch_count=10)
    got = []
    nch.basic_consume(Q, lambda c, m, p, b: got.append((m, p, b)), arguments={'x-stream-offset': 'next'})
    conn.process_data_events(time_limit=0.5)
    out(f'  before: {len(got)} delivered')
    publish(ch, 5, 6)
    end = time.monotonic() + T
    while not got and time.monotonic() < end:
        conn.process_data_events(time_limit=0.2)
    for m, p, b in got:
        out(f'  {b.decode()} x-stream-offset={fmt(p.headers.get("x-stream-offset"))}')
        nch.basic_ack(m.delivery_tag)
    nch.close()

    out('consume without basic.qos:')
    try:
        conn.channel().basic_consume(Q, lambda *a: None)
        conn.process_data_events(time_limit=0.5)
        out('  no error')
    except pexc.ChannelClosedByBroker as e:
        out(' ', closed(e))
    conn.close()

    out('basic.get:')
    conn = connect()
    try:
        conn.channel().basic_get(Q)
        out('  no error')
    except (pexc.ChannelClosedByBroker, pexc.ConnectionClosedByBroker) as e:
        out(' ', closed(e))
    conn = connect()
    conn.channel().queue_delete(Q)
    out('deleted')
    conn.close()


if __name__ == '__main__':
    main()

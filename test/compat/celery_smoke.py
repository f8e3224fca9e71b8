#!/usr/bin/python3
"""AMQP 0-9-1 compatibility smoke test with Celery (Debian python3-celery),
a real framework on top of kombu/py-amqp: a worker subprocess consuming
tasks, the rpc:// result backend (results sent back to a per-client reply
queue) and the pidbox remote-control mailbox (fanout broadcast + reply
queues with x-expires / x-message-ttl).

Usage: celery_smoke.py HOST PORT

Writes a small Celery app to a temporary module, starts
`python3 -m celery -A <module> worker --pool=solo` against the broker, runs
tasks (plain, failing, retried, countdown, group, chain) and remote-control
commands (ping, active_queues, broadcast, rate_limit), stops the worker
(SIGTERM, bounded wait, SIGKILL as a last resort), then reports the queues
and exchanges Celery declared (recorded by wrapping py-amqp's
queue_declare / exchange_declare / queue_bind in both processes) and what
the broker says about them, and deletes them. UUIDs and the host name are
replaced by placeholders. Prints deterministic lines; the output is compared
against a golden file recorded against RabbitMQ (see scripts/compat.sh).
"""
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time

HOST, PORT = sys.argv[1], sys.argv[2]
P = 'compat.celery'
MOD = 'compat_celery_app'
NODE = 'compat-celery-worker@compathost'
URL = f'amqp://guest:guest@{HOST}:{PORT}//'
T0 = time.monotonic()
DEADLINE = T0 + 45

# The app module, written to a temporary directory and imported by both
# this process and the worker. It records every non-passive queue/exchange
# declaration and queue binding made through py-amqp to a JSON-lines file
# (COMPAT_CELERY_LOG), tagged with the role of the process.
APP_SOURCE = textwrap.dedent('''
    import json
    import os

    import amqp.channel
    from celery import Celery

    RECORD = [True]
    ROLE = os.environ.get('COMPAT_CELERY_ROLE', 'client')
    LOG = os.environ['COMPAT_CELERY_LOG']


    def _record(kind, **fields):
        if RECORD[0]:
            with open(LOG, 'a') as f:
                f.write(json.dumps(dict(fields, kind=kind, role=ROLE), sort_keys=True) + '\\n')


    _qd = amqp.channel.Channel.queue_declare
    _xd = amqp.channel.Channel.exchange_declare
    _qb = amqp.channel.Channel.queue_bind


    def queue_declare(self, queue='', passive=False, durable=False, exclusive=False,
                      auto_delete=True, nowait=False, arguments=None, **kw):
        if not passive:
            _record('queue', name=queue, durable=durable, exclusive=exclusive,
                    auto_delete=auto_delete, arguments=arguments or {})
        return _qd(self, queue, passive, durable, exclusive, auto_delete, nowait, arguments, **kw)


    def exchange_declare(self, exchange, type, passive=False, durable=False,
                         auto_delete=True, nowait=False, arguments=None, **kw):
        if not passive:
            _record('exchange', name=exchange, type=type, durable=durable,
                    auto_delete=auto_delete, arguments=arguments or {})
        return _xd(self, exchange, type, passive, durable, auto_delete, nowait, arguments, **kw)


    def queue_bind(self, queue, exchange='', routing_key='', nowait=False, arguments=None, **kw):
        _record('bind', queue=queue, exchange=exchange, routing_key=routing_key,
                arguments=arguments or {})
        return _qb(self, queue, exchange, routing_key, nowait, arguments, **kw)


    amqp.channel.Channel.queue_declare = queue_declare
    amqp.channel.Channel.exchange_declare = exchange_declare
    amqp.channel.Channel.queue_bind = queue_bind

    app = Celery('compat_celery_app', broker=os.environ['COMPAT_CELERY_BROKER'], backend='rpc://')
    app.conf.update(
        task_default_queue='compat.celery',
        task_default_exchange='compat.celery',
        task_default_routing_key='compat.celery',
        control_exchange='compat.celery',
        event_exchange='compat.celeryev',
        result_exchange='compat.celeryresults',
        task_track_started=True,
        accept_content=['json'],
        task_serializer='json',
        result_serializer='json',
        broker_connection_timeout=10,
        broker_connection_max_retries=3,
        worker_hijack_root_logger=False,
    )


    @app.task
    def add(x, y):
        return x + y


    @app.task
    def fail(msg):
        raise ValueError(msg)


    @app.task(bind=True, max_retries=3)
    def flaky(self, x):
        if self.request.retries < 1:
            raise self.retry(exc=RuntimeError('first attempt fails'), countdown=0.3)
        return ['retried', self.request.retries, x]
''')

UUID_RE = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')
HOSTNAME = socket.gethostname()


def norm(s):
    s = UUID_RE.sub('<UUID>', str(s))
    if HOSTNAME and len(HOSTNAME) > 2:
        s = s.replace(HOSTNAME, '<HOSTNAME>')
    return s


def out(*args):
    print(*(norm(a) if isinstance(a, str) else a for a in args), flush=True)


def left():
    return max(1.0, DEADLINE - time.monotonic())


def fmt(v):
    if isinstance(v, dict):
        return '{' + ', '.join(f'{norm(k)!r}: {fmt(v[k])}' for k in sorted(v)) + '}'
    if isinstance(v, (list, tuple)):
        return '[' + ', '.join(fmt(x) for x in v) + ']'
    return norm(repr(v))


tmp = tempfile.mkdtemp(prefix='compat-celery-')
LOG = os.path.join(tmp, 'declared.jsonl')
WLOG = os.path.join(tmp, 'worker.log')
os.environ['COMPAT_CELERY_BROKER'] = URL
os.environ['COMPAT_CELERY_LOG'] = LOG
with open(os.path.join(tmp, MOD + '.py'), 'w') as f:
    f.write(APP_SOURCE)
sys.path.insert(0, tmp)

import amqp.exceptions  # noqa: E402
from celery import chain, group  # noqa: E402
from kombu import Connection, Exchange, Queue  # noqa: E402

appmod = __import__(MOD)
app = appmod.app

FIXED_QUEUES = [P, f'{NODE}.{P}.pidbox']
FIXED_EXCHANGES = [P, f'{P}.pidbox', f'reply.{P}.pidbox', f'{P}ev', f'{P}results']


def broker():
    c = Connection(URL, connect_timeout=10)
    c.connect()
    return c


def delete_queue(conn, name):
    ch = conn.channel()
    try:
        n = ch.queue_delete(name)
        ch.close()
        return f'deleted ({n} messages)'
    except amqp.exceptions.ChannelError as e:
        return f'error code={e.code}'


def delete_exchange(conn, name):
    ch = conn.channel()
    try:
        ch.exchange_delete(name)
        ch.close()
        return 'deleted'
    except amqp.exceptions.ChannelError as e:
        return f'error code={e.code}'


def passive(conn, name):
    """(message_count, consumer_count), or the error code."""
    ch = conn.channel()
    try:
        ok = ch.queue_declare(name, passive=True)
        ch.close()
        return ok.message_count, ok.consumer_count
    except amqp.exceptions.ChannelError as e:
        return e.code


def start_worker():
    env = dict(os.environ, COMPAT_CELERY_ROLE='worker',
               PYTHONPATH=tmp + os.pathsep + os.environ.get('PYTHONPATH', ''))
    log = open(WLOG, 'w')
    p = subprocess.Popen(
        [sys.executable, '-m', 'celery', '-A', MOD, 'worker', '--pool=solo',
         '--concurrency=1', '--without-gossip', '--without-mingle',
         '--loglevel=WARNING', '-n', NODE],
        cwd=tmp, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return p


def stop_worker(p):
    if p.poll() is not None:
        return f'already exited code={p.returncode}'
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=min(15, left()))
        return f'exit code={p.returncode}'
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=5)
        return 'did not stop within 15s of SIGTERM; killed'


def worker_log_tail():
    try:
        with open(WLOG) as f:
            lines = f.read().splitlines()[-15:]
    except OSError:
        return
    for line in lines:
        out('  worker log:', line)


def wait_ready(p):
    end = time.monotonic() + min(25, left())
    while time.monotonic() < end:
        if p.poll() is not None:
            return False
        try:
            if app.control.ping(timeout=0.5):
                return True
        except Exception:  # noqa: BLE001 - broker not answering yet
            time.sleep(0.3)
    return False


def get(res, label, timeout=10):
    states = []
    try:
        v = res.get(timeout=min(timeout, left()),
                    on_message=lambda m: states.append(m['status']))
        out(f'{label} result', fmt(v))
    except Exception as e:  # noqa: BLE001 - the failing task's exception
        out(f'{label} raised {type(e).__name__}: {e}')
    out(f'{label} state {res.state} messages {states}')


def run_tasks():
    add, fail, flaky = appmod.add, appmod.fail, appmod.flaky
    get(add.delay(2, 3), 'add(2, 3)')
    get(add.apply_async((40, 2)), 'add(40, 2) apply_async')
    get(fail.delay('boom'), 'fail(boom)')
    get(flaky.delay(7), 'flaky(7)')
    t = time.monotonic()
    r = add.apply_async((10, 20), countdown=1)
    get(r, 'add(10, 20) countdown=1')
    out('countdown honoured (>= 0.8 s)', time.monotonic() - t >= 0.8)
    t = time.monotonic()
    r = add.apply_async((1, 1), eta=datetime.datetime.now(datetime.timezone.utc)
                        + datetime.timedelta(seconds=1))
    get(r, 'add(1, 1) eta=now+1s')
    out('eta honoured (>= 0.8 s)', time.monotonic() - t >= 0.8)
    g = group(add.s(i, i) for i in range(4)).apply_async()
    try:
        out('group results', fmt(g.get(timeout=min(10, left()))))
    except Exception as e:  # noqa: BLE001
        out(f'group raised {type(e).__name__}: {e}')
    out('group successful', g.successful(), 'completed', g.completed_count())
    c = chain(add.s(1, 2), add.s(3), add.s(4)).apply_async()
    get(c, 'chain add(1,2)|add(3)|add(4)')


def run_control():
    insp = app.control.inspect(timeout=1.0)
    ping = insp.ping() or {}
    out('inspect ping replies', len(ping), 'values', fmt(sorted({json.dumps(v) for v in ping.values()})))
    aq = insp.active_queues() or {}
    out('inspect active_queues replies', len(aq))
    for node in sorted(aq):
        for q in sorted(aq[node], key=lambda q: q['name']):
            x = q.get('exchange') or {}
            out(f"  active queue {q['name']} exchange={x.get('name')}/{x.get('type')} "
                f"routing_key={q.get('routing_key')} durable={q.get('durable')} "
                f"auto_delete={q.get('auto_delete')} exclusive={q.get('exclusive')}")
    b = app.control.broadcast('ping', reply=True, timeout=1.0) or []
    out('broadcast ping replies', len(b), 'values',
        fmt(sorted({json.dumps(list(r.values())) for r in b})))
    rl = app.control.rate_limit(f'{MOD}.add', '1000/m', reply=True, timeout=1.0) or []
    out('rate_limit replies', len(rl), 'values',
        fmt(sorted({json.dumps(list(r.values())) for r in rl})))
    app.control.broadcast('ping', reply=False)
    out('broadcast without reply ok')


def declared():
    """The distinct declarations recorded in both processes."""
    seen = {}
    try:
        with open(LOG) as f:
            for line in f:
                d = json.loads(line)
                key = json.dumps({k: norm(v) if isinstance(v, str) else v for k, v in d.items()
                                  if k != 'role'}, sort_keys=True)
                seen.setdefault(key, [d, set()])[1].add(d['role'])
    except OSError:
        pass
    return sorted(seen.values(), key=lambda e: (e[0]['kind'], norm(e[0].get('name', e[0].get('queue'))),
                                                 norm(json.dumps(e[0], sort_keys=True))))


def report_declared(conn, phase):
    decls = declared()
    queues = {}
    for d, _ in decls:
        if d['kind'] == 'queue':
            queues.setdefault(d['name'], d)
    for name in sorted(queues, key=norm):
        st = passive(conn, name)
        if queues[name]['auto_delete'] and not isinstance(st, int) and st[1] == 0:
            # An auto-delete queue with no consumer left is going away:
            # give the broker a moment (bounded) to finish deleting it.
            end = time.monotonic() + 3
            while not isinstance(st, int) and time.monotonic() < end:
                time.sleep(0.2)
                st = passive(conn, name)
        if isinstance(st, int):
            out(f'{phase}: queue {name} passive declare: code={st}')
        else:
            out(f'{phase}: queue {name} passive declare: messages={st[0]} consumers={st[1]}')
    return decls, queues


def check_args(conn, queues):
    """Re-declare each live queue with the arguments Celery used (must be
    accepted) and with a different x-expires (must be refused: 406)."""
    for name in sorted(queues, key=norm):
        d = queues[name]
        if isinstance(passive(conn, name), int):
            continue
        ch = conn.channel()
        try:
            ch.queue_declare(name, durable=d['durable'], exclusive=d['exclusive'],
                             auto_delete=d['auto_delete'], arguments=d['arguments'])
            ch.close()
            out(f'redeclare {name} same arguments: ok')
        except amqp.exceptions.ChannelError as e:
            out(f'redeclare {name} same arguments: code={e.code}')
        args = dict(d['arguments'])
        args['x-expires'] = args.get('x-expires', 30000) + 1000
        ch = conn.channel()
        try:
            ch.queue_declare(name, durable=d['durable'], exclusive=d['exclusive'],
                             auto_delete=d['auto_delete'], arguments=args)
            ch.close()
            out(f'redeclare {name} different x-expires: ok')
        except amqp.exceptions.ChannelError as e:
            out(f'redeclare {name} different x-expires: code={e.code}')


def main():
    conn = broker()
    for q in FIXED_QUEUES:
        delete_queue(conn, q)
    for x in FIXED_EXCHANGES:
        delete_exchange(conn, x)
    if os.path.exists(LOG):
        os.unlink(LOG)

    worker = start_worker()
    try:
        ready = wait_ready(worker)
        out('worker ready', ready)
        if not ready:
            out('worker exit code', worker.poll())
            worker_log_tail()
            return 1
        run_tasks()
        run_control()
        appmod.RECORD[0] = False
        out('-- while the worker runs')
        decls, queues = report_declared(conn, 'running')
        check_args(conn, queues)
    finally:
        appmod.RECORD[0] = False
        out('worker stop:', stop_worker(worker))

    out('-- declarations (distinct, by kind and name; roles that made them)')
    decls = declared()
    for d, roles in decls:
        roles = '+'.join(sorted(roles))
        if d['kind'] == 'queue':
            out(f"declared queue {d['name']} durable={d['durable']} exclusive={d['exclusive']} "
                f"auto_delete={d['auto_delete']} arguments={fmt(d['arguments'])} by={roles}")
        elif d['kind'] == 'exchange':
            out(f"declared exchange {d['name']} type={d['type']} durable={d['durable']} "
                f"auto_delete={d['auto_delete']} arguments={fmt(d['arguments'])} by={roles}")
        else:
            out(f"declared binding {d['queue']} <- {d['exchange']} key={d['routing_key']} "
                f"arguments={fmt(d['arguments'])} by={roles}")
    out('-- after the worker stopped')
    _, queues = report_declared(conn, 'stopped')

    out('-- cleanup')
    for name in sorted(set(queues) | set(FIXED_QUEUES), key=norm):
        st = delete_queue(conn, name)
        out(f'cleanup queue {name}: {st}')
    xs = {d['name'] for d, _ in decls if d['kind'] == 'exchange' and d['name']}
    for name in sorted(xs | set(FIXED_EXCHANGES), key=norm):
        out(f'cleanup exchange {name}: {delete_exchange(conn, name)}')
    conn.release()
    out('done within 45 s', time.monotonic() - T0 < 45)
    return 0


if __name__ == '__main__':
    # A SIGTERM (e.g. from timeout) unwinds through main's finally, which
    # stops the worker.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rc = 1
    try:
        rc = main()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.stdout.flush()
    os._exit(rc)

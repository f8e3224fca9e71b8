"""Helpers shared by the Python scripts of the compatibility check.

Each script prints what its client decoded; these render values the same
way in every script, so that a golden recorded against RabbitMQ and the
output against Warren compare line by line.
"""
import datetime
import enum
import os


def out(*args):
    print(*args, flush=True)


def fmt(v, drop_time=False):
    """Deterministic rendering of a decoded value: dict keys sorted, the
    type of every leaf shown; with drop_time, dict entries named 'time'
    (x-death's wall-clock timestamp) are left out."""
    if isinstance(v, dict):
        return '{' + ', '.join(f'{k!r}: {fmt(v[k], drop_time)}' for k in sorted(v)
                               if not (drop_time and k == 'time')) + '}'
    if isinstance(v, (list, tuple)):
        return '[' + ', '.join(fmt(x, drop_time) for x in v) + ']'
    if isinstance(v, datetime.datetime):
        return 'datetime(' + v.strftime('%Y-%m-%dT%H:%M:%S') + (' tz' if v.tzinfo else '') + ')'
    if isinstance(v, enum.Enum):
        return f'{type(v).__name__}:{v.value!r}'
    return f'{type(v).__name__}:{v!r}'


def watchdog(*_):
    """SIGALRM handler: a script that hangs fails instead of waiting for
    compat.sh's timeout."""
    out('watchdog: gave up after 50s')
    os._exit(1)

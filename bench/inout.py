#!/usr/bin/env python3
"""Times each message through a broker from a loopback capture.

Usage: inout.py PORT CAPTURE   (CAPTURE: `tcpdump -tt -n -i lo tcp port PORT`)

The busiest connection into PORT is the publisher and the busiest one out
of it the consumer. Every packet whose length is a multiple of the
commonest packet length carries that many messages (a deliver packet may
carry two when the broker coalesced them). Message i's time in the broker
is from the packet that brought its publish in to the packet that took its
deliver out. Prints p50 p99 p99.9 max in microseconds, and the count.
"""
import re
import sys
from collections import Counter

LINE = re.compile(r'(\d+\.\d+) IP 127\.0\.0\.1\.(\d+) > 127\.0\.0\.1\.(\d+): .*length (\d+)')


def main():
    port, path = sys.argv[1], sys.argv[2]
    ins, outs = [], []
    with open(path) as f:
        for line in f:
            m = LINE.match(line)
            if not m or int(m.group(4)) == 0:
                continue
            t, sport, dport, n = float(m.group(1)), m.group(2), m.group(3), int(m.group(4))
            if dport == port:
                ins.append((t, sport, n))
            elif sport == port:
                outs.append((t, dport, n))
    if not ins or not outs:
        sys.exit("no traffic captured on port " + port)
    times = []
    for packets in (ins, outs):
        conn, unit = Counter((c, n) for _, c, n in packets).most_common(1)[0][0]
        times.append([t for t, c, n in packets if c == conn and n % unit == 0
                      for _ in range(n // unit)])
    lat = sorted(o - i for i, o in zip(times[0], times[1]))
    if not lat or lat[0] < 0:
        sys.exit("publishes and deliveries do not pair up")
    pct = lambda q: lat[min(len(lat) - 1, int(len(lat) * q))] * 1e6
    print("%.0f %.0f %.0f %.0f %d" % (pct(0.5), pct(0.99), pct(0.999), lat[-1] * 1e6, len(lat)))


if __name__ == "__main__":
    main()

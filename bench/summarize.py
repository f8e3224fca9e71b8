"""Summarize bench/compare.sh results: medians per scenario and broker,
and the Warren/RabbitMQ ratio, as a Markdown table."""
import json, os, platform, statistics, subprocess, sys, datetime

out, rounds, scenarios, rmq_version = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4]
names = {
    "a": "(a) 1→1, 16 B transient, auto-ack: msg/s",
    "b": "(b) 1→1, 1 KiB transient, auto-ack: msg/s",
    "c": "(c) 1→1, 1 KiB persistent, confirms 1000, multi-ack 100, qos 1000: msg/s",
    "d": "(d) fanout 1→10 queues, 64 B: deliveries/s",
    "e": "(e) 10→10 over 10 queues, 256 B: msg/s",
    "f": "(f) 1,000 msg/s fixed: latency p50 / p99 / p99.9 (ms)",
    "g": "(g) drain 200,000 persistent 256 B: msg/s",
    "h": "(h) 1,000 consumers on 1,000 queues, 1 producer: msg/s; broker RSS MiB",
    "i": "(i) queue churn (declare+delete, 4 in flight, no message flow): ops/s",
    "ic": "(i) connection churn (open+close, 4 in flight, no message flow): ops/s",
}

def load(s, b, r):
    p = os.path.join(out, f"{s}-{b}-{r}.json")
    try:
        d = json.load(open(p))
    except Exception:
        return None
    try:
        d["_rss"] = int(open(p + ".rss").read().strip() or 0)
    except Exception:
        d["_rss"] = 0
    return d

def metric(s, d):
    if d is None:
        return None
    if s == "f":
        l = d.get("consumer_latency", {})
        return (l.get("p50_us", 0) / 1000, l.get("p99_us", 0) / 1000, l.get("p999_us", 0) / 1000)
    if s in ("i", "ic"):
        ch = d.get("churn") or {}
        return ch.get("achieved_per_s")
    if s == "h":
        return (d.get("receive_rate", 0), d["_rss"] / 2**20)
    return d.get("receive_rate", 0)

def med(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    if isinstance(vals[0], tuple):
        return tuple(statistics.median(v[i] for v in vals) for i in range(len(vals[0])))
    return statistics.median(vals)

def fmt(v):
    if v is None:
        return "n/a"
    if isinstance(v, tuple):
        return " / ".join(f"{x:,.2f}" if x < 100 else f"{x:,.0f}" for x in v)
    return f"{v:,.0f}"

def ratio(s, w, r):
    if w is None or r is None:
        return "n/a"
    if isinstance(w, tuple):
        if s == "f":  # lower is better: RabbitMQ / Warren
            return " / ".join(f"{(b / a):.1f}×" if a else "n/a" for a, b in zip(w, r))
        if s == "h":  # the rate, and RSS (lower is better: Warren / RabbitMQ)
            rate = f"{w[0] / r[0]:.2f}×" if r[0] else "n/a"
            rss = f"{w[1] / r[1]:.2f}×" if r[1] else "n/a"
            return f"{rate} (RSS {rss})"
        w, r = w[0], r[0]
    return f"{w / r:.2f}×" if r else "n/a"

cpu = ""
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except Exception:
    pass
go = subprocess.run(["go", "version"], capture_output=True, text=True).stdout.strip()
print(f"Run {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC on {platform.node()}: {os.cpu_count()} cores ({cpu}), "
      f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB; {go}; RabbitMQ {rmq_version} (Debian package); "
      f"client: the same `warren perf` binary for both; {rounds} rounds alternating Warren/RabbitMQ, medians.\n")
print("| scenario | Warren | RabbitMQ | Warren / RabbitMQ |")
print("|---|---:|---:|---:|")
for s in scenarios:
    w = med([metric(s, load(s, "warren", r)) for r in range(1, rounds + 1)])
    r_ = med([metric(s, load(s, "rabbitmq", r)) for r in range(1, rounds + 1)])
    print(f"| {names.get(s, s)} | {fmt(w)} | {fmt(r_)} | {ratio(s, w, r_)} |")
print("\nLatency ratios are RabbitMQ / Warren (higher is better for Warren); all others Warren / RabbitMQ. "
      "Broker RSS is the peak sampled every 0.5 s while the scenario ran.")

def ceiling(size, suffix=""):
    try:
        line = open(os.path.join(out, f"ceiling-{size}{suffix}.txt")).read()
        return float(line.split(": ")[-1].split(" msg/s")[0])
    except Exception:
        return None

for s_, size in (("a", 16), ("b", 1024)):
    if s_ not in scenarios:
        continue
    w = med([metric(s_, load(s_, "warren", r)) for r in range(1, rounds + 1)])
    one, batch = ceiling(size), ceiling(size, "-batch")
    if w and one and batch:
        print(f"\nCeiling for ({s_}): a loopback relay of the same bytes moves {one:,.0f} msg/s with one write per message "
              f"and {batch:,.0f} msg/s with batched writes (as `warren perf` publishes); Warren reaches "
              f"{100 * w / one:.0f}% and {100 * w / batch:.0f}% of them.", end="")
print()

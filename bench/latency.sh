#!/usr/bin/env bash
# Where scenario (f)'s latency goes: the same 1,000 msg/s 1→1 run as
# bench/compare.sh, against Warren and RabbitMQ in alternation, with the
# loopback traffic captured, so each message is timed twice: end to end by
# `warren perf` (client wake-ups included) and inside the broker, from the
# packet that brought the publish in to the packet that took the deliver
# out (bench/inout.py). A do-nothing relay process (bench/wakefloor) is
# timed the same way: the machine's own cost of waking an idle process.
# Writes the table to docs/BENCHMARKS.md between the LATENCY markers.
#
#   bench/latency.sh               # 3 rounds of 10 s
#   ROUNDS=5 SECONDS_PER=15 bench/latency.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
SECONDS_PER=${SECONDS_PER:-10}
RMQ_PORT=${RMQ_PORT:-5673}
W_PORT=${W_PORT:-5680}
F_PORT=${F_PORT:-5699}
command -v tcpdump >/dev/null || { apt-get update -qq >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpdump >/dev/null; }
out=bench/results/latency-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
go build -o "$out/warren" ./cmd/warren
go build -o "$out/wakefloor" ./bench/wakefloor

rmq_url=$(scripts/rabbitmq.sh start "$RMQ_PORT")
wdata=$(mktemp -d)
"$out/warren" server --amqp-listen 127.0.0.1:$W_PORT --http-listen 127.0.0.1:0 --data-dir "$wdata" --log-level warn 2>"$out/warren.log" &
wpid=$!
trap 'kill $wpid 2>/dev/null; scripts/rabbitmq.sh stop "$RMQ_PORT"; rm -rf "$wdata"' EXIT
for _ in $(seq 1 50); do (echo >/dev/tcp/127.0.0.1/$W_PORT) 2>/dev/null && break; sleep 0.1; done

# capture PORT FILE CMD...: runs CMD with the loopback traffic of PORT
# captured into FILE.
capture() {
  local port=$1 file=$2; shift 2
  tcpdump -tt -n -i lo -B 16384 "tcp port $port" >"$file" 2>/dev/null &
  local tp=$!
  sleep 1 # tcpdump is listening
  "$@"
  sleep 0.5
  kill "$tp"; wait "$tp" 2>/dev/null || true
}

for r in $(seq 1 "$ROUNDS"); do
  for b in warren rabbitmq floor; do
    echo "round $r: $b"
    case $b in
      warren) capture $W_PORT "$out/$b-$r.cap" "$out/warren" perf --uri "amqp://guest:guest@127.0.0.1:$W_PORT/" -x 1 -y 1 -s 20 -r 1000 -a -z "$SECONDS_PER" --json >"$out/$b-$r.json" 2>/dev/null
              python3 bench/inout.py $W_PORT "$out/$b-$r.cap" >"$out/$b-$r.inout" ;;
      rabbitmq) capture $RMQ_PORT "$out/$b-$r.cap" "$out/warren" perf --uri "$rmq_url" -x 1 -y 1 -s 20 -r 1000 -a -z "$SECONDS_PER" --json >"$out/$b-$r.json" 2>/dev/null
              python3 bench/inout.py $RMQ_PORT "$out/$b-$r.cap" >"$out/$b-$r.inout" ;;
      floor) "$out/wakefloor" relay 127.0.0.1:$F_PORT & fp=$!
             capture $F_PORT "$out/$b-$r.cap" "$out/wakefloor" client 127.0.0.1:$F_PORT 1000 "$SECONDS_PER" >/dev/null
             wait $fp || true
             python3 bench/inout.py $F_PORT "$out/$b-$r.cap" >"$out/$b-$r.inout" ;;
    esac
    rm -f "$out/$b-$r.cap"
  done
done

rmq_version=$(dpkg-query -W -f='${Version}' rabbitmq-server 2>/dev/null || echo unknown)
python3 - "$out" "$ROUNDS" "$rmq_version" >"$out/table.md" <<'PY'
import json, statistics, sys, platform, subprocess, datetime
out, rounds, rmq = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def inout(b):
    rows = [list(map(float, open(f"{out}/{b}-{r}.inout").read().split()[:3])) for r in range(1, rounds + 1)]
    return [statistics.median(c) for c in zip(*rows)], rows
def e2e(b):
    rows = []
    for r in range(1, rounds + 1):
        l = json.load(open(f"{out}/{b}-{r}.json")).get("consumer_latency", {})
        rows.append([l.get("p50_us", 0), l.get("p99_us", 0), l.get("p999_us", 0)])
    return [statistics.median(c) for c in zip(*rows)], rows
fmt = lambda v: " / ".join("%.0f" % x for x in v)
go = subprocess.run(["go", "version"], capture_output=True, text=True).stdout.strip()
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
print(f"Run {now} on {platform.node()}: {go}; RabbitMQ {rmq}; {rounds} rounds, medians, microseconds (p50 / p99 / p99.9).\n")
print("| 1,000 msg/s, 1→1, 20 B | end to end (`warren perf`) | inside the process (capture) |")
print("|---|---:|---:|")
w, wr = e2e("warren"); r, rr = e2e("rabbitmq")
wi, wir = inout("warren"); ri, rir = inout("rabbitmq"); fi, fir = inout("floor")
print(f"| Warren | {fmt(w)} | {fmt(wi)} |")
print(f"| RabbitMQ | {fmt(r)} | {fmt(ri)} |")
print(f"| do-nothing relay process (`bench/wakefloor`) | — | {fmt(fi)} |")
ratio = lambda x, y: " / ".join("%.2f×" % (a / b) for a, b in zip(x, y))
print(f"| RabbitMQ / Warren | {ratio(r, w)} | {ratio(ri, wi)} |")
print("\nPer round (p99, µs): Warren end to end " + ", ".join("%.0f" % x[1] for x in wr) +
      "; RabbitMQ " + ", ".join("%.0f" % x[1] for x in rr) +
      "; inside Warren " + ", ".join("%.0f" % x[1] for x in wir) +
      ", RabbitMQ " + ", ".join("%.0f" % x[1] for x in rir) +
      ", relay " + ", ".join("%.0f" % x[1] for x in fir) + ".")
PY
cat "$out/table.md"
python3 bench/mdsection.py LATENCY "$out/table.md"
echo "docs/BENCHMARKS.md updated"

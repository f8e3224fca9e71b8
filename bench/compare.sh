#!/usr/bin/env bash
# Warren versus RabbitMQ on this machine, same client (warren perf), same
# scenarios, alternating A B A B. Writes the results table to
# docs/BENCHMARKS.md (between the COMPARE markers) and raw JSON under
# bench/results/ (not committed).
#
#   bench/compare.sh                 # all scenarios, 2 rounds, 15 s each
#   ROUNDS=3 SECONDS_PER=20 bench/compare.sh
#   SCENARIOS="a c f" bench/compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-2}
SECONDS_PER=${SECONDS_PER:-15}
SCENARIOS=${SCENARIOS:-"a b c d e f g h i ic"}
RMQ_PORT=${RMQ_PORT:-5673}
W_PORT=${W_PORT:-5680}
out=bench/results/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"

go build -o "$out/warren" ./cmd/warren
perf="$out/warren perf"

rmq_url=$(scripts/rabbitmq.sh start "$RMQ_PORT")
wdata=$(mktemp -d)
"$out/warren" server --amqp-listen 127.0.0.1:$W_PORT --http-listen 127.0.0.1:0 --data-dir "$wdata" --log-level warn 2>"$out/warren.log" &
wpid=$!
trap 'kill $wpid 2>/dev/null; scripts/rabbitmq.sh stop "$RMQ_PORT"; rm -rf "$wdata"' EXIT
w_url="amqp://guest:guest@127.0.0.1:$W_PORT/"
for _ in $(seq 1 50); do (echo >/dev/tcp/127.0.0.1/$W_PORT) 2>/dev/null && break; sleep 0.1; done
# Another process on the port would be measured in Warren's place.
ss -Hltnp "sport = :$W_PORT" | grep -q "pid=$wpid," || { echo "warren is not the one listening on $W_PORT (see $out/warren.log)" >&2; exit 1; }
# RabbitMQ's beam process: the one listening on its AMQP port.
rmq_pid() {
  local p
  p=$(ss -Hltnp "sport = :$RMQ_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
  [ -n "$p" ] || p=$(pgrep -f "beam.*warrenref$RMQ_PORT@" | head -1)
  echo "$p"
}

rss_of() { awk '/VmRSS/ {print $2*1024}' /proc/$1/status 2>/dev/null || echo 0; }

# scenario NAME -> perf arguments (without --uri/--json).
args_for() {
  local t=$SECONDS_PER
  case $1 in
    a) echo "-x 1 -y 1 -s 16 -a -z $t" ;;
    b) echo "-x 1 -y 1 -s 1024 -a -z $t" ;;
    c) echo "-x 1 -y 1 -s 1024 -f persistent -c 1000 -A 100 -q 1000 -z $t" ;;
    d) echo "--fanout 10 -s 64 -a -z $t" ;;
    e) echo "-x 10 -y 10 --queue-pattern perf-e-%d --queue-pattern-from 1 --queue-pattern-to 10 -s 256 -a -z $t" ;;
    f) echo "-x 1 -y 1 -s 20 -r 1000 -a -z $t" ;;
    h) echo "-x 1 -y 1000 --queue-pattern perf-h-%d --queue-pattern-from 1 --queue-pattern-to 1000 -s 64 -a -z $t" ;;
    # Churn alone (no message flow beside it), as fast as 4 workers go.
    i) echo "-x 0 -y 0 --churn queues --churn-rate 100000 -z $t" ;;
    ic) echo "-x 0 -y 0 --churn connections --churn-rate 100000 -z $t" ;;
  esac
}

# sample_rss PID FILE: writes the peak RSS of PID seen so far into FILE
# every 0.5 s, until FILE.stop exists (the broker's memory under load, not
# after the clients have gone).
sample_rss() {
  local peak=0 v
  while [ ! -e "$2.stop" ]; do
    v=$(rss_of "$1"); v=${v:-0}
    if [ "$v" -gt "$peak" ]; then peak=$v; echo "$peak" >"$2"; fi
    sleep 0.5
  done
}

run_one() { # broker url scenario round
  local b=$1 url=$2 s=$3 r=$4
  local f="$out/$s-$b-$r.json" pid=$wpid
  if [ "$b" = rabbitmq ]; then pid=$(rmq_pid); fi
  sample_rss "$pid" "$f.rss" &
  local sampler=$!
  if [ "$s" = g ]; then
    # Drain: fill a durable queue with 200,000 persistent 256-byte messages,
    # then time one consumer emptying it.
    $perf --uri "$url" -x 1 -y 0 -u perf-g-$r -ad false -s 256 -f persistent -c 1000 -C 200000 --json >"$out/$s-$b-$r-fill.json" 2>/dev/null || true
    $perf --uri "$url" -x 0 -y 1 -u perf-g-$r -ad false -p -q 1000 -A 100 -D 200000 --json >"$f" 2>/dev/null || true
  else
    $perf --uri "$url" $(args_for "$s") --json >"$f" 2>"$out/$s-$b-$r.err" || true
  fi
  touch "$f.rss.stop"; wait "$sampler" 2>/dev/null || true
}

for r in $(seq 1 "$ROUNDS"); do
  for s in $SCENARIOS; do
    echo "round $r scenario $s: warren"; run_one warren "$w_url" "$s" "$r"
    echo "round $r scenario $s: rabbitmq"; run_one rabbitmq "$rmq_url" "$s" "$r"
  done
done

# The ceiling for (a) and (b): the same bytes relayed between two loopback
# TCP connections with no broker logic (bench/ceiling).
# Both ways of writing: one write per message (as most AMQP clients
# publish) and batched (as warren perf's own client publishes).
for size in 16 1024; do
  go run ./bench/ceiling -size $size -seconds "$SECONDS_PER" > "$out/ceiling-$size.txt"
  go run ./bench/ceiling -size $size -seconds "$SECONDS_PER" -batch > "$out/ceiling-$size-batch.txt"
done

rmq_version=$(dpkg-query -W -f='${Version}' rabbitmq-server 2>/dev/null || echo unknown)
python3 bench/summarize.py "$out" "$ROUNDS" "$SCENARIOS" "$rmq_version" > "$out/table.md"
cat "$out/table.md"
python3 bench/mdsection.py COMPARE "$out/table.md"
echo "docs/BENCHMARKS.md updated"

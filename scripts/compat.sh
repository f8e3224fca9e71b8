#!/usr/bin/env bash
# Cross-language client compatibility check: runs the smoke scripts in
# test/compat/ (py-amqp, kombu, Bunny, php-amqplib, rabbitmq-c's amqp-tools,
# the RabbitMQ Java client, aio-pika (asyncio, with aiormq/pamqp) and pika
# (BlockingConnection and SelectConnection; and pika_stream_smoke, stream
# queues read from x-stream-offset), and Celery (a worker
# subprocess, the rpc:// result backend and remote control), all from
# Debian 12 packages,
# plus amqplib and @cloudamqp/amqp-client for Node.js from npm) against a Warren started here on free loopback ports, and
# compares each script's output with its golden file
# test/compat/golden/<script>.txt, recorded against RabbitMQ 3.10.
#
# Usage:
#   scripts/compat.sh [SCRIPT...]            check against Warren (all scripts,
#                                           or only the named ones, e.g. kombu_smoke
#                                           or JavaSmoke)
#   scripts/compat.sh --record HOST PORT [SCRIPT...]
#                                           re-record the goldens against the
#                                           broker at HOST:PORT (RabbitMQ only:
#                                           the goldens must come from it), e.g.
#                                           after `scripts/rabbitmq.sh start 5674`
#
# A script whose interpreter or client library is missing is skipped with
# "skip: <reason>". Exit status: 0 when every script that ran matched its
# golden, 1 otherwise (a unified diff is printed for each mismatch).
# The client packages: apt-get install python3-amqp python3-kombu ruby-bunny
# php-cli php-amqplib amqp-tools default-jdk-headless librabbitmq-client-java
# python3-aio-pika python3-pika python3-celery (make deps does that). amqplib and
# @cloudamqp/amqp-client are installed here with
# `npm ci --prefix test/compat/node` when test/compat/node/node_modules is
# missing or lacks one of them (test/compat/node/package-lock.json pins them).
set -uo pipefail
cd "$(dirname "$0")/.."
dir=test/compat
golden=$dir/golden

record=0
if [ "${1:-}" = --record ]; then
  [ $# -ge 3 ] || { echo "usage: $0 --record HOST PORT [SCRIPT...]" >&2; exit 2; }
  record=1 host=$2 port=$3
  shift 3
fi

all=(pyamqp_smoke kombu_smoke bunny_smoke phpamqplib_smoke amqptools_smoke JavaSmoke amqplib_smoke
  aiopika_smoke amqpclient_smoke pika_smoke pika_stream_smoke celery_smoke)
if [ $# -gt 0 ]; then names=("$@"); else names=("${all[@]}"); fi

# The Debian interpreters (the clients are Debian packages; a python3 from
# pyenv or similar earlier in PATH would not see them).
PY=/usr/bin/python3

# node_deps PACKAGE: installs test/compat/node's packages (as pinned by its
# package-lock.json) when node_modules is missing or lacks PACKAGE (one made
# before PACKAGE was added); prints "skip: reason" and fails when node or
# PACKAGE is not there.
node_deps() {
  command -v node >/dev/null || { echo "skip: node not installed"; return 1; }
  if [ ! -f $dir/node/node_modules/$1/package.json ]; then
    command -v npm >/dev/null || { echo "skip: npm not installed (needed for $1)"; return 1; }
    timeout 180 npm ci --prefix $dir/node --no-audit --no-fund >/dev/null 2>&1 ||
      { rm -rf $dir/node/node_modules; echo "skip: npm ci --prefix $dir/node failed"; return 1; }
  fi
  [ -f $dir/node/node_modules/$1/package.json ] ||
    { echo "skip: $1 missing from $dir/node/node_modules (rm -rf it to reinstall)"; return 1; }
}

# cmd_for NAME: prints the command that runs the script, or "skip: reason".
cmd_for() {
  case $1 in
  pyamqp_smoke)
    $PY -c 'import amqp' 2>/dev/null || { echo "skip: python3-amqp not installed"; return; }
    echo "$PY $dir/pyamqp_smoke.py" ;;
  kombu_smoke)
    $PY -c 'import kombu, amqp' 2>/dev/null || { echo "skip: python3-kombu not installed"; return; }
    echo "$PY $dir/kombu_smoke.py" ;;
  bunny_smoke)
    command -v ruby >/dev/null || { echo "skip: ruby not installed"; return; }
    ruby -e 'require "bunny"' 2>/dev/null || { echo "skip: ruby-bunny not installed"; return; }
    echo "ruby $dir/bunny_smoke.rb" ;;
  phpamqplib_smoke)
    command -v php >/dev/null || { echo "skip: php-cli not installed"; return; }
    [ -f /usr/share/php/PhpAmqpLib/autoload.php ] || { echo "skip: php-amqplib not installed"; return; }
    echo "php $dir/phpamqplib_smoke.php" ;;
  amqptools_smoke)
    for t in amqp-declare-queue amqp-publish amqp-consume amqp-get amqp-delete-queue; do
      command -v $t >/dev/null || { echo "skip: amqp-tools not installed ($t missing)"; return; }
    done
    echo "bash $dir/amqptools_smoke.sh" ;;
  JavaSmoke)
    # The JDK's single-file source launcher compiles and runs it (javac
    # must be there: a JRE alone cannot). The tiered/GC flags only cut
    # start-up CPU.
    command -v java >/dev/null || { echo "skip: java not installed (default-jdk-headless)"; return; }
    command -v javac >/dev/null || { echo "skip: javac not installed (default-jdk-headless)"; return; }
    local jars= j
    for j in amqp-client slf4j-api slf4j-nop; do
      [ -f /usr/share/java/$j.jar ] || { echo "skip: /usr/share/java/$j.jar missing (librabbitmq-client-java)"; return; }
      jars=${jars:+$jars:}/usr/share/java/$j.jar
    done
    echo "java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp $jars $dir/JavaSmoke.java" ;;
  amqplib_smoke)
    node_deps amqplib || return 0
    echo "node $dir/node/amqplib_smoke.js" ;;
  amqpclient_smoke)
    node_deps @cloudamqp/amqp-client || return 0
    echo "node $dir/node/amqpclient_smoke.js" ;;
  aiopika_smoke)
    $PY -c 'import aio_pika, aiormq' 2>/dev/null || { echo "skip: python3-aio-pika not installed"; return; }
    echo "$PY $dir/aiopika_smoke.py" ;;
  pika_smoke|pika_stream_smoke)
    $PY -c 'import pika' 2>/dev/null || { echo "skip: python3-pika not installed"; return; }
    echo "$PY $dir/$1.py" ;;
  celery_smoke)
    # Starts its own worker (python3 -m celery) as a subprocess.
    $PY -c 'import celery' 2>/dev/null || { echo "skip: python3-celery not installed"; return; }
    echo "$PY $dir/celery_smoke.py" ;;
  *) echo "skip: unknown script $1" ;;
  esac
}

# run_one CMD HOST PORT OUT: writes the script's stdout and stderr, then its
# exit status, to OUT. The client runs in the background so that a signal
# to this script is handled at once (the trap also stops the client).
cpid=
run_one() {
  local rc
  timeout 60 $1 "$2" "$3" >"$4" 2>&1 &
  cpid=$!
  wait $cpid
  rc=$?
  cpid=
  [ $rc -eq 124 ] && echo "[timed out after 60s]" >>"$4"
  echo "[exit $rc]" >>"$4"
}

start=$(date +%s)
if [ $record = 1 ]; then
  mkdir -p "$golden"
  for n in "${names[@]}"; do
    cmd=$(cmd_for "$n")
    case $cmd in skip:*) echo "$n: $cmd"; continue ;; esac
    run_one "$cmd" "$host" "$port" "$golden/$n.txt"
    echo "$n: recorded $golden/$n.txt ($(wc -l <"$golden/$n.txt") lines, $(tail -1 "$golden/$n.txt"))"
  done
  exit 0
fi

work=$(mktemp -d /tmp/warren-compat.XXXXXX)
pid=
cleanup() {
  if [ -n "$cpid" ]; then
    kill "$cpid" 2>/dev/null
    wait "$cpid" 2>/dev/null
  fi
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building warren"
go build -o "$work/warren" ./cmd/warren || { echo "build failed" >&2; exit 1; }
freeport() {
  $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
port=$(freeport)
http=$(freeport)
"$work/warren" server --amqp-listen "127.0.0.1:$port" --http-listen "127.0.0.1:$http" \
  --data-dir "$work/data" --log-level warn >"$work/warren.log" 2>&1 &
pid=$!
up=0
for _ in $(seq 1 100); do
  if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then up=1; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ $up = 0 ]; then
  echo "warren did not start:" >&2
  cat "$work/warren.log" >&2
  exit 1
fi
echo "warren on 127.0.0.1:$port"

fail=0 ran=0 skipped=0
for n in "${names[@]}"; do
  cmd=$(cmd_for "$n")
  case $cmd in skip:*) echo "$n: $cmd"; skipped=$((skipped + 1)); continue ;; esac
  ran=$((ran + 1))
  t0=$(date +%s)
  run_one "$cmd" 127.0.0.1 "$port" "$work/$n.out"
  t=$(( $(date +%s) - t0 ))
  if [ ! -f "$golden/$n.txt" ]; then
    echo "$n: FAIL (no golden $golden/$n.txt; record it with --record against RabbitMQ) [${t}s]"
    fail=$((fail + 1))
    continue
  fi
  if diff -u --label "$golden/$n.txt (RabbitMQ)" --label "$n (Warren)" "$golden/$n.txt" "$work/$n.out" >"$work/$n.diff"; then
    echo "$n: ok [${t}s]"
  else
    echo "$n: FAIL (output differs from golden) [${t}s]"
    cat "$work/$n.diff"
    fail=$((fail + 1))
  fi
done
died=0
if ! kill -0 "$pid" 2>/dev/null; then
  echo "warren exited during the run; its log:"
  tail -50 "$work/warren.log"
  died=1
fi
echo "compat: $((ran - fail)) passed, $fail failed, $skipped skipped in $(( $(date +%s) - start ))s"
[ $fail = 0 ] && [ $died = 0 ]

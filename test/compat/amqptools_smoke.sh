#!/usr/bin/env bash
# AMQP 0-9-1 compatibility smoke test with the rabbitmq-c command-line tools
# (Debian amqp-tools): amqp-declare-queue, amqp-publish, amqp-consume,
# amqp-get, amqp-delete-queue.
#
# Usage: amqptools_smoke.sh HOST PORT
#
# Prints deterministic lines describing what the broker did; the output is
# compared against a golden file recorded against RabbitMQ
# (see scripts/compat.sh). The tools have no confirms, transactions, nack,
# mandatory or passive declare, and do not print server properties or the
# negotiated heartbeat, so those are left to the library scripts.
# amqp-consume does not advertise consumer_cancel_notify, so no basic.cancel
# reaches it when its queue is deleted; that case is not run here.
set -uo pipefail
HOST=$1
PORT=$2
P=compat.amqptools
C=(-s "$HOST" --port "$PORT" --username guest --password guest --heartbeat 10)

# Reply texts are kept for 404 NOT_FOUND only; for other codes (whose texts
# vary between RabbitMQ versions) only the code is printed.
norm() {
  sed -E -e 's/amq\.gen-[A-Za-z0-9_-]+/amq.gen-X/g' \
         -e '/error 404/!s/(error [0-9]+), message: .*/\1/'
}

# run LABEL CMD...: prints the exit code, stdout and stderr of one tool run.
run() {
  local label=$1; shift
  local out err rc
  out=$(timeout 10 "$@" 2>/tmp/compat-amqptools-err.$$); rc=$?
  err=$(norm </tmp/compat-amqptools-err.$$)
  rm -f /tmp/compat-amqptools-err.$$
  printf '%s: rc=%s' "$label" "$rc"
  [ -n "$out" ] && printf ' out=%s' "$(printf '%s' "$out" | norm | tr '\n' '|')"
  [ -n "$err" ] && printf ' err=%s' "$(printf '%s' "$err" | tr '\n' '|')"
  printf '\n'
}

cleanup() {
  for q in q1 topic direct headers fanout durable excl prefetch; do
    timeout 10 amqp-delete-queue "${C[@]}" -q "$P.$q" >/dev/null 2>&1
  done
}
cleanup

# --- declare / publish / get -------------------------------------------------
run 'declare durable q1' amqp-declare-queue "${C[@]}" -q "$P.q1" -d
run 'declare server-named' amqp-declare-queue "${C[@]}" -q ''
run 'get empty' amqp-get "${C[@]}" -q "$P.q1"
run 'publish with properties' amqp-publish "${C[@]}" -r "$P.q1" -b 'hello props' -p \
  -C text/plain -E utf-8 -t reply.q -H 'h1: v1' -H 'h2: 2'
run 'publish to amq.direct (unbound key)' amqp-publish "${C[@]}" -e amq.direct -r "$P.nowhere" -b lost
printf 'line-1\nline-2\nline-3\n' >/tmp/compat-amqptools-in.$$
run 'publish line-buffered' amqp-publish "${C[@]}" -r "$P.q1" -l </tmp/compat-amqptools-in.$$
printf 'stdin body' >/tmp/compat-amqptools-in.$$
run 'publish body from stdin' amqp-publish "${C[@]}" -r "$P.q1" </tmp/compat-amqptools-in.$$
rm -f /tmp/compat-amqptools-in.$$
run 'get 1' amqp-get "${C[@]}" -q "$P.q1"
run 'consume 3 (prefetch 1)' amqp-consume "${C[@]}" -q "$P.q1" -p 1 -c 3 -- sh -c 'cat; echo'
run 'consume 1 no-ack' amqp-consume "${C[@]}" -q "$P.q1" -A -c 1 -- sh -c 'cat; echo'
run 'get after drain' amqp-get "${C[@]}" -q "$P.q1"

# --- bindings through amq.* exchanges ---------------------------------------
# amqp-consume -e/-r declares the queue (auto-delete), binds it and consumes.
# A message sent straight to the queue shows that binding and consumer are
# in place; two more, also sent straight, end the -c 3 consumer. So the
# consumer prints: sync, what the exchange routed to it (if anything), end
# (and a second end when nothing was routed).
bound() { # queue exchange key -- publish args for the exchange...
  local q=$1 ex=$2 key=$3 f=/tmp/compat-amqptools-bound.$$ pid
  shift 4
  : >"$f"
  timeout 15 amqp-consume "${C[@]}" -q "$q" -e "$ex" -r "$key" -c 3 -- sh -c 'cat; echo' >"$f" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    timeout 10 amqp-get "${C[@]}" -q "$q" >/dev/null 2>&1; [ $? -eq 2 ] && break
    sleep 0.05
  done
  amqp-publish "${C[@]}" -r "$q" -b sync
  for _ in $(seq 1 100); do grep -q sync "$f" && break; sleep 0.05; done
  amqp-publish "${C[@]}" -e "$ex" "$@"
  amqp-publish "${C[@]}" -r "$q" -b end
  amqp-publish "${C[@]}" -r "$q" -b end
  wait "$pid"
  echo "bound $q to $ex key '$key', published $*: rc=$? out=$(tr '\n' '|' <"$f")"
  rm -f "$f"
}
bound "$P.topic" amq.topic 'a.*.c' -- -r a.b.b.c -b topic-miss
bound "$P.topic" amq.topic 'a.*.c' -- -r a.b.c -b topic-match
bound "$P.direct" amq.direct 'k1' -- -r k2 -b direct-miss
bound "$P.direct" amq.direct 'k1' -- -r k1 -b direct-match
bound "$P.fanout" amq.fanout 'ignored' -- -r whatever -b fanout
bound "$P.headers" amq.headers '' -- -H 'k: v' -b headers-no-args-binding
run 'auto-delete queue gone after consumer' amqp-get "${C[@]}" -q "$P.topic"

# --- counts -----------------------------------------------------------------
for i in 1 2 3 4; do amqp-publish "${C[@]}" -r "$P.q1" -b "c$i"; done
run 'delete q1 (message count)' amqp-delete-queue "${C[@]}" -q "$P.q1"
run 'delete q1 again' amqp-delete-queue "${C[@]}" -q "$P.q1"
amqp-declare-queue "${C[@]}" -q "$P.prefetch" >/dev/null
amqp-publish "${C[@]}" -r "$P.prefetch" -b x
run 'delete if-empty non-empty' amqp-delete-queue "${C[@]}" -q "$P.prefetch" --if-empty

# --- errors -------------------------------------------------------------------
run 'get missing queue' amqp-get "${C[@]}" -q "$P.missing"
run 'consume missing queue' amqp-consume "${C[@]}" -q "$P.missing" -c 1 -- cat
run 'publish to missing exchange' amqp-publish "${C[@]}" -e "$P.nosuchexchange" -r k -b x
run 'declare durable' amqp-declare-queue "${C[@]}" -q "$P.durable" -d
run 'redeclare non-durable' amqp-declare-queue "${C[@]}" -q "$P.durable"
run 'bad vhost (url with empty vhost)' amqp-get -u "amqp://guest:guest@$HOST:$PORT/" -q x
run 'bad password' amqp-get -s "$HOST" --port "$PORT" --username guest --password wrong -q x

# Exclusive queue held by a consumer on another connection.
timeout 15 amqp-consume "${C[@]}" -q "$P.excl" -x -c 1 -- cat >/dev/null 2>&1 &
holder=$!
for _ in $(seq 1 50); do
  err=$(timeout 10 amqp-get "${C[@]}" -q "$P.excl" 2>&1 >/dev/null)
  case $err in *405*) break ;; esac
  sleep 0.1
done
run 'get exclusive queue of other connection' amqp-get "${C[@]}" -q "$P.excl"
run 'consume exclusive queue of other connection' amqp-consume "${C[@]}" -q "$P.excl" -c 1 -- cat
run 'delete exclusive queue of other connection' amqp-delete-queue "${C[@]}" -q "$P.excl"
amqp-publish "${C[@]}" -r "$P.excl" -b done
wait "$holder"
echo "exclusive holder exit=$?"
run 'exclusive queue gone after owner closed' amqp-get "${C[@]}" -q "$P.excl"

cleanup
echo done

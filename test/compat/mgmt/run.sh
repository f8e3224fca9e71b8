#!/usr/bin/env bash
# Checks Warren's management HTTP API with RabbitMQ's rabbitmqadmin.
#
#   test/compat/mgmt/run.sh           build Warren, start it on free loopback
#                                     ports with a temp data dir, run
#                                     admin_smoke.sh against it and diff the
#                                     output with golden.txt (exit 1 on a
#                                     difference)
#   (MGMT_OUT=FILE keeps a copy of Warren's output in FILE)
#   test/compat/mgmt/run.sh --record  start the reference RabbitMQ 3.10
#                                     (rabbitmq-mgmt.sh, AMQP 5675, HTTP
#                                     15675), record golden.txt, stop it
#
# Without python3 (rabbitmqadmin's interpreter) or pika (python3-pika, for
# the AMQP connection step) the check prints "skip: ..." and exits 0.
set -euo pipefail
DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$DIR/../../.." && pwd)
GOLDEN=$DIR/golden.txt
TMO=${TIMEOUT:-120}

PY=${PYTHON:-python3}
if ! command -v "$PY" >/dev/null 2>&1; then
  echo "mgmt compat: skip: python3 not installed (rabbitmqadmin needs it)"
  exit 0
fi
if ! "$PY" -c 'import pika' 2>/dev/null && ! /usr/bin/python3 -c 'import pika' 2>/dev/null; then
  echo "mgmt compat: skip: pika not installed (python3-pika)"
  exit 0
fi

if [ "${1:-}" = --record ]; then
  trap '"$DIR/rabbitmq-mgmt.sh" stop' EXIT
  "$DIR/rabbitmq-mgmt.sh" start >/dev/null
  out=$(mktemp)
  timeout "$TMO" "$DIR/admin_smoke.sh" 127.0.0.1 15675 5675 >"$out" 2>&1
  mv "$out" "$GOLDEN"
  echo "recorded $GOLDEN ($(wc -l <"$GOLDEN") lines)"
  exit 0
fi

START=$(date +%s)
WORK=$(mktemp -d)
PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

(cd "$ROOT" && go build -o "$WORK/warren" ./cmd/warren)
AMQP=$(free_port); HTTP=$(free_port)
while [ "$HTTP" = "$AMQP" ]; do HTTP=$(free_port); done
mkdir "$WORK/data"
"$WORK/warren" server --amqp-listen "127.0.0.1:$AMQP" --http-listen "127.0.0.1:$HTTP" \
  --data-dir "$WORK/data" --log-level warn >"$WORK/warren.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do
  (echo >"/dev/tcp/127.0.0.1/$HTTP") 2>/dev/null && break
  kill -0 "$PID" 2>/dev/null || { cat "$WORK/warren.log" >&2; echo "warren exited" >&2; exit 1; }
  sleep 0.1
done

# Warren's counts and lists are read live (RabbitMQ's lag behind its
# statistics, hence admin_smoke.sh's default of 2.5 s of stable output),
# so a short stability window is enough for what is asynchronous here
# (a closed connection going away).
rc=0
STABLE_SECS=${STABLE_SECS:-0.5} timeout "$TMO" "$DIR/admin_smoke.sh" 127.0.0.1 "$HTTP" "$AMQP" >"$WORK/out.txt" 2>&1 || rc=$?
if [ $rc -ne 0 ]; then echo "admin_smoke.sh exited $rc (124 = timeout)" >&2; fi
if [ -n "${MGMT_OUT:-}" ]; then cp "$WORK/out.txt" "$MGMT_OUT"; fi
if diff -u --label golden.txt --label warren "$GOLDEN" "$WORK/out.txt"; then
  [ $rc -eq 0 ] && echo "mgmt compat: warren matches golden.txt [$(( $(date +%s) - START ))s]"
  exit $rc
fi
echo "mgmt compat: warren differs from golden.txt (RabbitMQ 3.10) [$(( $(date +%s) - START ))s]" >&2
exit 1

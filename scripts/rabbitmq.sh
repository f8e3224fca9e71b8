#!/usr/bin/env bash
# Starts Debian's RabbitMQ (installing it if missing) as the reference broker
# on loopback ports, with a throwaway data directory, for behaviour checks
# and benchmarks. Usage: scripts/rabbitmq.sh start|stop [amqp-port]
# Prints the AMQP URL on start. With MGMT_PORT set, the management plugin
# listens there on loopback (start waits until its API answers); lines in
# EXTRA_CONF are appended to rabbitmq.conf.
set -euo pipefail
cmd=${1:-start}
port=${2:-5673}
base=/tmp/warren-rabbitmq-$port
export RABBITMQ_NODENAME=warrenref$port@localhost
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$port
export RABBITMQ_DIST_PORT=$((port + 20000))
export RABBITMQ_MNESIA_BASE=$base/mnesia
export RABBITMQ_LOG_BASE=$base/log
export RABBITMQ_ENABLED_PLUGINS_FILE=$base/enabled_plugins
export RABBITMQ_CONFIG_FILE=$base/rabbitmq
export HOME=${HOME:-/root}
# RabbitMQ runs as its own user: as root, run its tools as that user.
run=()
if [ "$(id -u)" = 0 ] && id rabbitmq >/dev/null 2>&1; then
  run=(runuser -u rabbitmq -- env HOME=/var/lib/rabbitmq)
fi
case $cmd in
start)
  if ! command -v rabbitmq-server >/dev/null; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
    systemctl stop rabbitmq-server 2>/dev/null || service rabbitmq-server stop 2>/dev/null || true
  fi
  # A node of this name left running (an interrupted run) would answer
  # in place of the new one, with its data directory deleted under it.
  if "${run[@]}" rabbitmqctl -n "$RABBITMQ_NODENAME" ping >/dev/null 2>&1; then
    echo "stopping the node $RABBITMQ_NODENAME left running" >&2
    "${run[@]}" rabbitmqctl -n "$RABBITMQ_NODENAME" stop >/dev/null 2>&1 || true
  fi
  rm -rf "$base"; mkdir -p "$base/log"
  echo "[]." > "$base/enabled_plugins"
  printf 'listeners.tcp.default = 127.0.0.1:%s\nloopback_users = none\n' "$port" > "$base/rabbitmq.conf"
  if [ -n "${MGMT_PORT:-}" ]; then
    echo "[rabbitmq_management]." > "$base/enabled_plugins"
    printf 'management.tcp.port = %s\nmanagement.tcp.ip = 127.0.0.1\n' "$MGMT_PORT" >> "$base/rabbitmq.conf"
  fi
  if [ -n "${EXTRA_CONF:-}" ]; then printf '%s\n' "$EXTRA_CONF" >> "$base/rabbitmq.conf"; fi
  # Hand it the directory, or it cannot write its feature-flag files.
  if [ ${#run[@]} -gt 0 ]; then chown -R rabbitmq:rabbitmq "$base"; fi
  # The 1,000-connection scenarios need more than 1024 descriptors; raise
  # the soft limit inside the server's own shell (runuser resets limits).
  "${run[@]}" bash -c 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec rabbitmq-server' >"$base/log/stdout" 2>&1 &
  for _ in $(seq 1 120); do
    if "${run[@]}" rabbitmqctl -n "$RABBITMQ_NODENAME" await_startup >/dev/null 2>&1 &&
       { [ -z "${MGMT_PORT:-}" ] || curl -sf -u guest:guest "http://127.0.0.1:$MGMT_PORT/api/overview" >/dev/null 2>&1; }; then
      echo "amqp://guest:guest@127.0.0.1:$port/"
      exit 0
    fi
    sleep 1
  done
  echo "rabbitmq did not start; see $base/log" >&2; exit 1 ;;
stop)
  "${run[@]}" rabbitmqctl -n "$RABBITMQ_NODENAME" stop >/dev/null 2>&1 || true ;;
esac

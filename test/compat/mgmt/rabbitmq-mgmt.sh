#!/usr/bin/env bash
# Starts Debian's RabbitMQ 3.10 with the management plugin as the reference
# broker for the rabbitmqadmin comparison (modelled on scripts/rabbitmq.sh).
# AMQP on 127.0.0.1:5675, management HTTP on 127.0.0.1:15675, throwaway
# base dir. Statistics are emitted every 500 ms and sampled by the
# management database every second (defaults: 5 s and 5 s) so that the
# counters listed by admin_smoke.sh settle quickly. Usage: test/compat/mgmt/rabbitmq-mgmt.sh start|stop
# Prints the management base URL on start.
set -euo pipefail
cmd=${1:-start}
port=5675
http_port=15675
base=/tmp/warren-rabbitmq-mgmt-$port
export RABBITMQ_NODENAME=warrenmgmt$port@localhost
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$port
export RABBITMQ_DIST_PORT=$((port + 20000))
export RABBITMQ_MNESIA_BASE=$base/mnesia
export RABBITMQ_LOG_BASE=$base/log
export RABBITMQ_ENABLED_PLUGINS_FILE=$base/enabled_plugins
export RABBITMQ_CONFIG_FILE=$base/rabbitmq
export HOME=${HOME:-/root}
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
  rm -rf "$base"; mkdir -p "$base/log"
  echo "[rabbitmq_management]." > "$base/enabled_plugins"
  cat > "$base/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$port
loopback_users = none
management.tcp.port = $http_port
management.tcp.ip = 127.0.0.1
collect_statistics_interval = 500
management.sample_retention_policies.global.minute = 1
management.sample_retention_policies.global.hour = 60
management.sample_retention_policies.basic.minute = 1
management.sample_retention_policies.basic.hour = 60
management.sample_retention_policies.detailed.10 = 1
CONF
  if [ ${#run[@]} -gt 0 ]; then chown -R rabbitmq:rabbitmq "$base"; fi
  "${run[@]}" bash -c 'exec rabbitmq-server' >"$base/log/stdout" 2>&1 &
  for _ in $(seq 1 120); do
    if "${run[@]}" rabbitmqctl -n "$RABBITMQ_NODENAME" await_startup >/dev/null 2>&1 &&
       curl -sf -u guest:guest "http://127.0.0.1:$http_port/api/overview" >/dev/null 2>&1; then
      echo "http://127.0.0.1:$http_port/"
      exit 0
    fi
    sleep 1
  done
  echo "rabbitmq did not start; see $base/log" >&2; exit 1 ;;
stop)
  "${run[@]}" rabbitmqctl -n "$RABBITMQ_NODENAME" stop >/dev/null 2>&1 || true ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac

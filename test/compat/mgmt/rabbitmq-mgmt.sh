#!/usr/bin/env bash
# Starts Debian's RabbitMQ 3.10 with the management plugin as the reference
# broker for the rabbitmqadmin comparison, through scripts/rabbitmq.sh:
# AMQP on 127.0.0.1:5675, management HTTP on 127.0.0.1:15675, throwaway
# base dir. Statistics are emitted every 500 ms and sampled by the
# management database every second (defaults: 5 s and 5 s) so that the
# counters listed by admin_smoke.sh settle quickly.
# Usage: test/compat/mgmt/rabbitmq-mgmt.sh start|stop
# Prints the management base URL on start.
set -euo pipefail
cmd=${1:-start}
port=5675
export MGMT_PORT=15675
export EXTRA_CONF='collect_statistics_interval = 500
management.sample_retention_policies.global.minute = 1
management.sample_retention_policies.global.hour = 60
management.sample_retention_policies.basic.minute = 1
management.sample_retention_policies.basic.hour = 60
management.sample_retention_policies.detailed.10 = 1'
ref="$(dirname "$0")/../../../scripts/rabbitmq.sh"
case $cmd in
start) "$ref" start "$port" >/dev/null && echo "http://127.0.0.1:$MGMT_PORT/" ;;
stop) "$ref" stop "$port" ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac

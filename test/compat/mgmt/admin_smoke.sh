#!/usr/bin/env bash
# Drives a broker's management HTTP API with RabbitMQ's own rabbitmqadmin
# (the copy beside this script) and prints deterministic output, to be
# diffed against golden.txt (recorded from RabbitMQ 3.10).
#
# Usage: test/compat/mgmt/admin_smoke.sh HOST HTTPPORT AMQPPORT
#
# Every rabbitmqadmin call is echoed as "$ rabbitmqadmin ARGS" followed by
# its stdout+stderr (and "[exit N]" when it fails). Volatile values
# (timestamps, node names, pids, ports, rates, memory, message_stats, ids,
# password hashes with random salts) are never printed: listings use
# explicit column lists, JSON is filtered through python3, and rows are
# sorted with the header kept first. Objects are named "compat.admin.*"
# and removed at the start and the end, so the script can re-run.
set -u
HOST=${1:?usage: admin_smoke.sh HOST HTTPPORT AMQPPORT}
HTTP=${2:?usage: admin_smoke.sh HOST HTTPPORT AMQPPORT}
AMQP=${3:?usage: admin_smoke.sh HOST HTTPPORT AMQPPORT}
DIR=$(cd "$(dirname "$0")" && pwd)
ADMIN=$DIR/rabbitmqadmin
PY=${PYTHON:-python3}
# Run the interpreter itself, not a version manager's shim (pyenv's costs
# about 0.1 s a call, over some 250 calls); same interpreter either way.
PY=$("$PY" -c 'import sys; print(sys.executable)' 2>/dev/null || echo "$PY")
# pika (python3-pika, Debian) may live only in the system interpreter.
PIKA_PY=$PY
"$PIKA_PY" -c 'import pika' 2>/dev/null || PIKA_PY=/usr/bin/python3
TMP=$(mktemp -d)
BG=
cleanup_tmp() {
  if [ -n "$BG" ]; then kill "$BG" 2>/dev/null; wait "$BG" 2>/dev/null; fi
  rm -rf "$TMP"
}
trap cleanup_tmp EXIT

P=compat.admin
VH=$P.vh
VH2=$P.vh2
export LC_ALL=C

# Replace run-specific strings (temp dir, ports, script path) by fixed words.
sanitize() {
  sed -e "s#$TMP#TMPDIR#g" -e "s#$ADMIN#rabbitmqadmin#g" \
      -e "s#:$HTTP\\b#:HTTPPORT#g" -e "s#:$AMQP\\b#:AMQPPORT#g" \
      -e "s#for $HOST to#for HOST to#" -e "s#from \"$HOST\"#from \"HOST\"#"
}

# raw: run rabbitmqadmin with USER PASS ARGS..., output unprocessed.
raw() {
  local u=$1 p=$2; shift 2
  "$PY" "$ADMIN" -H "$HOST" -P "$HTTP" -u "$u" -p "$p" "$@" 2>&1
}

# adm ARGS...: echo the command, run it as guest, print its output.
adm() {
  local out rc
  echo "\$ rabbitmqadmin $*" | sanitize
  out=$(raw guest guest "$@"); rc=$?
  [ -n "$out" ] && printf '%s\n' "$out" | sanitize
  [ $rc -ne 0 ] && echo "[exit $rc]"
  return 0
}

# admu USER PASS ARGS...: same, as another user.
admu() {
  local u=$1 p=$2 out rc; shift 2
  echo "\$ rabbitmqadmin -u $u -p $p $*" | sanitize
  out=$(raw "$u" "$p" "$@"); rc=$?
  [ -n "$out" ] && printf '%s\n' "$out" | sanitize
  [ $rc -ne 0 ] && echo "[exit $rc]"
  return 0
}

# adms ARGS...: like adm for listings; keeps the first (header) line and
# sorts the rows, so that server-side ordering is not compared.
adms() {
  local out rc
  echo "\$ rabbitmqadmin $* | sort rows" | sanitize
  out=$(raw guest guest "$@"); rc=$?
  if [ $rc -eq 0 ]; then
    printf '%s\n' "$out" | { IFS= read -r h; printf '%s\n' "$h"; sort; } | sanitize
  else
    printf '%s\n' "$out" | sanitize; echo "[exit $rc]"
  fi
  return 0
}

# admj FILTER ARGS...: run with -f raw_json and pass the parsed JSON (as
# variable d) to the python3 statements FILTER, which print what is stable.
admj() {
  local f=$1 out rc; shift
  echo "\$ rabbitmqadmin -f raw_json $* | $(printf '%s' "$f" | head -c 60 | tr '\n' ' ')..." | sanitize
  out=$(raw guest guest -f raw_json "$@"); rc=$?
  if [ $rc -eq 0 ]; then
    printf '%s' "$out" | "$PY" -c "import json,sys
d=json.load(sys.stdin)
$f" 2>&1 | sanitize
  else
    printf '%s\n' "$out" | sanitize; echo "[exit $rc]"
  fi
  return 0
}

step() { echo; echo "### $*"; }

# RabbitMQ's message counters and its lists of connections, channels and
# consumers come from statistics emitted periodically (with
# rabbitmq-mgmt.sh: every 500 ms, sampled every second), so they lag.
# "stable CMD..." re-runs CMD every 0.3 s until its output has not changed
# for STABLE_SECS (default 2.5) seconds, at most 40 runs, and prints that
# output; with NEED_ITEMS=1 an output of "No items", and with NEED_FULL=1
# a row whose last column is empty (a counter not reported yet: quorum
# queues report theirs every 5 s), does not count as settled.
STABLE_SECS=${STABLE_SECS:-2.5}
stable() {
  local prev cur since now i
  local limit_us=$(awk -v s="$STABLE_SECS" 'BEGIN { printf "%d", s * 1000000 }')
  prev=$("$@"); since=${EPOCHREALTIME/./}
  for i in $(seq 1 40); do
    sleep 0.3
    cur=$("$@"); now=${EPOCHREALTIME/./}
    if [ "$cur" != "$prev" ] ||
       { [ "${NEED_ITEMS:-0}" = 1 ] && printf '%s\n' "$cur" | grep -q '^No items$'; } ||
       { [ "${NEED_FULL:-0}" = 1 ] && printf '%s\n' "$cur" | grep -q $'\t$'; }; then
      prev=$cur; since=$now; continue
    fi
    [ $((now - since)) -ge "$limit_us" ] && break
  done
  printf '%s\n' "$prev"
}

# Python snippet: print the messages returned by "get", minus nothing
# volatile (they carry no timestamps unless published with one).
GETJ='for m in d:
    print(json.dumps(m, sort_keys=True))
if not d: print("(no messages)")'

quiet_cleanup() {
  for q in q1 q2 q3 qq pq1 bogusq missing.dest; do raw guest guest delete queue name=$P.$q >/dev/null; done
  for e in direct fanout topic headers ae withae; do raw guest guest delete exchange name=$P.$e >/dev/null; done
  raw guest guest delete policy name=$P.pol >/dev/null
  raw guest guest delete operator_policy name=$P.op >/dev/null
  # only created where the broker accepts what RabbitMQ refuses
  raw guest guest delete policy name=$P.bad >/dev/null
  raw guest guest delete parameter component=federation-upstream name=$P.up >/dev/null
  for u in user user2 user3; do raw guest guest delete user name=$P.$u >/dev/null; done
  for v in "$VH" "$VH2"; do raw guest guest delete vhost name="$v" >/dev/null; done
}
quiet_cleanup

# ---------------------------------------------------------------------
step "overview"
# Deliberate differences, left out: Warren implements two more exchange
# types (x-consistent-hash, x-delayed-message), has no Erlang clustering
# listener, and reports its own product name and versions (only the
# presence of those keys is printed).
admj 'o=d[0]
for k in ["cluster_name","contexts","erlang_version","exchange_types","listeners","management_version","message_stats","node","object_totals","product_name","product_version","queue_totals","rabbitmq_version","rates_mode","statistics_db_event_queue"]:
    print(k, "present" if k in o else "ABSENT")
print("all keys:", " ".join(sorted(o)))
print("object_totals:", json.dumps(o.get("object_totals"), sort_keys=True))
print("exchange_types:", " ".join(sorted(t["name"] for t in o.get("exchange_types", []) if t["name"] not in ("x-consistent-hash", "x-delayed-message"))))
print("listener protocols:", " ".join(sorted(l.get("protocol","?") for l in o.get("listeners", []) if l.get("protocol") != "clustering")))
print("contexts paths:", " ".join(sorted(c.get("path","?") for c in o.get("contexts", []))))
print("rates_mode:", o.get("rates_mode"))' show overview
adm -f tsv show overview object_totals.queues object_totals.exchanges object_totals.consumers

step "initial vhosts, users, permissions"
adms -f tsv list vhosts name tracing
adms -f tsv list users name tags hashing_algorithm
adms -f tsv list permissions
adms -f tsv list permissions vhost user configure write read

# ---------------------------------------------------------------------
step "vhosts, users, permissions, limits"
adm declare vhost name=$VH
adm declare vhost name=$VH2 tracing=true
adms -f tsv list vhosts name tracing
adm declare user name=$P.user password=s3cret tags=administrator,monitoring
# password_hash of "hashpw" with the fixed salt 01020304 (sha256 scheme).
HASH=$("$PY" -c 'import hashlib,base64;s=bytes([1,2,3,4]);print(base64.b64encode(s+hashlib.sha256(s+b"hashpw").digest()).decode())')
adm declare user name=$P.user2 password_hash=$HASH tags= hashing_algorithm=rabbit_password_hashing_sha256
adms -f tsv list users name tags hashing_algorithm
admj 'for u in sorted(d, key=lambda u: u["name"]):
    if u["name"] == "compat.admin.user2": print(u["name"], u.get("password_hash"), json.dumps(u.get("tags")))
    elif u["name"].startswith("compat."): print(u["name"], json.dumps(u.get("tags")))' list users
admu $P.user s3cret -f tsv list vhosts name
admu $P.user2 hashpw -f tsv list vhosts name
adm declare permission vhost=$VH user=$P.user configure='^compat\.' write='.*' read='.*'
adm declare permission vhost=$VH user=$P.user2 configure= write=x read=y
adms -f tsv list permissions vhost user configure write read
adm delete permission vhost=$VH user=$P.user2
adms -f tsv list permissions vhost user configure write read
adm declare vhost_limit vhost=$VH name=max-connections value=10
adm declare vhost_limit vhost=$VH name=max-queues value=20
adms -f tsv list vhost_limits
adm delete vhost_limit vhost=$VH name=max-queues
adms -f tsv list vhost_limits
adm delete vhost_limit vhost=$VH name=max-connections
adm -f tsv list vhost_limits
adm delete user name=$P.user2
adms -f tsv list users name tags

# ---------------------------------------------------------------------
step "exchanges"
adm declare exchange name=$P.direct type=direct
adm declare exchange name=$P.fanout type=fanout durable=false
adm declare exchange name=$P.topic type=topic auto_delete=true
adm declare exchange name=$P.headers type=headers internal=true
adm declare exchange name=$P.ae type=fanout
adm declare exchange name=$P.withae type=direct arguments='{"alternate-exchange":"compat.admin.ae"}'
adm declare exchange name=$P.direct type=direct
adms -f tsv list exchanges vhost name type durable auto_delete internal arguments
adm -V / -f tsv -S name list exchanges name
adm -V / -f tsv -S name -R list exchanges name

# ---------------------------------------------------------------------
step "queues"
adm declare queue name=$P.q1
adm declare queue name=$P.q2 durable=false auto_delete=true
adm declare queue name=$P.q3 arguments='{"x-max-length":2,"x-message-ttl":60000,"x-queue-type":"classic"}'
adm declare queue name=$P.qq queue_type=quorum
adm declare queue name=$P.q1
NEED_FULL=1 stable adms -f tsv list queues vhost name durable auto_delete arguments messages
admj 'for q in sorted(d, key=lambda q: q["name"]):
    print(q["vhost"], q["name"], json.dumps(q.get("arguments"), sort_keys=True))' list queues
adms -f tsv list queues name type
adm -V / -f tsv -S name list queues name

# ---------------------------------------------------------------------
step "bindings"
adm declare binding source=$P.direct destination=$P.q1 routing_key=rk1
adm declare binding source=$P.direct destination=$P.q1
adm declare binding source=$P.topic destination=$P.q2 routing_key='a.*.c'
adm declare binding source=$P.headers destination=$P.q3 arguments='{"x-match":"all","h1":"v1"}'
adm declare binding source=$P.fanout destination=$P.direct destination_type=exchange routing_key=e2e
adm declare binding source=$P.ae destination=$P.q3
adm declare binding source=$P.direct destination=$P.q1 routing_key=rk1
adms -f tsv list bindings source destination destination_type routing_key
# A binding's properties_key is its quoted routing key, plus "~" and a
# hash of its arguments when it has any. RabbitMQ hashes with Erlang's
# phash2, Warren with a function of its own (a deliberate difference:
# clients only echo the value back), so for a binding with arguments only
# whether a non-empty hash is there is printed, not its value.
admj 'for b in sorted(d, key=lambda b: (b["source"], b["destination"], b["routing_key"])):
    pk = b.get("properties_key", "ABSENT")
    if b.get("arguments"):
        k, sep, h = pk.partition("~")
        pk = k + sep + ("HASH" if h else "(no hash)")
    print("%r %r %r %s %s" % (b["source"], b["destination"], b["routing_key"], pk, json.dumps(b.get("arguments"), sort_keys=True)))' list bindings
adm -V / -f tsv list bindings source destination_type routing_key

# ---------------------------------------------------------------------
step "publish and get"
adm publish routing_key=$P.q1 payload=hello
adm publish exchange=$P.direct routing_key=rk1 payload=aGVsbG8gYmFzZTY0 payload_encoding=base64 \
  properties='{"headers":{"h1":"v1","n":1,"f":true},"content_type":"text/plain","content_encoding":"utf-8","delivery_mode":2,"priority":3,"correlation_id":"c1","message_id":"m1","app_id":"app","type":"t","user_id":"guest","expiration":"60000","reply_to":"r"}'
adm publish exchange=$P.direct routing_key=rk1 payload=AP8Q payload_encoding=base64
adm publish exchange=$P.direct routing_key=nowhere payload=lost
adm publish exchange=$P.withae routing_key=nowhere payload=via-ae
adm publish exchange=$P.fanout routing_key=e2e payload=via-e2e
adm publish exchange=$P.topic routing_key=a.b.c payload=topic-msg
adm publish exchange=amq.headers routing_key=x payload=headers-msg
adm publish exchange=$P.headers routing_key=x payload=internal properties='{"headers":{"h1":"v1"}}'
adm publish exchange=$P.missing routing_key=x payload=x
NEED_FULL=1 stable adms -f tsv list queues name messages messages_ready messages_unacknowledged
adm -f tsv get queue=$P.q1 count=10 ackmode=ack_requeue_true
adm -f tsv get queue=$P.q1 count=2 ackmode=ack_requeue_true
admj "$GETJ" get queue=$P.q1 count=10 ackmode=ack_requeue_true
admj "$GETJ" get queue=$P.q1 count=1 ackmode=ack_requeue_true encoding=base64
adm -f tsv get queue=$P.q1 count=2 ackmode=ack_requeue_false
adm -f tsv get queue=$P.q1 count=10 ackmode=reject_requeue_true
adm -f tsv get queue=$P.q1 count=10 ackmode=reject_requeue_false
adm -f tsv get queue=$P.q1 count=10 ackmode=ack_requeue_true
adm publish routing_key=$P.q3 payload=one
adm publish routing_key=$P.q3 payload=two
adm publish routing_key=$P.q3 payload=three
adm -f tsv get queue=$P.q3 count=5 ackmode=ack_requeue_true
adm -f tsv get queue=$P.q3 count=5 ackmode=reject_requeue_false
adm -f tsv get queue=$P.q3 count=5
adm get queue=$P.q2 payload_file=$TMP/payload.bin
cat "$TMP/payload.bin" 2>/dev/null; echo
adm -f tsv get queue=$P.q2 count=1 ackmode=ack_requeue_true
adm purge queue name=$P.q2
NEED_FULL=1 stable adms -f tsv list queues name messages
adm -f tsv get queue=$P.q2 count=1

# ---------------------------------------------------------------------
step "delete bindings, queues, exchanges"
adm delete binding source=$P.direct destination_type=queue destination=$P.q1 properties_key=rk1
adm delete binding source=$P.direct destination_type=queue destination=$P.q1
adm delete binding source=$P.fanout destination_type=exchange destination=$P.direct properties_key=e2e
adm delete binding source=$P.direct destination_type=queue destination=$P.q1 properties_key=nosuch
adm delete binding source=$P.topic destination_type=queue destination=$P.q2 properties_key='a.*.c'
adms -f tsv list bindings source destination destination_type routing_key
adms -V / -f tsv list exchanges name type
adm delete queue name=$P.q2
adm delete exchange name=$P.fanout
adms -f tsv list queues name
adms -V / -f tsv list exchanges name

# ---------------------------------------------------------------------
step "policies"
adm declare policy name=$P.pol pattern='^compat\.admin\.pq' definition='{"max-length":1,"message-ttl":60000}' apply-to=queues priority=5
adms -f tsv list policies
adms -f tsv list policies vhost name pattern apply-to definition priority
adm declare queue name=$P.pq1
adm publish routing_key=$P.pq1 payload=first
adm publish routing_key=$P.pq1 payload=second
adm -f tsv get queue=$P.pq1 count=5
stable admj 'for q in sorted(d, key=lambda q: q["name"]):
    print(q["name"], "policy=%r" % (q.get("policy", "ABSENT"),), "effective_policy_definition=%s" % json.dumps(q.get("effective_policy_definition", "ABSENT"), sort_keys=True))' list queues
adm -f tsv list queues name policy
adm declare operator_policy name=$P.op pattern='^compat\.admin\.pq' definition='{"max-length":5}' apply-to=queues
adms -f tsv list operator_policies vhost name pattern apply-to definition priority
adm delete operator_policy name=$P.op
adm -f tsv list operator_policies
adm declare policy name=$P.bad pattern='.*' definition='{"max-length":"ten"}'
adm declare policy name=$P.bad pattern='.*' definition='{"no-such-key":1}'
adm declare policy name=$P.bad pattern='.*' definition='{"max-length":1}' apply-to=nowhere
adm delete policy name=$P.pol
adm -f tsv list policies
adm delete queue name=$P.pq1
adm -f tsv list parameters
adm declare parameter component=federation-upstream name=$P.up value='{"uri":"amqp://localhost"}'

# ---------------------------------------------------------------------
step "definitions export and import"
adm -V $VH declare queue name=$P.vq arguments='{"x-max-length":7}'
adm -V $VH declare exchange name=$P.vx type=topic
adm -V $VH declare binding source=$P.vx destination=$P.vq routing_key='k.#'
adm -V $VH declare policy name=$P.vpol pattern='^compat\.admin\.vq' definition='{"max-length":3}' apply-to=queues
adm export "$TMP/all.json"
"$PY" - "$TMP/all.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
print("keys:", " ".join(sorted(d)))
def names(k, f):
    if k not in d: print(k + ": ABSENT"); return
    print(k + ":", " | ".join(sorted(f(x) for x in d[k])))
names("vhosts", lambda x: x["name"])
names("users", lambda x: x["name"] + " tags=" + json.dumps(x.get("tags")) + " alg=" + str(x.get("hashing_algorithm")))
names("permissions", lambda x: "%s@%s %s/%s/%s" % (x["user"], x["vhost"], x["configure"], x["write"], x["read"]))
names("topic_permissions", lambda x: x["user"] + "@" + x["vhost"])
names("queues", lambda x: "%s/%s durable=%s ad=%s args=%s" % (x["vhost"], x["name"], x["durable"], x["auto_delete"], json.dumps(x["arguments"], sort_keys=True)))
names("exchanges", lambda x: "%s/%s %s durable=%s ad=%s int=%s args=%s" % (x["vhost"], x["name"], x["type"], x["durable"], x["auto_delete"], x["internal"], json.dumps(x["arguments"], sort_keys=True)))
names("bindings", lambda x: "%s/%s->%s:%s %s args=%s" % (x["vhost"], x["source"], x["destination_type"], x["destination"], x["routing_key"], json.dumps(x["arguments"], sort_keys=True)))
names("policies", lambda x: "%s/%s %s %s %s %s" % (x["vhost"], x["name"], x["pattern"], x["apply-to"], json.dumps(x["definition"], sort_keys=True), x["priority"]))
names("parameters", lambda x: x["vhost"] + "/" + x["component"] + "/" + x["name"])
names("global_parameters", lambda x: x["name"])
for k in ("rabbit_version", "rabbitmq_version"):
    print(k, "present" if k in d else "ABSENT")
PYEOF
adm -V $VH export "$TMP/vh.json"
"$PY" - "$TMP/vh.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
print("keys:", " ".join(sorted(d)))
for k in sorted(d):
    if isinstance(d[k], list):
        print(k + ":", " | ".join(sorted(x.get("name") or (x.get("source", "?") + "->" + x.get("destination", "?")) for x in d[k])))
        for x in d[k]:
            print("  ", " ".join(sorted(x)))
PYEOF
adm -V $VH2 import "$TMP/vh.json"
adms -V $VH2 -f tsv list queues vhost name durable arguments
adms -V $VH2 -f tsv list exchanges vhost name type
adms -V $VH2 -f tsv list bindings vhost source destination routing_key
adms -f tsv list policies vhost name pattern definition
# Whole-broker round trip: drop the vhost and a user, re-import everything.
adm declare user name=$P.user2 password_hash=$HASH tags=monitoring
adm export "$TMP/all2.json"
adm delete vhost name=$VH
adm delete user name=$P.user2
adm import "$TMP/all2.json"
adms -f tsv list vhosts name
adms -f tsv list users name tags
admu $P.user2 hashpw -f tsv list vhosts name
adms -V $VH -f tsv list queues vhost name arguments
adms -V $VH -f tsv list bindings vhost source destination routing_key
adms -f tsv list permissions vhost user configure write read
adm import "$TMP/nonexistent.json" 2>&1 | sed 's/\[Errno [0-9]*\]/[Errno N]/'
printf '{"queues": [' > "$TMP/broken.json"
adm import "$TMP/broken.json"

# ---------------------------------------------------------------------
step "connections and channels"
cat > "$TMP/conn.py" <<'PYEOF'
import sys, time, pika
port, out = int(sys.argv[1]), sys.argv[2]
params = pika.ConnectionParameters(host="127.0.0.1", port=port,
    credentials=pika.PlainCredentials("guest", "guest"),
    client_properties={"connection_name": "compat.admin.conn"})
c = pika.BlockingConnection(params)
ch1 = c.channel(); ch2 = c.channel()
ch1.basic_qos(prefetch_count=7)
ch2.confirm_delivery()
ch1.basic_consume("compat.admin.q1", lambda *a: None)
open(out + ".ready", "w").close()
reason = "still open after 20s"
try:
    deadline = time.time() + 20
    while time.time() < deadline:
        c.process_data_events(time_limit=0.2)
except pika.exceptions.ConnectionClosed as e:
    reason = "closed by broker: %r" % (e,)
except Exception as e:
    reason = "error: %s %r" % (type(e).__name__, e)
open(out, "w").write(reason + "\n")
PYEOF
"$PIKA_PY" "$TMP/conn.py" "$AMQP" "$TMP/conn.out" >"$TMP/conn.log" 2>&1 &
BG=$!
for _ in $(seq 1 50); do [ -e "$TMP/conn.out.ready" ] && break; sleep 0.1; done
NEED_ITEMS=1 stable adms -f tsv list connections user vhost state channels protocol auth_mechanism ssl client_properties.connection_name
NEED_ITEMS=1 stable adms -f tsv list channels user vhost number state confirm prefetch_count consumer_count
NEED_ITEMS=1 stable adms -f tsv list consumers queue.name channel_details.user ack_required prefetch_count exclusive
stable adm -f tsv show overview object_totals.connections object_totals.channels object_totals.consumers
CONN=$(raw guest guest -q -f tsv list connections name client_properties.connection_name | awk -F'\t' '$2=="compat.admin.conn"{print $1; exit}')
echo "(connection name found: $([ -n "$CONN" ] && echo yes || echo no))"
echo "\$ rabbitmqadmin close connection name=CONN"
raw guest guest close connection name="$CONN"; echo "[exit $?]"
for _ in $(seq 1 50); do [ -e "$TMP/conn.out" ] && break; sleep 0.1; done
echo "client saw: $(cat "$TMP/conn.out" 2>/dev/null || echo 'nothing')"
wait "$BG" 2>/dev/null; BG=
stable adm -f tsv list connections user vhost
stable adm -f tsv list channels user
adm close connection name=no-such-connection

# ---------------------------------------------------------------------
step "error cases"
adm -f tsv get queue=$P.missing count=1
adm declare queue name=$P.q1 durable=false
adm declare queue name=$P.q1 arguments='{"x-max-length":5}'
adm declare queue name=$P.bogusq arguments='{"x-queue-type":"bogus"}'
adm declare exchange name=$P.direct type=fanout
adm declare exchange name=$P.bogus type=no-such-type
adm declare binding source=$P.direct destination=$P.missing.dest
adm declare binding source=$P.missing destination=$P.q1
adm delete vhost name=$P.no-such-vhost
adm delete queue name=$P.missing
adm delete exchange name=$P.missing
adm delete user name=$P.missing
adm delete policy name=$P.missing
adm -V $P.no-such-vhost -f tsv list queues name
adm -V $P.no-such-vhost declare queue name=$P.x
adm declare permission vhost=$P.no-such-vhost user=guest configure=.* write=.* read=.*
adm declare user name=$P.user3 password=x tags=administrator hashing_algorithm=no-such-alg
admu guest wrong -f tsv list vhosts name
admu nobody nothing show overview
admu $P.user wrong -f tsv list queues name
adm list nosuchthing

# ---------------------------------------------------------------------
step "cleanup"
adm delete queue name=$P.q1
adm delete queue name=$P.q3
adm delete queue name=$P.qq
for e in direct topic headers ae withae; do adm delete exchange name=$P.$e; done
adm delete user name=$P.user
adm delete user name=$P.user2
adm delete user name=$P.user3
adm delete vhost name=$VH
adm delete vhost name=$VH2
quiet_cleanup
adms -f tsv list vhosts name
adms -f tsv list users name tags
adms -f tsv list queues vhost name
adms -f tsv list exchanges vhost name
adms -f tsv list permissions vhost user
adm -f tsv list policies

#!/usr/bin/ruby
# AMQP 0-9-1 compatibility smoke test with Bunny (Debian ruby-bunny).
#
# Usage: bunny_smoke.rb HOST PORT
#
# Prints deterministic lines describing what the broker did; the output is
# compared against a golden file recorded against RabbitMQ
# (see scripts/compat.sh).
require 'bunny'
require 'bigdecimal'
require 'logger'

$stdout.sync = true
HOST = ARGV[0]
PORT = Integer(ARGV[1])
P = 'compat.bunny'
CAPS = %w[publisher_confirms basic.nack consumer_cancel_notify exchange_exchange_bindings
          connection.blocked authentication_failure_close per_consumer_qos direct_reply_to]

def out(*a)
  puts a.join(' ')
end

def connect(heartbeat: :server)
  c = Bunny.new(host: HOST, port: PORT, user: 'guest', pass: 'guest', vhost: '/',
                heartbeat: heartbeat, automatically_recover: false,
                connection_timeout: 10, read_timeout: 10,
                logger: Logger.new(File::NULL))
  c.start
  c
end

def fmt(v)
  case v
  when Hash then '{' + v.keys.sort_by(&:to_s).map { |k| "#{k.to_s.inspect}: #{fmt(v[k])}" }.join(', ') + '}'
  when Array then '[' + v.map { |x| fmt(x) }.join(', ') + ']'
  when Time then "Time(#{v.utc.strftime('%Y-%m-%dT%H:%M:%S')})"
  when BigDecimal then "BigDecimal(#{v.to_s('F')})"
  else "#{v.class}:#{v.inspect}"
  end
end

def show(label, di, props, body)
  out "#{label} body=#{body.inspect}"
  out "#{label} delivery exchange=#{di.exchange.inspect} routing_key=#{di.routing_key.inspect} redelivered=#{di.redelivered?}"
  h = props.to_hash.dup
  headers = h.delete(:headers)
  h.keys.map(&:to_s).sort.each { |k| out "#{label} prop #{k}=#{fmt(h[k.to_sym])}" }
  (headers || {}).keys.sort.each { |k| out "#{label} header #{k}=#{fmt(headers[k])}" }
end

def wait_until(limit = 5.0)
  deadline = Time.now + limit
  sleep 0.05 until yield || Time.now > deadline
  yield
end

# Queue#pop(timeout:) needs Ruby 3.2; Debian 12 has 3.1.
def tpop(q, timeout)
  deadline = Time.now + timeout
  loop do
    begin
      return q.pop(true)
    rescue ThreadError
      return nil if Time.now > deadline
      sleep 0.02
    end
  end
end

def code(e)
  cc = e.respond_to?(:channel_close) ? e.channel_close : nil
  "code=#{cc ? cc.reply_code : e.class}"
end

def text(e)
  cc = e.respond_to?(:channel_close) ? e.channel_close : nil
  cc ? cc.reply_text : e.message
end

def cleanup(conn)
  %w[q1 q2 q3 counts qos tx args cancel recover excl conf].each do |q|
    ch = conn.create_channel
    begin
      ch.queue_delete("#{P}.#{q}")
    rescue Bunny::Exception
    end
    ch.close if ch.open?
  end
  %w[direct fanout topic headers e2e].each do |x|
    ch = conn.create_channel
    begin
      ch.exchange_delete("#{P}.#{x}")
    rescue Bunny::Exception
    end
    ch.close if ch.open?
  end
end

conn = connect(heartbeat: 10)
out 'connect ok', conn.open?
out 'heartbeat negotiated', conn.heartbeat
out 'tune channel_max', conn.channel_max, 'frame_max', conn.frame_max
sp = conn.server_properties
%w[capabilities product version platform].each { |k| out "server property #{k} present=#{sp.key?(k)}" }
caps = conn.server_capabilities || {}
CAPS.each { |c| out "capability #{c}=#{caps[c] == true}" }
cleanup(conn)

ch = conn.create_channel
out 'channel open', ch.open?

# --- topology -----------------------------------------------------------
xs = {}
%w[direct fanout topic headers].each do |t|
  xs[t] = ch.exchange("#{P}.#{t}", type: t, durable: false)
  out "exchange.declare #{t} ok"
end
e2e = ch.fanout("#{P}.e2e")
e2e.bind(xs['topic'], routing_key: 'e2e.#')
out 'exchange.bind ok'
q1 = ch.queue("#{P}.q1", durable: true, auto_delete: false)
out "queue.declare q1 name=#{q1.name}"
anon = ch.queue('', exclusive: true)
out "queue.declare server-named prefix=#{anon.name[0, 8]} server_named=#{anon.server_named?}"
q2 = ch.queue("#{P}.q2", auto_delete: false)
q3 = ch.queue("#{P}.q3", auto_delete: false)
q1.bind(xs['direct'], routing_key: 'k1')
anon.bind(xs['fanout'])
anon.bind(e2e)
q2.bind(xs['topic'], routing_key: 'a.#')
q3.bind(xs['headers'], arguments: { 'x-match' => 'all', 'h1' => 'v1', 'h2' => 2 })
out 'bindings ok'

headers = {
  'str' => 'hello', 'int' => 42, 'negint' => -7, 'bigint' => 2**40,
  # amq-protocol 2.3.2 encodes BigDecimal('1.23') as decimal 1 (its
  # exponent test misses positive-exponent values): a client quirk, the
  # same against every broker.
  'bool' => true, 'float' => 1.5, 'decimal' => BigDecimal('1.23'),
  'void' => nil,
  'nested' => { 'a' => 1, 'b' => 'x', 'deeper' => { 'c' => false } },
  'array' => [1, 'two', true, 2.5, { 'k' => 'v' }],
  'timestamp' => Time.at(1614834367).utc
}
props = {
  content_type: 'application/json', content_encoding: 'utf-8', headers: headers,
  delivery_mode: 2, priority: 5, correlation_id: 'corr-1', reply_to: 'reply.q',
  expiration: '60000', message_id: 'msg-1', timestamp: 1577934245, type: 'test.type',
  user_id: 'guest', app_id: 'compat', cluster_id: 'cluster-x'
}
xs['direct'].publish('{"n": 1}', props.merge(routing_key: 'k1'))
xs['direct'].publish('{"n": 2}', props.merge(routing_key: 'k1'))
ch.queue_declare(q1.name, passive: true)
di, pr, body = q1.pop(manual_ack: true)
# Bunny's GetResponse hides message_count; read it from the basic.get-ok frame.
out 'get-ok message_count', di.instance_variable_get(:@get_ok).message_count
show('get', di, pr, body)
ch.ack(di.delivery_tag)

got = Queue.new
cons = q1.subscribe(manual_ack: true) { |d, p, b| got << [d, p, b] }
d, p, b = tpop(got, 5)
if d
  show('consume', d, p, b)
  ch.ack(d.delivery_tag)
end
cons.cancel

xs['topic'].publish('topic-match', routing_key: 'a.b.c')
xs['topic'].publish('topic-miss', routing_key: 'b.a')
xs['topic'].publish('e2e-via-topic', routing_key: 'e2e.x')
xs['fanout'].publish('fanout', routing_key: 'ignored')
xs['headers'].publish('headers-match', headers: { 'h1' => 'v1', 'h2' => 2 })
xs['headers'].publish('headers-miss', headers: { 'h1' => 'v1', 'h2' => '2' })
[[q2, 'q2'], [q3, 'q3'], [anon, 'server-named']].each do |q, label|
  bodies = []
  loop do
    _, _, b = q.pop
    break if b.nil?
    bodies << b
  end
  out "routed #{label}: #{bodies.sort.inspect}"
end

# --- counts (confirmed publishes, so counts are settled) -------------------
pub = conn.create_channel
pub.confirm_select
qc = ch.queue("#{P}.counts", auto_delete: false)
_, _, b = qc.pop
out 'get empty', b.nil?
3.times { |i| pub.default_exchange.publish("c#{i}", routing_key: qc.name) }
pub.wait_for_confirms
out 'declare-ok message_count', ch.queue_declare(qc.name, passive: true).message_count
di, _, b = qc.pop
# Bunny's GetResponse hides message_count; read it from the basic.get-ok frame.
out 'get-ok message_count', di.instance_variable_get(:@get_ok).message_count, 'body', b
out 'purge count', ch.queue_purge(qc.name).message_count
4.times { |i| pub.default_exchange.publish("d#{i}", routing_key: qc.name) }
pub.wait_for_confirms
out 'delete count', ch.queue_delete(qc.name).message_count

# --- publisher confirms + mandatory ----------------------------------------
cch = conn.create_channel
cch.confirm_select
qconf = cch.queue("#{P}.conf", auto_delete: false)
20.times { |i| cch.default_exchange.publish("conf#{i}", routing_key: qconf.name, persistent: true) }
ok = cch.wait_for_confirms
out "confirms published=20 all_acked=#{ok} nacked=#{cch.nacked_set.size} unconfirmed=#{cch.unconfirmed_set.size} next_tag=#{cch.next_publish_seq_no}"
returns = Queue.new
rx = cch.direct(xs['direct'].name)
rx.on_return { |ri, _p, b| returns << [ri.reply_code, ri.reply_text, ri.exchange, ri.routing_key, b] }
rx.publish('unroutable', routing_key: 'nowhere', mandatory: true)
r = tpop(returns, 5)
out "basic.return code=#{r[0]} text=#{r[1]} exchange=#{r[2]} routing_key=#{r[3]} body=#{r[4].inspect}" if r
out 'unroutable confirm acked', cch.wait_for_confirms
cch.close

# --- qos / nack / reject / recover -----------------------------------------
qch = conn.create_channel
qq = qch.queue("#{P}.qos", auto_delete: false)
5.times { |i| qch.default_exchange.publish("m#{i}", routing_key: qq.name) }
qch.queue_declare(qq.name, passive: true)
qch.prefetch(2)
dq = Queue.new
qcons = qq.subscribe(manual_ack: true) { |d, _p, b| dq << [b, d.redelivered?, d.delivery_tag] }
def take_all(q, quiet = 0.5)
  r = []
  while (x = tpop(q, quiet))
    r << x
  end
  r
end
first = take_all(dq)
out 'prefetch=2 unacked deliveries', first.map { |x| [x[0], x[1]] }.inspect
qch.nack(first[0][2], false, true)
after_nack = take_all(dq)
out 'after nack requeue', after_nack.map { |x| [x[0], x[1]] }.inspect
qch.reject(first[1][2], false)
after_reject = take_all(dq)
out 'after reject', after_reject.map { |x| [x[0], x[1]] }.inspect
pending = after_nack + after_reject
n = 0
while (x = pending.shift) && n < 20
  n += 1
  out 'ack', x[0], x[1]
  qch.ack(x[2])
  pending.concat(take_all(dq, 0.3))
end
qcons.cancel
out 'qos queue remaining', qch.queue_declare(qq.name, passive: true).message_count
rq = qch.queue("#{P}.recover", auto_delete: false)
qch.default_exchange.publish('rec', routing_key: rq.name)
qch.queue_declare(rq.name, passive: true)
di, _, b = rq.pop(manual_ack: true)
out 'recover before', b, di.redelivered?
qch.recover(true)
di, _, b = rq.pop(manual_ack: true)
out 'recover after', b, di&.redelivered?
qch.ack(di.delivery_tag) if di
qch.close

# --- transactions ------------------------------------------------------------
tch = conn.create_channel
tq = tch.queue("#{P}.tx", auto_delete: false)
tch.tx_select
out 'tx.select ok', tch.using_tx?
tch.default_exchange.publish('rolled-back', routing_key: tq.name)
tch.tx_rollback
out 'tx.rollback ok; queued', tch.queue_declare(tq.name, passive: true).message_count
tch.default_exchange.publish('committed', routing_key: tq.name)
out 'before commit; queued', tch.queue_declare(tq.name, passive: true).message_count
tch.tx_commit
out 'tx.commit ok; queued', tch.queue_declare(tq.name, passive: true).message_count
di, _, b = tq.pop(manual_ack: true)
tch.ack(di.delivery_tag)
tch.tx_commit
out 'tx get+ack committed', b, 'queued', tch.queue_declare(tq.name, passive: true).message_count
tch.close

# --- errors --------------------------------------------------------------------
ech = conn.create_channel
begin
  ech.queue_declare("#{P}.missing", passive: true)
  out 'passive declare missing: no error'
rescue Bunny::NotFound => e
  out "passive declare missing: #{code(e)} text=#{text(e)}"
end
out 'channel open after error', ech.open?
ech = conn.create_channel
ech.queue_declare("#{P}.args", durable: false, auto_delete: false, arguments: { 'x-max-length' => 10 })
begin
  ech.queue_declare("#{P}.args", durable: false, auto_delete: false, arguments: { 'x-max-length' => 20 })
  out 'redeclare different args: no error'
rescue Bunny::PreconditionFailed => e
  out "redeclare different args: #{code(e)}"
end
ech = conn.create_channel
ech.basic_publish('x', "#{P}.nosuchexchange", 'k', {})
begin
  ech.queue_declare(q1.name, passive: true)
  sleep 0.3
  out 'publish to missing exchange: no error', ech.open?
rescue Bunny::Exception => e
  out "publish to missing exchange: #{code(e)} text=#{text(e)}"
end
ech = conn.create_channel
ech.queue_declare("#{P}.excl", exclusive: true)
other = connect
och = other.create_channel
begin
  och.queue_declare("#{P}.excl", passive: true)
  out 'other connection passive declare exclusive: no error'
rescue Bunny::ResourceLocked => e
  out "other connection passive declare exclusive: #{code(e)}"
end
och = other.create_channel
begin
  och.basic_consume("#{P}.excl", 'compat-excl-tag', true, false, {}) { |*_| }
  out 'other connection consume exclusive: no error'
rescue Bunny::ResourceLocked => e
  out "other connection consume exclusive: #{code(e)}"
end
och = other.create_channel
out 'other connection continues', och.queue_declare(q1.name, passive: true).queue
other.close
ech = conn.create_channel
out 'new channel after errors', ech.queue_declare(q1.name, passive: true).queue

# --- consumer cancel notification ----------------------------------------------
cq = ech.queue("#{P}.cancel", auto_delete: false)
cancelled = Queue.new
cons = Bunny::Consumer.new(ech, cq, 'compat-cancel-tag', false)
cons.on_delivery { |*_| }
cons.on_cancellation { |bc| cancelled << bc.consumer_tag }
cq.subscribe_with(cons)
conn.create_channel.queue_delete(cq.name)
out 'consumer cancel notified', tpop(cancelled, 5).inspect
out 'channel still open after cancel', ech.open?

cleanup(conn)
conn.close
out 'connection closed', conn.closed?

<?php
// AMQP 0-9-1 compatibility smoke test with php-amqplib (Debian php-amqplib).
//
// Usage: php phpamqplib_smoke.php HOST PORT
//
// Prints deterministic lines describing what the broker did; the output is
// compared against a golden file recorded against RabbitMQ
// (see scripts/compat.sh).

require_once '/usr/share/php/PhpAmqpLib/autoload.php';

use PhpAmqpLib\Connection\AMQPStreamConnection;
use PhpAmqpLib\Exception\AMQPBasicCancelException;
use PhpAmqpLib\Exception\AMQPProtocolChannelException;
use PhpAmqpLib\Exception\AMQPTimeoutException;
use PhpAmqpLib\Message\AMQPMessage;
use PhpAmqpLib\Wire\AMQPAbstractCollection;
use PhpAmqpLib\Wire\AMQPArray;
use PhpAmqpLib\Wire\AMQPDecimal;
use PhpAmqpLib\Wire\AMQPTable;

$HOST = $argv[1];
$PORT = (int)$argv[2];
const P = 'compat.phpamqplib';
const CAPS = ['publisher_confirms', 'basic.nack', 'consumer_cancel_notify',
    'exchange_exchange_bindings', 'connection.blocked',
    'authentication_failure_close', 'per_consumer_qos', 'direct_reply_to'];

function out(...$a) { echo implode(' ', $a), "\n"; }

function connect($heartbeat = 0) {
    global $HOST, $PORT;
    return new AMQPStreamConnection($HOST, $PORT, 'guest', 'guest', '/', false,
        'PLAIN', null, 'en_US', 10.0, 30.0, null, false, $heartbeat);
}

function b($v) { return $v ? 'true' : 'false'; }

// Printable rendering of scalars (control bytes escaped).
function q($v) {
    if (is_string($v)) {
        return '"' . addcslashes($v, "\0..\37\177..\377\"\\") . '"';
    }
    return var_export($v, true);
}

// Typed rendering of a decoded field value: AMQP type tag:value.
function fmt_typed($type, $v) {
    $types = AMQPAbstractCollection::getSupportedDataTypes();
    $sym = $types[$type] ?? "?$type";
    if ($v instanceof AMQPAbstractCollection) {
        return $sym . ':' . fmt_coll($v);
    }
    if ($v instanceof AMQPDecimal) {
        return $sym . ':' . $v->getN() . 'e-' . $v->getE();
    }
    return $sym . ':' . q($v);
}

function fmt_coll(AMQPAbstractCollection $c) {
    $items = [];
    foreach ($c as $k => $tv) {
        $items[$k] = fmt_typed($tv[0], $tv[1]);
    }
    if ($c instanceof AMQPTable) {
        ksort($items, SORT_STRING);
        $parts = [];
        foreach ($items as $k => $s) { $parts[] = "$k=$s"; }
        return '{' . implode(', ', $parts) . '}';
    }
    return '[' . implode(', ', $items) . ']';
}

function show($label, AMQPMessage $m) {
    out("$label body=" . q($m->getBody()));
    out("$label delivery exchange=" . $m->getExchange() . ' routing_key=' . $m->getRoutingKey()
        . ' redelivered=' . b($m->isRedelivered()));
    $props = $m->get_properties();
    $headers = $props['application_headers'] ?? null;
    unset($props['application_headers']);
    ksort($props);
    foreach ($props as $k => $v) {
        out("$label prop $k=" . q($v));
    }
    if ($headers instanceof AMQPTable) {
        $items = [];
        foreach ($headers as $k => $tv) { $items[$k] = fmt_typed($tv[0], $tv[1]); }
        ksort($items, SORT_STRING);
        foreach ($items as $k => $s) { out("$label header $k=$s"); }
    }
}

// Wait on a channel for up to $limit seconds or until $cond() holds.
function wait_until($ch, callable $cond, $limit = 5.0) {
    $end = microtime(true) + $limit;
    while (!$cond() && microtime(true) < $end) {
        try {
            $ch->wait(null, false, 0.2);
        } catch (AMQPTimeoutException $e) {
        }
    }
    return $cond();
}

// Process frames until nothing arrives for $quiet seconds.
function drain($ch, $quiet = 0.5) {
    for ($i = 0; $i < 50; $i++) {
        try {
            $ch->wait(null, false, $quiet);
        } catch (AMQPTimeoutException $e) {
            return;
        }
    }
}

function cleanup($conn) {
    foreach (['q1', 'q2', 'q3', 'counts', 'qos', 'tx', 'args', 'cancel', 'recover', 'excl', 'conf'] as $q) {
        $ch = $conn->channel();
        try { $ch->queue_delete(P . ".$q"); $ch->close(); } catch (AMQPProtocolChannelException $e) {}
    }
    foreach (['direct', 'fanout', 'topic', 'headers'] as $x) {
        $ch = $conn->channel();
        try { $ch->exchange_delete(P . ".$x"); $ch->close(); } catch (AMQPProtocolChannelException $e) {}
    }
}

$conn = connect(10);
out('connect ok', b($conn->isConnected()));
out('heartbeat negotiated', $conn->getHeartbeat());
$sp = $conn->getServerProperties();
foreach (['capabilities', 'product', 'version', 'platform'] as $k) {
    out("server property $k present=" . b(isset($sp[$k])));
}
$caps = isset($sp['capabilities']) ? $sp['capabilities'][1] : null;
foreach (CAPS as $c) {
    // server properties come back as raw [type, value] pairs
    $v = (is_array($caps) && isset($caps[$c])) ? $caps[$c] : null;
    out("capability $c=" . b(is_array($v) && $v[0] === 't' && $v[1] == 1));
}
cleanup($conn);

$ch = $conn->channel();
out('channel open', b($ch->is_open()));

// --- topology -------------------------------------------------------------
foreach (['direct', 'fanout', 'topic', 'headers'] as $t) {
    $ch->exchange_declare(P . ".$t", $t, false, false, false);
    out("exchange.declare $t ok");
}
[$name, $mc, $cc] = $ch->queue_declare(P . '.q1', false, true, false, false);
out("queue.declare q1 name=$name messages=$mc consumers=$cc");
[$anon, $mc, $cc] = $ch->queue_declare('', false, false, true, true);
out('queue.declare server-named prefix=' . substr($anon, 0, 8) . " messages=$mc consumers=$cc");
$ch->queue_declare(P . '.q2', false, false, false, false);
$ch->queue_declare(P . '.q3', false, false, false, false);
$ch->queue_bind(P . '.q1', P . '.direct', 'k1');
$ch->queue_bind($anon, P . '.fanout', '');
$ch->queue_bind(P . '.q2', P . '.topic', '*.b.#');
$ch->queue_bind(P . '.q3', P . '.headers', '', false,
    new AMQPTable(['x-match' => 'all', 'h1' => 'v1', 'h2' => 2]));
out('bindings ok');

$headers = new AMQPTable([
    'str' => 'hello', 'int' => 42, 'negint' => -7, 'bigint' => 1099511627776,
    'bool' => true, 'float' => 1.5,
    'nested' => new AMQPTable(['a' => 1, 'b' => 'x', 'deeper' => new AMQPTable(['c' => false])]),
    'array' => new AMQPArray([1, 'two', true, 2.5, new AMQPTable(['k' => 'v'])]),
]);
$headers->set('timestamp', 1614834367, AMQPTable::T_TIMESTAMP);
$headers->set('bytes', "\x01\x02raw", AMQPTable::T_BYTES);
$headers->set('decimal', new AMQPDecimal(123, 2), AMQPTable::T_DECIMAL);
$headers->set('void', null, AMQPTable::T_VOID);
$headers->set('byte', -5, AMQPTable::T_INT_SHORTSHORT);
$headers->set('short', -300, AMQPTable::T_INT_SHORT);
$headers->set('long', -70000, AMQPTable::T_INT_LONG);
$props = [
    'content_type' => 'application/json', 'content_encoding' => 'utf-8',
    'application_headers' => $headers, 'delivery_mode' => 2, 'priority' => 5,
    'correlation_id' => 'corr-1', 'reply_to' => 'reply.q', 'expiration' => '60000',
    'message_id' => 'msg-1', 'timestamp' => 1577934245, 'type' => 'test.type',
    'user_id' => 'guest', 'app_id' => 'compat', 'cluster_id' => 'cluster-x',
];
$ch->basic_publish(new AMQPMessage('{"n": 1}', $props), P . '.direct', 'k1');
$ch->basic_publish(new AMQPMessage('{"n": 2}', $props), P . '.direct', 'k1');
$ch->queue_declare(P . '.q1', true);
$m = $ch->basic_get(P . '.q1', false);
out('get-ok message_count', $m->getMessageCount());
show('get', $m);
$m->ack();

$got = [];
$tag = $ch->basic_consume(P . '.q1', '', false, false, false, false,
    function ($msg) use (&$got) { $got[] = $msg; });
wait_until($ch, function () use (&$got) { return count($got) > 0; });
foreach ($got as $m) {
    show('consume', $m);
    $m->ack();
}
$ch->basic_cancel($tag);

$ch->basic_publish(new AMQPMessage('topic-match'), P . '.topic', 'a.b.c.d');
$ch->basic_publish(new AMQPMessage('topic-miss'), P . '.topic', 'a.c.b');
$ch->basic_publish(new AMQPMessage('fanout'), P . '.fanout', 'x');
$ch->basic_publish(new AMQPMessage('headers-match', ['application_headers' => new AMQPTable(['h1' => 'v1', 'h2' => 2])]), P . '.headers', '');
$ch->basic_publish(new AMQPMessage('headers-miss', ['application_headers' => new AMQPTable(['h1' => 'v1'])]), P . '.headers', '');
foreach ([[P . '.q2', 'q2'], [P . '.q3', 'q3'], [$anon, 'server-named']] as [$q, $label]) {
    $bodies = [];
    while (($m = $ch->basic_get($q, true)) !== null) { $bodies[] = $m->getBody(); }
    out("routed $label: " . json_encode($bodies));
}

// --- counts (confirmed publishes, so counts are settled) ------------------
$pub = $conn->channel();
$pub->confirm_select();
$q = P . '.counts';
$ch->queue_declare($q, false, false, false, false);
out('get empty', b($ch->basic_get($q) === null));
for ($i = 0; $i < 3; $i++) { $pub->basic_publish(new AMQPMessage("c$i"), '', $q); }
$pub->wait_for_pending_acks(5);
[, $mc] = $ch->queue_declare($q, true);
out('declare-ok message_count', $mc);
$m = $ch->basic_get($q, true);
out('get-ok message_count', $m->getMessageCount(), 'body', $m->getBody());
out('purge count', $ch->queue_purge($q));
for ($i = 0; $i < 4; $i++) { $pub->basic_publish(new AMQPMessage("d$i"), '', $q); }
$pub->wait_for_pending_acks(5);
out('delete count', $ch->queue_delete($q));
$pub->close();

// --- publisher confirms + mandatory ----------------------------------------
$cch = $conn->channel();
$cch->confirm_select();
$acks = 0; $nacks = 0; $returns = [];
$cch->set_ack_handler(function ($m) use (&$acks) { $acks++; });
$cch->set_nack_handler(function ($m) use (&$nacks) { $nacks++; });
$cch->set_return_listener(function ($code, $text, $exchange, $rk, $msg) use (&$returns) {
    $returns[] = "basic.return code=$code text=$text exchange=$exchange routing_key=$rk body=" . $msg->getBody();
});
$cch->queue_declare(P . '.conf', false, false, false, false);
for ($i = 0; $i < 20; $i++) {
    $cch->basic_publish(new AMQPMessage("conf$i", ['delivery_mode' => 2]), '', P . '.conf');
}
$cch->wait_for_pending_acks_returns(5);
out("confirms published=20 acked=$acks nacked=$nacks");
$acks = 0;
$cch->basic_publish(new AMQPMessage('unroutable'), P . '.direct', 'nowhere', true);
$cch->wait_for_pending_acks_returns(5);
foreach ($returns as $r) { out($r); }
out("unroutable confirm acked=$acks");
$cch->close();

// --- qos / nack / reject / recover -----------------------------------------
$qch = $conn->channel();
$q = P . '.qos';
$qch->queue_declare($q, false, false, false, false);
for ($i = 0; $i < 5; $i++) { $qch->basic_publish(new AMQPMessage("m$i"), '', $q); }
$qch->queue_declare($q, true);
$qch->basic_qos(null, 2, null);
$deliveries = [];
$ctag = $qch->basic_consume($q, '', false, false, false, false,
    function ($msg) use (&$deliveries) { $deliveries[] = $msg; });
$fmtd = function ($ds) {
    return json_encode(array_map(function ($m) { return [$m->getBody(), $m->isRedelivered()]; }, $ds));
};
drain($qch);
out('prefetch=2 unacked deliveries', $fmtd($deliveries));
[$first, $second] = $deliveries;
$deliveries = [];
$first->nack(true);
drain($qch);
out('after nack requeue', $fmtd($deliveries));
$second->reject(false);
drain($qch);
out('after reject', $fmtd($deliveries));
for ($n = 0; $deliveries && $n < 20; $n++) {
    $m = array_shift($deliveries);
    out('ack', $m->getBody(), b($m->isRedelivered()));
    $m->ack();
    drain($qch, 0.3);
}
$qch->basic_cancel($ctag);
[, $mc] = $qch->queue_declare($q, true);
out('qos queue remaining', $mc);
$r = P . '.recover';
$qch->queue_declare($r, false, false, false, false);
$qch->basic_publish(new AMQPMessage('rec'), '', $r);
$qch->queue_declare($r, true);
$m = $qch->basic_get($r, false);
out('recover before', $m->getBody(), b($m->isRedelivered()));
$qch->basic_recover(true);
$m = $qch->basic_get($r, false);
out('recover after', $m ? $m->getBody() : 'none', $m ? b($m->isRedelivered()) : '');
if ($m) { $m->ack(); }
$qch->close();

// --- transactions --------------------------------------------------------
$tch = $conn->channel();
$q = P . '.tx';
$tch->queue_declare($q, false, false, false, false);
$tch->tx_select();
out('tx.select ok');
$tch->basic_publish(new AMQPMessage('rolled-back'), '', $q);
$tch->tx_rollback();
out('tx.rollback ok; queued', $tch->queue_declare($q, true)[1]);
$tch->basic_publish(new AMQPMessage('committed'), '', $q);
out('before commit; queued', $tch->queue_declare($q, true)[1]);
$tch->tx_commit();
out('tx.commit ok; queued', $tch->queue_declare($q, true)[1]);
$m = $tch->basic_get($q, false);
$m->ack();
$tch->tx_commit();
out('tx get+ack committed', $m->getBody(), 'queued', $tch->queue_declare($q, true)[1]);
$tch->close();

// --- errors ----------------------------------------------------------------
$ech = $conn->channel();
try {
    $ech->queue_declare(P . '.missing', true);
    out('passive declare missing: no error');
} catch (AMQPProtocolChannelException $e) {
    out('passive declare missing: code=' . $e->getCode() . ' text=' . $e->getMessage());
}
out('channel open after error', b($ech->is_open()));
$ech = $conn->channel();
$ech->queue_declare(P . '.args', false, false, false, false, false, new AMQPTable(['x-max-length' => 10]));
try {
    $ech->queue_declare(P . '.args', false, false, false, false, false, new AMQPTable(['x-max-length' => 20]));
    out('redeclare different args: no error');
} catch (AMQPProtocolChannelException $e) {
    out('redeclare different args: code=' . $e->getCode());
}
$ech = $conn->channel();
$ech->basic_publish(new AMQPMessage('x'), P . '.nosuchexchange', 'k');
try {
    $ech->queue_declare(P . '.q1', true);
    out('publish to missing exchange: no error');
} catch (AMQPProtocolChannelException $e) {
    out('publish to missing exchange: code=' . $e->getCode() . ' text=' . $e->getMessage());
}
$ech = $conn->channel();
$ech->queue_declare(P . '.excl', false, false, true, false);
$other = connect();
try {
    $other->channel()->queue_declare(P . '.excl', true);
    out('other connection passive declare exclusive: no error');
} catch (AMQPProtocolChannelException $e) {
    out('other connection passive declare exclusive: code=' . $e->getCode());
}
try {
    $other->channel()->basic_consume(P . '.excl', '', false, true, false, false, function ($m) {});
    out('other connection consume exclusive: no error');
} catch (AMQPProtocolChannelException $e) {
    out('other connection consume exclusive: code=' . $e->getCode());
}
out('other connection continues', $other->channel()->queue_declare(P . '.q1', true)[0]);
$other->close();
$ech = $conn->channel();
out('new channel after errors', $ech->queue_declare(P . '.q1', true)[0]);

// --- consumer cancel notification ------------------------------------------
$q = P . '.cancel';
$ech->queue_declare($q, false, false, false, false);
$ech->basic_consume($q, 'compat-cancel-tag', false, false, false, false, function ($m) {});
$dch = $conn->channel();
try {
    $dch->queue_delete($q);
    $ech->wait(null, false, 3);
    out('consumer cancel: nothing raised');
} catch (AMQPBasicCancelException $e) {
    out('consumer cancel: AMQPBasicCancelException tag=' . $e->getMessage());
} catch (AMQPTimeoutException $e) {
    out('consumer cancel: timeout');
}

cleanup($conn);
$conn->close();
out('connection closed', b(!$conn->isConnected()));

// AMQP 0-9-1 compatibility smoke test with the RabbitMQ Java client
// (Debian librabbitmq-client-java, amqp-client 5.0.0).
//
// Usage: java -cp /usr/share/java/amqp-client.jar:/usr/share/java/slf4j-api.jar:/usr/share/java/slf4j-nop.jar \
//          test/compat/JavaSmoke.java HOST PORT
// (the JDK's single-file source launcher: no build step).
//
// Prints deterministic lines describing what the broker did; the output is
// compared against a golden file recorded against RabbitMQ
// (see scripts/compat.sh).

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.LongString;
import com.rabbitmq.client.MessageProperties;
import com.rabbitmq.client.Method;
import com.rabbitmq.client.ShutdownSignalException;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TimeZone;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

public class JavaSmoke {
    static String HOST;
    static int PORT;
    static final String P = "compat.java";
    static final String[] CAPS = {"publisher_confirms", "basic.nack", "consumer_cancel_notify",
        "exchange_exchange_bindings", "connection.blocked", "authentication_failure_close",
        "per_consumer_qos", "direct_reply_to"};
    // RabbitMQ 3.13 added these dead-lettering headers; the goldens come
    // from 3.10, which has no such headers, so the comparison leaves them out.
    static final Set<String> NEWER_HEADERS = Set.of(
        "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason");

    static void out(Object... a) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < a.length; i++) {
            if (i > 0) sb.append(' ');
            sb.append(a[i]);
        }
        System.out.println(sb);
        System.out.flush();
    }

    static Connection connect(int heartbeat) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(HOST);
        f.setPort(PORT);
        f.setUsername("guest");
        f.setPassword("guest");
        f.setVirtualHost("/");
        f.setRequestedHeartbeat(heartbeat);
        f.setAutomaticRecoveryEnabled(false);
        f.setTopologyRecoveryEnabled(false);
        f.setConnectionTimeout(10000);
        f.setHandshakeTimeout(10000);
        f.setChannelRpcTimeout(10000);
        f.setShutdownTimeout(2000);
        return f.newConnection();
    }

    // --- deterministic rendering of decoded values -------------------------
    static final SimpleDateFormat ISO = new SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss");
    static {
        ISO.setTimeZone(TimeZone.getTimeZone("UTC"));
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20 || c >= 0x7f) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }

    static String fmt(Object v) {
        return fmt(v, false);
    }

    // dropTime leaves out the 'time' key of tables (x-death's wall-clock time).
    static String fmt(Object v, boolean dropTime) {
        if (v == null) return "null";
        if (v instanceof Map) {
            Map<?, ?> m = (Map<?, ?>) v;
            TreeMap<String, Object> sorted = new TreeMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) sorted.put(String.valueOf(e.getKey()), e.getValue());
            List<String> parts = new ArrayList<>();
            for (Map.Entry<String, Object> e : sorted.entrySet()) {
                if (dropTime && e.getKey().equals("time")) continue;
                parts.add(quote(e.getKey()) + ": " + fmt(e.getValue(), dropTime));
            }
            return "{" + String.join(", ", parts) + "}";
        }
        if (v instanceof List) {
            List<String> parts = new ArrayList<>();
            for (Object x : (List<?>) v) parts.add(fmt(x, dropTime));
            return "[" + String.join(", ", parts) + "]";
        }
        if (v instanceof byte[]) {
            byte[] b = (byte[]) v;
            StringBuilder sb = new StringBuilder("byte[]:");
            for (byte x : b) sb.append(String.format("%02x", x & 0xff));
            return sb.toString();
        }
        if (v instanceof LongString) return "LongString:" + quote(v.toString());
        if (v instanceof String) return "String:" + quote((String) v);
        if (v instanceof Date) return "Date(" + ISO.format((Date) v) + ")";
        if (v instanceof BigDecimal) return "BigDecimal:" + ((BigDecimal) v).toPlainString();
        return v.getClass().getSimpleName() + ":" + v;
    }

    static String body(byte[] b) {
        return b == null ? "null" : quote(new String(b, StandardCharsets.UTF_8));
    }

    static Map<String, Object> propMap(AMQP.BasicProperties p) {
        TreeMap<String, Object> m = new TreeMap<>();
        m.put("app_id", p.getAppId());
        m.put("cluster_id", p.getClusterId());
        m.put("content_encoding", p.getContentEncoding());
        m.put("content_type", p.getContentType());
        m.put("correlation_id", p.getCorrelationId());
        m.put("delivery_mode", p.getDeliveryMode());
        m.put("expiration", p.getExpiration());
        m.put("message_id", p.getMessageId());
        m.put("priority", p.getPriority());
        m.put("reply_to", p.getReplyTo());
        m.put("timestamp", p.getTimestamp());
        m.put("type", p.getType());
        m.put("user_id", p.getUserId());
        return m;
    }

    static void show(String label, Envelope env, AMQP.BasicProperties p, byte[] b) {
        out(label + " body=" + body(b));
        out(label + " delivery exchange=" + quote(env.getExchange()) + " routing_key="
            + quote(env.getRoutingKey()) + " redelivered=" + env.isRedeliver());
        for (Map.Entry<String, Object> e : propMap(p).entrySet()) {
            out(label + " prop " + e.getKey() + "=" + fmt(e.getValue()));
        }
        Map<String, Object> h = p.getHeaders();
        if (h != null) {
            for (String k : new TreeSet<>(h.keySet())) out(label + " header " + k + "=" + fmt(h.get(k)));
        }
    }

    static boolean waitUntil(BooleanSupplier cond, long ms) throws InterruptedException {
        long end = System.nanoTime() + ms * 1_000_000L;
        while (!cond.getAsBoolean() && System.nanoTime() < end) Thread.sleep(20);
        return cond.getAsBoolean();
    }

    // --- errors ------------------------------------------------------------
    static ShutdownSignalException sse(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ShutdownSignalException) return (ShutdownSignalException) t;
        }
        return null;
    }

    // "code=N" plus the reply text for 404s (406 texts differ between brokers
    // and versions; 404 texts are part of what clients show users).
    static String err(Throwable e) {
        ShutdownSignalException s = sse(e);
        if (s == null) return "exception " + e.getClass().getSimpleName();
        Method m = s.getReason();
        int code;
        String text;
        String kind;
        if (m instanceof AMQP.Channel.Close) {
            code = ((AMQP.Channel.Close) m).getReplyCode();
            text = ((AMQP.Channel.Close) m).getReplyText();
            kind = "channel";
        } else if (m instanceof AMQP.Connection.Close) {
            code = ((AMQP.Connection.Close) m).getReplyCode();
            text = ((AMQP.Connection.Close) m).getReplyText();
            kind = "connection";
        } else {
            return "shutdown reason " + (m == null ? "null" : m.protocolMethodName());
        }
        return kind + " error code=" + code + (code == 404 ? " text=" + text : "");
    }

    interface ChannelOp {
        Object run(Channel ch) throws Exception;
    }

    static String attempt(Channel ch, ChannelOp op) {
        try {
            Object r = op.run(ch);
            return "no error" + (r == null ? "" : " " + r);
        } catch (Exception e) {
            return err(e);
        }
    }

    // --- consumers ----------------------------------------------------------
    static final class Msg {
        final String body;
        final long tag;
        final boolean redelivered;
        final Envelope env;
        final AMQP.BasicProperties props;
        final byte[] raw;

        Msg(Envelope env, AMQP.BasicProperties props, byte[] raw) {
            this.body = new String(raw, StandardCharsets.UTF_8);
            this.tag = env.getDeliveryTag();
            this.redelivered = env.isRedeliver();
            this.env = env;
            this.props = props;
            this.raw = raw;
        }

        @Override
        public String toString() {
            return "(" + body + " " + redelivered + ")";
        }
    }

    static final class Collector extends DefaultConsumer {
        final BlockingQueue<Msg> q = new LinkedBlockingQueue<>();
        final List<String> cancelled = new CopyOnWriteArrayList<>();

        Collector(Channel ch) {
            super(ch);
        }

        @Override
        public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties p, byte[] b) {
            q.add(new Msg(env, p, b));
        }

        @Override
        public void handleCancel(String consumerTag) {
            cancelled.add(consumerTag);
        }

        // Waits for `want` deliveries (at most 5 s), then for `quietMs` more
        // to catch deliveries beyond those.
        List<Msg> take(int want, long quietMs) throws InterruptedException {
            List<Msg> got = new ArrayList<>();
            long end = System.nanoTime() + 5_000_000_000L;
            while (got.size() < want) {
                long left = end - System.nanoTime();
                if (left <= 0) break;
                Msg m = q.poll(left, TimeUnit.NANOSECONDS);
                if (m == null) break;
                got.add(m);
            }
            Msg m;
            while ((m = q.poll(quietMs, TimeUnit.MILLISECONDS)) != null) got.add(m);
            return got;
        }
    }

    static void cleanup(Connection conn) throws Exception {
        String[] qs = {"q1", "q2", "q3", "args", "counts", "conf", "qos", "recover", "tx", "excl",
            "cancel", "rpc", "dlsrc", "dlttl", "dlq"};
        String[] xs = {"direct", "fanout", "topic", "headers", "e2e", "dlx"};
        Channel ch = conn.createChannel();
        for (String q : qs) {
            try {
                ch.queueDelete(P + "." + q);
            } catch (Exception e) {
                ch = conn.createChannel();
            }
        }
        for (String x : xs) {
            try {
                ch.exchangeDelete(P + "." + x);
            } catch (Exception e) {
                ch = conn.createChannel();
            }
        }
        ch.close();
    }

    static List<String> drainBodies(Channel ch, String q) throws Exception {
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            GetResponse r = ch.basicGet(q, true);
            if (r == null) break;
            bodies.add(new String(r.getBody(), StandardCharsets.UTF_8));
        }
        return bodies;
    }

    static GetResponse pollGet(Channel ch, String q, long ms) throws Exception {
        long end = System.nanoTime() + ms * 1_000_000L;
        while (true) {
            GetResponse r = ch.basicGet(q, true);
            if (r != null || System.nanoTime() > end) return r;
            Thread.sleep(50);
        }
    }

    static void showDeadLettered(String label, GetResponse d) {
        if (d == null) {
            out(label + ": nothing dead-lettered");
            return;
        }
        out(label + ":", body(d.getBody()), "exchange=" + d.getEnvelope().getExchange(),
            "routing_key=" + d.getEnvelope().getRoutingKey());
        Map<String, Object> h = d.getProps().getHeaders();
        if (h == null) h = Collections.emptyMap();
        for (String k : new TreeSet<>(h.keySet())) {
            if (NEWER_HEADERS.contains(k)) continue;
            out("  header " + k + "=" + fmt(h.get(k), true));
        }
    }

    static Map<String, Object> mixedHeaders() {
        Map<String, Object> nested = new HashMap<>();
        nested.put("a", 1);
        nested.put("b", "x");
        Map<String, Object> deeper = new HashMap<>();
        deeper.put("c", false);
        deeper.put("list", Arrays.asList(1, 2));
        nested.put("deeper", deeper);
        Map<String, Object> h = new HashMap<>();
        h.put("str", "hello");
        h.put("empty", "");
        h.put("utf8", "h\u00e9llo \u2713");
        h.put("int", 42);
        h.put("negint", -7);
        h.put("long", 1099511627776L);
        h.put("short", (short) 300);
        h.put("byte", (byte) -3);
        h.put("bool", true);
        h.put("false", false);
        h.put("float", 1.5f);
        h.put("double", 2.25);
        h.put("decimal", new BigDecimal("1.23"));
        h.put("negdecimal", new BigDecimal("-4.5"));
        h.put("timestamp", new Date(1614834367000L));
        h.put("bytes", new byte[] {1, 2, 'r', 'a', 'w'});
        h.put("void", null);
        h.put("nested", nested);
        h.put("array", Arrays.asList(1, "two", true, 2.5, Collections.singletonMap("k", "v"), null,
            (byte) 5, 7L, new Date(1614834367000L), new byte[] {9}));
        return h;
    }

    public static void main(String[] args) throws Exception {
        HOST = args[0];
        PORT = Integer.parseInt(args[1]);

        // --- connection ---------------------------------------------------
        Connection conn = connect(10);
        out("connect ok", conn.isOpen());
        out("heartbeat negotiated", conn.getHeartbeat());
        out("tune channel_max", conn.getChannelMax(), "frame_max", conn.getFrameMax());
        Map<String, Object> sp = conn.getServerProperties();
        for (String k : new String[] {"capabilities", "product", "version", "platform"}) {
            out("server property " + k + " present=" + sp.containsKey(k));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> caps = (Map<String, Object>) sp.getOrDefault("capabilities", Collections.emptyMap());
        for (String c : CAPS) out("capability " + c + "=" + Boolean.TRUE.equals(caps.get(c)));
        List<String> blocked = new CopyOnWriteArrayList<>();
        conn.addBlockedListener(new BlockedListener() {
            @Override
            public void handleBlocked(String reason) {
                blocked.add("blocked " + reason);
            }

            @Override
            public void handleUnblocked() {
                blocked.add("unblocked");
            }
        });
        out("blocked listener registered");
        cleanup(conn);

        Channel ch = conn.createChannel();
        out("channel open", ch.isOpen(), "number", ch.getChannelNumber());

        // --- topology -----------------------------------------------------
        for (String t : new String[] {"direct", "fanout", "topic", "headers"}) {
            AMQP.Exchange.DeclareOk ok = ch.exchangeDeclare(P + "." + t, t, false, false, null);
            out("exchange.declare " + t + " ok", ok != null);
        }
        ch.exchangeDeclare(P + ".e2e", "fanout", false, false, null);
        ch.exchangeBind(P + ".e2e", P + ".topic", "e2e.#");
        out("exchange.bind ok");
        AMQP.Queue.DeclareOk d = ch.queueDeclare(P + ".q1", true, false, false, null);
        out("queue.declare q1 name=" + d.getQueue(), "messages=" + d.getMessageCount(),
            "consumers=" + d.getConsumerCount());
        d = ch.queueDeclare();
        String anon = d.getQueue();
        out("queue.declare server-named prefix=" + anon.substring(0, 8), "messages=" + d.getMessageCount(),
            "consumers=" + d.getConsumerCount());
        Map<String, Object> qargs = new HashMap<>();
        qargs.put("x-max-length", 10);
        qargs.put("x-message-ttl", 60000);
        qargs.put("x-dead-letter-exchange", P + ".dlx");
        d = ch.queueDeclare(P + ".args", false, false, false, qargs);
        out("queue.declare with x-max-length/x-message-ttl/x-dead-letter-exchange name=" + d.getQueue(),
            "messages=" + d.getMessageCount());
        d = ch.queueDeclare(P + ".args", false, false, false, qargs);
        out("queue.declare same args again ok", d.getQueue());
        ch.queueDeclare(P + ".q2", false, false, false, null);
        ch.queueDeclare(P + ".q3", false, false, false, null);
        ch.queueBind(P + ".q1", P + ".direct", "k1");
        ch.queueBind(anon, P + ".fanout", "");
        ch.queueBind(anon, P + ".e2e", "");
        ch.queueBind(P + ".q2", P + ".topic", "a.*.c");
        Map<String, Object> hb = new HashMap<>();
        hb.put("x-match", "all");
        hb.put("h1", "v1");
        hb.put("h2", 2);
        ch.queueBind(P + ".q3", P + ".headers", "", hb);
        out("bindings ok");

        // --- publish with every property, get and consume back --------------
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
            .contentType("application/json").contentEncoding("utf-8").headers(mixedHeaders())
            .deliveryMode(2).priority(5).correlationId("corr-1").replyTo("reply.q")
            .expiration("60000").messageId("msg-1").timestamp(new Date(1577934245000L))
            .type("test.type").userId("guest").appId("compat").clusterId("cluster-x").build();
        ch.basicPublish(P + ".direct", "k1", props, "{\"n\": 1}".getBytes(StandardCharsets.UTF_8));
        ch.basicPublish(P + ".direct", "k1", props, "{\"n\": 2}".getBytes(StandardCharsets.UTF_8));
        GetResponse g = ch.basicGet(P + ".q1", false);
        out("get-ok message_count", g.getMessageCount());
        show("get", g.getEnvelope(), g.getProps(), g.getBody());
        ch.basicAck(g.getEnvelope().getDeliveryTag(), false);

        Collector c1 = new Collector(ch);
        String ctag = ch.basicConsume(P + ".q1", false, c1);
        for (Msg m : c1.take(1, 300)) {
            show("consume", m.env, m.props, m.raw);
            ch.basicAck(m.tag, false);
        }
        ch.basicCancel(ctag);
        out("basic.cancel ok");

        byte[] none = new byte[0];
        ch.basicPublish(P + ".topic", "a.b.c", null, "topic-match".getBytes());
        ch.basicPublish(P + ".topic", "a.b.d", null, "topic-miss".getBytes());
        ch.basicPublish(P + ".topic", "e2e.x", null, "e2e-via-topic".getBytes());
        ch.basicPublish(P + ".fanout", "ignored", null, "fanout".getBytes());
        Map<String, Object> hm = new HashMap<>();
        hm.put("h1", "v1");
        hm.put("h2", 2);
        hm.put("h3", "extra");
        ch.basicPublish(P + ".headers", "", new AMQP.BasicProperties.Builder().headers(hm).build(),
            "headers-match".getBytes());
        ch.basicPublish(P + ".headers", "", new AMQP.BasicProperties.Builder()
            .headers(Collections.singletonMap("h1", "v1")).build(), "headers-miss".getBytes());
        ch.basicPublish(P + ".headers", "", new AMQP.BasicProperties.Builder()
            .headers(Map.of("h1", "v1", "h2", 2L)).build(), "headers-long-2".getBytes());
        out("routed q2:", drainBodies(ch, P + ".q2"));
        out("routed q3:", drainBodies(ch, P + ".q3"));
        out("routed server-named:", drainBodies(ch, anon));
        ch.exchangeUnbind(P + ".e2e", P + ".topic", "e2e.#");
        ch.basicPublish(P + ".topic", "e2e.x", null, "after-unbind".getBytes());
        out("exchange.unbind ok; server-named:", drainBodies(ch, anon));

        // --- counts -------------------------------------------------------
        // A queue.declare after basic.publish is no sync point in RabbitMQ
        // (the count can lag), so these publishes wait for their confirms.
        Channel pub = conn.createChannel();
        pub.confirmSelect();
        String cq = P + ".counts";
        ch.queueDeclare(cq, false, false, false, null);
        out("get empty", ch.basicGet(cq, true) == null);
        for (int i = 0; i < 3; i++) pub.basicPublish("", cq, null, ("c" + i).getBytes());
        pub.waitForConfirmsOrDie(5000);
        out("declare-ok message_count", ch.queueDeclarePassive(cq).getMessageCount());
        g = ch.basicGet(cq, true);
        out("get-ok message_count", g.getMessageCount(), "body", body(g.getBody()));
        out("purge count", ch.queuePurge(cq).getMessageCount());
        for (int i = 0; i < 4; i++) pub.basicPublish("", cq, null, ("d" + i).getBytes());
        pub.waitForConfirmsOrDie(5000);
        out("delete count", ch.queueDelete(cq).getMessageCount());
        pub.close();

        // --- publisher confirms + mandatory ------------------------------
        Channel cch = conn.createChannel();
        cch.confirmSelect();
        String confq = P + ".conf";
        cch.queueDeclare(confq, false, false, false, null);
        ConcurrentSkipListSet<Long> outstanding = new ConcurrentSkipListSet<>();
        Set<Long> acked = new ConcurrentSkipListSet<>();
        Set<Long> nacked = new ConcurrentSkipListSet<>();
        cch.addConfirmListener(new ConfirmListener() {
            void settle(Set<Long> into, long tag, boolean multiple) {
                if (multiple) {
                    for (Long t : new ArrayList<>(outstanding.headSet(tag, true))) {
                        into.add(t);
                        outstanding.remove(t);
                    }
                } else {
                    into.add(tag);
                    outstanding.remove(tag);
                }
            }

            @Override
            public void handleAck(long tag, boolean multiple) {
                settle(acked, tag, multiple);
            }

            @Override
            public void handleNack(long tag, boolean multiple) {
                settle(nacked, tag, multiple);
            }
        });
        List<String> returns = new CopyOnWriteArrayList<>();
        cch.addReturnListener((code, text, exchange, rk, p, b) ->
            returns.add("code=" + code + " text=" + text + " exchange=" + exchange + " routing_key=" + rk
                + " body=" + body(b)));
        final int N = 20;
        for (int i = 0; i < N; i++) {
            outstanding.add(cch.getNextPublishSeqNo());
            cch.basicPublish("", confq, MessageProperties.PERSISTENT_TEXT_PLAIN, ("conf" + i).getBytes());
        }
        boolean all = cch.waitForConfirms(5000);
        waitUntil(() -> acked.size() + nacked.size() >= N, 5000);
        out("confirms published=" + N, "waitForConfirms=" + all, "acked=" + acked.size(),
            "nacked=" + nacked.size(), "max_tag=" + Math.max(acked.isEmpty() ? 0 : Collections.max(acked),
                nacked.isEmpty() ? 0 : Collections.max(nacked)),
            "next_seq_no=" + cch.getNextPublishSeqNo());
        out("confirm queued", cch.queueDeclarePassive(confq).getMessageCount());
        acked.clear();
        outstanding.add(cch.getNextPublishSeqNo());
        cch.basicPublish(P + ".direct", "nowhere", true, null, "unroutable".getBytes());
        all = cch.waitForConfirms(5000);
        waitUntil(() -> !returns.isEmpty() && !acked.isEmpty(), 5000);
        for (String r : returns) out("basic.return " + r);
        out("unroutable confirm acked", new TreeSet<>(acked), "waitForConfirms=" + all);
        cch.close();

        // --- qos / ack / nack / reject / recover -------------------------
        String qq = P + ".qos";
        Channel qch = conn.createChannel();
        qch.confirmSelect();
        qch.queueDeclare(qq, false, false, false, null);
        for (int i = 0; i < 5; i++) qch.basicPublish("", qq, null, ("m" + i).getBytes());
        qch.waitForConfirmsOrDie(5000);
        qch.basicQos(2);
        Collector qc = new Collector(qch);
        String qtag = qch.basicConsume(qq, false, qc);
        List<Msg> first = qc.take(2, 500);
        out("prefetch=2 unacked deliveries", first);
        qch.basicNack(first.get(0).tag, false, true);
        List<Msg> afterNack = qc.take(1, 300);
        out("after nack requeue", afterNack);
        qch.basicReject(first.get(1).tag, false);
        List<Msg> afterReject = qc.take(1, 300);
        out("after reject", afterReject);
        List<Msg> pending = new ArrayList<>(afterNack);
        pending.addAll(afterReject);
        for (int n = 0; !pending.isEmpty() && n < 20; n++) {
            Msg m = pending.remove(0);
            out("ack", m.body, m.redelivered);
            qch.basicAck(m.tag, false);
            pending.addAll(qc.take(0, 300));
        }
        qch.basicCancel(qtag);
        out("qos queue remaining", qch.queueDeclarePassive(qq).getMessageCount());

        String rq = P + ".recover";
        qch.queueDeclare(rq, false, false, false, null);
        qch.basicPublish("", rq, null, "rec".getBytes());
        qch.waitForConfirmsOrDie(5000);
        g = qch.basicGet(rq, false);
        out("recover before", body(g.getBody()), g.getEnvelope().isRedeliver());
        qch.basicRecover(true);
        g = qch.basicGet(rq, false);
        out("recover after", g == null ? "null" : body(g.getBody()), g != null && g.getEnvelope().isRedeliver());
        if (g != null) qch.basicAck(g.getEnvelope().getDeliveryTag(), false);
        qch.close();

        // --- transactions --------------------------------------------------
        String tq = P + ".tx";
        Channel tch = conn.createChannel();
        tch.queueDeclare(tq, false, false, false, null);
        tch.txSelect();
        out("tx.select ok");
        tch.basicPublish("", tq, null, "rolled-back".getBytes());
        tch.txRollback();
        out("tx.rollback ok; queued", tch.queueDeclarePassive(tq).getMessageCount());
        tch.basicPublish("", tq, null, "committed".getBytes());
        out("before commit; queued", tch.queueDeclarePassive(tq).getMessageCount());
        tch.txCommit();
        out("tx.commit ok; queued", tch.queueDeclarePassive(tq).getMessageCount());
        g = tch.basicGet(tq, false);
        tch.basicAck(g.getEnvelope().getDeliveryTag(), false);
        tch.txRollback();
        out("tx get", body(g.getBody()), "ack rolled back; queued", tch.queueDeclarePassive(tq).getMessageCount());
        tch.basicAck(g.getEnvelope().getDeliveryTag(), false);
        tch.txCommit();
        out("ack committed; queued", tch.queueDeclarePassive(tq).getMessageCount());
        tch.close();

        // --- direct reply-to ---------------------------------------------
        String rpc = P + ".rpc";
        Channel rch = conn.createChannel();
        rch.queueDeclare(rpc, false, false, false, null);
        Collector replies = new Collector(rch);
        rch.basicConsume("amq.rabbitmq.reply-to", true, replies);
        rch.confirmSelect();
        rch.basicPublish("", rpc, new AMQP.BasicProperties.Builder().replyTo("amq.rabbitmq.reply-to")
            .correlationId("rpc-1").build(), "request".getBytes());
        rch.waitForConfirmsOrDie(5000);
        Channel server = conn.createChannel();
        g = server.basicGet(rpc, true);
        String rt = g == null ? "" : g.getProps().getReplyTo();
        out("direct reply-to: request reply_to prefix", rt.substring(0, Math.min(22, rt.length())),
            "longer", rt.length() > 22);
        server.basicPublish("", rt, new AMQP.BasicProperties.Builder().correlationId("rpc-1").build(),
            "response".getBytes());
        for (Msg m : replies.take(1, 200)) {
            out("direct reply-to: reply", m.body, "exchange=" + quote(m.env.getExchange()),
                "routing_key prefix", m.env.getRoutingKey().substring(0, Math.min(22, m.env.getRoutingKey().length())),
                "correlation_id", m.props.getCorrelationId(), "redelivered", m.redelivered);
        }
        server.close();
        rch.close();

        // --- dead-lettering ------------------------------------------------
        Channel dch = conn.createChannel();
        dch.confirmSelect();
        dch.exchangeDeclare(P + ".dlx", "fanout", false, false, null);
        dch.queueDeclare(P + ".dlq", false, false, false, null);
        dch.queueBind(P + ".dlq", P + ".dlx", "");
        Map<String, Object> srcArgs = new HashMap<>();
        srcArgs.put("x-dead-letter-exchange", P + ".dlx");
        srcArgs.put("x-dead-letter-routing-key", "dlk");
        srcArgs.put("x-max-length", 2);
        dch.queueDeclare(P + ".dlsrc", false, false, false, srcArgs);
        Map<String, Object> dh = new HashMap<>(mixedHeaders());
        dh.remove("nested");
        dh.remove("str");
        dh.remove("empty");
        dh.remove("utf8");
        dch.basicPublish("", P + ".dlsrc", new AMQP.BasicProperties.Builder().headers(dh)
            .timestamp(new Date(1577934245000L)).build(), "rejected".getBytes());
        dch.waitForConfirmsOrDie(5000);
        g = dch.basicGet(P + ".dlsrc", false);
        dch.basicReject(g.getEnvelope().getDeliveryTag(), false);
        showDeadLettered("dead-lettered (rejected)", pollGet(dch, P + ".dlq", 3000));
        for (int i = 0; i < 3; i++) dch.basicPublish("", P + ".dlsrc", null, ("ml" + i).getBytes());
        dch.waitForConfirmsOrDie(5000);
        showDeadLettered("dead-lettered (maxlen)", pollGet(dch, P + ".dlq", 3000));
        out("x-max-length 2 keeps", drainBodies(dch, P + ".dlsrc"));
        Map<String, Object> ttlArgs = new HashMap<>();
        ttlArgs.put("x-dead-letter-exchange", P + ".dlx");
        ttlArgs.put("x-message-ttl", 50);
        dch.queueDeclare(P + ".dlttl", false, false, false, ttlArgs);
        dch.basicPublish("", P + ".dlttl", null, "expired-queue-ttl".getBytes());
        dch.waitForConfirmsOrDie(5000);
        showDeadLettered("dead-lettered (expired, x-message-ttl)", pollGet(dch, P + ".dlq", 3000));
        dch.basicPublish("", P + ".dlsrc", new AMQP.BasicProperties.Builder().expiration("50").build(),
            "expired-per-message".getBytes());
        dch.waitForConfirmsOrDie(5000);
        Thread.sleep(150);
        // an expired message is dead-lettered at the latest when it reaches the head
        out("expired message not delivered", drainBodies(dch, P + ".dlsrc"));
        showDeadLettered("dead-lettered (expired, expiration)", pollGet(dch, P + ".dlq", 3000));
        dch.close();

        // --- errors --------------------------------------------------------
        Channel ech = conn.createChannel();
        out("passive declare missing:", attempt(ech, c -> c.queueDeclarePassive(P + ".missing")));
        out("channel open after error", ech.isOpen());
        ech = conn.createChannel();
        Map<String, Object> other = new HashMap<>(qargs);
        other.put("x-max-length", 20);
        out("redeclare different args:", attempt(ech,
            c -> c.queueDeclare(P + ".args", false, false, false, other)));
        ech = conn.createChannel();
        out("redeclare exchange different type:", attempt(ech,
            c -> c.exchangeDeclare(P + ".direct", "fanout")));
        ech = conn.createChannel();
        out("publish to missing exchange:", attempt(ech, c -> {
            c.basicPublish(P + ".nosuchexchange", "k", null, "x".getBytes());
            c.queueDeclarePassive(P + ".q1");
            Thread.sleep(300);
            return "open=" + c.isOpen();
        }));
        ech = conn.createChannel();
        out("basic.ack unknown delivery tag:", attempt(ech, c -> {
            c.basicAck(99, false);
            c.queueDeclarePassive(P + ".q1");
            Thread.sleep(300);
            return "open=" + c.isOpen();
        }));
        ech = conn.createChannel();
        ech.queueDeclare(P + ".excl", false, true, false, null);
        Connection conn2 = connect(0);
        out("other connection passive declare exclusive:", attempt(conn2.createChannel(),
            c -> c.queueDeclarePassive(P + ".excl")));
        out("other connection consume exclusive:", attempt(conn2.createChannel(),
            c -> c.basicConsume(P + ".excl", true, new DefaultConsumer(c))));
        out("other connection delete exclusive:", attempt(conn2.createChannel(),
            c -> c.queueDelete(P + ".excl").getMessageCount()));
        out("other connection new channel after errors ok",
            conn2.createChannel().queueDeclarePassive(P + ".q1").getQueue());
        conn2.close();
        ech = conn.createChannel();
        out("new channel after errors ok", ech.queueDeclarePassive(P + ".q1").getQueue());

        // --- consumer cancel notification ---------------------------------
        String cancelq = P + ".cancel";
        ech.queueDeclare(cancelq, false, false, false, null);
        Collector cc = new Collector(ech);
        ech.basicConsume(cancelq, false, "compat-cancel-tag", cc);
        conn.createChannel().queueDelete(cancelq);
        waitUntil(() -> !cc.cancelled.isEmpty(), 5000);
        out("consumer cancel notified (handleCancel)", cc.cancelled);
        out("channel still open after cancel", ech.isOpen());
        out("channel usable after cancel", ech.queueDeclarePassive(P + ".q1").getQueue());

        // --- cleanup and close ----------------------------------------------
        cleanup(conn);
        out("blocked notifications", blocked);
        conn.close(5000);
        out("connection closed", !conn.isOpen());
        out("end");
    }
}

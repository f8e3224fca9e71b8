package wire

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

var sampleArgs = Table{
	"x-message-ttl": int32(60000),
	"x-queue-type":  "quorum",
	"nested":        Table{"a": []any{int64(1), "two", nil}},
}

// sampleMethods has one value of every method type with every field set to
// something non-zero (where the type has fields), so a field the encoder or
// decoder skipped would show up as a difference.
func sampleMethods() []Method {
	return []Method{
		&ConnectionStart{VersionMajor: 0, VersionMinor: 9, ServerProperties: Table{"product": "warren", "capabilities": Table{"publisher_confirms": true}}, Mechanisms: "PLAIN AMQPLAIN", Locales: "en_US"},
		&ConnectionStartOk{ClientProperties: Table{"product": "client"}, Mechanism: "PLAIN", Response: "\x00guest\x00guest", Locale: "en_US"},
		&ConnectionSecure{Challenge: "challenge"},
		&ConnectionSecureOk{Response: "response"},
		&ConnectionTune{ChannelMax: 2047, FrameMax: 131072, Heartbeat: 60},
		&ConnectionTuneOk{ChannelMax: 1024, FrameMax: 4096, Heartbeat: 30},
		&ConnectionOpen{VirtualHost: "/", Reserved1: "caps", Reserved2: true},
		&ConnectionOpenOk{Reserved1: "known-hosts"},
		&ConnectionClose{ReplyCode: ConnectionForced, ReplyText: "CONNECTION_FORCED - shutdown", FailingClassID: 60, FailingMethodID: 40},
		&ConnectionCloseOk{},
		&ConnectionBlocked{Reason: "low on memory"},
		&ConnectionUnblocked{},
		&ConnectionUpdateSecret{NewSecret: "token", Reason: "refresh"},
		&ConnectionUpdateSecretOk{},
		&ChannelOpen{Reserved1: "out-of-band"},
		&ChannelOpenOk{Reserved1: "channel-id"},
		&ChannelFlow{Active: true},
		&ChannelFlowOk{Active: true},
		&ChannelClose{ReplyCode: NotFound, ReplyText: "NOT_FOUND - no queue 'q'", FailingClassID: 50, FailingMethodID: 10},
		&ChannelCloseOk{},
		&ExchangeDeclare{Reserved1: 7, Exchange: "logs", Type: "topic", Passive: true, Durable: false, AutoDelete: true, Internal: false, NoWait: true, Arguments: sampleArgs},
		&ExchangeDeclareOk{},
		&ExchangeDelete{Reserved1: 1, Exchange: "logs", IfUnused: true, NoWait: true},
		&ExchangeDeleteOk{},
		&ExchangeBind{Reserved1: 2, Destination: "dst", Source: "src", RoutingKey: "a.b", NoWait: true, Arguments: sampleArgs},
		&ExchangeBindOk{},
		&ExchangeUnbind{Reserved1: 3, Destination: "dst", Source: "src", RoutingKey: "a.#", NoWait: true, Arguments: sampleArgs},
		&ExchangeUnbindOk{},
		&QueueDeclare{Reserved1: 4, Queue: "q", Passive: false, Durable: true, Exclusive: false, AutoDelete: true, NoWait: true, Arguments: sampleArgs},
		&QueueDeclareOk{Queue: "amq.gen-xyz", MessageCount: 10, ConsumerCount: 2},
		&QueueBind{Reserved1: 5, Queue: "q", Exchange: "x", RoutingKey: "rk", NoWait: true, Arguments: sampleArgs},
		&QueueBindOk{},
		&QueueUnbind{Reserved1: 6, Queue: "q", Exchange: "x", RoutingKey: "rk", Arguments: sampleArgs},
		&QueueUnbindOk{},
		&QueuePurge{Reserved1: 8, Queue: "q", NoWait: true},
		&QueuePurgeOk{MessageCount: 99},
		&QueueDelete{Reserved1: 9, Queue: "q", IfUnused: true, IfEmpty: false, NoWait: true},
		&QueueDeleteOk{MessageCount: 3},
		&BasicQos{PrefetchSize: 1 << 20, PrefetchCount: 100, Global: true},
		&BasicQosOk{},
		&BasicConsume{Reserved1: 10, Queue: "q", ConsumerTag: "ctag", NoLocal: true, NoAck: false, Exclusive: true, NoWait: false, Arguments: sampleArgs},
		&BasicConsumeOk{ConsumerTag: "ctag"},
		&BasicCancel{ConsumerTag: "ctag", NoWait: true},
		&BasicCancelOk{ConsumerTag: "ctag"},
		&BasicPublish{Reserved1: 11, Exchange: "x", RoutingKey: "rk", Mandatory: true, Immediate: true},
		&BasicReturn{ReplyCode: NoRoute, ReplyText: "NO_ROUTE", Exchange: "x", RoutingKey: "rk"},
		&BasicDeliver{ConsumerTag: "ctag", DeliveryTag: 1<<63 + 5, Redelivered: true, Exchange: "x", RoutingKey: "rk"},
		&BasicGet{Reserved1: 12, Queue: "q", NoAck: true},
		&BasicGetOk{DeliveryTag: 42, Redelivered: true, Exchange: "x", RoutingKey: "rk", MessageCount: 7},
		&BasicGetEmpty{Reserved1: "cluster"},
		&BasicAck{DeliveryTag: 17, Multiple: true},
		&BasicReject{DeliveryTag: 18, Requeue: true},
		&BasicRecoverAsync{Requeue: true},
		&BasicRecover{Requeue: true},
		&BasicRecoverOk{},
		&BasicNack{DeliveryTag: 19, Multiple: true, Requeue: true},
		&TxSelect{}, &TxSelectOk{}, &TxCommit{}, &TxCommitOk{}, &TxRollback{}, &TxRollbackOk{},
		&ConfirmSelect{Nowait: true},
		&ConfirmSelectOk{},
	}
}

func TestMethodRoundTrip(t *testing.T) {
	for _, m := range sampleMethods() {
		t.Run(m.Name(), func(t *testing.T) {
			b := m.Append(nil)
			got, err := DecodeMethod(b)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, m) {
				t.Fatalf("round trip mismatch:\n got %#v\nwant %#v", got, m)
			}
			// Trailing bytes are tolerated.
			if _, err := DecodeMethod(append(b, 1, 2, 3)); err != nil {
				t.Fatalf("decode with trailing bytes: %v", err)
			}
			// Every strict prefix of the arguments must fail cleanly for
			// methods with arguments; a zero-argument method has none.
			for i := 4; i < len(b); i++ {
				_, err := DecodeMethod(b[:i])
				var me *MalformedError
				if !errors.As(err, &me) {
					t.Fatalf("prefix %d of %d: want *MalformedError, got %v", i, len(b), err)
				}
			}
		})
	}
}

// TestSampleMethodsCoverAll decodes every possible id pair and checks that
// sampleMethods has each one DecodeMethod knows, so a method added to the
// XML cannot go untested.
func TestSampleMethodsCoverAll(t *testing.T) {
	have := map[[2]uint16]bool{}
	for _, m := range sampleMethods() {
		have[[2]uint16{m.ClassID(), m.MethodID()}] = true
	}
	zeros := make([]byte, 4+64)
	known := 0
	for c := range 256 {
		for mid := range 256 {
			zeros[0], zeros[1], zeros[2], zeros[3] = 0, byte(c), 0, byte(mid)
			m, err := DecodeMethod(zeros)
			var um *UnknownMethodError
			if errors.As(err, &um) {
				if um.ClassID != uint16(c) || um.MethodID != uint16(mid) {
					t.Fatalf("UnknownMethodError ids %d.%d, want %d.%d", um.ClassID, um.MethodID, c, mid)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%d.%d: all-zero arguments should decode: %v", c, mid, err)
			}
			known++
			if m.ClassID() != uint16(c) || m.MethodID() != uint16(mid) {
				t.Fatalf("%d.%d decoded as %s", c, mid, m.Name())
			}
			if !have[[2]uint16{uint16(c), uint16(mid)}] {
				t.Errorf("%s has no entry in sampleMethods", m.Name())
			}
		}
	}
	if known != len(have) {
		t.Errorf("DecodeMethod knows %d methods, samples have %d", known, len(have))
	}
}

func TestMethodMetadata(t *testing.T) {
	tests := []struct {
		m               Method
		name            string
		class, method   uint16
		content, synchr bool
	}{
		{&BasicPublish{}, "basic.publish", ClassBasic, 40, true, false},
		{&ConnectionStartOk{}, "connection.start-ok", ClassConnection, 11, false, true},
		{&BasicGetOk{}, "basic.get-ok", ClassBasic, 71, true, true},
		{&ChannelFlowOk{}, "channel.flow-ok", ClassChannel, 21, false, false},
		{&ConfirmSelect{}, "confirm.select", ClassConfirm, 10, false, true},
		{&TxRollbackOk{}, "tx.rollback-ok", ClassTx, 31, false, true},
		{&QueueUnbindOk{}, "queue.unbind-ok", ClassQueue, 51, false, true},
		{&ExchangeBind{}, "exchange.bind", ClassExchange, 30, false, true},
	}
	for _, tt := range tests {
		if got := tt.m.Name(); got != tt.name {
			t.Errorf("Name() = %q, want %q", got, tt.name)
		}
		if tt.m.ClassID() != tt.class || tt.m.MethodID() != tt.method {
			t.Errorf("%s: ids %d.%d, want %d.%d", tt.name, tt.m.ClassID(), tt.m.MethodID(), tt.class, tt.method)
		}
		if tt.m.HasContent() != tt.content || tt.m.Synchronous() != tt.synchr {
			t.Errorf("%s: content=%v sync=%v", tt.name, tt.m.HasContent(), tt.m.Synchronous())
		}
	}
}

func TestMethodGolden(t *testing.T) {
	tests := []struct {
		name string
		m    Method
		want []byte
	}{
		{"connection.tune", &ConnectionTune{ChannelMax: 2047, FrameMax: 131072, Heartbeat: 60},
			[]byte{0, 10, 0, 30, 0x07, 0xff, 0, 2, 0, 0, 0, 60}},
		{"basic.ack multiple", &BasicAck{DeliveryTag: 5, Multiple: true},
			[]byte{0, 60, 0, 80, 0, 0, 0, 0, 0, 0, 0, 5, 1}},
		{"queue.declare passive+durable", &QueueDeclare{Queue: "q", Passive: true, Durable: true},
			[]byte{0, 50, 0, 10, 0, 0, 1, 'q', 0x03, 0, 0, 0, 0}},
		{"queue.declare exclusive+no-wait", &QueueDeclare{Queue: "", Exclusive: true, NoWait: true},
			[]byte{0, 50, 0, 10, 0, 0, 0, 0x14, 0, 0, 0, 0}},
		{"exchange.declare internal+no-wait", &ExchangeDeclare{Exchange: "x", Type: "fanout", Internal: true, NoWait: true},
			append([]byte{0, 40, 0, 10, 0, 0, 1, 'x', 6}, append([]byte("fanout"), 0x18, 0, 0, 0, 0)...)},
		{"basic.nack requeue only", &BasicNack{DeliveryTag: 1, Requeue: true},
			[]byte{0, 60, 0, 120, 0, 0, 0, 0, 0, 0, 0, 1, 0x02}},
		{"connection.open", &ConnectionOpen{VirtualHost: "/"},
			[]byte{0, 10, 0, 40, 1, '/', 0, 0}},
		{"channel.open-ok longstr", &ChannelOpenOk{},
			[]byte{0, 20, 0, 11, 0, 0, 0, 0}},
		{"basic.publish", &BasicPublish{Exchange: "ex", RoutingKey: "rk", Mandatory: true},
			[]byte{0, 60, 0, 40, 0, 0, 2, 'e', 'x', 2, 'r', 'k', 0x01}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.m.Append(nil)
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("Append:\n got % x\nwant % x", got, tt.want)
			}
			m, err := DecodeMethod(tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m, tt.m) {
				t.Fatalf("decode: got %#v want %#v", m, tt.m)
			}
		})
	}

	// The whole frame for connection.tune on channel 0.
	frame := AppendMethodFrame(nil, 0, &ConnectionTune{ChannelMax: 2047, FrameMax: 131072, Heartbeat: 60})
	want := []byte{1, 0, 0, 0, 0, 0, 12, 0, 10, 0, 30, 0x07, 0xff, 0, 2, 0, 0, 0, 60, 0xce}
	if !bytes.Equal(frame, want) {
		t.Fatalf("tune frame:\n got % x\nwant % x", frame, want)
	}
}

func TestBitPackingAllCombinations(t *testing.T) {
	for bits := range 32 {
		m := &QueueDeclare{
			Queue:      "q",
			Passive:    bits&1 != 0,
			Durable:    bits&2 != 0,
			Exclusive:  bits&4 != 0,
			AutoDelete: bits&8 != 0,
			NoWait:     bits&16 != 0,
		}
		b := m.Append(nil)
		if b[8] != byte(bits) {
			t.Fatalf("bits %05b encoded as %08b", bits, b[8])
		}
		got, err := DecodeMethod(b)
		if err != nil || !reflect.DeepEqual(got, m) {
			t.Fatalf("bits %05b: got %#v, %v", bits, got, err)
		}
	}
}

func TestDecodeMethodErrors(t *testing.T) {
	var me *MalformedError
	for _, p := range [][]byte{nil, {0}, {0, 60, 0}} {
		if _, err := DecodeMethod(p); !errors.As(err, &me) {
			t.Errorf("DecodeMethod(% x) = %v, want *MalformedError", p, err)
		}
	}
	var um *UnknownMethodError
	_, err := DecodeMethod([]byte{0, 60, 0, 41})
	if !errors.As(err, &um) || um.ClassID != 60 || um.MethodID != 41 {
		t.Errorf("unknown method: got %v", err)
	}
	if errors.As(err, &me) {
		t.Error("UnknownMethodError must not also be a MalformedError")
	}
	if !strings.Contains(err.Error(), "60") {
		t.Errorf("error text %q lacks the class id", err)
	}

	// shortstr length past the end
	_, err = DecodeMethod([]byte{0, 60, 0, 40, 0, 0, 200, 'x'})
	if !errors.As(err, &me) || me.Context != "basic.publish" {
		t.Errorf("shortstr past end: got %v", err)
	}
	// table length past the end, with the method named in the error
	_, err = DecodeMethod([]byte{0, 50, 0, 10, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf0})
	if !errors.As(err, &me) || me.Context != "queue.declare" {
		t.Errorf("table past end: got %v", err)
	}
	// a huge declared longstr must not be allocated
	_, err = DecodeMethod([]byte{0, 10, 0, 20, 0xff, 0xff, 0xff, 0xff})
	if !errors.As(err, &me) {
		t.Errorf("longstr past end: got %v", err)
	}
}

func TestShortstrTruncation(t *testing.T) {
	long := strings.Repeat("a", 300)
	b := (&BasicPublish{Exchange: long, RoutingKey: "rk"}).Append(nil)
	m, err := DecodeMethod(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.(*BasicPublish); got.Exchange != long[:255] || got.RoutingKey != "rk" {
		t.Fatalf("got %d-byte exchange, key %q", len(got.Exchange), got.RoutingKey)
	}
}

func TestDecodedMethodDoesNotAliasInput(t *testing.T) {
	b := (&BasicDeliver{ConsumerTag: "ctag", Exchange: "x", RoutingKey: "rk"}).Append(nil)
	m, err := DecodeMethod(b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = 0
	}
	if d := m.(*BasicDeliver); d.ConsumerTag != "ctag" || d.RoutingKey != "rk" {
		t.Fatalf("decoded strings changed with the input: %#v", d)
	}
}

func TestIsHardError(t *testing.T) {
	hard := []uint16{ConnectionForced, InvalidPath, FrameError, SyntaxError, CommandInvalid, ChannelError,
		UnexpectedFrame, ResourceError, NotAllowed, NotImplemented, InternalError}
	soft := []uint16{ReplySuccess, ContentTooLarge, NoRoute, NoConsumers, AccessRefused, NotFound,
		ResourceLocked, PreconditionFailed, 0, 999}
	for _, c := range hard {
		if !IsHardError(c) {
			t.Errorf("IsHardError(%d) = false", c)
		}
	}
	for _, c := range soft {
		if IsHardError(c) {
			t.Errorf("IsHardError(%d) = true", c)
		}
	}
}

func TestConstants(t *testing.T) {
	got := fmt.Sprint(FrameMethod, FrameHeader, FrameBody, FrameHeartbeat, FrameMinSize, FrameEnd,
		ClassConnection, ClassChannel, ClassExchange, ClassQueue, ClassBasic, ClassConfirm, ClassTx)
	if want := "1 2 3 8 4096 206 10 20 40 50 60 85 90"; got != want {
		t.Fatalf("got %s want %s", got, want)
	}
}

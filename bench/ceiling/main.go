// Command ceiling measures what scenarios (a) and (b) of bench/compare.sh
// could reach at best on this machine: a producer writes, per message, the
// bytes of an AMQP basic.publish with its header and body frames into one
// loopback TCP connection; a relay reads each message and writes the bytes
// of the matching basic.deliver into a second connection; a consumer reads
// them. No routing, no queue, no protocol logic: only framing, the
// kernel's loopback and the same buffered I/O a broker needs.
//
//	go run ./bench/ceiling -size 16 -seconds 10
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"sync/atomic"
	"time"

	"github.com/warrenmq/warren/internal/amqp091/wire"
)

func main() {
	size := flag.Int("size", 16, "body bytes")
	seconds := flag.Int("seconds", 10, "run time")
	batch := flag.Bool("batch", false, "producer buffers its writes (default: one write per message, as AMQP clients such as amqp091-go do per publish)")
	flag.Parse()

	body := make([]byte, *size)
	props := (&wire.Properties{}).Append(nil)
	var pub []byte
	pub = wire.AppendMethodFrame(pub, 1, &wire.BasicPublish{RoutingKey: "perf-test-queue"})
	pub = wire.AppendHeaderFrame(pub, 1, wire.ClassBasic, uint64(len(body)), props)
	pub = wire.AppendBodyFrames(pub, 1, body, 131072)
	var del []byte
	del = wire.AppendMethodFrame(del, 1, &wire.BasicDeliver{ConsumerTag: "amq.ctag-0123456789012345678901", DeliveryTag: 1 << 20, RoutingKey: "perf-test-queue"})
	del = wire.AppendHeaderFrame(del, 1, wire.ClassBasic, uint64(len(body)), props)
	del = wire.AppendBodyFrames(del, 1, body, 131072)

	in := pipe()
	out := pipe()
	deadline := time.Now().Add(time.Duration(*seconds) * time.Second)
	var received atomic.Int64

	// Producer: length-prefixed publish bytes, as fast as the socket takes.
	go func() {
		w := bufio.NewWriterSize(in.client, 64<<10)
		msg := binary.BigEndian.AppendUint32(nil, uint32(len(pub)))
		msg = append(msg, pub...)
		for time.Now().Before(deadline) {
			for i := 0; i < 1000; i++ {
				if *batch {
					w.Write(msg)
				} else {
					in.client.Write(msg)
				}
			}
		}
		w.Flush()
		in.client.Close()
	}()
	// Relay: one message in, one deliver out, flushing when input drains.
	go func() {
		r := bufio.NewReaderSize(in.server, 64<<10)
		w := bufio.NewWriterSize(out.server, 64<<10)
		var hdr [4]byte
		buf := make([]byte, len(pub))
		binary.BigEndian.PutUint32(hdr[:], uint32(len(del)))
		for {
			if _, err := io.ReadFull(r, hdr[:]); err != nil {
				break
			}
			n := binary.BigEndian.Uint32(hdr[:])
			if _, err := io.ReadFull(r, buf[:n]); err != nil {
				break
			}
			binary.BigEndian.PutUint32(hdr[:], uint32(len(del)))
			w.Write(hdr[:])
			w.Write(del)
			if r.Buffered() == 0 {
				w.Flush()
			}
		}
		w.Flush()
		out.server.Close()
	}()
	// Consumer.
	start := time.Now()
	r := bufio.NewReaderSize(out.client, 64<<10)
	var hdr [4]byte
	buf := make([]byte, len(del))
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			break
		}
		if _, err := io.ReadFull(r, buf[:binary.BigEndian.Uint32(hdr[:])]); err != nil {
			break
		}
		received.Add(1)
	}
	el := time.Since(start)
	mode := "one write per message"
	if *batch {
		mode = "batched writes"
	}
	fmt.Printf("ceiling (%s): %d-byte bodies (%d B publish, %d B deliver on the wire): %.0f msg/s over %s\n",
		mode, *size, len(pub), len(del), float64(received.Load())/el.Seconds(), el.Round(time.Millisecond))
}

type conns struct{ client, server net.Conn }

func pipe() conns {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	ch := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			log.Fatal(err)
		}
		ch <- c
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	return conns{client: c, server: <-ch}
}

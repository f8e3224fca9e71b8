// Command wakefloor measures what the machine itself charges for passing
// one message through a process that was idle: a relay process reads a
// 94-byte "publish" from one loopback connection and writes a 125-byte
// "deliver" to another (the sizes of scenario (f)'s frames), and a client
// sends one message per interval. bench/latency.sh captures the loopback
// traffic and times each message from the packet into the relay to the
// packet out of it, exactly as it times the brokers. At 1,000 msg/s
// every message finds the relay asleep, so this is the wake-up floor any
// broker pays on this machine, before doing any work.
//
//	go run ./bench/wakefloor relay 127.0.0.1:5699 &
//	go run ./bench/wakefloor client 127.0.0.1:5699 1000 10
package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strconv"
	"time"
)

const (
	publishSize = 94  // scenario (f): basic.publish + header + 20-byte body
	deliverSize = 125 // the matching basic.deliver frames
)

func main() {
	if len(os.Args) < 3 {
		log.Fatal("usage: wakefloor relay ADDR | wakefloor client ADDR RATE SECONDS")
	}
	switch os.Args[1] {
	case "relay":
		relay(os.Args[2])
	case "client":
		if len(os.Args) < 5 {
			log.Fatal("usage: wakefloor client ADDR RATE SECONDS")
		}
		rate, err1 := strconv.Atoi(os.Args[3])
		secs, err2 := strconv.Atoi(os.Args[4])
		if err1 != nil || err2 != nil || rate <= 0 || secs <= 0 {
			log.Fatal("RATE and SECONDS must be positive integers")
		}
		client(os.Args[2], rate, secs)
	default:
		log.Fatalf("unknown mode %q", os.Args[1])
	}
}

// relay accepts the client's publishing connection, then its consuming
// one, and turns every publish-sized read into one deliver-sized write.
func relay(addr string) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	in, err := l.Accept()
	if err != nil {
		log.Fatal(err)
	}
	out, err := l.Accept()
	if err != nil {
		log.Fatal(err)
	}
	l.Close()
	pub := make([]byte, publishSize)
	del := make([]byte, deliverSize)
	for {
		if _, err := io.ReadFull(in, pub); err != nil {
			return
		}
		if _, err := out.Write(del); err != nil {
			return
		}
	}
}

// client sends rate messages a second for secs seconds on one connection
// and reads them back on the other; the timing is done on the capture.
func client(addr string, rate, secs int) {
	var in, out net.Conn
	var err error
	for i := 0; i < 50; i++ { // the relay may still be starting
		if in, err = net.Dial("tcp", addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		log.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // accepted first: the publishing side
	if out, err = net.Dial("tcp", addr); err != nil {
		log.Fatal(err)
	}
	got := make(chan int)
	go func() {
		buf := make([]byte, deliverSize)
		n := 0
		for {
			if _, err := io.ReadFull(out, buf); err != nil {
				got <- n
				return
			}
			n++
		}
	}()
	msg := make([]byte, publishSize)
	total := rate * secs
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i := 1; i <= total; i++ {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		if _, err := in.Write(msg); err != nil {
			log.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond)
	in.Close()
	out.Close()
	fmt.Printf("wakefloor: sent %d, received %d\n", total, <-got)
}

// Command deepqueue measures Warren's memory with deep queues and its
// recovery time: it starts the warren binary on a fresh data directory,
// fills queues with messages while sampling the broker's resident memory,
// restarts the broker and measures how long until the first message is
// delivered again, then drains and checks every message is there.
//
//	go build -o /tmp/warren ./cmd/warren
//	go run ./bench/deepqueue -warren /tmp/warren -messages 10000000 -queues 1 -size 1024
//
// It is a soak, not part of `make test`; results go in docs/BENCHMARKS.md.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func main() {
	bin := flag.String("warren", "/tmp/warren", "warren binary")
	dataDir := flag.String("data", "", "data directory (default: a new temp dir, removed at the end)")
	messages := flag.Int("messages", 1_000_000, "messages in total")
	queues := flag.Int("queues", 1, "queues (messages are spread evenly)")
	size := flag.Int("size", 1024, "body bytes")
	persistent := flag.Bool("persistent", true, "delivery mode 2 (else transient)")
	publishers := flag.Int("publishers", 4, "publishing connections")
	drain := flag.Bool("drain", true, "drain and count after the restart")
	flag.Parse()

	dir := *dataDir
	if dir == "" {
		d, err := os.MkdirTemp("", "deepqueue")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	addr := freeAddr()
	url := "amqp://guest:guest@" + addr + "/"
	cmd := startBroker(*bin, addr, dir)
	var peak atomic.Int64
	stopSampler := sampleRSS(cmd.Process.Pid, &peak)

	conn := dial(url)
	ch, _ := conn.Channel()
	for i := 0; i < *queues; i++ {
		if _, err := ch.QueueDeclare(fmt.Sprintf("deep-%d", i), true, false, false, false, nil); err != nil {
			log.Fatal(err)
		}
	}
	conn.Close()

	mode := amqp.Transient
	if *persistent {
		mode = amqp.Persistent
	}
	body := make([]byte, *size)
	start := time.Now()
	var sent atomic.Int64
	var wg sync.WaitGroup
	per := *messages / *publishers
	for p := 0; p < *publishers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			c := dial(url)
			defer c.Close()
			ch, _ := c.Channel()
			ch.Confirm(false)
			confirms := ch.NotifyPublish(make(chan amqp.Confirmation, 8192))
			outstanding := 0
			for i := 0; i < per; i++ {
				q := fmt.Sprintf("deep-%d", (p*per+i)%*queues)
				if err := ch.PublishWithContext(context.Background(), "", q, false, false, amqp.Publishing{DeliveryMode: mode, Body: body}); err != nil {
					log.Fatal(err)
				}
				outstanding++
				for outstanding >= 2000 {
					if c := <-confirms; !c.Ack {
						log.Fatal("nack")
					}
					outstanding--
				}
				if n := sent.Add(1); n%1_000_000 == 0 {
					log.Printf("published %d (%.0f msg/s), broker RSS peak %d MiB", n, float64(n)/time.Since(start).Seconds(), peak.Load()>>20)
				}
			}
			for ; outstanding > 0; outstanding-- {
				<-confirms
			}
		}(p)
	}
	wg.Wait()
	elapsed := time.Since(start)
	total := int(sent.Load())
	rssFull := rss(cmd.Process.Pid)
	fmt.Printf("published %d x %d B to %d queues in %s: %.0f msg/s; broker RSS now %d MiB, peak %d MiB\n",
		total, *size, *queues, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds(), rssFull>>20, peak.Load()>>20)
	stopSampler()

	// Restart and time recovery: from start to the first delivery.
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	restart := time.Now()
	cmd = startBroker(*bin, addr, dir)
	conn = dial(url)
	accept := time.Since(restart)
	ch, _ = conn.Channel()
	for {
		_, ok, err := ch.Get("deep-0", false)
		if err != nil {
			log.Fatal(err)
		}
		if ok {
			break
		}
		time.Sleep(time.Millisecond)
	}
	first := time.Since(restart)
	ch.Close()
	fmt.Printf("restart: accepting connections after %s, first delivery after %s; broker RSS %d MiB\n",
		accept.Round(time.Millisecond), first.Round(time.Millisecond), rss(cmd.Process.Pid)>>20)

	if *drain {
		var got atomic.Int64
		var peak2 atomic.Int64
		stop2 := sampleRSS(cmd.Process.Pid, &peak2)
		dstart := time.Now()
		var dwg sync.WaitGroup
		for i := 0; i < *queues; i++ {
			dwg.Add(1)
			go func(i int) {
				defer dwg.Done()
				ch, _ := conn.Channel()
				ch.Qos(1000, 0, false)
				q := fmt.Sprintf("deep-%d", i)
				st, _ := ch.QueueDeclarePassive(q, true, false, false, false, nil)
				want := st.Messages
				ds, _ := ch.Consume(q, "", false, false, false, false, nil)
				for n := 0; n < want; n++ {
					d := <-ds
					if n%100 == 99 || n == want-1 {
						d.Ack(true)
					}
					got.Add(1)
				}
				ch.Close()
			}(i)
		}
		dwg.Wait()
		stop2()
		fmt.Printf("drained %d messages in %s (%.0f msg/s), broker RSS peak while draining %d MiB\n",
			got.Load(), time.Since(dstart).Round(time.Millisecond), float64(got.Load())/time.Since(dstart).Seconds(), peak2.Load()>>20)
		if int(got.Load()) != total {
			fmt.Printf("MISMATCH: published %d, drained %d\n", total, got.Load())
			os.Exit(1)
		}
	}
	conn.Close()
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startBroker(bin, addr, dir string) *exec.Cmd {
	cmd := exec.Command(bin, "server", "--amqp-listen", addr, "--http-listen", "127.0.0.1:0", "--data-dir", dir, "--log-level", "warn")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	return cmd
}

func dial(url string) *amqp.Connection {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		c, err := amqp.Dial(url)
		if err == nil {
			return c
		}
		if time.Now().After(deadline) {
			log.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rss reads VmRSS of pid in bytes.
func rss(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "VmRSS:") {
			fs := strings.Fields(sc.Text())
			kb, _ := strconv.ParseInt(fs[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func sampleRSS(pid int, peak *atomic.Int64) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if r := rss(pid); r > peak.Load() {
					peak.Store(r)
				}
			}
		}
	}()
	return func() { close(done) }
}

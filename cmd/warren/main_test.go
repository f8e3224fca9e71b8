package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// The command-line contract: `warren server --amqp-listen --http-listen
// --data-dir` serves guest/guest on loopback, and SIGTERM closes clients
// with 320 CONNECTION_FORCED and exits 0.
func TestServerCommandAndGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "warren")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addr := freePort(t)
	var logs bytes.Buffer
	cmd := exec.Command(bin, "server", "--amqp-listen", addr, "--http-listen", freePort(t), "--data-dir", t.TempDir())
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var conn *amqp.Connection
	var err error
	for i := 0; i < 100; i++ {
		if conn, err = amqp.Dial(fmt.Sprintf("amqp://guest:guest@%s/", addr)); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("dial: %v\n%s", err, logs.String())
	}
	closed := conn.NotifyClose(make(chan *amqp.Error, 1))
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-closed:
		if e == nil || e.Code != amqp.ConnectionForced {
			t.Fatalf("close reason %v, want 320", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no connection.close after SIGTERM")
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("exit %d\n%s", ee.ExitCode(), logs.String())
		} else if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("process did not exit after SIGTERM")
	}
}

// buildWarren builds the binary once per test.
func buildWarren(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "warren")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// startWarren runs the binary on dataDir and waits until it accepts AMQP.
func startWarren(t *testing.T, bin, dataDir string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	addr := freePort(t)
	var logs bytes.Buffer
	cmd := exec.Command(bin, "server", "--amqp-listen", addr, "--http-listen", freePort(t), "--data-dir", dataDir)
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := fmt.Sprintf("amqp://guest:guest@%s/", addr)
	for i := 0; i < 200; i++ {
		if c, err := amqp.Dial(url); err == nil {
			c.Close()
			return cmd, url, &logs
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("broker did not start\n%s", logs.String())
	return nil, "", nil
}

// Every message whose publisher confirm arrived is still there after the
// process is killed with SIGKILL and restarted.
func TestKill9KeepsConfirmedMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildWarren(t)
	dir := t.TempDir()
	cmd, url, _ := startWarren(t, bin, dir)
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := conn.Channel()
	if _, err := ch.QueueDeclare("k9", true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	ch.Confirm(false)
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, 10000))
	confirmed := map[uint64]bool{}
	const n = 3000
	for i := 1; i <= n; i++ {
		ch.Publish("", "k9", false, false, amqp.Publishing{DeliveryMode: amqp.Persistent, Body: []byte(fmt.Sprint(i))})
	drain:
		for {
			select {
			case c := <-confirms:
				if c.Ack {
					confirmed[c.DeliveryTag] = true
				}
			default:
				break drain
			}
		}
	}
	// Wait for the rest of the confirms, then kill without warning.
	timeout := time.After(10 * time.Second)
	for len(confirmed) < n {
		select {
		case c := <-confirms:
			if c.Ack {
				confirmed[c.DeliveryTag] = true
			}
		case <-timeout:
			t.Fatalf("only %d confirms", len(confirmed))
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	conn.Close()

	_, url, logs := startWarren(t, bin, dir)
	conn, err = amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, _ = conn.Channel()
	got := map[string]bool{}
	for {
		d, ok, err := ch.Get("k9", true)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		got[string(d.Body)] = true
	}
	for tag := range confirmed {
		if !got[fmt.Sprint(tag)] {
			t.Fatalf("confirmed message %d lost after kill -9 (%d of %d recovered)\n%s", tag, len(got), n, logs.String())
		}
	}
}

func TestRunArgs(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"version"}, os.Getenv, &out, &errb); code != 0 || !bytes.Contains(out.Bytes(), []byte("warren")) {
		t.Fatalf("version: %d %q", code, out.String())
	}
	if code := run([]string{"bogus"}, os.Getenv, &out, &errb); code != 2 {
		t.Fatalf("unknown command exit %d", code)
	}
	if code := run([]string{"server", "--frame-max", "10"}, func(string) string { return "" }, &out, &errb); code != 2 {
		t.Fatalf("bad flag exit %d", code)
	}
}

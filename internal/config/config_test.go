package config

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "warren.conf")
	if err := os.WriteFile(path, []byte("# comment\namqp_listen = :1111\nhttp-listen = :2222\ndata-dir = /file\nheartbeat = 5s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"WARREN_HTTP_LISTEN": ":3333", "WARREN_DATA_DIR": "/env"}
	c, err := Load([]string{"--config", path, "--data-dir", "/flag"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.AMQPListen != ":1111" || c.HTTPListen != ":3333" || c.DataDir != "/flag" || c.Heartbeat != 5*time.Second {
		t.Fatalf("got %+v", c)
	}
}

func TestDefaultsAndErrors(t *testing.T) {
	c, err := Load(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.AMQPListen != ":5672" || c.HTTPListen != ":15672" || c.DataDir != "./data" {
		t.Fatalf("defaults: %+v", c)
	}
	for _, args := range [][]string{{"--frame-max", "100"}, {"--nope"}, {"--heartbeat", "x"}, {"extra"}} {
		if _, err := Load(args, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

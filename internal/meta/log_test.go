package meta

import (
	"reflect"
	"testing"
	"time"

	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/vfs"
)

func TestReplayAndTypes(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   func(t *testing.T) (vfs.FS, string)
	}{
		{"os", func(t *testing.T) (vfs.FS, string) { return vfs.OS(), t.TempDir() }},
		{"mem", func(t *testing.T) (vfs.FS, string) { return vfs.NewMem(), "/data/meta" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys, dir := tc.fs(t)
			l, st, err := Open(fsys, dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Queues) != 0 {
				t.Fatal("fresh state not empty")
			}
			args := Args{"x-max-length": int32(10), "x-bytes": []byte("raw"), "t": time.Unix(1700000000, 0).UTC(),
				"nested": wire.Table{"d": wire.Decimal{Scale: 2, Value: 314}}, "arr": []any{int8(1), "s"}}
			must(t, l.Apply(Op{Kind: OpVHostPut, VHost: "/"}))
			must(t, l.Apply(Op{Kind: OpQueuePut, Queue: &Queue{VHost: "/", Name: "q1", Args: args}}))
			must(t, l.Apply(Op{Kind: OpQueuePut, Queue: &Queue{VHost: "/", Name: "q2"}}))
			must(t, l.Apply(Op{Kind: OpExchangePut, Exchange: &Exchange{VHost: "/", Name: "e", Type: "topic"}}))
			must(t, l.Apply(Op{Kind: OpBindingPut, Binding: &Binding{VHost: "/", Source: "e", Dest: "q2", DestType: "queue", Key: "a.#"}}))
			must(t, l.Apply(Op{Kind: OpQueueDelete, Queue: &Queue{VHost: "/", Name: "q2"}}))
			l.Close()
			for i := 0; i < 2; i++ { // reopen twice: once from the log, once from the snapshot
				l, st, err = Open(fsys, dir, nil)
				if err != nil {
					t.Fatal(err)
				}
				q := st.Queues[[2]string{"/", "q1"}]
				if q == nil || !reflect.DeepEqual(map[string]any(q.Args), map[string]any(args)) {
					t.Fatalf("q1 args after reopen: %#v", q)
				}
				if st.Queues[[2]string{"/", "q2"}] != nil || len(st.Bindings) != 0 {
					t.Fatal("deleted queue or its binding came back")
				}
				if st.Exchanges[[2]string{"/", "e"}].Type != "topic" || !st.VHosts["/"] {
					t.Fatal("exchange or vhost lost")
				}
				l.Close()
			}
		})
	}
}

func TestTornTailAndCrash(t *testing.T) {
	mem := vfs.NewMem()
	l, _, err := Open(mem, "/m", nil)
	must(t, err)
	must(t, l.Apply(Op{Kind: OpQueuePut, Queue: &Queue{VHost: "/", Name: "kept"}}))
	// Simulate a crash: only synced data survives. Apply syncs, so the
	// queue must be there.
	crashed := mem.CrashClone()
	_, st, err := Open(crashed, "/m", nil)
	must(t, err)
	if st.Queues[[2]string{"/", "kept"}] == nil {
		t.Fatal("synced definition lost in crash")
	}
	// A torn line at the end of the change log is dropped, not fatal.
	f, err := crashed.OpenRW("/m/" + logName)
	must(t, err)
	fi, _ := f.Stat()
	f.WriteAt([]byte(`{"op":"queue.put","queue":{"vho`), fi.Size())
	f.Sync()
	f.Close()
	_, st, err = Open(crashed, "/m", nil)
	must(t, err)
	if len(st.Queues) != 1 {
		t.Fatalf("queues after torn tail: %d", len(st.Queues))
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

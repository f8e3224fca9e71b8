package alarm

import "testing"

func TestSetAndMonitor(t *testing.T) {
	s := NewSet(nil)
	if ch, _ := s.Active(); ch != nil {
		t.Fatal("fresh set has an alarm")
	}
	used, free := int64(100), int64(1000)
	m := &Monitor{Set: s, MemoryLimit: 200, DiskFreeLimit: 500, Dir: "/x",
		MemoryUsed: func() (int64, error) { return used, nil },
		DiskFree:   func(string) (int64, error) { return free, nil }}
	m.Check()
	if ch, _ := s.Active(); ch != nil {
		t.Fatal("alarm below limits")
	}
	used = 250
	m.Check()
	ch, rs := s.Active()
	if ch == nil || len(rs) != 1 || rs[0] != Memory {
		t.Fatalf("memory alarm not raised: %v", rs)
	}
	free = 100
	m.Check()
	used = 195 // above 95%: still raised (hysteresis)
	m.Check()
	if !s.Raised(Memory) || !s.Raised(Disk) {
		t.Fatal("alarms should both be raised")
	}
	used, free = 10, 1000
	m.Check()
	select {
	case <-ch:
	default:
		t.Fatal("cleared channel not closed")
	}
	if ch, _ := s.Active(); ch != nil {
		t.Fatal("alarms not cleared")
	}
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{{"0.4", 400}, {"512MiB", 512 << 20}, {"2GB", 2e9}, {"1024", 1024}, {"50MB", 50e6}} {
		got, err := ParseLimit(c.in, 1000)
		if err != nil || got != c.want {
			t.Errorf("%s: %d %v", c.in, got, err)
		}
	}
	if _, err := ParseLimit("lots", 1); err == nil {
		t.Error("bad size accepted")
	}
	if n, err := ResidentMemory(); err != nil || n <= 0 {
		t.Errorf("rss %d %v", n, err)
	}
	if n, err := DiskFree("."); err != nil || n <= 0 {
		t.Errorf("disk free %d %v", n, err)
	}
}

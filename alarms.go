package warren

import (
	"fmt"

	"github.com/warrenmq/warren/internal/alarm"
)

// Resource alarms of an embedded broker.

// startAlarms starts the memory and disk monitor.
func (s *Server) startAlarms(cfg Config) error {
	s.alarms = alarm.NewSet(s.log)
	total, err := alarm.TotalMemory()
	if err != nil {
		total = 0
	}
	mw := cfg.MemoryHighWatermark
	if mw == "" {
		mw = "0.4"
	}
	memLimit, err := alarm.ParseLimit(mw, total)
	if err != nil {
		return fmt.Errorf("warren: memory high watermark: %w", err)
	}
	df := cfg.DiskFreeLimit
	if df == "" {
		df = "50MB"
	}
	diskLimit, err := alarm.ParseSize(df)
	if err != nil {
		return fmt.Errorf("warren: disk free limit: %w", err)
	}
	s.monitor = &alarm.Monitor{Set: s.alarms, MemoryLimit: memLimit, DiskFreeLimit: diskLimit, Dir: cfg.DataDir, Log: s.log}
	s.stopMon = make(chan struct{})
	go s.monitor.Run(s.stopMon)
	s.log.Info("resource limits", "memory_high_watermark", memLimit, "disk_free_limit", diskLimit)
	return nil
}

func (s *Server) stopAlarms() {
	if s.stopMon != nil {
		close(s.stopMon)
		s.stopMon = nil
	}
}

// RaiseAlarm raises or clears a resource alarm by hand, for tests and
// operators. The monitor owns "memory" and "disk" and re-evaluates them
// every second; other names stay until cleared.
func (s *Server) RaiseAlarm(resource string, on bool) {
	s.alarms.Raise(alarm.Resource(resource), on)
}

// MemoryHighWatermarkBytes returns the memory alarm's threshold (0 when
// disabled), for programs that also want to cap the Go heap there.
func (s *Server) MemoryHighWatermarkBytes() int64 { return s.monitor.MemoryLimit }

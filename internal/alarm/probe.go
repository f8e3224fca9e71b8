package alarm

import (
	"bufio"
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
)

// ResidentMemory returns the process's resident set size from
// /proc/self/statm, or, where that is missing, the Go runtime's own
// mapped memory.
func ResidentMemory() (int64, error) {
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 2 {
			pages, err := strconv.ParseInt(f[1], 10, 64)
			if err == nil {
				return pages * int64(os.Getpagesize()), nil
			}
		}
	}
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64() - s[1].Value.Uint64()), nil
}

// TotalMemory returns the machine's memory from /proc/meminfo.
func TotalMemory() (int64, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kb int64
		if n, _ := fmt.Sscanf(sc.Text(), "MemTotal: %d kB", &kb); n == 1 {
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("alarm: MemTotal not found in /proc/meminfo")
}

// DiskFree returns the bytes available to unprivileged users under dir.
func DiskFree(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// ParseLimit reads a memory limit: a fraction of total (e.g. "0.4"), or an
// absolute size ("512MiB", "2GB", "1073741824").
func ParseLimit(s string, total int64) (int64, error) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f <= 1 && strings.Contains(s, ".") {
		return int64(f * float64(total)), nil
	}
	return ParseSize(s)
}

// ParseSize reads a byte size with an optional unit (kB, MB, GB, KiB,
// MiB, GiB).
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"kB", 1000}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("alarm: bad size %q", s)
	}
	return n * mult, nil
}

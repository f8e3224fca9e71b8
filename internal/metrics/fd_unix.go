//go:build unix

package metrics

import (
	"os"
	"syscall"
)

// openFDs counts the process's open file descriptors (Linux /proc).
func openFDs() (int, bool) {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, false
	}
	return len(ents), true
}

// maxFDs is the process's file descriptor limit.
func maxFDs() (uint64, bool) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, false
	}
	return uint64(rl.Cur), true
}

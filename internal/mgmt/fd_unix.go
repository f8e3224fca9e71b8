//go:build unix

package mgmt

import "syscall"

// fdTotal is the process's file descriptor limit.
func fdTotal() uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	return uint64(rl.Cur)
}

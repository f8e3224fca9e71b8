//go:build !linux

package vfs

import "os"

// datasync falls back to fsync where the platform has no fdatasync.
func datasync(f *os.File) error { return f.Sync() }

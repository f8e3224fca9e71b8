package store

import (
	"log/slog"
	"time"

	"github.com/warrenmq/warren/internal/vfs"
)

// SyncMode says when appended data is made durable.
type SyncMode int

const (
	// SyncAlways: a SyncAsync callback runs after the data is on disk
	// (fdatasync). The committer starts the next round as soon as the
	// previous one ends, so calls that arrive during an fsync share the
	// next one.
	SyncAlways SyncMode = iota
	// SyncNone never fsyncs: a SyncAsync callback runs once the data has
	// been written to the operating system, which survives a broker crash
	// but not a machine crash (RabbitMQ's weaker guarantee).
	SyncNone
	// SyncInterval gives the same guarantee as SyncAlways but starts at
	// most one round per Options.SyncInterval, trading confirm latency for
	// fewer fsyncs when many queues publish at a low rate each.
	SyncInterval
)

// Options configure a Store. The zero value is usable.
type Options struct {
	// FS is the filesystem; vfs.OS() when nil.
	FS vfs.FS
	// SegmentSize is the size at which a log starts a new segment file
	// (8 MiB when 0, at most 1 GiB). A record larger than that gets a
	// segment of its own.
	SegmentSize int64
	// Logger receives corruption and I/O error reports; discarded when nil.
	Logger *slog.Logger
	// SyncMode is SyncAlways when zero.
	SyncMode SyncMode
	// SyncInterval is the minimum time between two commit rounds in
	// SyncInterval mode (10ms when 0).
	SyncInterval time.Duration
	// OnCorrupt, when set, is called for every corrupt record found, by
	// Recover (bytes skipped in the middle of a segment) and by Read.
	// logDir is the log's directory.
	OnCorrupt func(logDir string, seg uint32, off uint32, err error)
	// OnSync, when set, is called by the committer after each round that
	// fsynced anything, with the time the fsyncs took.
	OnSync func(d time.Duration)
}

const (
	defaultSegmentSize = 8 << 20
	maxSegmentSize     = 1 << 30
	defaultInterval    = 10 * time.Millisecond

	// flushSize is the write buffer size: Append writes the buffer to the
	// file when the next record would not fit, so a busy queue makes one
	// write per flushSize bytes and an idle one none until a commit round.
	flushSize = 256 << 10
	// ackFlushSize bounds the buffered ack entries of one segment.
	ackFlushSize = 64 << 10
	// maxOpenFiles bounds the segment and ack file handles a log keeps
	// open besides its current segment; a deep queue may have thousands of
	// segments, but reads and acks cluster around its head.
	maxOpenFiles = 16
	// scanBufSize is the read size of recovery.
	scanBufSize = 1 << 20
	// syncParallel bounds the fsyncs one commit round runs at once: the
	// filesystem can merge concurrent fsyncs into one journal commit.
	syncParallel = 16
)

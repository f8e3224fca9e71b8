package store

import (
	"errors"
	"fmt"
)

var (
	// ErrClosed is returned by a closed Store or Log, and to SyncAsync
	// callbacks of a Log closed or removed before they were served.
	ErrClosed = errors.New("store: closed")
	// ErrNotRecovered is returned by Append, Ack and Read on a Log that
	// has segments on disk until Recover has run.
	ErrNotRecovered = errors.New("store: log not recovered")
	// ErrRecovered is returned by a second Recover, or one after Append.
	ErrRecovered = errors.New("store: log already recovered or written")
	// ErrTooLarge is returned by Append for a record over MaxRecordSize.
	ErrTooLarge = errors.New("store: record too large")
	// ErrBadPos is returned for a position that names no record: a
	// segment already deleted (every record in it acked) or a range past
	// the end of the segment, and by an Ack of a segment with no live
	// record left (acked twice).
	ErrBadPos = errors.New("store: no record at position")
	// ErrCorrupt is matched (errors.Is) by every *CorruptError.
	ErrCorrupt = errors.New("store: corrupt record")
	// ErrLogOpen is returned by OpenLog for a name that is already open.
	ErrLogOpen = errors.New("store: log already open")
	// ErrBadName is returned for a log name that is not one path element.
	ErrBadName = errors.New("store: invalid log name")
)

// CorruptError describes bytes of a segment that do not hold a valid record.
type CorruptError struct {
	Seg    uint32
	Off    uint32
	Len    int64 // bytes skipped, when known (recovery)
	Reason string
}

func (e *CorruptError) Error() string {
	if e.Len > 0 {
		return fmt.Sprintf("store: corrupt data in segment %d at offset %d (%d bytes): %s", e.Seg, e.Off, e.Len, e.Reason)
	}
	return fmt.Sprintf("store: corrupt record in segment %d at offset %d: %s", e.Seg, e.Off, e.Reason)
}

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

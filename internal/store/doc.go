// Package store is the broker's on-disk message store: one append-only log
// per queue, written in segment files, with group commit.
//
// The broker keeps only a Pos (12 bytes) per queued message and reads the
// record back when it delivers it. The store itself keeps no per-message
// memory: per log, a write buffer (shared through a pool while idle) and,
// per segment, a few counters and at most a small buffer of ack entries.
// docs/STORAGE.md describes the file formats, recovery, what is synced
// when, and the handling of I/O errors.
//
// # Concurrency
//
// Every Log method is safe for concurrent use. Appends to one log are
// ordered by the log's mutex, which the broker normally serialises anyway
// under its queue lock. Read copies from the write buffer under the mutex
// but reads files outside it, so a Read never waits for an fsync and the
// committer never waits for a Read.
//
// One committer goroutine per Store does all group commits. SyncAsync queues
// a callback; the committer takes every log with callbacks, writes its
// buffered records and acks (holding the log's mutex, which is short), then
// fsyncs the dirty files of all those logs (holding no lock, up to 16 at a
// time), then runs the callbacks on its own goroutine. Callbacks queued
// while it syncs wait for the next round, which starts as soon as this one
// ends: there is no timer (except in SyncInterval mode), so the batch is
// whatever arrived during the previous fsync. Callbacks must not block; they
// may call any Log method (Store.Close excepted). Log.Close syncs on its
// caller's goroutine instead of waiting for the committer, so it may be
// called holding a lock that callbacks take.
//
// # Failures
//
// A write or sync error is returned (to Append, Flush, Ack, and to every
// callback of the round) and recorded: the log takes no more writes and
// returns that error from then on, because after a failed fsync the kernel
// may have dropped the dirty pages and a retry would report success for data
// that is gone. What was already durable stays readable and recoverable.
package store

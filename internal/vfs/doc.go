// Package vfs is the filesystem seam of the message store, in the style of
// Pebble's vfs package: the store does all of its I/O through the FS and File
// interfaces, so tests can swap the operating system for an in-memory
// filesystem that simulates a crash (MemFS) or for a wrapper that fails
// chosen operations (NewFaulty).
//
// # Writing
//
// Files are written with WriteAt at an offset the caller tracks rather than
// through a shared seek position or O_APPEND: the store knows where its log
// ends (it may have truncated a torn tail), a positional write keeps readers
// (ReadAt) and the writer independent, and os.File refuses WriteAt on files
// opened with O_APPEND. Write is there for completeness and writes at the
// handle's own position, starting at 0.
//
// # Durability
//
// File.Sync has fdatasync semantics on Linux: the file's data and the
// metadata needed to read it back (its size) are durable when it returns,
// timestamps may not be. A new, removed or renamed directory entry is
// durable only after FS.SyncDir of the directory holding it.
//
// # MemFS crash model
//
// MemFS.CrashClone returns what a machine would find after losing power:
//
//   - a file's content is what it was at its last Sync (nothing written
//     since survives, not even a prefix);
//   - a file exists only if its directory entry was made durable by SyncDir
//     of its parent since it was created (or renamed), and a removed file
//     comes back unless its removal was followed by SyncDir. A file that
//     was synced but whose directory was never synced is therefore absent:
//     the strict reading of POSIX, so the store has to sync its directories;
//   - directories themselves are simpler: MkdirAll and RemoveAll take effect
//     at once and survive a crash without SyncDir. The store creates a
//     queue's directory once and deletes it when the queue goes, so modelling
//     lost directories would test little and complicate every caller.
//
// # Faulty
//
// NewFaulty wraps an FS and asks an inject function before each operation;
// a non-nil error is returned instead of doing it. The operation names are
// listed at NewFaulty. Counting calls with an inject that returns nil is how
// tests measure fsyncs.
package vfs

// Package meta persists the broker's definitions: virtual hosts, users,
// permissions, durable exchanges, durable queues and the bindings between
// durable objects.
//
// Definitions change rarely but there can be many of them (tens of
// thousands of queues), so they are kept as an append-only log of changes
// (one JSON object per line) beside a snapshot. Opening replays snapshot
// then log into a State and, when the log has grown past the snapshot,
// writes a fresh snapshot (temp file, fsync, rename, fsync dir) and starts
// an empty log, so startup cost follows the number of live definitions,
// not the history. A torn last line (a crash mid-append) is ignored.
//
// Arguments tables are stored in AMQP's own field-table encoding (base64
// in the JSON) so that every value keeps its exact type across restarts:
// JSON alone would turn an int32 into a float64 and []byte into a string,
// and redeclares would then fail RabbitMQ's equivalence checks.
package meta

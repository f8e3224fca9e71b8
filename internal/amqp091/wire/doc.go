// Package wire is the AMQP 0-9-1 codec: frames, methods, content headers,
// basic properties and field tables, byte-compatible with RabbitMQ.
//
// The method structs, their encoders and decoders, the spec constants and
// DecodeMethod are generated from spec/amqp0-9-1.stripped.extended.xml (the
// spec with RabbitMQ's extensions) into methods_gen.go, so the codec cannot
// drift from the spec by hand edits; gen_test.go fails when it is stale.
// Everything else (framing, properties, tables) is hand-written, because it
// is either not in the XML or needs care the XML cannot express.
//
// Decoders treat all input as hostile: they never panic, check every
// declared length against the bytes actually present before allocating,
// and report problems as *MalformedError or *UnknownMethodError so the
// connection layer can choose the reply code. Decoded values never alias
// the input, except where a function documents otherwise for speed
// (FrameReader payloads, DecodeContentHeader, PeekProperties).
//
// Encoders append to a caller-owned slice and never fail, so a connection
// can build a whole batch of frames in one reusable buffer.
package wire

//go:generate go run ./gen

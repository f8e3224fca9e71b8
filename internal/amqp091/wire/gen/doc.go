// Command gen regenerates methods_gen.go from the spec XML.
//
// It is run by `go generate ./internal/amqp091/wire`, whose working directory
// is the wire package directory, so the default paths are relative to it.
package main

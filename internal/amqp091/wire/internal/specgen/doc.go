// Package specgen turns the AMQP 0-9-1 specification XML into the Go source
// of package wire's methods_gen.go.
//
// It lives in its own internal package, rather than only inside the
// generator command, so that package wire's tests can regenerate the code in
// memory and fail when the committed file has drifted from the XML.
package specgen

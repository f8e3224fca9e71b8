// Package warren embeds a Warren message broker in a Go program.
//
//	srv, err := warren.New(warren.Config{})
//	l, _ := net.Listen("tcp", "127.0.0.1:5672")
//	go srv.Serve(l)
//	...
//	srv.Shutdown(ctx)
//
// The warren command is a thin wrapper around this package, and the
// end-to-end tests start brokers exactly this way.
package warren

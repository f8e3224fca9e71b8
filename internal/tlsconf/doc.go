// Package tlsconf builds the TLS configuration of Warren's TLS listeners
// from certificate, key and CA files, and reloads it (SIGHUP) without
// dropping connections: new handshakes use the new files, established
// connections keep theirs.
package tlsconf

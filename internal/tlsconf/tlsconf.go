package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"sync/atomic"
)

// Options name the files and policies of a TLS listener.
type Options struct {
	CertFile, KeyFile string
	// CAFile holds the CAs that client certificates must chain to.
	CAFile string
	// ClientAuth is "none", "optional" (verify if presented) or
	// "required".
	ClientAuth string
	// MinVersion is "1.2" (default) or "1.3".
	MinVersion string
}

// Reloader serves the current configuration to every new handshake.
type Reloader struct {
	opts Options
	cur  atomic.Pointer[tls.Config]
}

// New loads the files once; an error means the listener cannot start.
func New(opts Options) (*Reloader, error) {
	r := &Reloader{opts: opts}
	if err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload reads the files again. On error the previous configuration stays
// in force.
func (r *Reloader) Reload() error {
	c, err := build(r.opts)
	if err != nil {
		return err
	}
	r.cur.Store(c)
	return nil
}

// Config returns the configuration to give tls.NewListener: it hands each
// handshake the latest loaded configuration.
func (r *Reloader) Config() *tls.Config {
	return &tls.Config{
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return r.cur.Load(), nil },
	}
}

func build(o Options) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: loading certificate: %w", err)
	}
	c := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	switch o.MinVersion {
	case "", "1.2":
	case "1.3":
		c.MinVersion = tls.VersionTLS13
	default:
		return nil, fmt.Errorf("tls: unsupported minimum version %q (1.2 or 1.3)", o.MinVersion)
	}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls: reading CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls: no certificates in CA file %s", o.CAFile)
		}
		c.ClientCAs = pool
	}
	switch o.ClientAuth {
	case "", "none":
		c.ClientAuth = tls.NoClientCert
	case "optional":
		c.ClientAuth = tls.VerifyClientCertIfGiven
	case "required":
		c.ClientAuth = tls.RequireAndVerifyClientCert
	default:
		return nil, fmt.Errorf("tls: client auth must be none, optional or required, not %q", o.ClientAuth)
	}
	if c.ClientAuth != tls.NoClientCert && c.ClientCAs == nil {
		return nil, fmt.Errorf("tls: client certificate verification needs a CA file")
	}
	return c, nil
}

package amqp091

import (
	"crypto/tls"
	"net"
	"sync/atomic"
)

// countingConn counts the bytes and read/write calls on a socket for the
// management API's recv_oct/send_oct. It costs one atomic add per system
// call, not per frame or message.
type countingConn struct {
	net.Conn
	recvOct, sendOct, recvCnt, sendCnt atomic.Uint64
}

// CountBytes wraps a client socket so its connection reports octet
// counters; wrap before ServeConn. A *tls.Conn is returned unchanged (the
// adapter needs it for EXTERNAL authentication): count TLS connections
// below TLS, with CountListener on the TCP listener.
func CountBytes(nc net.Conn) net.Conn {
	switch nc.(type) {
	case *countingConn, *tls.Conn:
		return nc
	}
	return &countingConn{Conn: nc}
}

// CountListener wraps a listener so every accepted connection counts its
// bytes; put it under tls.NewListener to count TLS connections.
func CountListener(l net.Listener) net.Listener { return countingListener{l} }

type countingListener struct{ net.Listener }

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return CountBytes(c), nil
}

// counters finds a connection's counters, below TLS if need be.
func counters(nc net.Conn) *countingConn {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	cc, _ := nc.(*countingConn)
	return cc
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.recvOct.Add(uint64(n))
	c.recvCnt.Add(1)
	return n, err
}

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.sendOct.Add(uint64(n))
	c.sendCnt.Add(1)
	return n, err
}

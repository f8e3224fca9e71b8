package amqp091

import "github.com/warrenmq/warren/internal/amqp091/wire"

// Connection and channel limits per vhost and per user, with RabbitMQ's
// replies. Counts come from the server's connection registry.

// countConns returns open connections in a vhost and of a user (the
// calling connection excluded: it is not open yet).
func (s *Server) countConns(self *conn, vhost, user string) (inVHost, ofUser int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c == self {
			continue
		}
		if v := c.openVHost.Load(); v != nil && *v == vhost {
			inVHost++
		}
		if u := c.openUser.Load(); u != nil && *u == user {
			ofUser++
		}
	}
	return
}

// checkConnectionLimits refuses connection.open beyond the vhost's or the
// user's max-connections.
func (c *conn) checkConnectionLimits(vhost string) error {
	vl, vset := c.cfg().Broker.VHost(vhost).Limits()
	ul, uset := c.cfg().UserLimits.Get(c.user.Name)
	if (!vset || vl.MaxConnections < 0) && (!uset || ul.MaxConnections < 0) {
		return nil
	}
	inVHost, ofUser := c.srv.countConns(c, vhost, c.user.Name)
	if vset && vl.MaxConnections >= 0 && int64(inVHost) >= vl.MaxConnections {
		return newErr(wire.NotAllowed, "access to vhost '%s' refused for user '%s': connection limit (%d) is reached", vhost, c.user.Name, vl.MaxConnections)
	}
	if uset && ul.MaxConnections >= 0 && int64(ofUser) >= ul.MaxConnections {
		return newErr(wire.NotAllowed, "Connection refused for user '%s'. User connection limit (%d) is reached", c.user.Name, ul.MaxConnections)
	}
	return nil
}

// checkChannelLimit refuses channel.open beyond the user's max-channels
// (counted per connection, as RabbitMQ does).
func (c *conn) checkChannelLimit() error {
	ul, ok := c.cfg().UserLimits.Get(c.user.Name)
	if !ok || ul.MaxChannels < 0 || int64(len(c.channels)) < ul.MaxChannels {
		return nil
	}
	return newErr(wire.NotAllowed, "number of channels opened for user '%s' has reached the maximum allowed user limit of (%d)", c.user.Name, ul.MaxChannels)
}

package amqp091

import (
	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/auth"
)

// Access control, as RabbitMQ's table lays it out: configure to declare or
// delete, write to publish to an exchange or bind a queue (the
// destination), read to consume, get, purge or be the source of a binding.
// The default exchange is named "amq.default" for these checks. Without a
// permission store (Config.Permissions nil) everything is allowed, which
// is what an embedded broker with only the default user wants.

// resourceName is the name a permission pattern sees.
func resourceName(exchange string) string {
	if exchange == "" {
		return "amq.default"
	}
	return exchange
}

// check returns 403 ACCESS_REFUSED unless the connection's user has access
// a to the resource (kind "queue" or "exchange").
func (ch *channel) check(a auth.Access, kind, name string, m wire.Method) error {
	p := ch.conn.cfg().Permissions
	if p == nil {
		return nil
	}
	c := ch.conn
	res := name
	if kind == "exchange" {
		res = resourceName(name)
	}
	if p.Check(c.user.Name, c.vhost.Name(), a, res) {
		return nil
	}
	return newErr(wire.AccessRefused, "access to %s '%s' in vhost '%s' refused for user '%s'", kind, res, c.vhost.Name(), c.user.Name).on(m)
}

// checkTopic applies topic permissions to a routing key on a topic
// exchange (write for publishes, read for bindings).
func (ch *channel) checkTopic(a auth.Access, exchange, exchangeType, key string, m wire.Method) error {
	p := ch.conn.cfg().Permissions
	if p == nil || exchangeType != "topic" {
		return nil
	}
	c := ch.conn
	if p.CheckTopic(c.user.Name, c.vhost.Name(), exchange, a, key) {
		return nil
	}
	return newErr(wire.AccessRefused, "%s access to topic '%s' in exchange '%s' in vhost '%s' refused for user '%s'",
		a, key, exchange, c.vhost.Name(), c.user.Name).on(m)
}

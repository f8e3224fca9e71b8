// Package mgmt is Warren's RabbitMQ-compatible management HTTP API: the
// /api endpoints of RabbitMQ's management plugin (overview, nodes,
// connections, channels, consumers, exchanges, queues, bindings, vhosts,
// users, permissions, policies, limits, definitions, health checks), with
// RabbitMQ's paths, JSON field names, status codes and error bodies, so
// that rabbitmqadmin, monitoring agents, Terraform providers and the like
// work against Warren unchanged.
//
// Compatibility version. /api/overview reports rabbitmq_version and
// management_version "3.13.7" (RabbitMQVersion): tools gate features on
// that number and Warren implements the 3.13 API shape. product_name is
// "Warren" and product_version Warren's own version, so a human or a tool
// that cares can still tell the two apart.
//
// Access control follows RabbitMQ: HTTP basic auth against the user store;
// a user needs one of the tags administrator, monitoring, policymaker or
// management (else 401 not_authorised "Not management user"). Monitoring
// users read everything; management users see the vhosts they have
// permissions on; policymakers may also manage policies there; only
// administrators manage users, vhosts, permissions and definitions.
// Declaring, deleting, binding, publishing and getting through the API are
// further checked against the user's configure/write/read permissions, as
// RabbitMQ checks them for its internal AMQP channel.
//
// Statistics. Message rates come from a sampler goroutine that reads the
// queues' cumulative counters (broker.QueueStats, plain atomics the
// message path increments anyway) every five seconds and keeps the last
// two samples: rate = delta / interval. Nothing is added to the message
// path. Counts (messages, consumers) are read live on each request.
//
// Listing. Every list endpoint supports RabbitMQ's page, page_size
// (default 100, max 500), name (+ use_regex), sort (a dotted field path),
// sort_reverse and columns. Sort keys are extracted without rendering the
// full JSON objects, and only the requested page is rendered, so a page of
// 50,000 queues costs milliseconds.
//
// Storage. Users, permissions, vhosts, durable exchanges, queues and
// bindings are persisted through Deps.Definitions and the broker;
// policies, operator policies, vhost and user limits, topic permissions
// and global parameters as meta params (params_persist.go). Vhost
// metadata (description, tags, default queue type) and the cluster name
// are kept only in memory for now. Runtime parameters are those of the
// components Warren implements: vhost-limits and operator_policy (see
// policies.go). Everything is exported and imported with definitions.
package mgmt

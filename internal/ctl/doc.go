// Package ctl is `warren ctl`, Warren's operator command line. Like
// rabbitmqctl it takes a verb and its arguments (list_queues, add_user,
// set_policy, ...), but it works remotely: every verb is one or a few
// requests to the broker's RabbitMQ-compatible management HTTP API
// (internal/mgmt), so it needs nothing but the API's URL and an
// administrator's credentials, and it works against RabbitMQ itself too.
//
// Connection options: --url (default http://localhost:15672), --user and
// --password (default guest/guest), also read from WARREN_CTL_URL,
// WARREN_CTL_USER and WARREN_CTL_PASSWORD; flags win over the
// environment. --timeout (default 10s; a bare number is seconds) bounds
// every request. Flags may come before or after the verb; "--" ends them.
//
// Virtual hosts. As in rabbitmqctl, --vhost/-p (default "/") selects the
// vhost of the vhost-scoped verbs: list_queues, list_exchanges,
// list_bindings, list_consumers, list_permissions and list_policies list
// that one vhost (--all-vhosts lists every vhost and adds a vhost column),
// while list_connections and list_channels list the whole node unless -p
// is given. export_definitions and import_definitions cover the whole
// broker unless -p is given.
//
// Output. --format table (the default) prints rabbitmqctl's layout: a
// header line and one line per object, tab-separated, cells rendered
// from the JSON (objects and lists as compact JSON, tabs and newlines
// escaped). Columns are any JSON field of the API, dotted paths included
// (message_stats.publish_details.rate), passed to the API's columns
// parameter so only they are rendered. --format json prints the API's
// JSON (indented). Mutating verbs print rabbitmqctl's one-line notice
// ("Adding vhost ...") unless --quiet or --format json.
//
// Errors are one line on stderr starting with "Error:": unreachable URL,
// timeout, 401 (access refused), 404 (what was not found) or the API's
// "reason" text. Exit status: 0 success, 1 failure, 2 usage error.
package ctl

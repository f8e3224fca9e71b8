// Package ui is Warren's operator web UI: a single page served by the
// broker on the management listener, built from plain HTML, CSS and
// JavaScript modules embedded in the binary (embed.FS). There is no
// build step, no npm, no CDN and no request to any other origin; the
// Content-Security-Policy allows this origin only.
//
// Paths. "/" (and "/index.html") is the page; its assets are under
// "/ui/" (app.css, favicon.svg, js/*.js). RabbitMQ's management UI also
// lives at "/" next to "/api/", with assets under "/js/", "/css/" and
// "/img/"; Warren keeps every asset under the one "/ui/" prefix so that
// nothing but "/" and "/ui/" is taken from the root, and "/api/" and
// "/metrics" stay the management API's and the Prometheus endpoint's.
// Pages are hash routes as in RabbitMQ's UI ("#/queues/%2F/orders"), so
// the server needs no route per page.
//
// The page talks to the management API (/api/...) with fetch: the login
// form checks the credentials with GET /api/whoami and keeps the HTTP
// basic Authorization value in sessionStorage (gone when the tab
// closes); requests use credentials: "omit" so that a 401 challenge never
// opens the browser's own login dialog. A failed login (401
// "not_authorized") returns to the login form; a missing permission (401
// "not_authorised") is shown as an error.
//
// Pages: Overview (totals, live canvas charts of queued messages and of
// publish / deliver / ack / redeliver rates from /api/overview, node
// resources), Connections (close), Channels, Exchanges (add, delete,
// bindings, publish), Queues (paged with the API's page, page_size,
// name, use_regex and sort parameters; add; per queue: bindings,
// publish through the default exchange, get, purge, delete, move),
// Bindings, Virtual hosts, Users, Permissions, Topic permissions,
// Policies, Limits (per virtual host and per user) and Definitions
// (export download, import upload). Every page refreshes every 5 s.
//
// Moving messages is done by the page with RabbitMQ's API, not by a
// server endpoint: it takes a batch with POST .../get (ackmode
// ack_requeue_false, base64 payloads) and publishes each message to the
// target queue through the default exchange with its properties and
// headers; see js/queue_ops.js for what happens when a publish fails.
//
// The browser tests are test/e2e/ui_browser_test.go: headless Chromium
// driven by test/ui/smoke.mjs and test/ui/admin.mjs with playwright-core
// (installed by `npm ci --prefix test/ui`); they skip without node,
// Chromium or that package.
package ui

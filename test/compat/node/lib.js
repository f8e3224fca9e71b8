// Helpers shared by the Node scripts of the compatibility check.
'use strict';

// The capabilities every script prints from connection.start.
const CAPS = ['publisher_confirms', 'basic.nack', 'consumer_cancel_notify',
  'exchange_exchange_bindings', 'connection.blocked',
  'authentication_failure_close', 'per_consumer_qos', 'direct_reply_to'];

// RabbitMQ 3.13 added these dead-lettering headers; the goldens come from
// 3.10, which has no such headers, so the comparison leaves them out.
const NEWER_HEADERS = ['x-last-death-exchange', 'x-last-death-queue', 'x-last-death-reason'];

function out(...a) {
  process.stdout.write(a.join(' ') + '\n');
}

// Every wait in the scripts is bounded; this is the backstop.
setTimeout(() => {
  out('watchdog: gave up after 50s');
  process.exit(1);
}, 50000).unref();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(cond, ms) {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(20);
  return cond();
}

module.exports = { CAPS, NEWER_HEADERS, out, sleep, waitUntil };

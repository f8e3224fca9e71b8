// Drives Warren's web UI in headless Chromium: log in, create two queues,
// publish a message to one from the UI, see its count become 1, peek at
// it, move it to the other queue, close a client connection, and take
// screenshots.
//
// usage: node smoke.mjs BASE_URL OUT_DIR CHROMIUM_PATH
// Run by test/e2e/ui_browser_test.go; exits non-zero on any failure.

import { run } from './lib.mjs';

const SRC = 'ui-test-queue';
const DST = 'ui-test-target';
const PAYLOAD = 'hello from the browser';

await run(async (t) => {
  const { page } = t;
  await t.login('ui-login.png');

  t.step = 'create queues';
  await t.nav('queues');
  const add = t.form('Add queue');
  for (const name of [SRC, DST]) {
    await add.getByLabel('Name').fill(name);
    await add.getByRole('button', { name: 'Add queue' }).click();
    await page.locator(`tr[data-queue="${name}"]`).waitFor();
  }

  t.step = 'open the queue';
  await page.locator(`tr[data-queue="${SRC}"]`).getByRole('link', { name: SRC }).click();
  await page.waitForURL(new RegExp(`#/queues/%2F/${SRC}$`));
  await t.text('#queue-info [data-k="messages"]', /^0$/);

  t.step = 'publish from the UI';
  await page.locator('summary', { hasText: 'Publish message' }).click();
  const pub = t.form('Publish message');
  await pub.getByLabel('Delivery mode').selectOption('2');
  await pub.getByLabel('Payload', { exact: true }).fill(PAYLOAD);
  await pub.getByRole('button', { name: 'Publish message' }).click();
  await t.toast('Message published.');
  await t.text('#queue-info [data-k="messages"]', /^1$/);
  await t.text('#queue-info [data-k="ready"]', /^1$/);
  await t.shot('ui-queue.png');

  t.step = 'get (peek)';
  await page.locator('summary', { hasText: 'Get messages' }).click();
  await t.form('Get message(s)').getByRole('button', { name: 'Get message(s)' }).click();
  await page.locator('.msg pre', { hasText: PAYLOAD }).waitFor();
  await t.text('#queue-info [data-k="messages"]', /^1$/);

  t.step = 'queue list shows the count';
  await t.nav('queues');
  await t.text(`tr[data-queue="${SRC}"] [data-k="messages"]`, /^1$/);
  await t.shot('ui-queues.png');

  t.step = 'move to another queue';
  await page.locator(`tr[data-queue="${SRC}"]`).getByRole('link', { name: SRC }).click();
  await page.locator('summary', { hasText: 'Move messages' }).click();
  const move = t.form('Move messages');
  await move.getByLabel('Target queue').fill(DST);
  await move.getByRole('button', { name: 'Move messages' }).click();
  await t.toast(`Moved 1 message(s) to ${DST}.`);
  await t.text('#queue-info [data-k="messages"]', /^0$/);
  await page.goto(`${t.url}#/queues/%2F/${DST}`);
  await t.text('#queue-info [data-k="messages"]', /^1$/);
  await page.locator('summary', { hasText: 'Get messages' }).click();
  await t.form('Get message(s)').getByRole('button', { name: 'Get message(s)' }).click();
  await page.locator('.msg pre', { hasText: PAYLOAD }).waitFor();
  await page.locator('.msg', { hasText: 'delivery_mode' }).waitFor();

  t.step = 'overview charts';
  await t.nav('');
  await t.text('.card .v[data-k="messages"]', /^1$/);
  await page.waitForTimeout(5600); // a second sample for the charts
  await t.shot('ui-overview.png');

  for (const key of ['connections', 'channels', 'exchanges', 'bindings', 'vhosts', 'users', 'permissions', 'policies', 'definitions']) {
    t.step = `page ${key}`;
    await t.nav(key);
    await page.locator('main h1').first().waitFor();
    if (key !== 'definitions') await page.locator('main table.grid').first().waitFor();
    if (key === 'connections') {
      // The Go test holds one AMQP connection named ui-test-conn open.
      t.step = 'close a connection';
      const row = page.locator('tr', { hasText: 'ui-test-conn' });
      await row.waitFor();
      await t.shot('ui-connections.png');
      await row.getByRole('button', { name: 'Close' }).click();
      await t.toast('Connection closed');
      await row.waitFor({ state: 'detached' });
    }
  }
});

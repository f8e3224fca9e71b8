// Drives Warren's web UI in headless Chromium: log in, create two queues,
// publish a message to one from the UI, see its count become 1, peek at
// it, move it to the other queue, and take screenshots.
//
// usage: node smoke.mjs BASE_URL OUT_DIR CHROMIUM_PATH
// Run by test/e2e/ui_browser_test.go; exits non-zero on any failure.

import { chromium } from 'playwright-core';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';

const [url, outDir, executablePath] = process.argv.slice(2);
if (!url || !outDir || !executablePath) {
  console.error('usage: node smoke.mjs BASE_URL OUT_DIR CHROMIUM_PATH');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

const SRC = 'ui-test-queue';
const DST = 'ui-test-target';
const PAYLOAD = 'hello from the browser';

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
let step = 'start';
try {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const origin = new URL(url).origin;
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol !== 'data:' && u.protocol !== 'blob:' && u.origin !== origin) problems.push('request to another origin: ' + r.url());
  });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console error: ' + m.text()); });
  page.on('dialog', (d) => d.accept());

  const shot = async (name) => {
    const path = join(outDir, name);
    await page.screenshot({ path, fullPage: true });
    console.log('screenshot ' + path);
  };
  const text = (selector, re) => page.locator(selector, { hasText: re }).first().waitFor();
  const formWith = (button) => page.locator('form', { has: page.getByRole('button', { name: button, exact: true }) });

  step = 'login';
  await page.goto(url);
  await page.getByLabel('Username').fill('guest');
  await page.getByLabel('Password').fill('guest');
  await page.getByRole('button', { name: 'Login' }).click();
  await text('.card .v[data-k="queues"]', /^\d+$/);
  await text('#who-user', /^guest$/);

  step = 'create queues';
  await page.locator('#nav a[data-key="queues"]').click();
  const add = formWith('Add queue');
  for (const name of [SRC, DST]) {
    await add.getByLabel('Name').fill(name);
    await add.getByRole('button', { name: 'Add queue' }).click();
    await page.locator(`tr[data-queue="${name}"]`).waitFor();
  }

  step = 'open the queue';
  await page.locator(`tr[data-queue="${SRC}"]`).getByRole('link', { name: SRC }).click();
  await page.waitForURL(new RegExp(`#/queues/%2F/${SRC}$`));
  await text('#queue-info [data-k="messages"]', /^0$/);

  step = 'publish from the UI';
  await page.locator('summary', { hasText: 'Publish message' }).click();
  const pub = formWith('Publish message');
  await pub.getByLabel('Delivery mode').selectOption('2');
  await pub.getByLabel('Payload', { exact: true }).fill(PAYLOAD);
  await pub.getByRole('button', { name: 'Publish message' }).click();
  await page.getByText('Message published.').waitFor();
  await text('#queue-info [data-k="messages"]', /^1$/);
  await text('#queue-info [data-k="ready"]', /^1$/);
  await shot('ui-queue.png');

  step = 'get (peek)';
  await page.locator('summary', { hasText: 'Get messages' }).click();
  await formWith('Get message(s)').getByRole('button', { name: 'Get message(s)' }).click();
  await page.locator('.msg pre', { hasText: PAYLOAD }).waitFor();
  await text('#queue-info [data-k="messages"]', /^1$/);

  step = 'queue list shows the count';
  await page.locator('#nav a[data-key="queues"]').click();
  await text(`tr[data-queue="${SRC}"] [data-k="messages"]`, /^1$/);
  await shot('ui-queues.png');

  step = 'move to another queue';
  await page.locator(`tr[data-queue="${SRC}"]`).getByRole('link', { name: SRC }).click();
  await page.locator('summary', { hasText: 'Move messages' }).click();
  const move = formWith('Move messages');
  await move.getByLabel('Target queue').fill(DST);
  await move.getByRole('button', { name: 'Move messages' }).click();
  await page.getByText(`Moved 1 message(s) to ${DST}.`).first().waitFor();
  await text('#queue-info [data-k="messages"]', /^0$/);
  await page.goto(`${url}#/queues/%2F/${DST}`);
  await text('#queue-info [data-k="messages"]', /^1$/);
  await page.locator('summary', { hasText: 'Get messages' }).click();
  await formWith('Get message(s)').getByRole('button', { name: 'Get message(s)' }).click();
  await page.locator('.msg pre', { hasText: PAYLOAD }).waitFor();
  await page.locator('.msg', { hasText: 'delivery_mode' }).waitFor();

  step = 'overview charts';
  await page.locator('#nav a[data-key=""]').click();
  await text('.card .v[data-k="messages"]', /^1$/);
  await page.waitForTimeout(5600); // a second sample for the charts
  await shot('ui-overview.png');

  step = 'other pages render';
  for (const key of ['connections', 'channels', 'exchanges', 'bindings', 'vhosts', 'users', 'permissions', 'policies', 'definitions']) {
    await page.locator(`#nav a[data-key="${key}"]`).click();
    await page.locator('#nav a.active', { hasText: /./ }).waitFor();
    await page.locator('main h1').waitFor();
    if (key !== 'definitions') await page.locator('main table.grid').first().waitFor();
  }
  await page.locator('#nav a[data-key="exchanges"]').click();
  await page.getByRole('link', { name: 'amq.direct' }).first().waitFor();
  await shot('ui-exchanges.png');
  await context.close();
} catch (e) {
  problems.push(`step "${step}": ${e.message.split('\n')[0]}`);
}
await browser.close();
if (problems.length) {
  console.error('FAIL\n' + problems.join('\n'));
  process.exit(1);
}
console.log('PASS');

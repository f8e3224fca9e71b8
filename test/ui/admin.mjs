// Drives the rest of Warren's web UI in headless Chromium: vhosts, users,
// permissions, exchanges with bindings and publishing, queue paging and
// filtering, purge and delete, policies, definitions export and import.
// The Go test declares page-q-00..page-q-24 before starting it.
//
// usage: node admin.mjs BASE_URL OUT_DIR CHROMIUM_PATH

import { run } from './lib.mjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

await run(async (t) => {
  const { page } = t;
  await t.login();

  t.step = 'add a vhost';
  await t.nav('vhosts');
  await page.locator('summary', { hasText: 'Add a new virtual host' }).click();
  const vf = t.form('Add virtual host');
  await vf.getByLabel('Name').fill('ui-vh');
  await vf.getByLabel('Description').fill('made in the browser');
  await vf.getByRole('button', { name: 'Add virtual host' }).click();
  await page.locator('main tr', { hasText: 'made in the browser' }).waitFor();
  await page.locator('#vhost-select option[value="ui-vh"]').waitFor({ state: 'attached' });

  t.step = 'add a user';
  await t.nav('users');
  await page.locator('summary', { hasText: 'Add or update a user' }).click();
  const uf = t.form('Add / update user');
  await uf.getByLabel('Username').fill('ui-user');
  await uf.getByLabel('Password').fill('secret');
  await uf.getByLabel('Tags').fill('management');
  await uf.getByRole('button', { name: 'Add / update user' }).click();
  await page.locator('main tr', { hasText: 'ui-user' }).waitFor();

  t.step = 'set permissions';
  await t.nav('permissions');
  const pf = t.form('Set permission');
  await pf.getByLabel('User').selectOption('ui-user');
  await pf.getByLabel('Virtual host').selectOption('ui-vh');
  await pf.getByLabel('Write regexp').fill('^ui-');
  await pf.getByRole('button', { name: 'Set permission' }).click();
  await page.locator('main tr', { hasText: '^ui-' }).waitFor();

  t.step = 'queue paging';
  await t.nav('queues');
  await page.getByLabel('Page size').selectOption('20');
  await t.text('.pager', /Page 1 of 2/);
  await page.getByRole('button', { name: 'Next ›' }).click();
  await t.text('.pager', /Page 2 of 2/);
  await page.locator('tr[data-queue="page-q-24"]').waitFor();
  await page.getByLabel('Filter queues by name').fill('page-q-1');
  await t.text('main p.muted', /^10 queue\(s\) matching, of 25$/);
  await t.text('.pager', /Page 1 of 1/);
  await t.shot('ui-queues-filtered.png');
  await page.getByLabel('Filter queues by name').fill('');
  await t.text('main p.muted', /^25 queue\(s\)$/);

  t.step = 'add a queue and a fanout exchange, bind them';
  const qf = t.form('Add queue');
  await qf.getByLabel('Name').fill('ui-bq');
  await qf.getByRole('button', { name: 'Add queue' }).click();
  await t.toast('Queue ui-bq added.');
  await t.nav('exchanges');
  await page.locator('summary', { hasText: 'Add a new exchange' }).click();
  const xf = t.form('Add exchange');
  await xf.getByLabel('Name').fill('ui-x');
  await xf.getByLabel('Type').selectOption('fanout');
  await xf.getByRole('button', { name: 'Add exchange' }).click();
  await page.getByRole('link', { name: 'ui-x' }).click();
  await page.waitForURL(/#\/exchanges\/%2F\/ui-x$/);
  await page.locator('summary', { hasText: 'Add a binding from this exchange' }).click();
  const bf = t.form('Bind');
  await bf.getByLabel('Destination').fill('ui-bq');
  await bf.getByRole('button', { name: 'Bind' }).click();
  await page.locator('main tr', { hasText: 'ui-bq' }).first().waitFor();

  t.step = 'publish through the exchange';
  await page.locator('summary', { hasText: 'Publish message' }).click();
  const xp = t.form('Publish message');
  await xp.getByLabel('Routing key').fill('anything');
  await xp.getByLabel('Headers').fill('{"x-from": "ui"}');
  await xp.getByLabel('Payload', { exact: true }).fill('via fanout');
  await xp.getByRole('button', { name: 'Publish message' }).click();
  await t.toast('Message published.');
  await t.shot('ui-exchange.png');

  t.step = 'the queue got it; unbind';
  await page.locator('main a', { hasText: 'ui-bq' }).first().click();
  await page.waitForURL(/#\/queues\/%2F\/ui-bq$/);
  await t.text('#queue-info [data-k="messages"]', /^1$/);
  const bound = page.locator('main tr', { hasText: 'ui-x' });
  await bound.getByRole('button', { name: 'Unbind' }).click();
  await t.toast('Binding removed.');
  await bound.waitFor({ state: 'detached' });

  t.step = 'purge and delete';
  await page.locator('summary', { hasText: 'Purge or delete' }).click();
  await page.getByRole('button', { name: 'Purge messages' }).click();
  await t.toast('Queue ui-bq purged.');
  await t.text('#queue-info [data-k="messages"]', /^0$/);
  await page.getByRole('button', { name: 'Delete queue' }).click();
  await page.waitForURL(/#\/queues$/);
  await page.locator('tr[data-queue="ui-bq"]').waitFor({ state: 'detached' });

  t.step = 'add a policy';
  await t.nav('policies');
  await page.locator('summary', { hasText: 'Add or update a policy' }).click();
  const polf = t.form('Add / update policy');
  await polf.getByLabel('Name').fill('ui-pol');
  await polf.getByLabel('Pattern').fill('^ui-');
  await polf.getByLabel('Apply to').selectOption('queues');
  await polf.getByLabel('Definition').fill('{"max-length": 10}');
  await polf.getByRole('button', { name: 'Add / update policy' }).click();
  await page.locator('main tr', { hasText: 'ui-pol' }).waitFor();

  t.step = 'export definitions';
  await t.nav('definitions');
  const [dl] = await Promise.all([
    page.waitForEvent('download'),
    t.form('Download definitions').getByRole('button', { name: 'Download definitions' }).click(),
  ]);
  const saved = join(t.outDir, 'definitions-export.json');
  await dl.saveAs(saved);
  const defs = JSON.parse(readFileSync(saved, 'utf8'));
  for (const [what, list, name] of [['vhost', defs.vhosts, 'ui-vh'], ['user', defs.users, 'ui-user'], ['policy', defs.policies, 'ui-pol'], ['exchange', defs.exchanges, 'ui-x']]) {
    if (!(list || []).some((o) => o.name === name)) throw new Error(`the export lacks ${what} ${name}`);
  }

  t.step = 'import definitions';
  const file = join(t.outDir, 'definitions-import.json');
  writeFileSync(file, JSON.stringify({ queues: [{ name: 'ui-imported', vhost: '/', durable: true, auto_delete: false, arguments: {} }] }));
  const imp = t.form('Upload definitions');
  await imp.getByLabel('Definitions file').setInputFiles(file);
  await imp.getByRole('button', { name: 'Upload definitions' }).click();
  await t.toast('Definitions imported.');
  await t.nav('queues');
  await page.getByLabel('Filter queues by name').fill('ui-imported');
  await page.locator('tr[data-queue="ui-imported"]').waitFor();

  t.step = 'delete what was made';
  await t.nav('policies');
  await page.locator('main tr', { hasText: 'ui-pol' }).getByRole('button', { name: 'Delete' }).click();
  await page.locator('main tr', { hasText: 'ui-pol' }).waitFor({ state: 'detached' });
  await page.goto(`${t.url}#/exchanges/%2F/ui-x`);
  await page.locator('summary', { hasText: 'Delete this exchange' }).click();
  await page.getByRole('button', { name: 'Delete exchange' }).click();
  await page.waitForURL(/#\/exchanges$/);
  await t.nav('users');
  await page.locator('main tr', { hasText: 'ui-user' }).getByRole('button', { name: 'Delete' }).click();
  await page.locator('main tr', { hasText: 'ui-user' }).waitFor({ state: 'detached' });
  await t.nav('vhosts');
  await page.locator('main tr', { hasText: 'ui-vh' }).getByRole('button', { name: 'Delete' }).click();
  await page.locator('main tr', { hasText: 'ui-vh' }).waitFor({ state: 'detached' });
});

// Drives the rest of Warren's web UI in headless Chromium: vhosts, users,
// permissions, vhost and user limits, topic permissions, exchanges with
// bindings and publishing, queue paging and filtering, purge and delete,
// policies, definitions export and import.
// The Go test declares page-q-00..page-q-24 before starting it.
//
// usage: node admin.mjs BASE_URL OUT_DIR CHROMIUM_PATH

import { run } from './lib.mjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

// same checks an API answer ({status, body} from t.api) against want.
function same(got, want, what) {
  if (got.status !== 200 || !isDeepStrictEqual(got.body, want)) {
    throw new Error(`${what}: the API says ${got.status} ${JSON.stringify(got.body)}, want ${JSON.stringify(want)}`);
  }
}

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

  t.step = 'set a vhost limit and a user limit';
  await t.nav('limits');
  const vlf = t.form('Set virtual host limit');
  await vlf.getByLabel('Virtual host').selectOption('/');
  await vlf.getByLabel('Limit').selectOption('max-queues');
  await vlf.getByLabel('Value', { exact: true }).fill('500');
  await vlf.getByRole('button', { name: 'Set virtual host limit' }).click();
  const vRow = page.locator('#vhost-limits tr', { hasText: 'max-queues' });
  await vRow.filter({ hasText: '500' }).waitFor();
  const ulf = t.form('Set user limit');
  await ulf.getByLabel('User').selectOption('ui-user');
  await ulf.getByLabel('Limit').selectOption('max-channels');
  await ulf.getByLabel('Value', { exact: true }).fill('7');
  await ulf.getByRole('button', { name: 'Set user limit' }).click();
  const uRow = page.locator('#user-limits tr', { hasText: 'ui-user' });
  await uRow.filter({ hasText: 'max-channels' }).filter({ hasText: '7' }).waitFor();
  same(await t.api('GET', '/vhost-limits/%2F'), [{ vhost: '/', value: { 'max-queues': 500 } }], 'vhost limits of /');
  same(await t.api('GET', '/user-limits/ui-user'), [{ user: 'ui-user', value: { 'max-channels': 7 } }], 'user limits of ui-user');

  t.step = 'an invalid limit shows the API reason';
  await vlf.getByLabel('Limit').selectOption('max-connections');
  await vlf.getByLabel('Value', { exact: true }).fill('lots');
  t.expectHTTPError(400);
  await vlf.getByRole('button', { name: 'Set virtual host limit' }).click();
  await t.toast('max-connections should be a number, actually was <<"lots">>');
  await t.shot('ui-limits.png');
  same(await t.api('GET', '/vhost-limits/%2F'), [{ vhost: '/', value: { 'max-queues': 500 } }], 'vhost limits of / after the invalid one');

  t.step = 'clear the limits';
  await vRow.getByRole('button', { name: 'Clear' }).click();
  await vRow.waitFor({ state: 'detached' });
  await t.text('#vhost-limits td.empty', /^No virtual host limits$/);
  // "/" is still listed, with value [], which the table showed as no limits.
  const all = await t.api('GET', '/vhost-limits');
  same({ status: all.status, body: all.body.filter((e) => e.vhost === '/') }, [{ vhost: '/', value: [] }], 'vhost-limits entry of /');
  await uRow.getByRole('button', { name: 'Clear' }).click();
  await uRow.waitFor({ state: 'detached' });
  same(await t.api('GET', '/user-limits/ui-user'), [], 'user limits of ui-user after the clear');

  t.step = 'set topic permissions';
  await t.nav('topic-permissions');
  const tpf = t.form('Set topic permission');
  await tpf.getByLabel('User').selectOption('ui-user');
  await tpf.getByLabel('Virtual host').selectOption('/');
  for (const [x, write] of [['amq.topic', '^ui\\.'], ['ui-topic', '^other$']]) {
    await tpf.getByLabel('Exchange').fill(x);
    await tpf.getByLabel('Write regexp').fill(write);
    await tpf.getByRole('button', { name: 'Set topic permission' }).click();
    await page.locator('#topic-permissions tr', { hasText: x }).filter({ hasText: write }).waitFor();
  }
  const tpPath = '/topic-permissions/%2F/ui-user';
  same(await t.api('GET', tpPath), [
    { user: 'ui-user', vhost: '/', exchange: 'amq.topic', write: '^ui\\.', read: '.*' },
    { user: 'ui-user', vhost: '/', exchange: 'ui-topic', write: '^other$', read: '.*' },
  ], 'topic permissions of ui-user');

  t.step = 'an invalid topic regexp shows the API reason';
  await tpf.getByLabel('Write regexp').fill('(');
  t.expectHTTPError(400);
  await tpf.getByRole('button', { name: 'Set topic permission' }).click();
  await t.toast('invalid write regular expression "("');
  await t.shot('ui-topic-permissions.png');

  t.step = 'clear the topic permissions, one exchange at a time';
  const tpRow = (x) => page.locator('#topic-permissions tr', { hasText: 'ui-user' }).filter({ hasText: x });
  await tpRow('amq.topic').getByRole('button', { name: 'Clear' }).click();
  await tpRow('amq.topic').waitFor({ state: 'detached' });
  same(await t.api('GET', tpPath), [{ user: 'ui-user', vhost: '/', exchange: 'ui-topic', write: '^other$', read: '.*' }], 'topic permissions after clearing amq.topic');
  await tpRow('ui-topic').getByRole('button', { name: 'Clear' }).click();
  await tpRow('ui-topic').waitFor({ state: 'detached' });
  const gone = await t.api('GET', tpPath);
  if (gone.status !== 404) throw new Error(`GET ${tpPath}: ${gone.status} after clearing all, want 404`);

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

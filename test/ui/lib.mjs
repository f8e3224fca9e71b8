// Shared by the browser scripts: launch Debian's Chromium through
// playwright-core, collect problems (page errors, console errors,
// requests to other origins), screenshot on failure, exit non-zero.
//
// A script calls run(async (t) => { ... }) and is started as
//   node SCRIPT BASE_URL OUT_DIR CHROMIUM_PATH

import { chromium } from 'playwright-core';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';

export async function run(body) {
  const [url, outDir, executablePath] = process.argv.slice(2);
  if (!url || !outDir || !executablePath) {
    console.error('usage: node SCRIPT BASE_URL OUT_DIR CHROMIUM_PATH');
    process.exit(2);
  }
  mkdirSync(outDir, { recursive: true });
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const problems = [];
  const t = { url, outDir, step: 'start', page: null };
  try {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    t.page = page;
    page.setDefaultTimeout(15000);
    const origin = new URL(url).origin;
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.protocol !== 'data:' && u.protocol !== 'blob:' && u.origin !== origin) problems.push('request to another origin: ' + r.url());
    });
    page.on('pageerror', (e) => problems.push('page error: ' + e.message));
    // Chromium logs each failed request as a console error; a step that
    // provokes one on purpose announces its status with t.expectHTTPError.
    const expected = [];
    t.expectHTTPError = (status) => expected.push(status);
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      const st = /^Failed to load resource: .* status of (\d+)/.exec(m.text());
      const i = st ? expected.indexOf(Number(st[1])) : -1;
      if (i >= 0) expected.splice(i, 1);
      else problems.push('console error: ' + m.text());
    });
    page.on('dialog', (d) => d.accept());
    t.shot = async (name) => {
      const path = join(outDir, name);
      await page.screenshot({ path, fullPage: true });
      console.log('screenshot ' + path);
    };
    // text waits for an element matching selector whose text matches re.
    t.text = (selector, re) => page.locator(selector, { hasText: re }).first().waitFor();
    // form is the form with the given submit button.
    t.form = (button) => page.locator('form', { has: page.getByRole('button', { name: button, exact: true }) });
    t.nav = async (key) => {
      await page.locator(`#nav a[data-key="${key}"]`).click();
      await page.locator(`#nav a.active[data-key="${key}"]`).waitFor();
    };
    t.toast = (text) => page.locator('.toast', { hasText: text }).first().waitFor();
    // api calls the management API as guest, outside the page, to check
    // what the UI did; it resolves to the HTTP status and parsed body.
    t.api = async (method, path) => {
      const r = await page.request.fetch(new URL('api' + path, url).href,
        { method, headers: { Authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') } });
      const text = await r.text();
      return { status: r.status(), body: text ? JSON.parse(text) : null };
    };
    t.login = async (shot) => {
      t.step = 'login';
      await page.goto(url);
      await page.getByLabel('Username').waitFor();
      if (shot) await t.shot(shot);
      await page.getByLabel('Username').fill('guest');
      await page.getByLabel('Password').fill('guest');
      await page.getByRole('button', { name: 'Login' }).click();
      await t.text('.card .v[data-k="queues"]', /^\d+$/);
      await t.text('#who-user', /^guest$/);
    };
    await body(t);
    await context.close();
  } catch (e) {
    problems.push(`step "${t.step}": ${e.message.split('\n')[0]}`);
    if (t.page) {
      const path = join(outDir, 'ui-failure.png');
      await t.page.screenshot({ path, fullPage: true }).catch(() => {});
      const foot = await t.page.locator('#foot-updated').textContent().catch(() => '');
      problems.push(`footer: ${foot}; screenshot of the failure: ${path}`);
    }
  }
  await browser.close();
  if (problems.length) {
    console.error('FAIL\n' + problems.join('\n'));
    process.exit(1);
  }
  console.log('PASS');
}

// The web console in a real browser (Debian's Chromium): sign in, browse the tree, edit and save
// a scroll (the .phext on disk changes), insert, search, delete; another client's change appears
// without a reload; a concurrent edit is shown (412) instead of lost; the operator adds a tenant
// whose token then works. The tests write screenshots of the main views to docs/screenshots/.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { Coordinate, parse } from '../src/phext/index.js';
import { launchChromium, skipWithoutChromium as skip } from '../src/testing/chromium.js';
import { durableBytes } from '../src/testing/durable-phext.js';
import { startHost } from '../src/testing/host-process.js';
import { apiPath, call } from '../src/testing/sq-api.js';
import { startSq } from '../src/testing/sq-process.js';
import { tempDir } from '../src/testing/temp-dir.js';
import { newToken, writeTenantsFile } from '../src/testing/tenants-file.js';
import { writeRouterConfig } from '../src/testing/router-file.js';

const KEY = 'console-key-0123456789';
const ADMIN = 'console-admin-0123456789';
const SHOTS = join(import.meta.dirname, '..', '..', 'docs', 'screenshots');
const WAIT = { timeout: 15_000 };
const C1 = '1.1.1/1.1.1/1.1.1';
const C2 = '1.1.1/1.1.1/1.1.2';
const C3 = '2.1.1/1.1.1/1.1.1';

/** Phone and desktop widths both get a look; the shots are taken at desktop width. */
const DESKTOP = { width: 1280, height: 800 };

const scrollOnDisk = async (file: string, c: string): Promise<string> => parse(await durableBytes(file)).get(Coordinate.parse(c));

/**
 * The view as the README shows it: taken every run (a view that fails to render fails here), and
 * written over the committed picture only with SQ_SCREENSHOTS=1 or when it is missing, so that a
 * test run leaves the checkout as it was.
 */
async function shot(page: Page, name: string): Promise<void> {
  const picture = await page.screenshot();
  const path = join(SHOTS, `${name}.png`);
  if (process.env.SQ_SCREENSHOTS !== '1' && existsSync(path)) return;
  mkdirSync(SHOTS, { recursive: true });
  writeFileSync(path, picture);
}

async function signIn(page: Page, port: number, token: string): Promise<void> {
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.fill('#token', token);
  await page.click('#sign-in button[type="submit"]');
  await page.locator('#sign-in').waitFor({ state: 'hidden', ...WAIT });
}

describe('the web console in Chromium', { skip, timeout: 180_000 }, () => {
  let context: BrowserContext | undefined;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  before(async () => {
    browser = await launchChromium();
    context = browser.context;
  });
  after(() => browser?.close());

  const newPage = async (t: { after: (fn: () => Promise<void>) => void }) => {
    const page = await context!.newPage();
    await page.setViewportSize(DESKTOP);
    t.after(() => page.close());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // Refusals the console handles (412, the admin API's 404 in single-tenant mode) are logged
    // by the browser as failed loads; anything else is an error of the page.
    page.on('console', (m) => void (m.type() === 'error' && !m.text().startsWith('Failed to load resource') && errors.push(m.text())));
    return { page, errors };
  };

  test('sq host --key: sign in, browse the tree, edit, insert, search, delete; the .phext on disk follows', async (t) => {
    const host = await startHost(t, { args: ['--key', KEY] });
    for (const [c, text] of [
      [C1, 'The first scroll'],
      [C2, 'The second scroll'],
      [C3, 'In another library'],
    ] as const) {
      assert.equal((await call(host.port, apiPath('insert', { p: 'notes', c }), { token: KEY, body: text })).status, 200);
    }
    const { page, errors } = await newPage(t);
    const response = await page.goto(`http://127.0.0.1:${host.port}/`);
    const headers = response!.headers();
    assert.equal(headers['content-type'], 'text/html; charset=utf-8');
    assert.match(headers['content-security-policy']!, /^default-src 'self'; script-src 'self'; style-src 'self';/);
    assert.equal(headers['cache-control'], 'no-cache');
    assert.equal(await page.textContent('#version'), `v${(await call(host.port, '/api/v2/version', { token: KEY })).text}`);
    await shot(page, 'sign-in');

    await page.fill('#token', 'wrong');
    await page.click('#sign-in button[type="submit"]');
    await page.locator('#message', { hasText: 'opens nothing' }).waitFor(WAIT);

    await page.fill('#token', KEY);
    await page.click('#sign-in button[type="submit"]');
    await page.getByRole('button', { name: /^notes/ }).click(WAIT);
    // The token is in this tab's sessionStorage only: not in the URL, not in a cookie.
    assert.equal(await page.evaluate(() => sessionStorage.getItem('sq.console.token')), KEY);
    assert.equal(page.url(), `http://127.0.0.1:${host.port}/`);
    assert.deepEqual(await context!.cookies(), []);

    // The tree: library 1's first book is open, library 2 is collapsed until asked for.
    const first = page.locator(`#tree button[data-coord="${C1}"]`);
    await first.waitFor(WAIT);
    assert.match((await first.textContent()) ?? '', /The first scroll/);
    const other = page.locator(`#tree button[data-coord="${C3}"]`);
    assert.equal(await other.isVisible(), false);
    await page.getByText('library 2 · shelf 1 · series 1').click();
    await page.getByText('collection 1 · volume 1 · book 1').nth(1).click();
    await other.waitFor({ state: 'visible', ...WAIT });

    // Edit and save: the file on disk changes.
    await first.click();
    await page.waitForFunction(
      () => (document.getElementById('scroll-text') as HTMLTextAreaElement).value === 'The first scroll',
      undefined,
      WAIT,
    );
    await page.fill('#scroll-text', 'Edited in the browser ✓');
    await page.click('#save');
    await page.locator('#message', { hasText: `Saved ${C1}` }).waitFor(WAIT);
    assert.equal(await scrollOnDisk(host.file('notes'), C1), 'Edited in the browser ✓');
    await page.locator(`#tree button[data-coord="${C1}"]`, { hasText: 'Edited in the browser' }).waitFor(WAIT);
    await page.locator('#phext-list button', { hasText: 'v4' }).waitFor(WAIT);
    // Its own save heard back on the feed is not news.
    assert.equal(await page.locator('#scroll-note').isVisible(), false);
    await shot(page, 'phexts');

    // Insert at a new coordinate (the next free scroll of the book is proposed).
    await page.click('#new-scroll');
    assert.equal(await page.inputValue('#coord'), '2.1.1/1.1.1/1.1.2');
    await page.fill('#coord', '1.1.1/1.1.1/1.1.9');
    await page.fill('#scroll-text', 'A new scroll with a needle');
    await page.click('#insert');
    await page.locator('#tree button[data-coord="1.1.1/1.1.1/1.1.9"]').waitFor(WAIT);
    assert.equal(await scrollOnDisk(host.file('notes'), '1.1.1/1.1.1/1.1.9'), 'A new scroll with a needle');

    // Search, then delete what it found, after confirming.
    await page.fill('#search-text', 'NEEDLE');
    await page.click('#search button');
    await page.locator('#search-results button', { hasText: '1.1.1/1.1.1/1.1.9' }).click(WAIT);
    await page.click('#delete');
    await page.locator('#confirm').waitFor(WAIT);
    await page.click('#confirm-ok');
    await page.locator('#message', { hasText: 'Deleted 1.1.1/1.1.1/1.1.9' }).waitFor(WAIT);
    assert.equal(await scrollOnDisk(host.file('notes'), '1.1.1/1.1.1/1.1.9'), '');

    await page.click('#show-raw');
    await page.locator('#raw-text', { hasText: 'Edited in the browser ✓␗' }).waitFor(WAIT);
    await shot(page, 'raw');
    const download = page.waitForEvent('download');
    await page.click('#download-phext');
    assert.equal((await download).suggestedFilename(), 'notes.phext');
    assert.deepEqual(errors, []);
  });

  test('sq host: another client’s change appears without a reload; a concurrent edit is shown (412), not lost', async (t) => {
    const host = await startHost(t, { args: ['--key', KEY] });
    const write = (c: string, text: string) => call(host.port, apiPath('update', { p: 'shared', c }), { token: KEY, body: text });
    assert.equal((await write(C1, 'original')).status, 200);
    const { page, errors } = await newPage(t);
    await signIn(page, host.port, KEY);
    await page.locator('#live', { hasText: 'live' }).waitFor(WAIT);
    await page.getByRole('button', { name: /^shared/ }).click(WAIT);
    await page.locator(`#tree button[data-coord="${C1}"]`).click(WAIT);
    await page.waitForFunction(() => (document.getElementById('scroll-text') as HTMLTextAreaElement).value === 'original', undefined, WAIT);

    // Another client changes the open scroll and adds one: both show up, without a reload.
    assert.equal((await write(C1, 'changed by another client')).status, 200);
    assert.equal((await write(C2, 'added by another client')).status, 200);
    await page.waitForFunction(
      () => (document.getElementById('scroll-text') as HTMLTextAreaElement).value === 'changed by another client',
      undefined,
      WAIT,
    );
    await page.locator(`#tree button[data-coord="${C2}"]`, { hasText: 'added by another client' }).waitFor(WAIT);
    await page.locator('#phext-list button', { hasText: '2 scrolls' }).waitFor(WAIT);

    // A change elsewhere in the phext does not stop a save of this scroll.
    await page.fill('#scroll-text', 'mine, after a change elsewhere');
    assert.equal((await write(C2, 'elsewhere again')).status, 200);
    await page.click('#save');
    await page.locator('#message', { hasText: `Saved ${C1}` }).waitFor(WAIT);
    assert.equal(await scrollOnDisk(host.file('shared'), C1), 'mine, after a change elsewhere');

    // While the user edits, another client saves the same scroll: the console says so, and a
    // save shows their text instead of overwriting it.
    await page.fill('#scroll-text', 'my concurrent edit');
    assert.equal((await write(C1, 'their concurrent edit')).status, 200);
    await page.locator('#scroll-note', { hasText: 'Changed on the server meanwhile' }).waitFor(WAIT);
    await page.click('#save');
    await page.locator('#conflict-text', { hasText: 'their concurrent edit' }).waitFor(WAIT);
    assert.equal(await page.inputValue('#scroll-text'), 'my concurrent edit');
    assert.equal(await scrollOnDisk(host.file('shared'), C1), 'their concurrent edit');
    await shot(page, 'conflict');
    // The user may then choose to keep theirs own.
    await page.click('#keep-mine');
    await page.locator('#message', { hasText: `Saved ${C1}` }).waitFor(WAIT);
    assert.equal(await scrollOnDisk(host.file('shared'), C1), 'my concurrent edit');
    assert.equal(await page.locator('#conflict').isVisible(), false);
    assert.deepEqual(errors, []);
  });

  test('sq host --config: the operator view adds a tenant whose token then works, and rotates it', async (t) => {
    const dir = tempDir(t, 'sq-console-tenants-');
    const alice = { name: 'alice', token: newToken(), data_dir: join(dir, 'alice'), quota_mb: 1 };
    mkdirSync(alice.data_dir);
    const config = join(dir, 'tenants.json');
    writeTenantsFile(config, [alice], { data_root: join(dir, 'tenants') });
    const sq = await startSq(['host', '0', '--bind', '127.0.0.1', '--config', config, '--admin-key', ADMIN], { env: { SQ_KEY: '' } });
    t.after(async () => void (await sq.kill()));
    const host = { port: sq.port };
    assert.equal(
      (await call(host.port, apiPath('insert', { p: 'a', c: C1 }), { token: alice.token, body: 'x'.repeat(300_000) })).status,
      200,
    );

    const { page, errors } = await newPage(t);
    await signIn(page, host.port, ADMIN);
    await page.locator('#operator-view').waitFor({ state: 'visible', ...WAIT });
    await page.locator('#tenants tr[data-tenant="alice"] meter').waitFor(WAIT);
    assert.equal(await page.locator('#phexts-view').isVisible(), false);
    await page.locator('#health dd', { hasText: /^OK/ }).waitFor(WAIT);

    await page.fill('#tenant-name', 'carol');
    await page.fill('#tenant-quota', '5');
    await page.click('#add-tenant button[type="submit"]');
    await page.locator('#new-token').waitFor({ state: 'visible', ...WAIT });
    const token = (await page.textContent('#new-token-value'))!;
    assert.match(token, /\S{16,}/);
    await page.locator('#tenants tr[data-tenant="carol"]').waitFor(WAIT);
    await shot(page, 'operator');
    const used = await call(host.port, apiPath('insert', { p: 'hello', c: C1 }), { token, body: 'carol was here' });
    assert.equal(used.status, 200, used.text);

    // Rotate: the token shown works, the old one no longer does.
    await page.click('#dismiss-token');
    await page.locator('#tenants tr[data-tenant="carol"] button', { hasText: 'Rotate' }).click();
    await page.click('#confirm-ok');
    await page.waitForFunction(
      (old) => {
        const shown = document.getElementById('new-token-value')?.textContent;
        return shown && shown !== old;
      },
      token,
      WAIT,
    );
    const rotated = (await page.textContent('#new-token-value'))!;
    assert.equal((await call(host.port, apiPath('select', { p: 'hello', c: C1 }), { token })).status, 401);
    assert.equal((await call(host.port, apiPath('select', { p: 'hello', c: C1 }), { token: rotated })).text, 'carol was here');

    // The new tenant signs in to the console and sees its phext.
    const tenantPage = (await newPage(t)).page;
    await signIn(tenantPage, host.port, rotated);
    await tenantPage.getByRole('button', { name: /^hello/ }).waitFor(WAIT);
    await tenantPage.locator('#live', { hasText: 'live' }).waitFor(WAIT);

    // Remove, after confirming: its token stops working, and its open console is told so.
    await page.locator('#tenants tr[data-tenant="carol"] button', { hasText: 'Remove' }).click();
    await page.click('#confirm-ok');
    await page.locator('#tenants tr[data-tenant="carol"]').waitFor({ state: 'detached', ...WAIT });
    assert.equal((await call(host.port, apiPath('select', { p: 'hello', c: C1 }), { token: rotated })).status, 401);
    await tenantPage.locator('#message', { hasText: 'no longer accepts this token' }).waitFor(WAIT);
    // Signing out leaves nothing of the session in the tab.
    await tenantPage.click('#sign-out');
    await tenantPage.locator('#sign-in').waitFor({ state: 'visible', ...WAIT });
    assert.equal(await tenantPage.evaluate(() => sessionStorage.length), 0);
    assert.deepEqual(errors, []);
  });

  test('sq route: the console is served by the router, and signs in, reads and follows changes through it', async (t) => {
    const host = await startHost(t, { args: ['--key', KEY] });
    assert.equal(
      (await call(host.port, apiPath('insert', { p: 'routed', c: C1 }), { token: KEY, body: 'through the router' })).status,
      200,
    );
    const config = writeRouterConfig(tempDir(t, 'sq-console-route-'), [{ token: KEY, port: host.port }]);
    const router = await startSq(['route', config, '0', '--bind', '127.0.0.1']);
    t.after(async () => void (await router.kill()));
    const { page, errors } = await newPage(t);
    await signIn(page, router.port, KEY);
    await page.getByRole('button', { name: /^routed/ }).click(WAIT);
    await page.locator(`#tree button[data-coord="${C1}"]`, { hasText: 'through the router' }).waitFor(WAIT);
    await page.locator('#live', { hasText: 'live' }).waitFor(WAIT);
    assert.equal((await call(router.port, apiPath('insert', { p: 'routed', c: C2 }), { token: KEY, body: 'and live' })).status, 200);
    await page.locator(`#tree button[data-coord="${C2}"]`, { hasText: 'and live' }).waitFor(WAIT);
    assert.deepEqual(errors, []);
  });

  test('phone width: the views stack, and the console is usable by keyboard', async (t) => {
    const host = await startHost(t, { args: ['--key', KEY] });
    assert.equal((await call(host.port, apiPath('insert', { p: 'pocket', c: C1 }), { token: KEY, body: 'small screen' })).status, 200);
    const { page, errors } = await newPage(t);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`http://127.0.0.1:${host.port}/`);
    // Keyboard only: the token field has focus, Enter signs in, Tab reaches the phext.
    await page.keyboard.type(KEY);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: /^pocket/ }).focus(WAIT);
    await page.keyboard.press('Enter');
    await page.locator(`#tree button[data-coord="${C1}"]`).focus(WAIT);
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () => (document.getElementById('scroll-text') as HTMLTextAreaElement).value === 'small screen',
      undefined,
      WAIT,
    );
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `the page is ${width}px wide on a 390px screen`);
    await shot(page, 'phone');
    assert.deepEqual(errors, []);
  });
});

test('sq basic serves the console at / as well, with its strict policy', async (t) => {
  const dir = tempDir(t, 'sq-basic-console-');
  const basic = await startSq(['basic', '--port', '0'], { cwd: dir, env: { SQ_KEY: '' } });
  t.after(async () => void (await basic.kill()));
  const page = await call(basic.port, '/');
  assert.equal(page.status, 200);
  assert.match(page.text, /<title>SQ console<\/title>/);
  assert.match(page.headers['content-security-policy'] as string, /default-src 'self'/);
  const script = await call(basic.port, '/console/console.js');
  assert.equal(script.headers['content-type'], 'text/javascript; charset=utf-8');
  const again = await call(basic.port, '/console/console.js', { headers: { 'If-None-Match': script.headers.etag as string } });
  assert.equal(again.status, 304);
  assert.equal((await call(basic.port, '/console/nothing.js')).status, 404);
  assert.equal((await call(basic.port, '/console/../package.json')).status, 404);
});

// Pages kept in scrolls, opened in a real browser (Debian's Chromium): the HTML renders, its CSS
// and JS load from other scrolls with f=, its script reads and writes scrolls through the API,
// and under sq host the page is sandboxed away from the origin's storage. One browser launch for
// the file; every server and the browser are closed by after hooks, also on failure.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { Coordinate, parse } from '../src/phext/index.js';
import { durableBytes } from '../src/testing/durable-phext.js';
import { launchChromium, skipWithoutChromium as skip } from '../src/testing/chromium.js';
import { startHost } from '../src/testing/host-process.js';
import { apiPath, call } from '../src/testing/sq-api.js';
import { startSq } from '../src/testing/sq-process.js';
import { tempDir } from '../src/testing/temp-dir.js';

const KEY = 'browser-page-key';
const SANDBOX = 'sandbox allow-scripts allow-forms allow-modals allow-popups allow-downloads';
const C = {
  html: '1.1.1/1.1.1/1.1.1',
  css: '1.1.1/1.1.1/1.1.2',
  js: '1.1.1/1.1.1/1.1.3',
  data: '1.1.1/1.1.1/1.1.4',
  written: '1.1.1/1.1.1/1.1.5',
};
const WRITTEN = 'written by the page ✓';

/** The page's three scrolls; the script reports through data- attributes of <body>. */
function pageScrolls(p: string, key: string | undefined): Record<string, string> {
  const select = (c: string, f: string) => `/api/v2/select?p=${p}&amp;c=${c}&amp;f=${f}`;
  return {
    [C.html]: `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="${select(C.css, 'style.css')}"></head>
<body><p id="out">not run</p><script src="${select(C.js, 'main.js')}"></script></body></html>`,
    [C.css]: '#out { color: rgb(1, 2, 3); }',
    [C.js]: `const auth = ${JSON.stringify(key ? { Authorization: `Bearer ${key}` } : {})};
const api = (command, c) => '/api/v2/' + command + '?p=${p}&c=' + c;
const report = (name, value) => { document.body.dataset[name] = value; };
try { report('storage', 'read ' + localStorage.getItem('secret')); } catch (e) { report('storage', 'blocked ' + e.name); }
try { report('cookie', 'read ' + document.cookie); } catch (e) { report('cookie', 'blocked ' + e.name); }
report('origin', String(self.origin));
(async () => {
  const read = await fetch(api('select', '${C.data}'), { headers: auth });
  document.getElementById('out').textContent = await read.text();
  const write = await fetch(api('update', '${C.written}'), {
    method: 'POST', headers: { ...auth, 'Content-Type': 'text/plain; charset=utf-8' }, body: ${JSON.stringify(WRITTEN)},
  });
  report('state', write.ok ? 'done' : 'write failed ' + write.status + ' ' + await write.text());
})().catch((e) => report('state', 'error ' + e));`,
    [C.data]: 'read by the page',
  };
}

async function insertPage(port: number, p: string, key: string | undefined): Promise<void> {
  for (const [c, text] of Object.entries(pageScrolls(p, key))) {
    const reply = await call(port, apiPath('insert', { p, c }), { token: key, body: text });
    assert.equal(reply.status, 200, reply.text);
  }
}

/** Opens the page's HTML scroll and waits for its script to finish; what the page reports. */
async function openPage(page: Page, port: number, p: string) {
  const response = await page.goto(`http://127.0.0.1:${port}${apiPath('select', { p, c: C.html, f: 'index.html' })}`);
  assert.ok(response, 'no response for the page');
  await page
    .waitForFunction(() => document.body?.dataset.state !== undefined, undefined, { timeout: 15_000 })
    .catch(async (err) => {
      throw new Error(`the page's script did not finish; the browser shows: ${(await page.content()).slice(0, 300)}`, { cause: err });
    });
  const body = await page.evaluate(() => ({ ...document.body.dataset }));
  return {
    headers: response.headers(),
    body,
    text: await page.textContent('#out'),
    color: await page.$eval('#out', (el) => getComputedStyle(el).color),
  };
}

/** Stores a secret in the origin's localStorage and cookies, from a document that is not sandboxed. */
async function plantSecrets(page: Page, port: number): Promise<void> {
  await page.goto(`http://127.0.0.1:${port}/health`);
  await page.evaluate(() => {
    localStorage.setItem('secret', 'origin-secret');
    // biome-ignore lint/suspicious/noDocumentCookie: planting a cookie the sandboxed page must not read
    document.cookie = 'secret=origin-cookie';
  });
}

/** The written scroll as the server made it durable (the `.phext` with its change log applied). */
const writtenOnDisk = async (file: string): Promise<string> => parse(await durableBytes(file)).get(Coordinate.parse(C.written));

describe('pages in scrolls in Chromium', { skip, timeout: 120_000 }, () => {
  let context: BrowserContext | undefined;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  before(async () => {
    browser = await launchChromium();
    context = browser.context;
  });
  after(() => browser?.close());

  test('sq host --key: the page renders sandboxed, and its fetches with Authorization read and write', async (t) => {
    const host = await startHost(t, { args: ['--key', KEY] });
    await insertPage(host.port, 'site', KEY);
    const page = await context!.newPage();
    t.after(() => page.close());
    await plantSecrets(page, host.port);
    // A browser sends no token when it navigates; the tenant's key goes with every request here.
    await page.setExtraHTTPHeaders({ 'X-SQ-API-Key': KEY });

    const seen = await openPage(page, host.port, 'site');
    assert.equal(seen.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(seen.headers['x-content-type-options'], 'nosniff');
    assert.equal(seen.headers['content-security-policy'], SANDBOX);
    assert.equal(seen.body.state, 'done');
    assert.equal(seen.text, 'read by the page');
    assert.equal(seen.color, 'rgb(1, 2, 3)');
    assert.equal(await writtenOnDisk(host.file('site')), WRITTEN);
    // An opaque origin: the origin's storage and cookies are out of reach.
    assert.equal(seen.body.origin, 'null');
    assert.equal(seen.body.storage, 'blocked SecurityError');
    assert.equal(seen.body.cookie, 'blocked SecurityError');
    // The write was cross-origin with Authorization: it went through our CORS preflight.
    await host.waitForStderr(/ OPTIONS \/api\/v2\/update 204 /);
  });

  test('sq basic on loopback: the page renders on the origin itself, as the original editor did', async (t) => {
    const dir = tempDir(t, 'sq-basic-');
    const basic = await startSq(['basic', '--port', '0'], { cwd: dir, env: { SQ_KEY: '' } });
    t.after(async () => void (await basic.kill()));
    await insertPage(basic.port, 'basic', undefined);
    const page = await context!.newPage();
    t.after(() => page.close());
    await plantSecrets(page, basic.port);

    const seen = await openPage(page, basic.port, 'basic');
    assert.equal(seen.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(seen.headers['content-security-policy'], undefined);
    assert.equal(seen.body.state, 'done');
    assert.equal(seen.text, 'read by the page');
    assert.equal(seen.color, 'rgb(1, 2, 3)');
    assert.equal(await writtenOnDisk(join(dir, 'basic.phext')), WRITTEN);
    assert.equal(seen.body.origin, `http://127.0.0.1:${basic.port}`);
    assert.equal(seen.body.storage, 'read origin-secret');
    assert.equal(seen.body.cookie, 'read secret=origin-cookie');
  });
});

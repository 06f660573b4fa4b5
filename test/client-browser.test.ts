// The typed client (sq/client) in Chromium: its compiled modules served from another origin than
// the API, as a web console would load them, against a real `sq host` with a key (CORS).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { launchChromium, skipWithoutChromium } from '../src/testing/chromium.js';
import { startHost } from '../src/testing/host-process.js';

const skip = skipWithoutChromium;
const KEY = 'client-browser-key-0123456789';
// Compiled to dist/test/: the modules are dist/src/client/ and what they import.
const DIST_SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** The page: runs the client against `api` and reports through data- attributes of <body>. */
const PAGE = (api: string) => `<!doctype html><html><body><script type="module">
import { SqClient, SqBadRequestError, SqVersionConflictError } from '/client/index.js';
const report = (name, value) => { document.body.dataset[name] = typeof value === 'string' ? value : JSON.stringify(value); };
try {
  const sq = new SqClient({ url: ${JSON.stringify(api)}, token: ${JSON.stringify(KEY)} });
  const written = await sq.update('notes', '1.1.1/1.1.1/1.1.2', 'from the browser ✓');
  const read = await sq.select('notes', '1.1.1/1.1.1/1.1.2');
  report('read', read);
  const again = await sq.insert('notes', '1.1.1/1.1.1/1.1.2', '!', { ifVersion: read.version });
  let conflict = 'none';
  try { await sq.update('notes', '1.1.1/1.1.1/1.1.2', 'stale', { ifVersion: written.version }); }
  catch (e) { conflict = (e instanceof SqVersionConflictError) + ' ' + e.status + ' ' + e.current; }
  let local = 'none';
  try { await sq.select('notes', '1.1.1 /1.1.1/1.1.2'); } catch (e) { local = String(e instanceof SqBadRequestError); }
  const events = [];
  for await (const event of sq.watch({ p: 'notes', since: 0, text: true })) {
    events.push(event.type + ' ' + event.version + ' ' + event.text);
    // The replay is compacted (one change per scroll); then a live one.
    if (events.length === 1) await sq.update('notes', '1.1.1/1.1.1/1.1.2', 'live');
    if (events.length === 2) break;
  }
  report('result', { written, again, conflict, local, events });
} catch (e) {
  report('result', 'error ' + e);
}
</script></body></html>`;

/** Serves the page and the client's modules (dist/src/client, dist/src/phext) on an origin of its own. */
async function serveModules(api: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]!));
    if (path === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE(api));
    } else if (/^\/(client|phext)\/[\w-]+\.js$/.test(path)) {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' }).end(readFileSync(join(DIST_SRC, path)));
    } else {
      res.writeHead(404).end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

describe('sq/client in Chromium', { skip, timeout: 120_000 }, () => {
  let context: BrowserContext | undefined;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  before(async () => {
    browser = await launchChromium();
    context = browser.context;
  });
  after(() => browser?.close());

  test('reads and writes with versions, refuses a stale one, and follows the change feed, across origins', async (t) => {
    const host = await startHost(t, { args: ['--key', KEY, '--log-format', 'off'] });
    const modules = await serveModules(`http://127.0.0.1:${host.port}`);
    t.after(() => modules.close());
    const page = await context!.newPage();
    t.after(() => page.close());
    await page.goto(`http://127.0.0.1:${(modules.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => document.body?.dataset.result !== undefined, undefined, { timeout: 30_000 });
    const body = await page.evaluate(() => ({ ...document.body.dataset }));
    assert.deepEqual(JSON.parse(body.read!), { coordinate: '1.1.1/1.1.1/1.1.2', text: 'from the browser ✓', present: true, version: 1 });
    assert.deepEqual(JSON.parse(body.result!), {
      written: { bytes: 20, message: 'Updated 20 bytes', version: 1 },
      again: { bytes: 1, message: 'Inserted 1 bytes', version: 2 },
      conflict: 'true 412 2',
      local: 'true',
      events: ['change 2 from the browser ✓!', 'change 3 live'],
    });
  });
});

// Pages kept in scrolls (SQ-PROTOCOL A2, `f=`): the type comes from the file name, browsers are
// told not to guess, and pages are sandboxed except under `sq basic` on loopback.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startHost } from '../src/testing/host-process.js';
import { apiPath, call } from '../src/testing/sq-api.js';
import { startSq } from '../src/testing/sq-process.js';
import { tempDir } from '../src/testing/temp-dir.js';

const KEY = 'page-key';
const SANDBOX = 'sandbox allow-scripts allow-forms allow-modals allow-popups allow-downloads';
const at = (c: string, f?: string) => ({ p: 'site', c, ...(f === undefined ? {} : { f }) });

test("sq host: select and get with f= answer with the extension's type, nosniff and the sandbox", async (t) => {
  const host = await startHost(t, { args: ['--key', KEY] });
  const put = async (c: string, text: string) =>
    assert.equal((await call(host.port, apiPath('update', at(c)), { token: KEY, body: text })).status, 200);
  await put('1.1.1/1.1.1/1.1.1', '<!doctype html><p>hi</p>');
  await put('1.1.1/1.1.1/1.1.2', 'p { color: red }');

  const cases: [string, string][] = [
    ['index.html', 'text/html; charset=utf-8'],
    ['style.css', 'text/css; charset=utf-8'],
    ['main.js', 'text/javascript; charset=utf-8'],
    ['data.json', 'application/json; charset=utf-8'],
    ['notes.md', 'text/markdown; charset=utf-8'],
    ['read.me.txt', 'text/plain; charset=utf-8'],
    ['logo.svg', 'image/svg+xml'],
    // Unknown to the MIME library: plain text, which a scroll is, shown rather than downloaded.
    ['data.phext', 'text/plain; charset=utf-8'],
    ['Makefile', 'text/plain; charset=utf-8'],
  ];
  for (const [f, type] of cases) {
    const reply = await call(host.port, apiPath('select', at('1.1.1/1.1.1/1.1.1', f)), { token: KEY });
    assert.equal(reply.status, 200, f);
    assert.equal(reply.headers['content-type'], type, f);
    assert.equal(reply.headers['x-content-type-options'], 'nosniff', f);
    assert.equal(reply.headers['content-security-policy'], SANDBOX, f);
    assert.equal(reply.headers['access-control-allow-origin'], '*', f);
    assert.equal(reply.text, '<!doctype html><p>hi</p>', f);
  }

  const head = await call(host.port, apiPath('select', at('1.1.1/1.1.1/1.1.2', 'style.css')), { token: KEY, method: 'HEAD' });
  assert.equal(head.headers['content-type'], 'text/css; charset=utf-8');
  assert.equal(head.headers['content-security-policy'], SANDBOX);

  const whole = await call(host.port, apiPath('get', at('1.1.1/1.1.1/1.1.1', 'site.html')), { token: KEY });
  assert.equal(whole.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(whole.headers['content-security-policy'], SANDBOX);
  assert.equal(whole.headers['x-content-type-options'], 'nosniff');

  // Without f= nothing changes: plain text, no page headers.
  const plain = await call(host.port, apiPath('select', at('1.1.1/1.1.1/1.1.1')), { token: KEY });
  assert.equal(plain.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(plain.headers['content-security-policy'], undefined);
  assert.equal(plain.headers['x-content-type-options'], undefined);

  // A refusal stays a plain-text refusal whatever f= says.
  const refused = await call(host.port, apiPath('select', at('1.1.1/1.1.1/1.1.1', 'index.html')));
  assert.equal(refused.status, 401);
  assert.equal(refused.headers['content-type'], 'text/plain; charset=utf-8');
});

test('sq host: a sandboxed page (Origin: null) passes the CORS preflight of a POST with Authorization', async (t) => {
  const host = await startHost(t, { args: ['--key', KEY] });
  const preflight = await call(host.port, apiPath('update', at('1.1.1/1.1.1/1.1.1')), {
    method: 'OPTIONS',
    headers: { Origin: 'null', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers['access-control-allow-origin'], '*');
  assert.match(String(preflight.headers['access-control-allow-methods']), /\bPOST\b/);
  const allowed = String(preflight.headers['access-control-allow-headers'])
    .toLowerCase()
    .split(/\s*,\s*/);
  assert.ok(allowed.includes('authorization') && allowed.includes('content-type'), allowed.join());
});

async function startBasic(t: { after(fn: () => Promise<void> | void): void }, args: string[], env: NodeJS.ProcessEnv = {}) {
  const dir = tempDir(t, 'sq-basic-');
  const basic = await startSq(['basic', '--port', '0', ...args], {
    cwd: dir,
    env: { SQ_KEY: '', ...env },
    listening: /^SQ \S+ listening on http:\/\/[^:]+:(\d+) /m,
  });
  t.after(async () => void (await basic.kill()));
  return basic;
}

test('sq basic on loopback serves its own pages unsandboxed, as the original served its editor', async (t) => {
  const basic = await startBasic(t, []);
  await call(basic.port, apiPath('update', { p: 'basic', c: '1.1.1/1.1.1/1.1.1' }), { body: '<p>editor</p>' });
  const page = await call(basic.port, apiPath('select', { p: 'basic', c: '1.1.1/1.1.1/1.1.1', f: 'index.html' }));
  assert.equal(page.text, '<p>editor</p>');
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  assert.equal(page.headers['content-security-policy'], undefined);
});

test('sq basic bound beyond loopback sandboxes pages as sq host does', async (t) => {
  // A key, so that the server reachable from outside for this test is not open to writes.
  const basic = await startBasic(t, ['--bind', '0.0.0.0'], { SQ_KEY: KEY });
  const page = await call(basic.port, apiPath('select', { p: 'basic', c: '1.1.1/1.1.1/1.1.1', f: 'index.html' }), { token: KEY });
  assert.equal(page.status, 200);
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(page.headers['content-security-policy'], SANDBOX);
});

// `sq host --key`: the token in every accepted header form, 401 otherwise, CORS everywhere, and
// the key never in the log.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { neverWritten } from '../src/testing/change-log-files.js';
import { durableText } from '../src/testing/durable-phext.js';
import { startHost } from '../src/testing/host-process.js';

// A colon and other punctuation: the original cut tokens at ':'.
const KEY = 'pmb-v1:0123456789abcdef:s3cr3t/+=';

test('sq host --key: token forms, refusals and CORS', async (t) => {
  const host = await startHost(t, { args: ['--key', KEY] });

  await t.test('Bearer in any case, the bare token and X-SQ-API-Key are accepted', async () => {
    const forms: Record<string, string>[] = [
      { Authorization: `Bearer ${KEY}` },
      { Authorization: `bearer ${KEY}` },
      { Authorization: `BEARER ${KEY}` },
      { Authorization: `BeArEr   ${KEY}` },
      { Authorization: KEY },
      { 'X-SQ-API-Key': KEY },
    ];
    for (const [i, headers] of forms.entries()) {
      const reply = await host.call('GET', `/api/v2/insert?p=auth&c=1.1.1/1.1.1/1.1.${i + 1}&s=ok${i}`, undefined, headers);
      assert.equal(reply.status, 200, `${JSON.stringify(headers)}: ${reply.text}`);
      assert.equal(reply.text, 'Inserted 3 bytes');
      assert.equal(reply.headers['access-control-allow-origin'], '*');
    }
    assert.equal(await durableText(host.file('auth')), 'ok0\x17ok1\x17ok2\x17ok3\x17ok4\x17ok5');
  });

  await t.test('a missing or wrong token is 401 Unauthorized and writes nothing', async () => {
    const wrong: (Record<string, string> | undefined)[] = [
      undefined,
      { Authorization: '' },
      { Authorization: 'Bearer' },
      { Authorization: 'Bearer wrong' },
      { Authorization: `Bearer ${KEY.slice(0, -1)}` },
      { Authorization: `Bearer ${KEY}x` },
      { Authorization: KEY.split(':')[0]! },
      { 'X-SQ-API-Key': 'nope' },
      { Authorization: `Basic ${KEY}` },
    ];
    for (const headers of wrong) {
      for (const command of ['insert', 'select', 'status', 'version']) {
        const reply = await host.call('GET', `/api/v2/${command}?p=denied&s=x`, undefined, headers);
        assert.equal(reply.status, 401, `${command} ${JSON.stringify(headers)}`);
        assert.equal(reply.text, 'Unauthorized');
        assert.equal(reply.headers['access-control-allow-origin'], '*');
      }
    }
    assert.ok(neverWritten(host.file('denied')));
  });

  await t.test('OPTIONS needs no token and answers a full preflight', async () => {
    for (const path of ['/api/v2/select?p=x', '/api/v2/delete', '/anything']) {
      const reply = await host.call('OPTIONS', path, undefined, {
        Origin: 'https://example.org',
        'Access-Control-Request-Method': 'DELETE',
        'Access-Control-Request-Headers': 'authorization, x-sq-api-key',
      });
      assert.equal(reply.status, 204);
      assert.equal(reply.body.length, 0);
      assert.equal(reply.headers['access-control-allow-origin'], '*');
      const methods = String(reply.headers['access-control-allow-methods']).split(/,\s*/);
      for (const m of ['GET', 'POST', 'DELETE', 'HEAD', 'OPTIONS']) assert.ok(methods.includes(m), `Allow-Methods lacks ${m}`);
      const allowed = String(reply.headers['access-control-allow-headers']).toLowerCase().split(/,\s*/);
      for (const h of ['authorization', 'content-type', 'x-sq-api-key']) assert.ok(allowed.includes(h), `Allow-Headers lacks ${h}`);
    }
  });

  await t.test('errors carry Access-Control-Allow-Origin too', async () => {
    const auth = { Authorization: `Bearer ${KEY}` };
    const cases: [string, string, number][] = [
      ['GET', '/nowhere', 404],
      ['PUT', '/api/v2/select?p=x', 405],
      ['GET', '/api/v2/select?p=a%20b', 400],
      ['GET', '/api/v2/select?p=..%2Fx', 403],
      ['GET', '/api/v2/select?p=x&c=1000', 400],
    ];
    for (const [method, path, status] of cases) {
      const reply = await host.call(method, path, undefined, auth);
      assert.equal(reply.status, status, `${method} ${path}: ${reply.text}`);
      assert.equal(reply.headers['access-control-allow-origin'], '*', `${method} ${path}`);
    }
  });

  await t.test('the key never appears in the request log', async () => {
    await host.call('GET', '/api/v2/status?p=auth', undefined, { Authorization: `Bearer ${KEY}` });
    await host.waitForStderr(/GET \/api\/v2\/status p=auth tenant=default 200/);
    assert.ok(!host.stderr().includes(KEY), host.stderr());
    assert.ok(!host.stderr().includes('s3cr3t'));
  });
});

// Who may read /metrics in single-tenant mode: this machine, or the key when one is set. A scrape
// relayed by a proxy (X-Forwarded-For) is not from this machine.
test('sq host /metrics: loopback, or the key; an open server shows them on loopback only', async (t) => {
  const relayed = { 'X-Forwarded-For': '198.51.100.7' };
  const keyed = await startHost(t, { args: ['--key', KEY] });
  assert.equal((await keyed.call('GET', '/metrics')).status, 200, 'loopback');
  assert.equal((await keyed.call('GET', '/metrics', undefined, relayed)).status, 401, 'relayed without the key');
  assert.equal(
    (await keyed.call('GET', '/metrics', undefined, { ...relayed, Authorization: 'Bearer wrong' })).status,
    401,
    'relayed, wrong key',
  );
  const withKey = await keyed.call('GET', '/metrics', undefined, { ...relayed, Authorization: `Bearer ${KEY}` });
  assert.equal(withKey.status, 200, 'relayed with the key');
  assert.match(withKey.text, /^# HELP sq_requests_total/m);

  const open = await startHost(t);
  assert.equal((await open.call('GET', '/metrics')).status, 200, 'open server, loopback');
  assert.equal((await open.call('GET', '/metrics', undefined, relayed)).status, 401, 'open server, relayed');
});

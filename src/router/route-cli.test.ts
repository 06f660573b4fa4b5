import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runSq } from '../testing/run-sq.js';
import { startSq } from '../testing/sq-process.js';
import { request } from '../testing/http-client.js';
import { startEchoBackend } from '../testing/echo-backend.js';
import { writeRouterConfig } from '../testing/router-file.js';
import { tempDir } from '../testing/temp-dir.js';

describe('sq route (CLI)', () => {
  const dir = tempDir({ after }, 'sq-route-cli-');

  it('prints the real port, proxies, and exits 0 on SIGTERM', async (t) => {
    const backend = await startEchoBackend('a');
    t.after(() => backend.close());
    const config = writeRouterConfig(dir, [{ token: 'cli-token', port: backend.port }]);
    const router = await startSq(['route', config, '0', '--bind', '127.0.0.1']);
    t.after(() => router.stop());
    assert.ok(router.port > 0);
    const reply = await request(router.port, { path: '/api/v2/version', headers: { 'X-SQ-API-Key': 'cli-token' } });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-echo-backend'], 'a');

    const code = await router.stop();
    const stderr = router.stderr();
    assert.equal(code, 0, stderr);
    assert.match(stderr, /^GET \/api\/v2\/version 200 /m);
    assert.ok(!stderr.includes('cli-token'));
  });

  it('--log-format json writes one JSON object per request; off writes none; anything else is a usage error', async (t) => {
    const backend = await startEchoBackend('a');
    t.after(() => backend.close());
    const config = writeRouterConfig(dir, [{ token: 'log-token', port: backend.port }]);
    const logged = async (format: string): Promise<string> => {
      const router = await startSq(['route', config, '0', '--bind', '127.0.0.1', '--log-format', format]);
      t.after(() => router.stop());
      const reply = await request(router.port, { path: '/api/v2/select?p=secret-name', headers: { 'X-SQ-API-Key': 'log-token' } });
      assert.equal(reply.status, 200);
      assert.equal(await router.stop(), 0);
      return router.stderr();
    };
    const json = (await logged('json')).trim().split('\n');
    assert.equal(json.length, 1, json.join('\n'));
    const entry = JSON.parse(json[0]!);
    assert.equal(entry.method, 'GET');
    assert.equal(entry.path, '/api/v2/select');
    assert.equal(entry.status, '200');
    assert.equal(entry.backend, backend.port);
    assert.equal(typeof entry.ms, 'number');
    assert.ok(!json[0]!.includes('log-token') && !json[0]!.includes('secret-name'));
    assert.equal(await logged('off'), '');
    const bad = await runSq(['route', config, '0', '--bind', '127.0.0.1', '--log-format', 'xml']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--log-format must be text, json or off/);
  });

  it('exits 2 with the usage on missing arguments, 1 on an invalid config', async () => {
    const run = (args: string[]) => runSq(['route', ...args]);
    const usage = await run(['only-config.json']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /Usage: sq route/);
    const bad = writeRouterConfig(dir, '{"tenants": [{"token": "x", "port": "80"}]}');
    const invalid = await run([bad, '0', '--bind', '127.0.0.1']);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /tenants\[0\]\.port: Expected number, received string/);
  });

  it('reports a router.json that is not JSON without quoting it (no token leaks)', async () => {
    const secret = 'pmb-v1-5ec7e70123456789abcdef0123456789';
    const broken = writeRouterConfig(dir, `{"tenants": [{"token": "${secret}", "port": 1341} {"token": "b", "port": 1342}]}`);
    const run = await runSq(['route', broken, '0', '--bind', '127.0.0.1']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /router\.json: invalid JSON at line 1 column \d+\n$/);
    assert.ok(!run.stderr.includes('pmb-v1') && !run.stderr.includes('5ec7e7'), run.stderr);
  });
});

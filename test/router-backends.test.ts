// `sq route` in front of real single-tenant `sq host --key` backends, all as child processes.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RouterTenant } from '../src/router/config.js';
import { durableBytes } from '../src/testing/durable-phext.js';
import { writeRouterConfig } from '../src/testing/router-file.js';
import { tempDir } from '../src/testing/temp-dir.js';
import { api } from '../src/testing/sq-api.js';
import { startSq, type SqProcess } from '../src/testing/sq-process.js';
import { newToken } from '../src/testing/tenants-file.js';

const C = '1.1.1/1.1.1/1.1.1';

describe('sq route with real sq host backends', () => {
  const processes: SqProcess[] = [];
  after(() => Promise.all(processes.map((p) => p.stop())));
  const dir = tempDir({ after });
  const backendTenant = (name: string) => ({ name, token: newToken(), dataDir: join(dir, name), port: 0 });
  const [a, b, c] = [backendTenant('a'), backendTenant('b'), backendTenant('c')];
  let router: SqProcess;

  /** A single-tenant backend for `t`, with its own data dir and key. */
  const startBackend = async (t: typeof a): Promise<SqProcess> => {
    mkdirSync(t.dataDir, { recursive: true });
    const backend = await startSq(['host', '0', '--bind', '127.0.0.1', '--key', t.token, '--data-dir', t.dataDir, '--log-format', 'off']);
    processes.push(backend);
    t.port = backend.port;
    return backend;
  };
  const route = (...tenants: (typeof a)[]): RouterTenant[] => tenants.map((t) => ({ token: t.token, port: t.port, data_dir: t.dataDir }));
  let backendB: SqProcess;

  before(async () => {
    [, backendB] = await Promise.all([startBackend(a), startBackend(b)]);
    const config = writeRouterConfig(dir, route(a, b));
    router = await startSq(['route', config, '0', '--bind', '127.0.0.1']);
    processes.push(router);
  });

  it('routes each token to its own backend: writes land in its data dir, reads see only its data', async () => {
    for (const t of [a, b]) {
      const reply = await api(router.port, t.token, 'insert', { p: 'test', c: C, s: `${t.name.toUpperCase()}Data` });
      assert.deepEqual([reply.status, reply.text], [200, 'Inserted 5 bytes']);
    }
    assert.deepEqual(await durableBytes(join(a.dataDir, 'test.phext')), Buffer.from('AData'));
    assert.deepEqual(await durableBytes(join(b.dataDir, 'test.phext')), Buffer.from('BData'));
    assert.equal((await api(router.port, a.token, 'select', { p: 'test', c: C })).text, 'AData');
    assert.equal((await api(router.port, b.token, 'select', { p: 'test', c: C }, { headers: { 'X-SQ-API-Key': b.token } })).text, 'BData');
    // A POST body passes through the router intact.
    const posted = await api(router.port, a.token, 'update', { p: 'test', c: '1.1.1/1.1.1/1.1.2' }, { body: 'é\n'.repeat(1000) });
    assert.deepEqual([posted.status, posted.text], [200, 'Updated 3000 bytes']);
    assert.equal((await api(router.port, a.token, 'select', { p: 'test', c: '1.1.1/1.1.1/1.1.2' })).text, 'é\n'.repeat(1000));
    const status = await api(router.port, a.token, 'status', { p: 'test' });
    assert.ok(!status.text.includes(dir), status.text);
  });

  it('answers 401 to an unknown or missing token without asking a backend', async () => {
    for (const token of [newToken(), undefined]) {
      const reply = await api(router.port, token, 'select', { p: 'test', c: C });
      assert.deepEqual([reply.status, reply.text], [401, 'Unauthorized'], String(token));
    }
  });

  it('an idle client and a half-sent request do not block others', async (t) => {
    const idle = net.connect(router.port, '127.0.0.1');
    const half = net.connect(router.port, '127.0.0.1');
    t.after(() => [idle, half].forEach((s) => s.destroy()));
    await Promise.all([once(idle, 'connect'), once(half, 'connect')]);
    half.write(
      `POST /api/v2/insert?p=test&c=1.1.3 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${a.token}\r\nContent-Length: 50\r\n\r\npart`,
    );
    await sleep(50);
    // Blocked behind the half-sent request, these would never be answered (the test's timeout).
    const replies = await Promise.all([a, b, a, b].map((x) => api(router.port, x.token, 'select', { p: 'test', c: C })));
    assert.deepEqual(
      replies.map((r) => r.text),
      ['AData', 'BData', 'AData', 'BData'],
    );
  });

  it('routes a token added to router.json (replaced by rename) without a restart', async () => {
    await startBackend(c);
    assert.equal((await api(router.port, c.token, 'version')).status, 401);
    writeRouterConfig(dir, route(a, b, c));
    const deadline = performance.now() + 5_000;
    let reply = await api(router.port, c.token, 'insert', { p: 'test', c: C, s: 'CData' });
    while (reply.status === 401 && performance.now() < deadline) {
      await sleep(25);
      reply = await api(router.port, c.token, 'insert', { p: 'test', c: C, s: 'CData' });
    }
    assert.deepEqual([reply.status, reply.text], [200, 'Inserted 5 bytes']);
    assert.deepEqual(await durableBytes(join(c.dataDir, 'test.phext')), Buffer.from('CData'));
    assert.equal((await api(router.port, a.token, 'select', { p: 'test', c: C })).text, 'AData');
  });

  it('answers 502 for a backend that is down, and keeps serving the others', async () => {
    await backendB.stop();
    const reply = await api(router.port, b.token, 'select', { p: 'test', c: C });
    assert.equal(reply.status, 502, reply.text);
    assert.equal((await api(router.port, a.token, 'select', { p: 'test', c: C })).text, 'AData');
    assert.ok(!router.stderr().includes(a.token) && !router.stderr().includes(b.token), 'no token in the router log');
  });
});

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileDocumentStore } from '../store/file-store.js';
import { SingleTenantResolver } from '../tenants/single-tenant.js';
import { tempDir } from '../testing/temp-dir.js';
import { waitFor } from '../testing/wait.js';
import { Metrics } from './metrics.js';
import { createHost } from './server.js';
import { hostConfig } from './host-config.js';
import { singleTenancy } from '../tenants/http-routes.js';

test('a streamed answer to a client that takes nothing is cut after the stall limit, and the server goes on', async (t) => {
  const dir = tempDir(t);
  // ~16 MB of toc: far more than the sockets on both sides buffer.
  const scrolls = Array.from({ length: 300_000 }, (_, i) => `${i % 999 === 0 ? '\x18' : '\x17'}scroll ${i} with a summary long enough`);
  writeFileSync(join(dir, 'big.phext'), scrolls.join(''));
  const lines: string[] = [];
  const host = createHost(
    hostConfig({ port: 0, maxBodyBytes: 1 << 20, maxInflightBodyBytes: 1 << 24, maxConnections: 8, logFormat: 'off', sendStallMs: 200 }),
    {
      store: new FileDocumentStore({ directories: () => dir, cacheBytes: 1 << 20, maxPhextBytes: 1 << 30 }),
      tenancy: singleTenancy(new SingleTenantResolver(dir, undefined)),
      metrics: new Metrics(),
      log: (line) => lines.push(line),
    },
  );
  const { port } = await host.listen(0, '127.0.0.1');
  t.after(() => host.close());

  const req = http.get({ host: '127.0.0.1', port, path: '/api/v2/toc?p=big', agent: false });
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  assert.equal(res.headers['transfer-encoding'], 'chunked');
  res.pause(); // and read nothing until the server gives up
  await waitFor(
    () => lines.some((l) => /response failed: client took no data for 200 ms/.test(l)),
    10_000,
    () => lines.join('\n'),
  );
  // What was sent before the cut arrives, then the end of a connection in mid-answer, not of the answer.
  const errors: string[] = [];
  req.on('error', (e) => errors.push(e.message));
  res.on('error', (e) => errors.push(e.message)).resume();
  await new Promise((resolve) => res.on('close', resolve));
  assert.equal(res.complete, false);
  assert.ok(errors.includes('aborted'), errors.join());

  const health = await new Promise<number>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/health', agent: false }, (r) => resolve(r.resume().statusCode ?? 0)).on('error', reject);
  });
  assert.equal(health, 200);
});

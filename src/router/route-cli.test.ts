import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request, startEchoBackend, writeRouterConfig } from './testkit.js';

const SQ = fileURLToPath(new URL('../../../bin/sq', import.meta.url));

describe('sq route (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sq-route-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the real port, proxies, and exits 0 on SIGTERM', async (t) => {
    const backend = await startEchoBackend('a');
    t.after(() => backend.close());
    const config = writeRouterConfig(dir, [{ token: 'cli-token', port: backend.port }]);
    const child = spawn(process.execPath, [SQ, 'route', config, '0', '--bind', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => child.kill('SIGKILL'));
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const exited = once(child, 'exit');

    let stdout = '';
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d;
        const m = /^SQ router listening on http:\/\/127\.0\.0\.1:(\d+)\n/.exec(stdout);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', () => reject(new Error(`sq route exited early: ${stderr}`)));
    });
    assert.ok(port > 0);
    const reply = await request(port, { path: '/api/v2/version', headers: { 'X-SQ-API-Key': 'cli-token' } });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-echo-backend'], 'a');

    child.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0, stderr);
    assert.match(stderr, /^GET \/api\/v2\/version 200 /m);
    assert.ok(!stderr.includes('cli-token'));
  });

  it('exits 2 with the usage on missing arguments, 1 on an invalid config', async () => {
    const run = async (args: string[]): Promise<{ code: number | null; stderr: string }> => {
      const child = spawn(process.execPath, [SQ, 'route', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      const [code] = await once(child, 'exit');
      return { code, stderr };
    };
    const usage = await run(['only-config.json']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /Usage: sq route/);
    const bad = writeRouterConfig(dir, '{"tenants": [{"token": "x", "port": "80"}]}');
    const invalid = await run([bad, '0', '--bind', '127.0.0.1']);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /tenants\[0\]\.port: Expected number, received string/);
  });
});

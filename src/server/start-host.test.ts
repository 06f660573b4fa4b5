import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startSq } from '../testing/sq-process.js';
import { newToken, writeTenantsFile } from '../testing/tenants-file.js';
import { tempDir } from '../testing/temp-dir.js';
import { hostConfig } from './host-config.js';
import { startHost } from './start-host.js';

const root = tempDir({ after }, 'sq-start-host-');

/** A port some other listener holds for the test's duration. */
async function takenPort(): Promise<{ port: number; close(): void }> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

describe('startHost', () => {
  it('a port in use fails the start and leaves nothing behind: directories free, no SIGHUP listener', async (t) => {
    const taken = await takenPort();
    t.after(() => taken.close());
    const config = join(root, 'tenants.json');
    mkdirSync(join(root, 'alice'));
    writeTenantsFile(config, [{ name: 'alice', token: newToken(), data_dir: join(root, 'alice') }]);
    const sighup = process.listenerCount('SIGHUP');
    const logs: string[] = [];
    const log = (line: string) => logs.push(line);

    await assert.rejects(startHost(hostConfig({ port: taken.port, bind: '127.0.0.1', config }), log), { code: 'EADDRINUSE' });
    assert.equal(process.listenerCount('SIGHUP'), sighup);

    // The tenants' directories were given back: the same config starts on a free port.
    const host = await startHost(hostConfig({ port: 0, bind: '127.0.0.1', config }), log);
    try {
      assert.ok(host.port > 0);
      assert.equal(process.listenerCount('SIGHUP'), sighup + 1);
    } finally {
      await host.close();
    }
    assert.equal(process.listenerCount('SIGHUP'), sighup);
    assert.ok(!logs.some((l) => /in use by another/.test(l)), logs.join('\n'));
  });

  it('a port in use leaves a single-tenant data directory free for another process', async (t) => {
    const taken = await takenPort();
    t.after(() => taken.close());
    const dataDir = join(root, 'single');
    await assert.rejects(
      startHost(hostConfig({ port: taken.port, bind: '127.0.0.1', dataDir }), () => {}),
      { code: 'EADDRINUSE' },
    );
    // This process still runs: only a lock it gave back lets another sq host in.
    const other = await startSq(['host', '0', '--bind', '127.0.0.1', '--data-dir', dataDir]);
    t.after(() => other.stop());
    assert.ok(other.port > 0);
  });
});

// SIGTERM drains `sq host` without waiting on idle or stalled clients.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../src/testing/temp-dir.js';
import { startSq, type SqProcess } from '../src/testing/sq-process.js';
import { newToken } from '../src/testing/tenants-file.js';

const TOKEN = newToken();

/** Opens a connection to `port` and sends `bytes` (maybe nothing). */
async function client(port: number, bytes: string): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {}); // the server cuts it: expected
  await once(socket, 'connect');
  if (bytes) socket.write(bytes);
  return socket;
}

/** Sends SIGTERM and resolves with the exit code and how long the exit took. */
async function terminate(sq: SqProcess): Promise<{ code: number | null; ms: number }> {
  const started = performance.now();
  const code = await sq.stop();
  return { code, ms: performance.now() - started };
}

describe('sq host shutdown (SIGTERM)', () => {
  const sockets: net.Socket[] = [];
  const processes: SqProcess[] = [];
  after(async () => {
    sockets.forEach((s) => s.destroy());
    await Promise.all(processes.map((p) => p.stop()));
  });
  const dir = tempDir({ after });
  const start = async (...extra: string[]): Promise<SqProcess> => {
    const sq = await startSq(['host', '0', '--bind', '127.0.0.1', '--key', TOKEN, '--data-dir', join(dir, 'data'), ...extra]);
    processes.push(sq);
    return sq;
  };

  it('cuts idle keep-alive connections and unfinished headers at once', async () => {
    const sq = await start();
    const keepAlive = await client(sq.port, `GET /api/v2/version HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
    const [answer] = await once(keepAlive, 'data');
    assert.match(String(answer), /^HTTP\/1\.1 200 /);
    sockets.push(keepAlive, await client(sq.port, ''), await client(sq.port, 'GET /api/v2/select?p=x HTTP/1.1\r\nHost: x\r\n'));
    await sleep(50);
    const { code, ms } = await terminate(sq);
    assert.equal(code, 0, sq.stderr());
    assert.ok(ms < 3_000, `exit took ${ms.toFixed(0)} ms`);
  });

  it('gives a stalled request body a grace period (--drain-ms), not the 120 s request timeout', async () => {
    const sq = await start('--drain-ms', '300');
    sockets.push(
      await client(
        sq.port,
        `POST /api/v2/insert?p=x&c=1.1.1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 100\r\n\r\nhalf`,
      ),
    );
    await sleep(50);
    const { code, ms } = await terminate(sq);
    assert.equal(code, 0, sq.stderr());
    assert.ok(ms < 10_000, `exit took ${ms.toFixed(0)} ms`);
    assert.doesNotMatch(sq.stderr(), /internal error/);
    assert.match(sq.stderr(), /POST \/api\/v2\/insert p=x tenant=default 400 /);
  });
});

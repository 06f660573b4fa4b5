// SIGTERM drains `sq host` without waiting on idle or stalled clients.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { join } from 'node:path';
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
async function terminate(sq: SqProcess): Promise<{ code: number | null }> {
  return { code: await sq.stop() };
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
    // Timeouts far beyond the test's own: an exit that waited for them would fail it.
    const sq = await start('--keep-alive-timeout-ms', '3600000', '--headers-timeout-ms', '3600000');
    const keepAlive = await client(sq.port, `GET /api/v2/version HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
    const [answer] = await once(keepAlive, 'data');
    assert.match(String(answer), /^HTTP\/1\.1 200 /);
    sockets.push(keepAlive, await client(sq.port, ''), await client(sq.port, 'GET /api/v2/select?p=x HTTP/1.1\r\nHost: x\r\n'));
    await sleep(50);
    const { code } = await terminate(sq);
    assert.equal(code, 0, sq.stderr());
  });

  it('gives a stalled request body a grace period (--drain-ms), not the request timeout', async () => {
    // A request timeout far beyond the test's own: an exit that waited for it would fail it.
    const sq = await start('--drain-ms', '300', '--request-timeout-ms', '3600000');
    sockets.push(
      await client(
        sq.port,
        `POST /api/v2/insert?p=x&c=1.1.1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 100\r\n\r\nhalf`,
      ),
    );
    await sleep(50);
    const { code } = await terminate(sq);
    assert.equal(code, 0, sq.stderr());
    assert.doesNotMatch(sq.stderr(), /internal error/);
    assert.match(sq.stderr(), /POST \/api\/v2\/insert p=x tenant=default 400 /);
  });
});

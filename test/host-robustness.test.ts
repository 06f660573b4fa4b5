// `sq host` as a real HTTP/1.1 server: keep-alive, pipelining, HTTP/1.0 clients, slowloris,
// connection limits, the request log, and a graceful SIGTERM.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import { test } from 'node:test';
import { VERSION } from '../src/version.js';
import { neverWritten, unfoldedRecords } from '../src/testing/change-log-files.js';
import { durableBytes, durableText } from '../src/testing/durable-phext.js';
import { rawExchange, request } from '../src/testing/http-client.js';
import { startHost } from '../src/testing/host-process.js';
import { responsesIn } from '../src/testing/raw-connection.js';
import { waitFor } from '../src/testing/wait.js';

/** A raw connection that has been answered once, so the server surely counts it. */
async function heldConnection(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  socket.write('GET /api/v2/version HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor(
    () => responsesIn(text).length === 1,
    10_000,
    () => `no answer on a held connection: ${text}`,
  );
  assert.equal(responsesIn(text)[0]?.status, 200);
  return socket;
}

const within = <T>(ms: number, what: string, p: Promise<T>): Promise<T> =>
  Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms).unref()),
  ]);

test('sq host: HTTP/1.1 done right', async (t) => {
  const host = await startHost(t, { args: ['--headers-timeout-ms', '500'] });

  await t.test('keep-alive: several requests share one connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    t.after(() => agent.destroy());
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      assert.equal((await request(host.port, { path: `/api/v2/insert?p=ka&s=${i}`, agent })).body.toString(), 'Inserted 1 bytes');
      const status = (await request(host.port, { path: '/api/v2/status?p=ka', agent })).body.toString();
      ids.push(/Connection ID: (\d+)/.exec(status)![1]!);
    }
    assert.equal(new Set(ids).size, 1, `connection ids ${ids}`);
    const fresh = (await host.call('GET', '/api/v2/status?p=ka')).text;
    assert.notEqual(/Connection ID: (\d+)/.exec(fresh)![1], ids[0]);
    assert.equal(await durableText(host.file('ka')), '0123');
  });

  await t.test('pipelining: requests in one write are all answered, in order', async () => {
    const requests =
      'GET /api/v2/insert?p=pipe&s=one HTTP/1.1\r\nHost: x\r\n\r\n' +
      'POST /api/v2/insert?p=pipe HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\ntwo' +
      'GET /api/v2/select?p=pipe HTTP/1.1\r\nHost: x\r\n\r\n' +
      'GET /api/v2/version HTTP/1.1\r\nHost: x\r\n\r\n';
    const stream = await within(
      10_000,
      'pipelined answers',
      rawExchange(host.port, requests, (text) => responsesIn(text).length >= 4),
    );
    assert.deepEqual(
      responsesIn(stream).map((r) => [r.status, r.body]),
      [
        [200, 'Inserted 3 bytes'],
        [200, 'Inserted 3 bytes'],
        [200, 'onetwo'],
        [200, VERSION],
      ],
    );
  });

  await t.test('an HTTP/1.0 client without Host gets its answer, then the server closes', async () => {
    const update = await within(
      10_000,
      'HTTP/1.0 update',
      rawExchange(host.port, 'GET /api/v2/update?p=h10&s=abc HTTP/1.0\r\n\r\n', () => false),
    );
    assert.equal(responsesIn(update)[0]?.body, 'Updated 3 bytes', update);
    assert.equal(await durableText(host.file('h10')), 'abc', 'the protocol version leaked into s');
    const select = await within(
      10_000,
      'HTTP/1.0 select',
      rawExchange(host.port, 'GET /api/v2/select?p=h10 HTTP/1.0\r\n\r\n', () => false),
    );
    const [answer] = responsesIn(select);
    assert.ok(answer, select);
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'abc');
    assert.match(answer.head, /\r\nconnection: close/i);
  });

  await t.test('a slowloris client is cut off by the headers timeout while others are served', async () => {
    const slow = net.connect(host.port, '127.0.0.1');
    await once(slow, 'connect');
    let received = '';
    slow.on('data', (d: Buffer) => (received += d.toString('latin1')));
    const closed = once(slow, 'close');
    slow.write('GET /api/v2/version HTTP/1.1\r\nHost: x\r\nX-Slow: ab');
    for (let i = 0; i < 5; i++) assert.equal((await host.call('GET', '/api/v2/version')).text, VERSION);
    // The default would be 10 s: cut before that, the configured 500 ms (checked every 125 ms) won.
    await within(8_000, 'slowloris cut', closed);
    assert.match(received, /^HTTP\/1\.1 408 /);
    assert.match(received, /\r\naccess-control-allow-origin: \*/i);
  });

  await t.test('one log line per request', async () => {
    const before = host.stderr().split('\n').filter(Boolean).length;
    await host.call('GET', '/api/v2/version');
    await host.call('GET', '/missing');
    await host.call('HEAD', '/api/v2/select?p=ka');
    const lines = (await host.waitForStderr((s) => s.split('\n').filter(Boolean).length >= before + 3)).split('\n').filter(Boolean);
    const mine = lines.slice(before);
    assert.equal(mine.length, 3, mine.join('\n'));
    assert.match(mine[0]!, /^\S+ 127\.0\.0\.1 GET \/api\/v2\/version tenant=default 200 \d+B [\d.]+ms$/);
    assert.match(mine[1]!, / GET \/missing 404 /);
    assert.match(mine[2]!, / HEAD \/api\/v2\/select p=ka tenant=default 200 0B /);
  });
});

test('sq host --log-format json: one parseable JSON line per request', async (t) => {
  const host = await startHost(t, { args: ['--log-format', 'json'] });
  await host.call('GET', '/api/v2/insert?p=log&s=secret-data');
  await host.call('POST', '/api/v2/select?p=log', '');
  await host.call('GET', '/api/v2/select?p=..%2Fx');
  const stderr = await host.waitForStderr((s) => s.split('\n').filter(Boolean).length >= 3);
  const entries = stderr
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(entries.length, 3);
  assert.deepEqual(
    entries.map((e) => [e.method, e.path, e.phext, e.status]),
    [
      ['GET', '/api/v2/insert', 'log', 200],
      ['POST', '/api/v2/select', 'log', 200],
      ['GET', '/api/v2/select', '../x', 403],
    ],
  );
  for (const e of entries) assert.equal(typeof e.ms, 'number');
  assert.ok(!stderr.includes('secret-data'), 'the query string (scroll text) must not be logged');
});

test('sq host --max-connections 3: the 4th concurrent connection gets 503 and nothing it asked for', async (t) => {
  const host = await startHost(t, { args: ['--max-connections', '3'] });
  const held = await Promise.all([0, 1, 2].map(() => heldConnection(host.port)));
  t.after(() => held.forEach((s) => s.destroy()));
  const over = await within(
    10_000,
    '503 answer',
    rawExchange(host.port, 'GET /api/v2/insert?p=over&s=x HTTP/1.1\r\nHost: x\r\n\r\n', (text) => responsesIn(text).length > 0),
  );
  const [busy] = responsesIn(over);
  assert.ok(busy, over);
  assert.equal(busy.status, 503);
  assert.match(busy.head, /\r\naccess-control-allow-origin: \*/i);
  // Let a request on a held connection pass through the server so a late insert would have landed.
  let text = '';
  held[0]!.on('data', (d: Buffer) => (text += d.toString('latin1')));
  held[0]!.write('GET /api/v2/version HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor(() => responsesIn(text).length === 1, 10_000);
  assert.ok(neverWritten(host.file('over')), "the refused connection's insert was executed");

  held.pop()!.destroy();
  let status = 0;
  const deadline = Date.now() + 10_000;
  while (status !== 200 && Date.now() < deadline) {
    status = (await host.call('GET', '/api/v2/version')).status;
    if (status !== 200) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(status, 200, 'a freed slot is not reused');
});

test('sq host: SIGTERM lets a slow in-flight write finish, then exits 0', async (t) => {
  const host = await startHost(t);
  const CHUNK = 8192;
  const CHUNKS = 8;
  const reply = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: host.port,
        method: 'POST',
        path: '/api/v2/insert?p=term',
        agent: false,
        // "100 Continue" tells us the server has the request in hand before SIGTERM is sent.
        headers: { 'Content-Length': CHUNK * CHUNKS, Expect: '100-continue' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.once('continue', async () => {
      try {
        req.write(Buffer.alloc(CHUNK, 0x61));
        host.child.kill('SIGTERM');
        await host.waitForStderr(/SIGTERM: finishing in-flight requests/);
        for (let i = 1; i < CHUNKS; i++) {
          await new Promise((r) => setTimeout(r, 20));
          req.write(Buffer.alloc(CHUNK, 0x61));
        }
        req.end();
      } catch (err) {
        reject(err);
      }
    });
  });
  const answer = await within(20_000, 'slow write', reply);
  assert.deepEqual(answer, { status: 200, text: `Inserted ${CHUNK * CHUNKS} bytes` });
  assert.equal((await durableBytes(host.file('term'))).length, CHUNK * CHUNKS);
  const { code, signal } = await within(20_000, 'exit after SIGTERM', host.exited);
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, host.stderr());
  // A clean stop folds the change log into the file itself.
  assert.equal(statSync(host.file('term')).size, CHUNK * CHUNKS);
  assert.equal(await unfoldedRecords(host.file('term')), 0);
});

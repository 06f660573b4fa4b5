import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRouter, type RouterHandle } from './router.js';
import { closedPort, startEchoBackend } from '../testing/echo-backend.js';
import { rawExchange, request } from '../testing/http-client.js';
import { RawConnection, responsesIn } from '../testing/raw-connection.js';
import { writeRouterConfig } from '../testing/router-file.js';
import { tempDir } from '../testing/temp-dir.js';

const ALICE = 'pmb-v1-0123456789abcdef0123456789abcdef';
const BOB = 'bob:token:with:colons';
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('sq route: proxying', () => {
  const logs: string[] = [];
  let a: Awaited<ReturnType<typeof startEchoBackend>>;
  let b: Awaited<ReturnType<typeof startEchoBackend>>;
  let router: RouterHandle;
  let downPort: number;

  before(async () => {
    a = await startEchoBackend('a');
    b = await startEchoBackend('b');
    downPort = await closedPort();
    const configPath = writeRouterConfig(dir, [
      { token: ALICE, port: a.port },
      { token: BOB, port: b.port },
      { token: 'down-token', port: downPort },
    ]);
    router = await startRouter({
      configPath,
      port: 0,
      bind: '127.0.0.1',
      maxBodyBytes: 8 * 1024 * 1024,
      // The default (30 s): a loaded machine must not turn a slow answer into a 504 here.
      log: (line) => logs.push(line),
    });
  });
  after(async () => {
    await router.close();
    await a.close();
    await b.close();
  });
  // Registered after the closing above, so the config goes once the router no longer watches it.
  const dir = tempDir({ after }, 'sq-router-');

  it('routes by Bearer (any case), bare Authorization and X-SQ-API-Key, forwarding the header as-is', async () => {
    const cases: [http.OutgoingHttpHeaders, string][] = [
      [{ Authorization: `Bearer ${ALICE}` }, 'a'],
      [{ Authorization: `bEaReR ${BOB}` }, 'b'],
      [{ Authorization: BOB }, 'b'],
      [{ 'X-SQ-API-Key': ALICE }, 'a'],
    ];
    for (const [headers, backend] of cases) {
      const reply = await request(router.port, { path: '/api/v2/select?p=x&c=1.1.1', headers });
      assert.equal(reply.status, 200);
      assert.equal(reply.headers['x-echo-backend'], backend);
      assert.equal(reply.headers['x-echo-url'], '/api/v2/select?p=x&c=1.1.1');
      assert.equal(reply.headers['x-echo-authorization'], headers.Authorization ?? '');
      assert.equal(reply.headers['access-control-allow-origin'], '*');
    }
  });

  it('answers 401 Unauthorized for a missing or unknown token', async () => {
    for (const headers of [{}, { Authorization: 'Bearer nope' }, { 'X-SQ-API-Key': ALICE.slice(0, -1) }]) {
      const reply = await request(router.port, { path: '/api/v2/select', headers });
      assert.equal(reply.status, 401);
      assert.equal(reply.body.toString(), 'Unauthorized');
      assert.equal(reply.headers['access-control-allow-origin'], '*');
    }
  });

  it('streams a 5 MB body to the backend and back intact, with Content-Length or chunked', async () => {
    const body = randomBytes(5 * 1024 * 1024);
    const chunks = Array.from({ length: 20 }, (_, i) => body.subarray(i * 262144, (i + 1) * 262144));
    for (const sent of [body, chunks]) {
      const reply = await request(router.port, { method: 'POST', path: '/api/v2/update', headers: { Authorization: ALICE }, body: sent });
      assert.equal(reply.status, 200);
      assert.equal(reply.headers['x-echo-method'], 'POST');
      assert.equal(reply.body.length, body.length);
      assert.equal(sha(reply.body), sha(body));
    }
  });

  it('answers 502 naming the backend when its port is closed', async () => {
    const reply = await request(router.port, { path: '/api/v2/version', headers: { Authorization: 'down-token' } });
    assert.equal(reply.status, 502);
    assert.equal(reply.body.toString(), `Bad Gateway: backend 127.0.0.1:${downPort} is down`);
    assert.equal(reply.headers['access-control-allow-origin'], '*');
  });

  it('answers 413 for a body over the limit, declared or streamed', async () => {
    const big = randomBytes(8 * 1024 * 1024 + 1);
    const declared = await request(router.port, { method: 'POST', path: '/api/v2/insert', headers: { Authorization: ALICE }, body: big });
    assert.equal(declared.status, 413);
    const chunks = Array.from({ length: 9 }, () => randomBytes(1024 * 1024));
    const streamed = await request(router.port, {
      method: 'POST',
      path: '/api/v2/insert',
      headers: { Authorization: ALICE },
      body: chunks,
    });
    assert.equal(streamed.status, 413);
    assert.match(streamed.body.toString(), /^Payload Too Large/);
  });

  it('answers 400 to a request target that is not a path (absolute form), without asking a backend', async () => {
    const text = await rawExchange(
      router.port,
      `GET http://x/api/v2/select HTTP/1.1\r\nHost: x\r\nAuthorization: ${ALICE}\r\nConnection: close\r\n\r\n`,
      (t) => t.includes('\r\n\r\n') && /must be a path/.test(t),
    );
    assert.match(text, /^HTTP\/1\.1 400 /);
    assert.match(text, /Bad Request: the request target must be a path/);
  });

  it('answers CORS preflight without a token', async () => {
    const reply = await request(router.port, { method: 'OPTIONS', path: '/api/v2/select' });
    assert.equal(reply.status, 204);
    assert.equal(reply.headers['access-control-allow-origin'], '*');
    assert.equal(reply.headers['access-control-allow-methods'], 'GET, POST, PUT, DELETE, HEAD, OPTIONS');
    assert.equal(reply.headers['access-control-allow-headers'], 'Authorization, Content-Type, X-SQ-API-Key, Last-Event-ID, If-Match');
    assert.equal(reply.headers['access-control-max-age'], '86400');
  });

  it('reports backend health without a token and without tokens in the answer', async () => {
    const reply = await request(router.port, { path: '/health' });
    assert.equal(reply.status, 200);
    const text = reply.body.toString();
    const health = JSON.parse(text) as { status: string; backends: { port: number; up: boolean }[] };
    assert.equal(health.status, 'ok');
    const expected = [
      { port: a.port, up: true },
      { port: b.port, up: true },
      { port: downPort, up: false },
    ].sort((x, y) => x.port - y.port);
    assert.deepEqual(health.backends, expected);
    assert.ok(!text.includes(ALICE) && !text.includes('down-token'));
  });

  it('keeps serving others while a client idles mid-request', async () => {
    const idle = rawExchange(router.port, 'GET /api/v2/select HTTP/1.1\r\nHost: x\r\n', () => true);
    const replies = await Promise.all(Array.from({ length: 10 }, () => request(router.port, { headers: { Authorization: ALICE } })));
    assert.deepEqual(
      replies.map((r) => r.status),
      Array(10).fill(200),
    );
    void idle;
  });

  it('answers pipelined requests on one keep-alive connection, in order', async () => {
    const one = (path: string, token: string): string => `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`;
    const text = await rawExchange(
      router.port,
      one('/first', ALICE) + one('/second', BOB) + one('/third', ALICE),
      (t) => (t.match(/HTTP\/1\.1 200/g) ?? []).length === 3 && t.endsWith('\r\n\r\n'),
    );
    const urls = [...text.matchAll(/x-echo-url: (\S+)/g)].map((m) => m[1]);
    assert.deepEqual(urls, ['/first', '/second', '/third']);
  });

  it('re-frames a chunked answer: chunked for HTTP/1.1, read-until-close for HTTP/1.0', async () => {
    const ask = (version: string): Promise<string> =>
      rawExchange(router.port, `GET /chunked HTTP/${version}\r\nHost: x\r\nAuthorization: ${ALICE}\r\n\r\n`, (t) =>
        t.endsWith('0\r\n\r\n'),
      );
    const http11 = await ask('1.1');
    const [head11] = http11.split('\r\n\r\n', 2) as [string, string];
    assert.match(head11, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(head11, /\r\ntransfer-encoding: chunked$/im);
    assert.equal(http11.slice(head11.length + 4), '6\r\nfirst,\r\n6\r\nsecond\r\n0\r\n\r\n');
    const http10 = await ask('1.0');
    assert.match(http10, /^HTTP\/1\.1 200 OK\r\n/);
    assert.doesNotMatch(http10, /transfer-encoding/i);
    assert.ok(http10.endsWith('\r\n\r\nfirst,second'), http10);
  });

  it('answers a client that half-closes after its request, and one without Host', async () => {
    for (const version of ['1.1', '1.0']) {
      for (const [method, body] of [
        ['GET', ''],
        ['POST', 'payload'],
      ] as const) {
        const client = await RawConnection.open(router.port);
        client.write(
          `${method} /api/v2/insert?p=half HTTP/${version}\r\nHost: x\r\nAuthorization: ${ALICE}\r\n` +
            `Content-Length: ${body.length}\r\n\r\n${body}`,
        );
        client.socket.end();
        await client.closedByServer(`${method} HTTP/${version}`);
        const [answer] = responsesIn(client.text());
        assert.ok(answer, `${method} HTTP/${version}: ${client.text()}`);
        assert.equal(answer.status, 200, `${method} HTTP/${version}: ${client.text()}`);
        assert.match(answer.head, /\r\nx-echo-backend: a\r\n/i);
        // The echo comes back chunked (HTTP/1.1) or until close (HTTP/1.0): it only has to be there.
        assert.ok(client.text().split('\r\n\r\n')[1]?.includes(body), client.text());
      }
    }
    const hostless = await RawConnection.open(router.port);
    hostless.write(`GET /api/v2/version HTTP/1.1\r\nAuthorization: ${ALICE}\r\nContent-Length: 0\r\n\r\n`);
    const [answer] = responsesIn(await hostless.waitFor((text) => responsesIn(text).length > 0, 'answer without Host'));
    hostless.destroy();
    assert.ok(answer);
    assert.equal(answer.status, 200, answer.head);
    assert.match(answer.head, /\r\naccess-control-allow-origin: \*\r\n/i);
  });

  it('reuses one client connection for sequential requests', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    agent.on('free', (socket) => sockets.add(socket));
    try {
      for (let i = 0; i < 5; i++) {
        const reply = await request(router.port, { path: `/n${i}`, headers: { Authorization: BOB }, agent });
        assert.equal(reply.headers['x-echo-url'], `/n${i}`);
      }
      assert.equal(sockets.size, 1);
    } finally {
      agent.destroy();
    }
  });

  it('logs method, path, status and backend, never a token or a query string', () => {
    assert.ok(logs.some((l) => /^GET \/api\/v2\/select 200 [\d.]+ms backend=\d+$/.test(l)));
    assert.ok(logs.some((l) => /^GET \/api\/v2\/select 401 [\d.]+ms backend=-$/.test(l)));
    for (const line of logs) {
      assert.ok(!line.includes(ALICE) && !line.includes(BOB) && !line.includes('down-token'), line);
      assert.ok(!line.includes('?'), line);
    }
  });
});

describe('sq route: the backend timeout', () => {
  const TIMEOUT_MS = 1000;
  let backend: Awaited<ReturnType<typeof startEchoBackend>>;
  let router: RouterHandle;
  before(async () => {
    backend = await startEchoBackend('a');
    router = await startRouter({
      configPath: writeRouterConfig(dir, [{ token: ALICE, port: backend.port }]),
      port: 0,
      bind: '127.0.0.1',
      backendTimeoutMs: TIMEOUT_MS,
      log: () => {},
    });
  });
  after(async () => {
    await router.close();
    await backend.close();
  });
  const dir = tempDir({ after }, 'sq-router-timeout-');

  it('answers exactly 504, naming the backend, when it never answers', async () => {
    const reply = await request(router.port, { path: '/hang', headers: { Authorization: ALICE } });
    assert.equal(reply.status, 504);
    assert.equal(reply.body.toString(), `Gateway Timeout: backend 127.0.0.1:${backend.port} did not answer within ${TIMEOUT_MS} ms`);
  });

  it('does not blame the backend (504) for a client that pauses mid-body longer than the timeout', async () => {
    const socket = net.connect(router.port, '127.0.0.1');
    await once(socket, 'connect');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    const closed = once(socket, 'close');
    socket.write(
      `POST /api/v2/update HTTP/1.1\r\nHost: x\r\nAuthorization: ${ALICE}\r\nContent-Length: 10\r\nConnection: close\r\n\r\nhello`,
    );
    // Twice the timeout of the client's own silence: before the fix the router answered 504 after one.
    await sleep(2 * TIMEOUT_MS);
    socket.write('world'); // not end(): a half-close may cut the answer short
    await closed; // Connection: close
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/, text.split('\r\n')[0]);
    assert.ok(text.includes('\r\nhelloworld\r\n'), text); // the body, echoed (chunked)
  });
});

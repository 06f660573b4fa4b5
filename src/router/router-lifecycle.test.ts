import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRouter, type RouterHandle, type RouterOptions } from './router.js';
import { rawExchange, request } from '../testing/http-client.js';
import { startEchoBackend } from '../testing/echo-backend.js';
import { RawConnection } from '../testing/raw-connection.js';
import { writeRouterConfig } from '../testing/router-file.js';

const T1 = 'pmb-v1-11111111111111111111111111111111';
const T2 = 'pmb-v1-22222222222222222222222222222222';

/** Which backend answers for `token` (its echo name), or the status when none does. */
async function routeOf(port: number, token: string): Promise<string> {
  const reply = await request(port, { path: '/api/v2/version', headers: { Authorization: `Bearer ${token}` } });
  return reply.status === 200 ? String(reply.headers['x-echo-backend']) : String(reply.status);
}

async function until(check: () => Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(25);
  }
}

describe('sq route: reload, limits and shutdown', () => {
  let dir: string;
  let a: Awaited<ReturnType<typeof startEchoBackend>>;
  let b: Awaited<ReturnType<typeof startEchoBackend>>;
  let router: RouterHandle;
  let logs: string[];
  let configPath: string;
  const start = async (extra: Partial<RouterOptions> = {}): Promise<void> => {
    router = await startRouter({ configPath, port: 0, bind: '127.0.0.1', log: (l) => logs.push(l), ...extra });
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sq-router-'));
    logs = [];
    a = await startEchoBackend('a');
    b = await startEchoBackend('b');
    configPath = writeRouterConfig(dir, [{ token: T1, port: a.port }]);
  });
  afterEach(async () => {
    await router.close();
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reload() switches routing to the new config', async () => {
    await start();
    assert.equal(await routeOf(router.port, T1), 'a');
    assert.equal(await routeOf(router.port, T2), '401');
    writeRouterConfig(dir, [
      { token: T1, port: b.port },
      { token: T2, port: a.port },
    ]);
    assert.equal(await router.reload(), true);
    assert.equal(await routeOf(router.port, T1), 'b');
    assert.equal(await routeOf(router.port, T2), 'a');
  });

  it('a reload that drops a backend closes the connections kept open to it', async () => {
    await start();
    assert.equal(await routeOf(router.port, T1), 'a');
    assert.ok((await a.connections()) > 0, 'the pool keeps its connection to a alive');
    writeRouterConfig(dir, [{ token: T1, port: b.port }]);
    assert.equal(await router.reload(), true);
    await until(async () => (await a.connections()) === 0);
    assert.equal(await routeOf(router.port, T1), 'b');
  });

  it('picks up a config file replaced by rename, without reload()', async () => {
    await start();
    writeRouterConfig(dir, [{ token: T2, port: b.port }]);
    await until(async () => (await routeOf(router.port, T2)) === 'b');
    assert.equal(await routeOf(router.port, T1), '401');
    assert.ok(logs.some((l) => l.startsWith('config reloaded: 1 tenant(s)')));
  });

  it('the watcher ignores unrelated churn and refuses a broken config once', async () => {
    await start();
    const churn = async (): Promise<void> => {
      for (let i = 0; i < 5; i++) {
        writeFileSync(join(dir, `other-${i}.txt`), String(i));
        unlinkSync(join(dir, `other-${i}.txt`));
        await sleep(20);
      }
      await sleep(300); // several debounce periods
    };
    await churn();
    assert.deepEqual(logs, []);
    writeRouterConfig(dir, '{"tenants": [');
    await until(async () => logs.length > 0);
    await churn();
    assert.equal(logs.length, 1, logs.join('\n'));
    assert.match(logs[0]!, /^config refused, keeping the previous one: .*invalid JSON/);
    assert.equal(await routeOf(router.port, T1), 'a');
  });

  it('refuses a broken config, names the problem and keeps routing', async () => {
    await start();
    const broken: [string, RegExp][] = [
      ['{"tenants": [', /invalid JSON/],
      [
        JSON.stringify({
          tenants: [
            { token: T1, port: a.port },
            { token: T1, port: b.port },
          ],
        }),
        /tenants\[1\]\.token: duplicate token \(same as tenants\[0\]\)/,
      ],
      [
        JSON.stringify({
          tenants: [
            { token: T2, port: b.port },
            { token: T1, port: 70000 },
          ],
        }),
        /tenants\[1\]\.port: must be 1\.\.65535/,
      ],
      [JSON.stringify({ tenants: [{ port: a.port }] }), /tenants\[0\]\.token: Required/],
      [JSON.stringify({ tenants: [] }), /tenants: must list at least one tenant/],
    ];
    for (const [text, problem] of broken) {
      writeRouterConfig(dir, text);
      assert.equal(await router.reload(), false);
      const last = logs.filter((l) => l.startsWith('config refused')).at(-1) ?? '';
      assert.match(last, problem);
      assert.ok(!last.includes(T1) && !last.includes(T2), last);
      assert.equal(await routeOf(router.port, T1), 'a');
    }
  });

  it('reloads while a request is in flight and another client idles', async () => {
    await start();
    const idle = net.connect(router.port, '127.0.0.1');
    idle.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const slow = request(router.port, { path: '/slow', headers: { Authorization: T1 } });
    await sleep(50);
    writeRouterConfig(dir, [{ token: T2, port: b.port }]);
    const order: string[] = [];
    void slow.then(() => order.push('slow request'));
    assert.equal(await router.reload(), true);
    order.push('reload');
    assert.equal(await routeOf(router.port, T2), 'b');
    assert.equal((await slow).status, 200, 'the request accepted before the reload still completes');
    assert.deepEqual(order, ['reload', 'slow request'], 'the reload did not wait for the request');
    idle.destroy();
  });

  it('answers 503 beyond --max-connections', async () => {
    await start({ maxConnections: 2 });
    const held = [net.connect(router.port, '127.0.0.1'), net.connect(router.port, '127.0.0.1')];
    try {
      await sleep(50);
      const reply = await request(router.port, { path: '/api/v2/version', headers: { Authorization: T1 } });
      assert.equal(reply.status, 503);
      assert.equal(reply.headers['access-control-allow-origin'], '*');
    } finally {
      for (const s of held) s.destroy();
    }
    await until(async () => (await routeOf(router.port, T1)) === 'a');
  });

  it('aborted uploads give their connection slots back', async () => {
    await start({ maxConnections: 2 });
    for (let i = 0; i < 6; i++) {
      const upload = await RawConnection.open(router.port);
      const expect = i % 3 === 2 ? 'Expect: 100-continue\r\n' : '';
      upload.write(
        `POST /api/v2/insert?p=up HTTP/1.1\r\nHost: x\r\nAuthorization: ${T1}\r\nContent-Length: 100\r\n${expect}\r\n${i % 3 === 1 ? 'x' : ''}`,
      );
      if (expect) await upload.waitFor((text) => text.startsWith('HTTP/1.1 100 Continue\r\n'), 'invited');
      // The request's log line is written when its answer is given up: the router has seen it.
      const logged = logs.length;
      upload.destroy();
      await until(async () => logs.length > logged);
    }
    assert.equal(await routeOf(router.port, T1), 'a');
  });

  it('closes idle clients slowly sending headers (slowloris) after the headers timeout', async () => {
    await start({ headersTimeoutMs: 300 });
    const text = await rawExchange(router.port, 'GET / HTTP/1.1\r\nHost: x\r\n', () => false);
    assert.match(text, /^HTTP\/1\.1 408/);
  });

  it('close() finishes in-flight requests, cuts idle connections and stops accepting', async () => {
    await start();
    const idle = net.connect(router.port, '127.0.0.1');
    const idleClosed = new Promise((resolve) => idle.once('close', resolve));
    const slow = request(router.port, { path: '/slow', headers: { Authorization: T1 } });
    await sleep(50);
    const closing = router.close();
    const reply = await slow;
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.connection, 'close');
    await closing;
    await idleClosed;
    await assert.rejects(request(router.port, { path: '/' }), { code: 'ECONNREFUSED' });
  });
});

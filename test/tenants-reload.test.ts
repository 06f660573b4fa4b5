// Reloading the tenants of a running `sq host --config`: POST /api/v2/reload, SIGHUP, and the
// file watcher; broken configs are refused; idle and half-sent clients never hold a reload up.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../src/testing/temp-dir.js';
import { api, call, type TextReply } from '../src/testing/sq-api.js';
import { replaceFile } from '../src/testing/replace-file.js';
import { startSq, type SqProcess } from '../src/testing/sq-process.js';
import { newToken, writeTenantsFile, type TestTenant } from '../src/testing/tenants-file.js';

const ADMIN = 'admin-key-for-reload-tests';
const C = '1.1.1/1.1.1/1.1.1';

function tenant(dir: string, name: string): TestTenant {
  return { name, token: newToken(), data_dir: join(dir, name) };
}

/** Answers `version` (200) or 401 for the token: whether the server knows it right now. */
async function knows(port: number, t: TestTenant): Promise<boolean> {
  const reply = await api(port, t.token, 'version');
  assert.ok(reply.status === 200 || reply.status === 401, `${t.name}: ${reply.status} ${reply.text}`);
  return reply.status === 200;
}

const reload = (port: number, headers: Record<string, string> = {}): Promise<TextReply> =>
  call(port, '/api/v2/reload', { method: 'POST', headers });

const count = (text: string, pattern: RegExp): number => text.match(new RegExp(pattern.source, 'gm'))?.length ?? 0;
// The log line names its trigger: the watcher sees every change the other tests make too.
const REFUSED = /^tenants: reload refused \(on [^)]+\), keeping the previous \d+ tenants: /m;
const LOADED_ON_REQUEST = /^tenants: loaded \d+ tenants from .* \(on request\)$/m;
const LOADED_ON_SIGHUP = /^tenants: loaded \d+ tenants from .* \(on SIGHUP\)$/m;
const REFUSED_ON_SIGHUP = /^tenants: reload refused \(on SIGHUP\), /m;
const LOADED_ON_CHANGE = /^tenants: loaded \d+ tenants from .* \(on file change\)$/m;

/** Polls `check` every 25 ms until it holds; the watcher debounces, so it gets a few seconds. */
async function eventually(check: () => Promise<boolean>, what: string, ms = 5_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(25);
  }
}

// The config is a symlink into another directory. The watcher follows it, so it may reload any
// change these tests make as well: each test proves its own trigger by what only that trigger
// gives, the request's answer and the log line that names the request or the signal.
describe('reload by request and by SIGHUP (config behind a symlink)', () => {
  let sq: SqProcess;
  after(() => sq?.stop());
  const dir = tempDir({ after });
  const real = join(dir, 'etc', 'tenants.json');
  const config = join(dir, 'tenants.json');
  const [alice, bob, carol, dave] = [tenant(dir, 'alice'), tenant(dir, 'bob'), tenant(dir, 'carol'), tenant(dir, 'dave')];

  before(async () => {
    mkdirSync(join(dir, 'etc'));
    writeTenantsFile(real, [alice, bob]);
    symlinkSync(real, config);
    sq = await startSq(['host', '0', '--bind', '127.0.0.1', '--config', config, '--admin-key', ADMIN]);
  });

  it('POST /api/v2/reload from loopback: 200, and the next request sees the new tenants', async () => {
    assert.deepEqual([await knows(sq.port, alice), await knows(sq.port, bob), await knows(sq.port, carol)], [true, true, false]);
    writeTenantsFile(real, [alice, carol]);
    const requested = count(sq.stderr(), LOADED_ON_REQUEST);
    const reply = await reload(sq.port);
    assert.deepEqual([reply.status, reply.text], [200, 'Config reload triggered']);
    assert.deepEqual([await knows(sq.port, alice), await knows(sq.port, bob), await knows(sq.port, carol)], [true, false, true]);
    await sq.waitForStderr((text) => count(text, LOADED_ON_REQUEST) > requested);
    const insert = await api(sq.port, carol.token, 'insert', { p: 'test', c: C, s: 'CarolData' });
    assert.deepEqual([insert.status, insert.text], [200, 'Inserted 9 bytes']);
  });

  it('a relayed reload request (X-Forwarded-For, Forwarded) needs the admin key', async () => {
    const relays: Record<string, string>[] = [{ 'X-Forwarded-For': '203.0.113.9' }, { Forwarded: 'for=203.0.113.9' }];
    for (const relay of relays) {
      assert.deepEqual([(await reload(sq.port, relay)).status], [401], JSON.stringify(relay));
      const asTenant = await reload(sq.port, { ...relay, Authorization: `Bearer ${alice.token}` });
      assert.deepEqual([asTenant.status, asTenant.text], [401, 'Unauthorized']);
      const asAdmin = await reload(sq.port, { ...relay, Authorization: `Bearer ${ADMIN}` });
      assert.deepEqual([asAdmin.status, asAdmin.text], [200, 'Config reload triggered']);
    }
  });

  it('SIGHUP reloads: a new tenant works, a removed token gets 401', async () => {
    writeTenantsFile(real, [alice, dave]);
    const loaded = count(sq.stderr(), LOADED_ON_SIGHUP);
    process.kill(sq.pid, 'SIGHUP');
    await sq.waitForStderr((text) => count(text, LOADED_ON_SIGHUP) > loaded);
    assert.deepEqual([await knows(sq.port, alice), await knows(sq.port, carol), await knows(sq.port, dave)], [true, false, true]);
  });

  it('refuses a broken config (bad JSON, duplicate name) with a one-line 400; the old tenants keep working', async () => {
    const broken: [string, string, RegExp][] = [
      ['bad JSON', '{"tenants": {', /invalid JSON at line 1 column 14/],
      [
        'duplicate name',
        JSON.stringify({ tenants: { [alice.token]: { name: 'alice', data_dir: 'a' }, [newToken()]: { name: 'alice', data_dir: 'b' } } }),
        /"alice" is used by two tenants/,
      ],
      [
        "data_dir through a symlink to another's",
        JSON.stringify({
          tenants: {
            [alice.token]: { name: 'alice', data_dir: alice.data_dir },
            [newToken()]: { name: 'mallory', data_dir: join(dir, 'alias') },
          },
        }),
        /alias is the same directory as the data_dir of tenant "alice"/,
      ],
      [
        "data_dir inside another's",
        JSON.stringify({
          tenants: {
            [alice.token]: { name: 'alice', data_dir: alice.data_dir },
            [newToken()]: { name: 'mallory', data_dir: join(alice.data_dir, 'm') },
          },
        }),
        /alice\/m lies inside .*alice, the data_dir of tenant "alice"/,
      ],
    ];
    symlinkSync(alice.data_dir, join(dir, 'alias'));
    for (const [what, text, reason] of broken) {
      replaceFile(real, text);
      const reply = await reload(sq.port);
      assert.equal(reply.status, 400, what);
      assert.match(reply.text, /^Config reload refused: /, what);
      assert.match(reply.text, reason, what);
      assert.ok(!reply.text.includes('\n'), `${what}: one line`);
      assert.ok(!reply.text.includes(alice.token), `${what}: no token in the answer`);
      assert.deepEqual([await knows(sq.port, alice), await knows(sq.port, dave)], [true, true], what);
      // The signal path refuses it too, and says so in the log.
      const refused = count(sq.stderr(), REFUSED_ON_SIGHUP);
      process.kill(sq.pid, 'SIGHUP');
      await sq.waitForStderr((log) => count(log, REFUSED_ON_SIGHUP) > refused);
      assert.equal((await api(sq.port, dave.token, 'select', { p: 'test', c: C })).status, 200, what);
    }
    assert.ok(!sq.stderr().includes(alice.token), 'no token in the log');
    writeTenantsFile(real, [alice, dave]);
    assert.equal((await reload(sq.port)).status, 200);
  });

  it('an idle keep-alive client and a half-sent request hold up neither a reload nor other requests', async (t) => {
    const idle = net.connect(sq.port, '127.0.0.1');
    const slowHeaders = net.connect(sq.port, '127.0.0.1');
    const slowBody = net.connect(sq.port, '127.0.0.1');
    t.after(() => [idle, slowHeaders, slowBody].forEach((s) => s.destroy()));
    await Promise.all([idle, slowHeaders, slowBody].map((s) => once(s, 'connect')));
    idle.write(`GET /api/v2/version HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${alice.token}\r\n\r\n`);
    const [first] = await once(idle, 'data');
    assert.match(String(first), /^HTTP\/1\.1 200 /);
    slowHeaders.write('GET /api/v2/select?p=test HTTP/1.1\r\nHost: x\r\n');
    slowBody.write(
      `POST /api/v2/insert?p=test&c=1.1.2 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${alice.token}\r\nContent-Length: 100\r\n\r\nhalf`,
    );
    await sleep(50); // let the server take in what the slow clients sent

    writeTenantsFile(real, [alice, bob, dave]);
    // Waiting for the slow clients, these would not be answered before the test's timeout.
    const [reloaded, served] = await Promise.all([reload(sq.port), api(sq.port, dave.token, 'select', { p: 'test', c: C })]);
    assert.deepEqual([reloaded.status, served.status], [200, 200]);
    assert.equal(await knows(sq.port, bob), true);

    const loaded = count(sq.stderr(), LOADED_ON_SIGHUP);
    process.kill(sq.pid, 'SIGHUP');
    await sq.waitForStderr((text) => count(text, LOADED_ON_SIGHUP) > loaded, 30_000);
    // The idle connection is still usable afterwards.
    idle.write(`GET /api/v2/select?p=test&c=${C} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${alice.token}\r\n\r\n`);
    const [second] = await once(idle, 'data');
    assert.match(String(second), /^HTTP\/1\.1 200 /);
  });
});

describe('reload by the file watcher (the config replaced by rename, like an editor saves)', () => {
  let sq: SqProcess;
  after(() => sq?.stop());
  const dir = tempDir({ after });
  const config = join(dir, 'tenants.json');
  const [alice, bob, erin] = [tenant(dir, 'alice'), tenant(dir, 'bob'), tenant(dir, 'erin')];

  before(async () => {
    writeTenantsFile(config, [alice, bob]);
    sq = await startSq(['host', '0', '--bind', '127.0.0.1', '--config', config]);
  });

  it('picks up an added and a removed tenant without a request or signal', async () => {
    writeTenantsFile(config, [bob, erin]);
    await eventually(() => knows(sq.port, erin), 'erin is served after the rename');
    assert.equal(await knows(sq.port, alice), false);
    assert.equal(await knows(sq.port, bob), true);
    assert.match(sq.stderr(), LOADED_ON_CHANGE);
  });

  it('refuses a broken file, logs why, and keeps serving', async () => {
    for (const text of [
      '{"tenants": {',
      JSON.stringify({ tenants: { [bob.token]: { name: 'bob', data_dir: 'x' }, [newToken()]: { name: 'bob', data_dir: 'y' } } }),
    ]) {
      const refused = count(sq.stderr(), REFUSED);
      replaceFile(config, text);
      await sq.waitForStderr((log) => count(log, REFUSED) > refused);
      assert.deepEqual([await knows(sq.port, bob), await knows(sq.port, erin)], [true, true]);
    }
    writeTenantsFile(config, [alice, erin]);
    await eventually(() => knows(sq.port, alice), 'alice is back');
    assert.equal(await knows(sq.port, bob), false);
  });
});

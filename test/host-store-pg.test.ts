// `sq host --store postgres://…`: the flag, several servers on one database (no stale read, a
// killed server loses nothing it acknowledged, each one's watchers see the other's writes), the
// database going away and coming back, and tenants (from the tenants file) kept apart in the
// database, with their quotas.
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { freshDatabase, testPostgres } from '../src/testing/host-stores.js';
import { startReplicatedPostgres } from '../src/testing/postgres.js';
import { startHost, type HostProcess } from '../src/testing/host-process.js';
import { runSq } from '../src/testing/run-sq.js';
import { openSse, type ChangeData, type SseEvent } from '../src/testing/sse-client.js';
import { api } from '../src/testing/sq-api.js';
import { startSq } from '../src/testing/sq-process.js';
import { tempDir } from '../src/testing/temp-dir.js';
import { newToken, writeTenantsFile } from '../src/testing/tenants-file.js';

test('sq host --store: a bad URL is refused with one line that never shows its password (exit 2)', async () => {
  for (const url of ['mysql://me:hunter2@db/sq', 'postgres://me:hunter2@db:99999/sq', 'postgres//me:hunter2@db/sq']) {
    const run = await runSq(['host', '0', '--bind', '127.0.0.1', '--store', url], { env: { SQ_KEY: '' }, timeoutMs: 20_000 });
    assert.equal(run.code, 2, run.stderr);
    const first = run.stderr.split('\n')[0]!;
    assert.match(first, /^sq host: store: must be a postgres:\/\/ or postgresql:\/\/ URL/);
    assert.ok(!run.stderr.includes('hunter2'), run.stderr);
  }
  const both = await runSq(['host', '0', '--store', 'postgres://db/sq', '--data-dir', '.'], { env: { SQ_KEY: '' }, timeoutMs: 20_000 });
  assert.equal(both.code, 2);
  assert.match(both.stderr, /^sq host: --data-dir cannot be combined with --store/);
});

test('sq host --store: a database host that accepts connections but never answers fails the start after the 5 s connection timeout', async (t) => {
  // No PostgreSQL needed: a TCP port that takes connections and says nothing.
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });
  const { port } = silent.address() as AddressInfo;
  // Ends by itself (runSq fails the test after 30 s): the connection timeout gave up on the host.
  const run = await runSq(['host', '0', '--bind', '127.0.0.1', '--store', `postgres://me:hunter2@127.0.0.1:${port}/sq`], {
    env: { SQ_KEY: '' },
    timeoutMs: 30_000,
  });
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.stderr, `sq host: cannot open the store postgres://127.0.0.1:${port}/sq: ${run.stderr.split(': ').slice(2).join(': ')}`);
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  assert.ok(!run.stderr.includes('hunter2'));
});

/** The version in a reply's ETag. */
const etag = (reply: { headers: Record<string, unknown> }) => Number(JSON.parse(String(reply.headers.etag)));

test('two sq host --store on one database: each acknowledged write is read on the other at once; kill -9 loses nothing acknowledged', async (t) => {
  const server = await testPostgres(t);
  if (!server) return;
  // A password in the URL (the throwaway cluster trusts everyone) must not reach the startup line.
  const url = (await freshDatabase(server)).replace('postgres://sq@', 'postgres://sq:hunter2@');
  const a = await startHost(t, { store: url, args: ['--log-format', 'off'] });
  const b = await startHost(t, { store: url, args: ['--log-format', 'off'] });
  assert.match(a.banner, /\(store: postgres:\/\/\/sq_host_\d+\?host=\/\S+&port=\d+\)$/);
  assert.ok(!a.banner.includes('hunter2'), a.banner);

  // 4 writers on each server, each with its own scroll of one phext, checked on the other server.
  const WRITES = 40;
  const pairs: Array<[HostProcess, HostProcess]> = [
    [a, b],
    [b, a],
  ];
  let writes = 0;
  await Promise.all(
    pairs.flatMap(([on, other], n) =>
      Array.from({ length: 4 }, async (_, w) => {
        const c = `${n + 1}.1.1/1.1.1/1.1.${w + 1}`;
        for (let i = 0; i < WRITES; i++) {
          const text = `node ${n} writer ${w} write ${i}`;
          const wrote = await api(on.port, undefined, 'update', { p: 'shared', c }, { body: text });
          assert.equal(wrote.status, 200, wrote.text);
          const read = await api(other.port, undefined, 'select', { p: 'shared', c });
          assert.equal(read.text, text, `read on the other server after version ${etag(wrote)}`);
          assert.ok(etag(read) >= etag(wrote), `version ${etag(read)} read after ${etag(wrote)} was acknowledged`);
          writes++;
        }
      }),
    ),
  );
  assert.equal(writes, 8 * WRITES);
  const final = await api(a.port, undefined, 'get', { p: 'shared' });
  assert.equal(etag(final), 8 * WRITES, 'every write made one version, across both servers');
  assert.equal((await api(b.port, undefined, 'get', { p: 'shared' })).text, final.text);

  // kill -9 of one server while its writers run: what it acknowledged is on the other.
  const acked = new Map<string, string>();
  const tried = new Map<string, string>();
  let killed = false;
  const writers = Array.from({ length: 4 }, async (_, w) => {
    const c = `3.1.1/1.1.1/1.1.${w + 1}`;
    for (let i = 0; !killed; i++) {
      const text = `killed writer ${w} write ${i}`;
      tried.set(c, text);
      try {
        const wrote = await api(a.port, undefined, 'update', { p: 'shared', c }, { body: text });
        if (wrote.status === 200) acked.set(c, text);
      } catch {
        return; // the connection died with the server
      }
    }
  });
  const survivors = Array.from({ length: 4 }, async (_, w) => {
    // The other server's writers go on meanwhile, on scrolls of their own.
    const c = `4.1.1/1.1.1/1.1.${w + 1}`;
    for (let i = 0; !killed; i++) {
      const wrote = await api(b.port, undefined, 'update', { p: 'shared', c }, { body: `survivor ${w} ${i}` });
      assert.equal(wrote.status, 200, wrote.text);
    }
  });
  while (acked.size < 4 || [...acked.values()].some((text) => Number(text.split(' ').at(-1)) < 20)) {
    await new Promise((r) => setTimeout(r, 5));
  }
  await a.kill();
  killed = true;
  await Promise.all([...writers, ...survivors]);
  for (const [c, text] of acked) {
    const read = await api(b.port, undefined, 'select', { p: 'shared', c });
    assert.equal(read.status, 200);
    // Its last acknowledged write, or the one in flight when it died (committed, never answered).
    assert.ok(read.text === text || read.text === tried.get(c), `${c}: ${read.text} (acknowledged: ${text})`);
  }
});

test('two sq host --store on one database: a watcher on either sees every change written through both, live, once each, in version order', async (t) => {
  const server = await testPostgres(t);
  if (!server) return;
  const url = await freshDatabase(server);
  const a = await startHost(t, { store: url, args: ['--log-format', 'off'] });
  const b = await startHost(t, { store: url, args: ['--log-format', 'off'] });
  const watchers = await Promise.all([a, b].map((host) => openSse(host.port, '/api/v2/watch?p=fed')));
  t.after(() => {
    for (const w of watchers) w.close();
  });
  for (const w of watchers) assert.equal(w.status, 200, w.body);

  // 200 writes, 4 writers on each server, each write to a scroll of its own.
  const PER_WRITER = 25;
  const written = new Set<string>();
  await Promise.all(
    [a, b].flatMap((host, n) =>
      Array.from({ length: 4 }, async (_, w) => {
        for (let i = 1; i <= PER_WRITER; i++) {
          const c = `${n + 1}.1.${w + 1}/1.1.1/1.1.${i}`;
          const wrote = await api(host.port, undefined, 'update', { p: 'fed', c }, { body: `node ${n} writer ${w} write ${i}` });
          assert.equal(wrote.status, 200, wrote.text);
          written.add(c);
        }
      }),
    ),
  );
  const total = 8 * PER_WRITER;
  const changes = (events: readonly SseEvent[]) => events.filter((e) => e.event === 'change').map((e) => JSON.parse(e.data) as ChangeData);
  for (const [name, w] of [
    ['a', watchers[0]!],
    ['b', watchers[1]!],
  ] as const) {
    await w.until((events) => changes(events).length >= total, `${name}'s watcher sees ${total} changes`, 30_000);
    const seen = changes(w.events);
    assert.deepEqual(
      seen.map((c) => c.version),
      Array.from({ length: total }, (_, i) => i + 1),
      `${name}: every version once, in order`,
    );
    assert.deepEqual(new Set(seen.map((c) => c.coord)), written, name);
    assert.ok(!w.ended, `${name}'s stream is still open`);
  }
});

test('sq host --store: the database gone, requests answer 503 + Retry-After at once; back, they succeed without a restart', async (t) => {
  const server = await testPostgres(t);
  if (!server) return;
  // Started where the original SQ kept its default phext: a database does not serve that file.
  const cwd = tempDir(t);
  writeFileSync(join(cwd, '.phext'), 'the original default phext');
  const host = await startHost(t, { store: await freshDatabase(server), cwd, args: ['--log-format', 'off'] });
  assert.equal((await api(host.port, undefined, 'update', {}, { body: 'no p' })).status, 200);
  assert.equal((await api(host.port, undefined, 'get', { p: 'index' })).text, 'no p');
  const select = () => api(host.port, undefined, 'select', { p: 'doc', c: '1.1.1' });
  const update = (text: string) => api(host.port, undefined, 'update', { p: 'doc', c: '1.1.1' }, { body: text });
  assert.equal((await update('before')).status, 200);

  await server.down();
  try {
    for (const ask of [select, () => update('while down'), select]) {
      // A hang would be this test's timeout: the connection and query timeouts bound the wait.
      const reply = await ask();
      assert.equal(reply.status, 503, reply.text);
      assert.equal(reply.headers['retry-after'], '1');
      assert.match(reply.text, /^cannot (read|save) phext "doc" (from|in) the database: .*$/);
      assert.ok(!reply.text.includes('\n'));
    }
  } finally {
    await server.up();
  }
  assert.equal((await select()).text, 'before');
  const after = await update('after');
  assert.equal(after.status, 200, after.text);
  assert.equal(etag(after), 2, 'the refused write made no version');
  assert.equal((await select()).text, 'after');
});

test('sq host --config --store: tenants from the file, their phexts apart in the database, served by several servers, quotas on what they hold', async (t) => {
  const server = await testPostgres(t);
  if (!server) return;
  const dir = tempDir(t);
  const small = { name: 'small', token: newToken(), data_dir: join(dir, 'small'), quota_mb: 0.001 };
  const roomy = { name: 'roomy', token: newToken(), data_dir: join(dir, 'roomy') };
  writeTenantsFile(join(dir, 'tenants.json'), [small, roomy]);
  const url = await freshDatabase(server);
  const start = async () => {
    const started = await startSq(['host', '0', '--bind', '127.0.0.1', '--config', join(dir, 'tenants.json'), '--store', url]);
    t.after(() => started.stop());
    return started;
  };
  let sq = await start();
  assert.match(sq.banner, /\(config: \S+tenants\.json, 2 tenants, store: postgres:\/\/\/sq_host_\d+\?host=\S+\)$/);
  const insert = (token: string, s: string) => api(sq.port, token, 'insert', { p: 'notes', c: '1.1.1' }, { body: s });

  assert.equal((await insert(small.token, 's'.repeat(1000))).status, 200);
  const refused = await insert(small.token, 's'.repeat(100));
  assert.equal(refused.status, 507, refused.text);
  assert.match(refused.text, /^Quota exceeded for tenant small: 1000 bytes used of 1048/);
  assert.equal((await insert(roomy.token, 'r'.repeat(5000))).status, 200);
  // One phext name, two tenants: two phexts.
  assert.equal((await api(sq.port, small.token, 'get', { p: 'notes' })).text, 's'.repeat(1000));
  assert.equal((await api(sq.port, roomy.token, 'get', { p: 'notes' })).text, 'r'.repeat(5000));
  // Nothing went to the tenants' directories.
  for (const tenant of [small, roomy]) assert.deepEqual(readdirSync(tenant.data_dir), [], tenant.name);

  // Another server with the same tenants file serves them too (their directories are not owned).
  const other = await start();
  assert.equal((await api(other.port, roomy.token, 'get', { p: 'notes' })).text, 'r'.repeat(5000));
  assert.equal((await api(other.port, roomy.token, 'update', { p: 'notes', c: '1.1.1', s: 'other' })).status, 200);
  assert.equal((await api(sq.port, roomy.token, 'get', { p: 'notes' })).text, 'other');
  // A server started later counts what the tenant holds in the database.
  assert.equal(await sq.stop(), 0);
  assert.equal(await other.stop(), 0);
  sq = await start();
  const again = await insert(small.token, 's'.repeat(100));
  assert.equal(again.status, 507, again.text);
  assert.match(again.text, /^Quota exceeded for tenant small: 1000 bytes used of 1048/);
  assert.equal((await insert(small.token, 's'.repeat(48))).status, 200);
});

test('sq host --store naming a standby and its primary: writes go to the primary; when it dies, 503 until the standby is promoted, then on, nothing acknowledged lost', async (t) => {
  const pair = await startReplicatedPostgres('synchronous');
  if ('missing' in pair) {
    t.skip(`PostgreSQL not available: ${pair.missing}`);
    return;
  }
  t.after(() => pair.stop());
  const { standby, primary } = pair;
  // The standby first: the server must find the primary itself.
  const url = `postgres://sq@/${primary.connection.database}?host=${standby.connection.host},${primary.connection.host}&port=${primary.connection.port}`;
  const sq = await startSq(['host', '0', '--bind', '127.0.0.1', '--store', url], { env: { SQ_KEY: '' } });
  t.after(() => sq.stop());
  const update = (c: string, s: string) => api(sq.port, undefined, 'update', { p: 'ha', c, s });
  const before = await update('1.1.1/1.1.1/1.1.1', 'acknowledged before');
  assert.equal(before.status, 200, before.text);

  await primary.kill();
  const refused = await update('1.1.1/1.1.1/1.1.2', 'while no primary');
  assert.equal(refused.status, 503, refused.text);
  assert.equal(refused.headers['retry-after'], '1');
  assert.equal(refused.text.trim().split('\n').length, 1, refused.text);

  await standby.promote();
  let after = await update('1.1.1/1.1.1/1.1.3', 'after the promotion');
  // The first request after the promotion may still find no primary: the server looks again on each.
  for (let i = 0; after.status === 503 && i < 50; i++) after = await update('1.1.1/1.1.1/1.1.3', 'after the promotion');
  assert.equal(after.status, 200, after.text);
  const read = await api(sq.port, undefined, 'select', { p: 'ha', c: '1.1.1/1.1.1/1.1.1' });
  assert.equal(read.text, 'acknowledged before');
});

test('sq host --config --store: a tenant’s quota holds across servers, each commit counting what the others wrote', async (t) => {
  const server = await testPostgres(t);
  if (!server) return;
  const dir = tempDir(t);
  const small = { name: 'small', token: newToken(), data_dir: join(dir, 'small'), quota_mb: 0.001 }; // 1048 bytes
  writeTenantsFile(join(dir, 'tenants.json'), [small]);
  const url = await freshDatabase(server);
  const start = async () => {
    const started = await startSq(['host', '0', '--bind', '127.0.0.1', '--config', join(dir, 'tenants.json'), '--store', url]);
    t.after(() => started.stop());
    return started;
  };
  // Both serve the tenant before either writes: each starts counting from nothing.
  const a = await start();
  const b = await start();
  const insert = (host: { port: number }, p: string, bytes: number) =>
    api(host.port, small.token, 'insert', { p, c: '1.1.1' }, { body: 'x'.repeat(bytes) });

  assert.equal((await insert(a, 'one', 600)).status, 200);
  const refused = await insert(b, 'two', 600);
  assert.equal(refused.status, 507, refused.text);
  assert.match(refused.text, /^Quota exceeded for tenant small: 600 bytes used of 1048 \(quota 0\.001 MB\); write of 600 bytes refused$/);
  assert.equal((await api(b.port, small.token, 'get', { p: 'two' })).text, '', 'nothing of it was saved');

  // 600 used: of two writes of 300 through both servers at once, one fits.
  const both = await Promise.all([insert(a, 'three', 300), insert(b, 'four', 300)]);
  assert.deepEqual(both.map((r) => r.status).sort(), [200, 507], both.map((r) => r.text).join(' | '));
  // The room left is the same on both, whichever wrote last.
  for (const host of [a, b]) {
    assert.equal((await insert(host, 'five', 149)).status, 507);
  }
  assert.equal((await insert(b, 'five', 148)).status, 200);
});

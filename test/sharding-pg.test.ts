// Tenants sharded over two PostgreSQL primaries, as the README's recipe has it: each shard is a
// database with its tenants in it (`sq tenants import --store`) and an `sq host --store
// --tenants-from-store` serving all of them; `sq route` sends each token to its shard's host,
// router.json holding the tokens' digests only.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import pg from 'pg';
import { hashedKey } from '../src/tenants/token.js';
import { startHost, type HostProcess } from '../src/testing/host-process.js';
import { startPostgres } from '../src/testing/postgres.js';
import { writeRouterConfig } from '../src/testing/router-file.js';
import { runSq } from '../src/testing/run-sq.js';
import { api } from '../src/testing/sq-api.js';
import { startSq } from '../src/testing/sq-process.js';
import { tempDir } from '../src/testing/temp-dir.js';
import { newToken } from '../src/testing/tenants-file.js';

const C = '1.1.1/1.1.1/1.1.1';

/** A throwaway cluster as a `--store` URL, stopped after the test; undefined (skipped) without PostgreSQL. */
async function shardDatabase(t: TestContext): Promise<string | undefined> {
  const server = await startPostgres();
  if ('missing' in server) {
    t.skip(server.missing);
    return undefined;
  }
  t.after(() => server.stop());
  return server.url();
}

/** What the shard's database holds: `<tenant> <phext> <text>` per scroll. */
async function scrolls(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ line: string }>(
      "SELECT tenant || ' ' || phext || ' ' || convert_from(text, 'UTF8') AS line FROM sq_scrolls ORDER BY tenant, phext, coord",
    );
    return rows.map((r) => r.line);
  } finally {
    await client.end();
  }
}

test('tenants sharded over two primaries: each tenant lives in its shard only, all reached through one sq route', async (t) => {
  const urls = [await shardDatabase(t), await shardDatabase(t)];
  if (urls.some((u) => u === undefined)) return;
  const [url1, url2] = urls as [string, string];
  const dir = tempDir(t, 'sq-shards-');
  const tenant = (name: string) => ({ name, token: newToken() });
  const [alice, bob, carol] = [tenant('alice'), tenant('bob'), tenant('carol')];
  const shards = [
    { url: url1, tenants: [alice, bob] },
    { url: url2, tenants: [carol] },
  ];

  const hosts: HostProcess[] = [];
  for (const [i, shard] of shards.entries()) {
    const file = join(dir, `shard${i + 1}.json`);
    const entries = shard.tenants.map((x) => [x.token, { name: x.name, data_dir: x.name }]);
    writeFileSync(file, JSON.stringify({ tenants: Object.fromEntries(entries) }));
    const imported = await runSq(['tenants', 'import', file, '--store', shard.url], { timeoutMs: 30_000 });
    assert.equal(imported.code, 0, imported.stderr);
    hosts.push(await startHost(t, { store: shard.url, args: ['--tenants-from-store', '--log-format', 'off'] }));
  }

  const routes = shards.flatMap((shard, i) => shard.tenants.map((x) => ({ token: hashedKey(x.token), port: hosts[i]!.port })));
  const config = writeRouterConfig(dir, routes);
  for (const x of [alice, bob, carol]) assert.ok(!readFileSync(config, 'utf8').includes(x.token), 'router.json holds no token');
  const router = await startSq(['route', config, '0', '--bind', '127.0.0.1', '--log-format', 'off']);
  t.after(() => router.stop());

  for (const x of [alice, bob, carol]) {
    const reply = await api(router.port, x.token, 'insert', { p: 'notes', c: C, s: `${x.name} was here` });
    assert.deepEqual([reply.status, reply.text], [200, `Inserted ${x.name.length + 9} bytes`]);
  }
  assert.deepEqual(await scrolls(url1), ['alice notes alice was here', 'bob notes bob was here']);
  assert.deepEqual(await scrolls(url2), ['carol notes carol was here']);

  for (const x of [alice, bob, carol]) {
    const reply = await api(router.port, x.token, 'select', { p: 'notes', c: C });
    assert.deepEqual([reply.status, reply.text], [200, `${x.name} was here`]);
  }
  assert.equal((await api(router.port, newToken(), 'select', { p: 'notes', c: C })).status, 401);
  assert.equal((await api(router.port, hashedKey(alice.token), 'select', { p: 'notes', c: C })).status, 401, 'a digest is no token');
  // A shard's host knows its own tenants only: a token sent to the wrong shard is refused there.
  assert.equal((await api(hosts[1]!.port, alice.token, 'select', { p: 'notes', c: C })).status, 401);
});

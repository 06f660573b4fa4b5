// `sq host --store URL --tenants-from-store`: tenants in the database's sq_tenants table, filled
// by `sq tenants import` and changed by the admin API of any server, every server on the
// database following within a second (LISTEN/NOTIFY, and a poll of the table's version).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import pg from 'pg';
import { freshDatabase, testPostgres } from '../src/testing/host-stores.js';
import { startHost, type HostProcess } from '../src/testing/host-process.js';
import { runSq } from '../src/testing/run-sq.js';
import { openSse } from '../src/testing/sse-client.js';
import { api, call } from '../src/testing/sq-api.js';
import { tempDir } from '../src/testing/temp-dir.js';
import { newToken } from '../src/testing/tenants-file.js';
import { waitFor } from '../src/testing/wait.js';

const ADMIN = 'admin-key-pg-0123456789';
const TENANTS = '/api/v2/admin/tenants';
/** Long enough for a busy machine; the servers take at most about a second. */
const SEEN_WITHIN_MS = 30_000;

const sha256 = (token: string) => createHash('sha256').update(token).digest();

/** The status of a read as `token` on `host` (401 for a token it does not know). */
async function readStatus(host: HostProcess, token: string): Promise<number> {
  return (await api(host.port, token, 'select', { p: 'notes', c: '1.1.1/1.1.1/1.1.1' })).status;
}

/** Waits until `check` resolves true, asking again as each answer comes. */
async function until(check: () => Promise<boolean>, why: string): Promise<void> {
  let done = false;
  let asking = false;
  await waitFor(
    () => {
      if (!done && !asking) {
        asking = true;
        check().then(
          (ok) => {
            done = ok;
            asking = false;
          },
          () => {
            asking = false;
          },
        );
      }
      return done;
    },
    SEEN_WITHIN_MS,
    () => why,
  );
}

async function rows(
  url: string,
): Promise<Array<{ name: string; token_sha256: Buffer; quota_mb: number | null; webhooks: unknown; version: string }>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query('SELECT name, token_sha256, quota_mb, webhooks, version::text FROM sq_tenants ORDER BY name')).rows;
  } finally {
    await client.end();
  }
}

const hostArgs = ['--tenants-from-store', '--admin-key', ADMIN, '--log-format', 'off'];

async function database(t: TestContext): Promise<string | undefined> {
  const server = await testPostgres(t);
  return server && (await freshDatabase(server));
}

test('sq host --tenants-from-store: refused with --config, or without --store (exit 2)', async () => {
  const env = { SQ_KEY: '' };
  const both = await runSq(['host', '0', '--store', 'postgres://db/sq', '--tenants-from-store', '--config', 't.json'], {
    env,
    timeoutMs: 20_000,
  });
  assert.equal(both.code, 2, both.stderr);
  assert.match(both.stderr, /^sq host: --tenants-from-store cannot be combined with --config \(tenants come from one of them\)\n/);
  const alone = await runSq(['host', '0', '--tenants-from-store'], { env, timeoutMs: 20_000 });
  assert.equal(alone.code, 2, alone.stderr);
  assert.match(alone.stderr, /^sq host: --tenants-from-store needs --store URL/);
});

test('sq tenants import: digests only, idempotent, one-line errors; sq host --tenants-from-store serves what it imported', async (t) => {
  const url = await database(t);
  if (!url) return;
  const dir = tempDir(t, 'sq-import-');
  const alice = newToken();
  const bob = newToken();
  const file = join(dir, 'tenants.json');
  const bobKey = `sha256:${sha256(bob).toString('hex')}`;
  writeFileSync(
    file,
    JSON.stringify({
      default_quota_mb: 7,
      tenants: {
        [alice]: { name: 'alice', data_dir: 'alice', quota_mb: 2 },
        [bobKey]: { name: 'bob', data_dir: 'bob', webhooks: [{ url: 'http://127.0.0.1:9/hook' }] },
      },
    }),
  );
  const first = await runSq(['tenants', 'import', file, '--store', url], { timeoutMs: 30_000 });
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /^Imported 2 tenants from .* \(2 tenants there now\)\n$/);
  const imported = await rows(url);
  assert.deepEqual(
    imported.map((r) => [r.name, r.token_sha256.toString('hex'), r.quota_mb, r.webhooks]),
    [
      ['alice', sha256(alice).toString('hex'), 2, []],
      ['bob', sha256(bob).toString('hex'), 7, [{ url: 'http://127.0.0.1:9/hook' }]],
    ],
  );
  assert.ok(!JSON.stringify(imported).includes(alice), 'no plain token in the table');

  // Again: nothing changes, not even the rows' versions.
  const again = await runSq(['tenants', 'import', file, '--store', url], { timeoutMs: 30_000 });
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(await rows(url), imported);

  // A broken file, and a token already another tenant's: one line, exit 1, the table unchanged.
  writeFileSync(join(dir, 'broken.json'), '{"tenants": {"x": {"name": "bad name!", "data_dir": "x"}}}');
  const broken = await runSq(['tenants', 'import', join(dir, 'broken.json'), '--store', url], { timeoutMs: 30_000 });
  assert.equal(broken.code, 1, broken.stderr);
  assert.match(broken.stderr, /^sq tenants: .*broken\.json: tenants\["…"\]\.name: must be/);
  assert.equal(broken.stderr.trim().split('\n').length, 1, broken.stderr);
  writeFileSync(join(dir, 'clash.json'), JSON.stringify({ tenants: { [alice]: { name: 'carol', data_dir: 'carol' } } }));
  const clash = await runSq(['tenants', 'import', join(dir, 'clash.json'), '--store', url], { timeoutMs: 30_000 });
  assert.equal(clash.code, 1, clash.stderr);
  assert.match(clash.stderr, /^sq tenants: tenants "alice" and "carol" would have the same token\n$/);
  assert.equal(clash.stderr.trim().split('\n').length, 1, clash.stderr);
  assert.deepEqual(await rows(url), imported);

  const host = await startHost(t, { store: url, args: hostArgs });
  assert.match(host.banner, /tenants: the store, 2 tenants/);
  assert.equal(await readStatus(host, alice), 200);
  assert.equal(await readStatus(host, bob), 200);
  assert.equal(await readStatus(host, newToken()), 401);
});

test('two sq host --tenants-from-store on one database: an admin change on either takes effect on the other', async (t) => {
  const url = await database(t);
  if (!url) return;
  const a = await startHost(t, { store: url, args: hostArgs });
  const b = await startHost(t, { store: url, args: hostArgs });
  const admin = (host: HostProcess, method: string, path: string, body?: object) =>
    call(host.port, path, { method, token: ADMIN, body: body === undefined ? undefined : JSON.stringify(body) });

  const created = await admin(a, 'POST', TENANTS, { name: 'carol', quota_mb: 5 });
  assert.equal(created.status, 201, created.text);
  const token = String(JSON.parse(created.text).token);
  assert.equal(await readStatus(a, token), 200);
  await until(async () => (await readStatus(b, token)) === 200, 'the tenant added on A never worked on B');
  assert.equal(JSON.parse((await admin(b, 'GET', `${TENANTS}/carol`)).text).quota_bytes, 5 * 1024 * 1024);
  const [row] = await rows(url);
  assert.deepEqual(row?.token_sha256, sha256(token), 'the table holds the digest');

  // Her stream on A ends when B rotates her token; another tenant's stream there stays open.
  const dave = String(JSON.parse((await admin(a, 'POST', TENANTS, { name: 'dave' })).text).token);
  const carols = await openSse(a.port, '/api/v2/watch?p=notes', { Authorization: `Bearer ${token}` });
  const daves = await openSse(a.port, '/api/v2/watch?p=notes', { Authorization: `Bearer ${dave}` });
  t.after(() => daves.close());
  assert.equal(carols.status, 200, carols.body);
  assert.equal(daves.status, 200, daves.body);

  const rotated = await admin(b, 'POST', `${TENANTS}/carol/rotate`);
  assert.equal(rotated.status, 200, rotated.text);
  const fresh = String(JSON.parse(rotated.text).token);
  await until(async () => (await readStatus(a, token)) === 401, 'the rotated token still worked on A');
  assert.equal(await readStatus(a, fresh), 200);
  await carols.closed("carol's stream on A after the rotation on B", SEEN_WITHIN_MS);
  assert.equal(daves.ended, false);

  const removed = await admin(b, 'DELETE', `${TENANTS}/carol`);
  assert.equal(removed.status, 200, removed.text);
  await until(async () => (await readStatus(a, fresh)) === 401, 'the removed tenant still worked on A');
  assert.equal((await admin(a, 'GET', `${TENANTS}/carol`)).status, 404);
  assert.deepEqual(
    (await rows(url)).map((r) => r.name),
    ['dave'],
  );
});

test('sq host --tenants-from-store: a change of the table without a notification is seen by the poll of its version', async (t) => {
  const url = await database(t);
  if (!url) return;
  const host = await startHost(t, { store: url, args: hostArgs });
  const token = newToken();
  assert.equal(await readStatus(host, token), 401);
  // As a change whose notification was lost: the rows and the version, and no NOTIFY.
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    const { rows: at } = await client.query<{ version: string }>(
      'UPDATE sq_tenants_version SET version = version + 1 RETURNING version::text',
    );
    await client.query('INSERT INTO sq_tenants (name, token_sha256, quota_mb, webhooks, version) VALUES ($1, $2, NULL, $3, $4)', [
      'erin',
      sha256(token),
      '[]',
      at[0]!.version,
    ]);
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
  await until(async () => (await readStatus(host, token)) === 200, 'the tenant written without a notification was never served');
});

// `sq tenants add|list|remove|rotate|provision --store URL`: the CLI changes the database's
// tenants table while `sq host --store URL --tenants-from-store` runs, and the server applies
// each change by itself (NOTIFY, or its poll of the table's version).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { freshDatabase, testPostgres } from '../src/testing/host-stores.js';
import { startHost, type HostProcess } from '../src/testing/host-process.js';
import { runSq } from '../src/testing/run-sq.js';
import { api, call } from '../src/testing/sq-api.js';
import { tempDir } from '../src/testing/temp-dir.js';
import { waitFor } from '../src/testing/wait.js';

const ADMIN = 'admin-key-pg-cli-0123456789';
/** Long enough for a busy machine; the server takes at most about a second. */
const SEEN_WITHIN_MS = 30_000;

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

/** The status of a read as `token` (401 for a token the server does not know). */
async function readStatus(host: HostProcess, token: string): Promise<number> {
  return (await api(host.port, token, 'select', { p: 'notes', c: '1.1.1/1.1.1/1.1.1' })).status;
}

/** Waits until `token` is answered `status`, asking again as each answer comes. */
async function untilStatus(host: HostProcess, token: string, status: number, why: string): Promise<void> {
  let last = 0;
  let asking = false;
  await waitFor(
    () => {
      if (last !== status && !asking) {
        asking = true;
        readStatus(host, token).then(
          (s) => {
            last = s;
            asking = false;
          },
          () => {
            asking = false;
          },
        );
      }
      return last === status;
    },
    SEEN_WITHIN_MS,
    () => `${why} (last answer ${last})`,
  );
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** The one line of a usage error, or of a failure: what comes before the usage text. */
const firstLine = (stderr: string) => stderr.split('\n')[0];

test('sq tenants --store: add, rotate, remove, list and provision on the table of a running sq host --tenants-from-store', async (t) => {
  const server = await testPostgres(t);
  if (!server) return;
  const url = await freshDatabase(server);
  const dir = tempDir(t, 'sq-tenants-pg-');
  const sq = (...args: string[]) => runSq(['tenants', ...args], { cwd: dir, timeoutMs: 30_000 });
  const host = await startHost(t, { store: url, args: ['--tenants-from-store', '--admin-key', ADMIN, '--log-format', 'off'] });

  // add: the token once on stdout, only its digest in the table; the server serves it.
  const added = await sq('add', 'alice', '--quota-mb', '3', '--store', url);
  assert.equal(added.code, 0, added.stderr);
  const token = added.stdout.trim();
  assert.match(token, /^pmb-v1-[0-9a-f]{32}$/);
  assert.match(added.stderr, /^Added tenant alice \(phexts in postgres:\/\/\S+\)\. Its token, above, is shown only this once\.\n$/);
  const rows = await query<{ name: string; digest: string; quota_mb: number }>(
    url,
    "SELECT name, encode(token_sha256, 'hex') AS digest, quota_mb FROM sq_tenants",
  );
  assert.deepEqual(rows, [{ name: 'alice', digest: sha256(token), quota_mb: 3 }]);
  await untilStatus(host, token, 200, 'the tenant added by the CLI never worked on the server');

  // A name taken: one line, exit 1, no token.
  const twice = await sq('add', 'alice', '--store', url);
  assert.equal(twice.code, 1, twice.stderr);
  assert.equal(twice.stderr, 'sq tenants: tenant alice already exists\n');
  assert.equal(twice.stdout, '');

  // list: the bytes of her phexts in the database.
  for (const [i, text] of ['hello', 'world!'].entries()) {
    const wrote = await api(host.port, token, 'insert', { p: i === 0 ? 'notes' : 'todo', c: '1.1.1/1.1.1/1.1.1', s: text });
    assert.equal(wrote.status, 200, wrote.text);
  }
  const [{ bytes } = { bytes: '' }] = await query<{ bytes: string }>(
    url,
    "SELECT sum(size)::text AS bytes FROM sq_phexts WHERE tenant = 'alice'",
  );
  assert.ok(Number(bytes) >= 11, bytes);
  const listed = await sq('list', '--store', url);
  assert.equal(listed.code, 0, listed.stderr);
  assert.equal(listed.stdout, `NAME   QUOTA  BYTES_USED\nalice  3 MB   ${bytes}\n`);
  assert.match(listed.stderr, /^1 tenant in postgres:\/\/\S+\n$/);

  // rotate: the old token stops, the new one works.
  const rotated = await sq('rotate', 'alice', '--store', url);
  assert.equal(rotated.code, 0, rotated.stderr);
  const fresh = rotated.stdout.trim();
  assert.match(fresh, /^pmb-v1-[0-9a-f]{32}$/);
  await untilStatus(host, token, 401, 'the rotated token still worked');
  assert.equal(await readStatus(host, fresh), 200);

  // remove: refused from then on; her phexts stay, and a new alice may not inherit them.
  const phexts = async () =>
    Number((await query<{ n: string }>(url, "SELECT count(*)::text AS n FROM sq_phexts WHERE tenant = 'alice'"))[0]?.n);
  assert.equal(await phexts(), 2);
  const removed = await sq('remove', 'alice', '--store', url);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, /^Removed tenant alice; its phexts stay in the database postgres:\/\/\S+\.\n$/);
  await untilStatus(host, fresh, 401, 'the removed tenant still worked');
  assert.equal(await phexts(), 2);
  const again = await sq('add', 'alice', '--store', url);
  assert.equal(again.code, 1, again.stderr);
  assert.equal(
    again.stderr,
    'sq tenants: the database still holds 2 phext(s) of a tenant named alice (left by a removed tenant?); choose another name\n',
  );
  const gone = await sq('rotate', 'alice', '--store', url);
  assert.equal(gone.code, 1, gone.stderr);
  assert.equal(gone.stderr, 'sq tenants: no tenant named alice\n');

  // provision: a 0600 CSV of name,token in the current directory, every token working.
  const provisioned = await sq('provision', '3', '--prefix', 'founding', '--quota-mb', '1', '--store', url);
  assert.equal(provisioned.code, 0, provisioned.stderr);
  const csv = join(dir, 'founding-tokens.csv');
  assert.match(
    provisioned.stdout,
    /^Provisioned 3 tenants founding-001\.\.founding-003; tokens in .*founding-tokens\.csv \(mode 0600\)\n$/,
  );
  assert.equal(statSync(csv).mode & 0o777, 0o600);
  const [header, ...lines] = readFileSync(csv, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => l.split(','));
  assert.deepEqual(header, ['name', 'token']);
  assert.deepEqual(
    lines.map((l) => l[0]),
    ['founding-001', 'founding-002', 'founding-003'],
  );
  for (const [name, tokenOf = ''] of lines) await untilStatus(host, tokenOf, 200, `${name}'s token never worked`);
  const table = await query<{ name: string; digest: string }>(
    url,
    "SELECT name, encode(token_sha256, 'hex') AS digest FROM sq_tenants ORDER BY name",
  );
  assert.deepEqual(
    table,
    lines.map(([name, tokenOf = '']) => ({ name, digest: sha256(tokenOf) })),
  );
  const listedAll = await sq('list', '--store', url);
  assert.match(listedAll.stdout, /^NAME +QUOTA +BYTES_USED\nfounding-001 +1 MB +0\nfounding-002 +1 MB +0\nfounding-003 +1 MB +0\n$/);

  // The admin API of the server says the same of a removed tenant's phexts.
  const deleted = await call(host.port, '/api/v2/admin/tenants/founding-001', { method: 'DELETE', token: ADMIN });
  assert.equal(deleted.status, 200, deleted.text);
  assert.deepEqual(JSON.parse(deleted.text), { name: 'founding-001', deleted: true, note: 'Its phexts are kept in the database.' });
});

test('sq tenants --store: usage errors exit 2 with their one line first, before any connection', async (t) => {
  const dir = tempDir(t, 'sq-tenants-pg-usage-');
  const store = 'postgres://nobody@127.0.0.1:1/none';
  for (const [args, line] of [
    [
      ['add', 'x', '--store', store, '--config', join(dir, 't.json')],
      '--config and --store cannot be combined (the tenants are in a file or in a database)',
    ],
    [['list', '--store', 'mysql://db'], '--store must be a postgres:// or postgresql:// URL'],
    [['provision', '2', '--prefix', 'p', '--data-root', dir, '--store', store], '--data-root is for --config only'],
    [['rotate', 'x', '--reload-url', 'http://127.0.0.1:1', '--store', store], '--reload-url is for --config only'],
    [['add', 'x', '--quota-mb', 'lots', '--store', store], '--quota-mb'],
  ] as const) {
    const run = await runSq(['tenants', ...args], { cwd: dir, timeoutMs: 30_000 });
    assert.equal(run.code, 2, `sq tenants ${args.join(' ')}: ${run.stderr}`);
    assert.ok(firstLine(run.stderr)!.startsWith(`sq tenants: ${line}`), run.stderr);
    assert.match(run.stderr, /\n\nUsage: sq tenants/);
  }
});

// `sq export` / `sq import`: a tenant moved between two PostgreSQL clusters (two shards), out of
// PostgreSQL into a data directory and back, each phext served byte for byte as before; the
// refusals (a phext already there, a file that is no phext, an unknown tenant, a bad URL, a data
// directory a server runs on) write nothing.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { freshDatabase, testPostgres } from '../src/testing/host-stores.js';
import { startHost, type HostProcess } from '../src/testing/host-process.js';
import { startPostgres, type ThrowawayPostgres } from '../src/testing/postgres.js';
import { runSq, type SqResult } from '../src/testing/run-sq.js';
import { api } from '../src/testing/sq-api.js';
import { tempDir } from '../src/testing/temp-dir.js';
import { newToken, writeTenantsFile } from '../src/testing/tenants-file.js';

const ACME = newToken();
const OTHER = newToken();

/** A tenants file of acme and other, and its path. */
function tenantsFile(t: TestContext): string {
  const dir = tempDir(t, 'sq-export-config-');
  const path = join(dir, 'tenants.json');
  writeTenantsFile(path, [
    { name: 'acme', token: ACME, data_dir: join(dir, 'acme') },
    { name: 'other', token: OTHER, data_dir: join(dir, 'other') },
  ]);
  return path;
}

/** The second cluster: another shard. Stopped when the test ends. */
async function secondCluster(t: TestContext): Promise<ThrowawayPostgres | undefined> {
  const started = await startPostgres();
  if ('missing' in started) {
    t.skip(started.missing);
    return undefined;
  }
  t.after(() => started.stop());
  return started;
}

const sq = (...args: string[]) => runSq(args, { env: { ...process.env, SQ_KEY: '' }, timeoutMs: 60_000 });

function ok(run: SqResult): SqResult {
  assert.equal(run.code, 0, `exit ${run.code}: ${run.stderr}`);
  return run;
}

/** The one line a refusal prints, after checking its exit code. */
function refused(run: SqResult, code = 1): string {
  assert.equal(run.code, code, `expected exit ${code}, got ${run.code}: ${run.stdout}${run.stderr}`);
  return run.stderr.split('\n')[0]!;
}

/** What `host` serves of each phext: GET's bytes and the checksum. */
async function served(host: HostProcess, token: string | undefined, names: readonly string[]): Promise<Map<string, [Buffer, string]>> {
  const all = new Map<string, [Buffer, string]>();
  for (const p of names) {
    const got = await api(host.port, token, 'get', { p });
    const sum = await api(host.port, token, 'checksum', { p });
    assert.equal(got.status, 200, got.text);
    all.set(p, [got.body, sum.text]);
  }
  return all;
}

/** acme's phexts as the test writes them: several scrolls across dimensions, multi-byte text, a large one, one emptied. */
async function writeAcme(host: HostProcess): Promise<string[]> {
  const write = async (token: string, command: string, p: string, c: string, body?: string) => {
    const reply = await api(host.port, token, command, { p, c }, body === undefined ? {} : { body });
    assert.equal(reply.status, 200, reply.text);
  };
  await write(ACME, 'update', 'notes', '1.1.1/1.1.1/1.1.1', 'first scroll');
  await write(ACME, 'update', 'notes', '1.1.1/1.1.1/1.1.3', 'ünïcødé 🌍 and a NUL \u0000 inside');
  await write(ACME, 'update', 'notes', '2.3.4/5.6.7/8.9.10', 'far away');
  await write(ACME, 'insert', 'notes', '1.1.1/1.1.1/1.1.1', ', appended');
  for (let i = 1; i <= 40; i++) await write(ACME, 'update', 'large', `1.1.1/1.1.${i}/1.1.1`, `${i} `.repeat(2000));
  await write(ACME, 'update', 'emptied', '1.1.1/1.1.1/1.1.1', 'soon gone');
  await write(ACME, 'delete', 'emptied', '1.1.1/1.1.1/1.1.1');
  await write(OTHER, 'update', 'secret', '1.1.1/1.1.1/1.1.1', 'not acme');
  return ['emptied', 'large', 'notes'];
}

test('a tenant moves from one PostgreSQL shard to another, out to files and back: every phext is served byte for byte as before', async (t) => {
  const first = await testPostgres(t);
  if (!first) return;
  const second = await secondCluster(t);
  if (!second) return;
  const [url1, url2] = [await freshDatabase(first), second.url()];
  const config = tenantsFile(t);
  const source = await startHost(t, { store: url1, args: ['--config', config, '--log-format', 'off'] });
  const names = await writeAcme(source);
  const before = await served(source, ACME, names);

  // Out of shard 1: acme's phexts only, each file what GET served.
  const out = tempDir(t, 'sq-export-out-');
  const exported = ok(await sq('export', '--store', url1, '--tenant', 'acme', '--out', out));
  assert.deepEqual(
    readdirSync(out).sort(),
    names.map((n) => `${n}.phext`),
  );
  for (const n of names) assert.deepEqual(readFileSync(join(out, `${n}.phext`)), before.get(n)![0], n);
  const lines = exported.stdout.trim().split('\n');
  assert.deepEqual(
    lines.slice(0, -1),
    names.map((n) => `${n}.phext  ${before.get(n)![0].length} bytes`),
  );
  const total = names.reduce((sum, n) => sum + before.get(n)![0].length, 0);
  assert.match(
    lines.at(-1)!,
    new RegExp(`^Exported 3 phexts, ${total} bytes, from postgres:///sq_host_\\d+\\?host=\\S+ \\(tenant acme\\) to ${out}$`),
  );

  // Into shard 2, served there by a server of its own: the same bytes and checksums.
  const imported = ok(await sq('import', out, '--store', url2, '--tenant', 'acme'));
  assert.match(imported.stdout, new RegExp(`^notes\\.phext  ${before.get('notes')![0].length} bytes$`, 'm'));
  assert.match(imported.stdout, /^Imported 3 phexts, \d+ bytes, from \S+ into postgres:\/\/\/sq_test\?host=\S+ \(tenant acme\)$/m);
  const target = await startHost(t, { store: url2, args: ['--config', config, '--log-format', 'off'] });
  assert.deepEqual(await served(target, ACME, names), before);
  assert.equal((await api(target.port, OTHER, 'get', { p: 'secret' })).text, '', 'only acme moved');

  // Out of PostgreSQL: the exported files served by sq host --data-dir (the file store).
  // (No idle checkpoint: a write stays in the change log until shutdown.)
  const files = await startHost(t, { dataDir: out, args: ['--log-format', 'off', '--checkpoint-idle-ms', '3600000'] });
  assert.deepEqual(await served(files, undefined, names), before);

  // ... written to through it, killed (its changes only in the change log), exported through the
  // file store, and imported back into PostgreSQL over what shard 2 held (--replace).
  const changed = await api(files.port, undefined, 'update', { p: 'notes', c: '1.1.1/1.1.1/1.1.1' }, { body: 'changed in files' });
  assert.equal(changed.status, 200, changed.text);
  const edited = await served(files, undefined, names);
  assert.notDeepEqual(edited.get('notes'), before.get('notes'));
  const locked = refused(await sq('export', '--data-dir', out, '--out', tempDir(t)));
  assert.match(locked, new RegExp(`^sq export: ${out} is served by a running sq process \\(pid \\d+\\): stop it first`));
  await files.kill();
  assert.deepEqual(readFileSync(join(out, 'notes.phext')), before.get('notes')![0], 'the write is in the change log only');
  const again = tempDir(t, 'sq-export-again-');
  ok(await sq('export', '--data-dir', out, '--out', again));
  for (const n of names) assert.deepEqual(readFileSync(join(again, `${n}.phext`)), edited.get(n)![0], n);
  const held = refused(await sq('import', again, '--store', url2, '--tenant', 'acme'));
  // An empty file makes no phext (a write that changes nothing writes nothing): GET serves the same empty answer.
  assert.match(held, /already holds large\.phext, notes\.phext: nothing imported \(--replace replaces them\)$/);
  assert.deepEqual(await served(target, ACME, names), before, 'a refused import changed nothing');
  ok(await sq('import', again, '--store', url2, '--tenant', 'acme', '--replace'));
  assert.deepEqual(await served(target, ACME, names), edited);

  // An export over files already there is refused unless --force.
  const taken = refused(await sq('export', '--store', url2, '--tenant', 'acme', '--out', again));
  assert.match(taken, /already holds large\.phext, notes\.phext: nothing exported \(--force replaces them\)$/);
  ok(await sq('export', '--store', url2, '--tenant', 'acme', '--out', again, '--force'));
});

test('sq export / sq import refuse with one line and write nothing: unknown tenant, bad URL, a file that is no phext, too large, a bad name', async (t) => {
  const server = await testPostgres(t);
  if (!server) return;
  const url = await freshDatabase(server);
  const out = tempDir(t, 'sq-export-refusals-');

  assert.match(
    refused(await sq('export', '--store', url, '--tenant', 'nobody', '--out', out)),
    /^sq export: no phexts to export: \S+ \(tenant nobody\) holds none$/,
  );
  assert.deepEqual(readdirSync(out), []);
  for (const args of [
    ['export', '--store', 'postgres//me:hunter2@db/sq', '--tenant', 'a', '--out', out],
    ['import', out, '--store', 'mysql://me:hunter2@db/sq', '--tenant', 'a'],
  ]) {
    const run = await sq(...args);
    assert.match(refused(run, 2), /^sq (export|import): --store must be a postgres:\/\/ or postgresql:\/\/ URL/);
    assert.ok(!run.stderr.includes('hunter2'), run.stderr);
  }
  assert.match(refused(await sq('export', '--store', url, '--out', out), 2), /--store needs --tenant T/);

  // Each bad file stops the import before anything is written: the tenant still has no phexts.
  const dir = tempDir(t, 'sq-import-bad-');
  writeFileSync(join(dir, 'good.phext'), 'fine');
  writeFileSync(join(dir, 'zz.phext'), Buffer.from([0x61, 0xff, 0x62]));
  assert.match(refused(await sq('import', dir, '--store', url, '--tenant', 't')), /zz\.phext: phext is not valid UTF-8: nothing imported$/);
  writeFileSync(join(dir, 'zz.phext'), 'x'.repeat(3000));
  assert.match(
    refused(await sq('import', dir, '--store', url, '--tenant', 't', '--max-phext-mb', '0.002')),
    /zz\.phext is 3000 bytes, over the limit of 2097 \(--max-phext-mb\): nothing imported$/,
  );
  writeFileSync(join(dir, 'zz.phext'), 'ok');
  writeFileSync(join(dir, 'bad name.phext'), 'ok');
  assert.match(refused(await sq('import', dir, '--store', url, '--tenant', 't')), /bad name\.phext: Invalid phext name 'bad name'/);
  assert.match(refused(await sq('export', '--store', url, '--tenant', 't', '--out', out)), /holds none$/);
});

// Requests without `p` (SQ-PROTOCOL A2): the data directory's default phext, as the original serves
// its `.phext` — `status` as a reachability check (mirrorborn's print script), the OpenClaw skill
// v0.1.0 and the Python SQClient with an empty name.
import assert from 'node:assert/strict';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checksum } from '../src/phext/index.js';
import { expectedFiles, waitForCheckpoint } from '../src/testing/change-log-files.js';
import { durableText } from '../src/testing/durable-phext.js';
import { startHost, type HostProcess } from '../src/testing/host-process.js';
import { api } from '../src/testing/sq-api.js';
import { startSq } from '../src/testing/sq-process.js';
import { tempDir } from '../src/testing/temp-dir.js';
import { newToken, writeTenantsFile } from '../src/testing/tenants-file.js';

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

async function ok(host: HostProcess, method: string, path: string, body?: string): Promise<string> {
  const reply = await host.call(method, path, body, body?.startsWith('c=') ? FORM : undefined);
  assert.equal(reply.status, 200, `${method} ${path} → ${reply.status} ${reply.text}`);
  return reply.text;
}

test('sq host: without p every command works on index.phext', async (t) => {
  const host = await startHost(t);
  /** What the server has made durable: the `.phext` with its change log applied, as a restart loads it. */
  const disk = () => durableText(host.file('index'));

  await t.test('status answers 200 before anything exists, and creates nothing', async () => {
    for (const path of ['/api/v2/status', '/api/v2/status?p=']) {
      assert.match(await ok(host, 'GET', path), /^Hosting: index\.phext\nConnection ID: \d+\nPhext Size: 0\nScrolls: 0\nVersion: 0$/);
    }
    assert.deepEqual(host.files(), []);
  });

  await t.test('writes: query, raw body and form, with no p and with p=', async () => {
    assert.equal(await ok(host, 'GET', '/api/v2/insert?c=1.1.1/1.1.1/1.1.1&s=one'), 'Inserted 3 bytes');
    assert.equal(await ok(host, 'POST', '/api/v2/insert?p=&c=1.1.1/1.1.1/1.1.2', 'two'), 'Inserted 3 bytes');
    assert.equal(await ok(host, 'POST', '/api/v2/update', 'c=1.1.1%2F1.1.1%2F1.1.3&content=three'), 'Updated 5 bytes');
    assert.equal(await ok(host, 'GET', '/api/v2/update?p=&c=1.1.1/1.1.1/1.1.4&s=four'), 'Updated 4 bytes');
    assert.equal(await ok(host, 'DELETE', '/api/v2/delete?c=1.1.1/1.1.1/1.1.4'), 'Removed 4 bytes');
    assert.equal(await disk(), 'one\x17two\x17three');
    assert.deepEqual(host.files(), expectedFiles(host.files(), ['index']));
  });

  await t.test('reads see the same phext as p=index', async () => {
    for (const [command, query] of [
      ['select', 'c=1.1.1/1.1.1/1.1.2'],
      ['toc', ''],
      ['get', ''],
      ['checksum', ''],
      ['json-export', ''],
      ['delta', ''],
    ]) {
      const named = await ok(host, 'GET', `/api/v2/${command}?p=index&${query}`);
      assert.equal(await ok(host, 'GET', `/api/v2/${command}?${query}`), named, command);
      assert.equal(await ok(host, 'GET', `/api/v2/${command}?p=&${query}`), named, command);
    }
    assert.equal(await ok(host, 'GET', '/api/v2/checksum'), checksum('one\x17two\x17three'));
    assert.match(
      await ok(host, 'GET', '/api/v2/status'),
      /^Hosting: index\.phext\nConnection ID: \d+\nPhext Size: 13\nScrolls: 3\nVersion: 5$/,
    );
    // Another program edits the file once SQ's writes are in it (a checkpoint after a second idle).
    await waitForCheckpoint(host.file('index'));
    writeFileSync(host.file('index'), 'edited');
    assert.equal(await ok(host, 'GET', '/api/v2/load'), 'Loaded index.phext');
    assert.equal(await ok(host, 'GET', '/api/v2/select?c=1.1.1/1.1.1/1.1.1'), 'edited');
  });
});

test('sq host --default-phext NAME: requests without p use NAME.phext', async (t) => {
  const host = await startHost(t, { args: ['--default-phext', 'notes'] });
  assert.equal(await ok(host, 'GET', '/api/v2/update?c=2.1.1/1.1.1/1.1.1&s=x'), 'Updated 1 bytes');
  assert.equal(await durableText(host.file('notes')), '\x01x');
  assert.match(await ok(host, 'GET', '/api/v2/status'), /^Hosting: notes\.phext\n/);
  assert.deepEqual(host.files(), expectedFiles(host.files(), ['notes']));
});

test("sq host: a data directory holding the original's .phext keeps serving it without p", async (t) => {
  // Removed after the host is killed: a test's hooks run in the order they were added, so the
  // removal is added after startHost's kill (removed under a live server, the directory can be
  // refilled by a checkpoint).
  const removals: Array<() => void | Promise<void>> = [];
  const dataDir = tempDir({ after: (fn) => removals.push(fn) }, 'sq-original-');
  const original = join(dataDir, '.phext');
  writeFileSync(original, 'stored by the original\x17second');
  writeFileSync(join(dataDir, 'index.phext'), 'named index');
  const host = await startHost(t, { dataDir });
  t.after(async () => {
    for (const remove of removals) await remove();
  });

  assert.equal(await ok(host, 'GET', '/api/v2/select?c=1.1.1/1.1.1/1.1.2'), 'second');
  assert.match(await ok(host, 'GET', '/api/v2/status'), /^Hosting: \.phext\nConnection ID: \d+\nPhext Size: 29\nScrolls: 2\nVersion: 0$/);
  assert.equal(await ok(host, 'GET', '/api/v2/insert?p=&c=1.1.1/1.1.1/1.1.2&s=+more'), 'Inserted 5 bytes');
  assert.equal(await durableText(original), 'stored by the original\x17second more');
  assert.equal(await ok(host, 'GET', '/api/v2/load'), 'Loaded .phext');
  // index.phext stays reachable by name, and writing it does not move requests without p.
  assert.equal(await ok(host, 'GET', '/api/v2/update?p=index&s=still+here'), 'Updated 10 bytes');
  assert.equal(await ok(host, 'GET', '/api/v2/select'), 'stored by the original');
  assert.equal(await ok(host, 'GET', '/api/v2/select?p=index'), 'still here');
  // Moving the file away migrates: from then on requests without p use index.phext. (The operator
  // moves it once SQ's writes are in it: a checkpoint after a second without writes.)
  await waitForCheckpoint(original);
  renameSync(original, join(dataDir, 'from-original.phext'));
  assert.equal(await ok(host, 'GET', '/api/v2/select'), 'still here');
  assert.equal(await ok(host, 'GET', '/api/v2/select?p=from-original'), 'stored by the original');
  assert.equal(existsSync(original), false);
});

test('sq host --config: without p each tenant gets index.phext in its own data dir', async (t) => {
  const dir = tempDir(t, 'sq-default-tenants-');
  const alice = { name: 'alice', token: newToken(), data_dir: join(dir, 'alice') };
  const bob = { name: 'bob', token: newToken(), data_dir: join(dir, 'bob') };
  writeTenantsFile(join(dir, 'tenants.json'), [alice, bob]);
  const sq = await startSq(['host', '0', '--bind', '127.0.0.1', '--config', join(dir, 'tenants.json'), '--log-format', 'off']);
  t.after(() => sq.stop());

  assert.equal((await api(sq.port, alice.token, 'insert', { s: 'for alice' })).text, 'Inserted 9 bytes');
  assert.equal((await api(sq.port, bob.token, 'insert', { p: '', s: 'for bob' })).text, 'Inserted 7 bytes');
  assert.equal((await api(sq.port, alice.token, 'select')).text, 'for alice');
  assert.equal((await api(sq.port, bob.token, 'select')).text, 'for bob');
  assert.equal(await durableText(join(alice.data_dir, 'index.phext')), 'for alice');
  assert.equal(await durableText(join(bob.data_dir, 'index.phext')), 'for bob');
  const status = await api(sq.port, bob.token, 'status');
  assert.match(status.text, /^Hosting: index\.phext\n/);
  assert.equal((await api(sq.port, undefined, 'status')).status, 401);
});

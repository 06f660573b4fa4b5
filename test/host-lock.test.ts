// One owner per data directory: a second sq host, sq share or sq basic there refuses to start,
// naming the owner's pid; a killed owner leaves nothing stuck; in multi-tenant mode a tenant whose
// directory another process owns is refused alone.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { durableText } from '../src/testing/durable-phext.js';
import { startHost } from '../src/testing/host-process.js';
import { runSq } from '../src/testing/run-sq.js';
import { api } from '../src/testing/sq-api.js';
import { killAll, launchSq } from '../src/testing/sq-child.js';
import { startSq } from '../src/testing/sq-process.js';
import { tempDir } from '../src/testing/temp-dir.js';
import { newToken, writeTenantsFile } from '../src/testing/tenants-file.js';

after(killAll);

const hostArgs = (dir: string) => ['host', '0', '--bind', '127.0.0.1', '--data-dir', dir];
const refusal = (dir: string, pid: number) =>
  `${dir} is in use by another sq process (pid ${pid}): one sq host, sq share or sq basic per data directory\n`;

test('a second sq host, sq share or sq basic on an owned directory exits 1 with one line naming the owner', async (t) => {
  const host = await startHost(t);
  const dir = host.dataDir;
  const second = await runSq(hostArgs(dir), { timeoutMs: 20_000 });
  assert.equal(second.code, 1);
  assert.equal(second.stderr, `sq host: ${refusal(dir, host.pid)}`);
  const share = await runSq(['share', 'notes.phext'], { cwd: dir, timeoutMs: 20_000 });
  assert.equal(share.code, 1);
  assert.equal(share.stderr, `sq share: ${refusal(dir, host.pid)}`);
  const basic = await runSq(['basic', '--port', '0'], { cwd: dir, timeoutMs: 20_000 });
  assert.equal(basic.code, 1);
  assert.equal(basic.stderr, `sq basic: ${refusal(dir, host.pid)}`);
  // The owner keeps serving, and the refused daemon left no socket behind.
  assert.equal((await host.call('GET', '/api/v2/update?p=notes&s=still+mine')).status, 200);
  assert.equal(await durableText(host.file('notes')), 'still mine');
  assert.equal(existsSync(join(dir, '.sq', 'sq.sock')), false);
});

test('sq host beside a running sq share is refused; the daemon keeps its writes', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'notes.phext'), '');
  const daemon = await launchSq(['share', 'notes.phext'], { cwd: dir, ready: /^Sharing .+ on .+\n/ });
  t.after(async () => void (await daemon.kill()));
  const host = await runSq(hostArgs(dir), { timeoutMs: 20_000 });
  assert.equal(host.code, 1);
  assert.equal(host.stderr, `sq host: ${refusal(dir, daemon.pid)}`);
  assert.equal((await runSq(['update', '1.1.1/1.1.1/1.1.1', 'daemon'], { cwd: dir })).code, 0);
  assert.equal(await durableText(join(dir, 'notes.phext')), 'daemon');
});

test('an owner killed with SIGKILL leaves nothing stuck: the next sq host starts at once', async (t) => {
  const first = await startHost(t);
  await first.kill();
  const next = await startHost(t, { dataDir: first.dataDir });
  assert.equal((await next.call('GET', '/api/v2/update?p=x&s=after+kill')).text, 'Updated 10 bytes');
});

test('four sq host started in the same instant on one directory: exactly one serves', async (t) => {
  const dir = tempDir(t);
  const outcomes = await Promise.allSettled(
    Array.from({ length: 4 }, () => startSq(hostArgs(dir), { env: { SQ_KEY: '' }, startTimeoutMs: 30_000 })),
  );
  const started = outcomes
    .filter((o) => o.status === 'fulfilled')
    .map((o) => (o as PromiseFulfilledResult<Awaited<ReturnType<typeof startSq>>>).value);
  t.after(async () => void (await Promise.all(started.map((s) => s.kill()))));
  assert.equal(started.length, 1, `${started.length} servers started`);
  for (const o of outcomes) {
    if (o.status === 'rejected') assert.match(String(o.reason), new RegExp(`in use by another sq process \\(pid ${started[0]!.pid}\\)`));
  }
});

test('sq host --config: a tenant whose data_dir another process owns is refused alone, at start and on reload', async (t) => {
  const root = tempDir(t);
  const config = join(root, 'tenants.json');
  const alice = { name: 'alice', token: newToken(), data_dir: join(root, 'alice') };
  const bob = { name: 'bob', token: newToken(), data_dir: join(root, 'bob') };
  const carol = { name: 'carol', token: newToken(), data_dir: join(root, 'carol') };
  const bobsOwner = await startHost(t, { dataDir: bob.data_dir });
  writeTenantsFile(config, [alice, bob]);
  const host = await startSq(['host', '0', '--bind', '127.0.0.1', '--config', config], { env: { SQ_KEY: '' }, startTimeoutMs: 20_000 });
  t.after(async () => void (await host.kill()));
  await host.waitForStderr(/tenant "bob" is not served/);
  assert.equal((await api(host.port, alice.token, 'update', { p: 'a', s: 'alice' })).status, 200);
  const refused = await api(host.port, bob.token, 'update', { p: 'b', s: 'bob' });
  assert.equal(refused.status, 503);
  assert.equal(refused.text, `this tenant's data directory is not available: ${refusal(bob.data_dir, bobsOwner.pid).trimEnd()}`);
  assert.deepEqual(bobsOwner.files(), []);

  // A tenant added on reload whose directory is owned elsewhere is refused too; the rest go on.
  const carolsOwner = await startHost(t, { dataDir: carol.data_dir });
  writeTenantsFile(config, [alice, bob, carol]);
  await host.waitForStderr(/tenant "carol" is not served: .*\(pid \d+\)/);
  assert.equal((await api(host.port, carol.token, 'select', { p: 'c' })).status, 503);
  assert.equal((await api(host.port, alice.token, 'select', { p: 'a' })).text, 'alice');
  // Once bob's directory is free, the next reload serves him.
  await bobsOwner.kill();
  writeTenantsFile(config, [alice, bob]);
  await host.waitForStderr(/loaded 2 tenants/);
  assert.equal((await api(host.port, bob.token, 'update', { p: 'b', s: 'bob' })).status, 200);
  assert.equal(await durableText(join(bob.data_dir, 'b.phext')), 'bob');
  await carolsOwner.kill();
});

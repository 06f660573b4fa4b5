// `sq host` over files the store cannot or must not replace: deep sections, read-only files,
// directories and FIFOs named like phexts, a full disk. Every refusal is one line with its
// status, and the bytes on disk stay as they were.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { logPathOf } from '../src/store/change-log.js';
import { unfoldedRecords, waitForCheckpoint } from '../src/testing/change-log-files.js';
import { durableBytes } from '../src/testing/durable-phext.js';
import { startHost, type HostProcess } from '../src/testing/host-process.js';
import { runSq } from '../src/testing/run-sq.js';
import { launchSq } from '../src/testing/sq-child.js';

async function refused(host: HostProcess, method: string, path: string, status: number, body?: string): Promise<string> {
  const reply = await host.call(method, path, body);
  assert.equal(reply.status, status, `${method} ${path} → ${reply.status} ${reply.text}`);
  assert.ok(reply.text.length > 0 && !reply.text.includes('\n'), `not one line: ${JSON.stringify(reply.text)}`);
  return reply.text;
}

const count = (bytes: Buffer, byte: number): number => bytes.reduce((n, b) => n + (b === byte ? 1 : 0), 0);

test('sq host: 1,002 scrolls in one section are held exactly; a write to one scroll changes no other byte', async (t) => {
  const host = await startHost(t);
  const scrolls = Array.from({ length: 1002 }, (_, i) => `s${i + 1}`);
  const original = Buffer.from(scrolls.join('\x17'));
  writeFileSync(host.file('deep'), original);

  const update = await host.call('GET', '/api/v2/update?p=deep&c=1.1.1/1.1.1/1.1.1&s=first');
  assert.equal(update.text, 'Updated 5 bytes');
  const after = await durableBytes(host.file('deep'));
  assert.equal(count(after, 0x17), 1001);
  assert.deepEqual(after, Buffer.from(['first', ...scrolls.slice(1)].join('\x17')));

  // Reads list every scroll under its own coordinate, none merged.
  assert.equal((await host.call('GET', '/api/v2/select?p=deep&c=1.1.1/1.1.1/1.1.999')).text, 's999');
  const rows = JSON.parse((await host.call('GET', '/api/v2/json-export?p=deep')).text) as { coord: string; scroll: string }[];
  assert.equal(rows.length, 1002);
  assert.deepEqual(rows.at(-1), { coord: '1.1.1/1.1.1/1.1.1002', scroll: 's1002' });
  const toc = (await host.call('GET', '/api/v2/toc?p=deep')).text.split('\n');
  assert.equal(toc[1000], '* 1.1.1/1.1.1/1.1.1001: s1001');
  assert.equal((await host.call('GET', '/api/v2/status?p=deep')).text.split('\n')[3], 'Scrolls: 1002');
  // The API still addresses 1..999 only.
  assert.match(await refused(host, 'GET', '/api/v2/select?p=deep&c=1.1.1/1.1.1/1.1.1000', 400), /scroll is 1000, outside 1\.\.999/);
  assert.deepEqual(await durableBytes(host.file('deep')), after);
  // The checkpoint writes the same bytes into the file itself.
  await waitForCheckpoint(host.file('deep'));
  assert.deepEqual(readFileSync(host.file('deep')), after);
});

test('sq host: a phext with a part over 65535 is 422 for every command that needs its scrolls, untouched', async (t) => {
  const host = await startHost(t);
  const original = Buffer.from(`a${'\x18'.repeat(65535)}z`);
  writeFileSync(host.file('abyss'), original);
  for (const [method, command] of [
    ['GET', 'select'],
    ['GET', 'toc'],
    ['GET', 'json-export'],
    ['GET', 'get'],
    ['GET', 'update'],
    ['GET', 'insert'],
    ['DELETE', 'delete'],
  ] as const) {
    const text = await refused(host, method, `/api/v2/${command}?p=abyss&c=1.1.1/1.1.1/1.1.1&s=x`, 422);
    assert.equal(
      text,
      'abyss.phext cannot be held losslessly (section would be 65536, over 65535); refusing to load it (file left untouched)',
    );
  }
  assert.deepEqual(readFileSync(host.file('abyss')), original);
  assert.deepEqual(host.files(), ['abyss.phext']);
});

test('sq host: a write that changes nothing creates no file and rewrites none', async (t) => {
  const host = await startHost(t);
  assert.equal((await host.call('GET', '/api/v2/update?p=none&c=1.1.1/1.1.1/1.1.1&s=')).text, 'Updated 0 bytes');
  assert.equal((await host.call('GET', '/api/v2/insert?p=none&c=1.1.1/1.1.1/1.1.1&s=')).text, 'Inserted 0 bytes');
  assert.deepEqual(host.files(), []);
  writeFileSync(host.file('same'), 'same');
  const ino = statSync(host.file('same')).ino;
  assert.equal((await host.call('GET', '/api/v2/update?p=same&c=1.1.1/1.1.1/1.1.1&s=same')).status, 200);
  assert.equal(statSync(host.file('same')).ino, ino);
  assert.deepEqual(host.files(), ['same.phext'], 'a write that changes nothing starts no change log');
});

test('sq host: read-only phexts are 403, directories and FIFOs 409; nothing is replaced and nothing hangs', async (t) => {
  const host = await startHost(t);
  writeFileSync(host.file('ro'), 'keep');
  chmodSync(host.file('ro'), 0o444);
  const ino = statSync(host.file('ro')).ino;
  assert.equal(
    await refused(host, 'GET', '/api/v2/update?p=ro&c=1.1.1/1.1.1/1.1.2&s=x', 403),
    'ro.phext is read-only (mode 0444); change refused (file left untouched)',
  );
  assert.equal((await host.call('GET', '/api/v2/select?p=ro&c=1.1.1/1.1.1/1.1.1')).text, 'keep', 'reads still work');
  assert.equal(readFileSync(host.file('ro'), 'utf8'), 'keep');
  assert.equal(await unfoldedRecords(host.file('ro')), 0, 'the refused change was logged');
  assert.equal(statSync(host.file('ro')).ino, ino);
  assert.equal(statSync(host.file('ro')).mode & 0o777, 0o444);

  mkdirSync(host.file('dir'));
  execFileSync('mkfifo', [host.file('pipe')]);
  for (const [name, what] of [
    ['dir', 'a directory'],
    ['pipe', 'a FIFO'],
  ]) {
    for (const command of ['select', 'update', 'toc']) {
      assert.equal(
        await refused(host, 'GET', `/api/v2/${command}?p=${name}&c=1.1.1/1.1.1/1.1.1&s=x`, 409),
        `${name}.phext is ${what}, not a regular file; refusing to use it (left untouched)`,
      );
    }
  }
  assert.ok(statSync(host.file('dir')).isDirectory());
  assert.ok(statSync(host.file('pipe')).isFIFO());
});

/**
 * A 1 MiB tmpfs at a fresh directory; undefined where mounting fails. Cleanup kills what the
 * test started there (`stop`), then unmounts and removes the directory, in that order.
 */
function smallDisk(t: test.TestContext, stop: Array<() => Promise<unknown>>): string | undefined {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'sq-full-')));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  t.after(async () => {
    for (const s of stop) await s();
    execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

test('a full disk is 507 with one line over HTTP and in the daemon, and the old file stays whole', async (t) => {
  const stop: Array<() => Promise<unknown>> = [];
  const dir = smallDisk(t, stop);
  if (!dir) {
    t.skip('cannot mount a tmpfs here (needs root); the injected writer test in file-store.test covers ENOSPC');
    return;
  }
  const host = await startHost(t, { dataDir: dir });
  stop.push(() => host.kill());
  assert.equal((await host.call('POST', '/api/v2/update?p=full&c=1.1.1/1.1.1/1.1.1', 'x'.repeat(400_000))).status, 200);
  // A log that large next to its file is folded into it at once.
  await waitForCheckpoint(host.file('full'));
  const before = readFileSync(host.file('full'));
  assert.deepEqual(before, Buffer.from('x'.repeat(400_000)));
  // The change needs another 700 kB in the change log next to the 400 kB file: more than the 1 MiB disk holds.
  assert.equal(
    await refused(host, 'POST', '/api/v2/update?p=full&c=1.1.1/1.1.1/1.1.2', 507, 'y'.repeat(700_000)),
    'writing full.phext failed: no space left on the device (ENOSPC); the change was not saved',
  );
  assert.deepEqual(readFileSync(host.file('full')), before);
  assert.deepEqual(await durableBytes(host.file('full')), before, 'the refused change would come back after a restart');
  assert.deepEqual(host.files(), ['.full.phext.log', 'full.phext'], 'no temp file left behind');
  await host.kill();
  // What is left of the refused append in the log would be cut off by the daemon's first append,
  // freeing space the filler below is meant to hold; the log has nothing else to keep.
  rmSync(logPathOf(host.file('full')));

  // The daemon over the same disk, filled up so that the change does not fit: the client prints
  // the same line.
  const daemon = await launchSq(['share', 'full.phext'], { cwd: dir, ready: /^Sharing .+ on .+\n/ });
  stop.push(() => daemon.kill());
  const free = statfsSync(dir);
  writeFileSync(join(dir, 'filler'), Buffer.alloc(Math.max(0, free.bavail * free.bsize - 50_000)));
  const r = await runSq(['update', '1.1.1/1.1.1/1.1.3', 'z'.repeat(100_000)], { cwd: dir });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'sq update: writing full.phext failed: no space left on the device (ENOSPC); the change was not saved\n');
  assert.deepEqual(readFileSync(join(dir, 'full.phext')), before);
  assert.deepEqual(await durableBytes(join(dir, 'full.phext')), before);
});

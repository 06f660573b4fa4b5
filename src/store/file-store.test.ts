import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse, serialize } from '../phext/index.js';
import { logPathOf, readLog } from './change-log.js';
import { StoreError } from './document-store.js';
import { FileDocumentStore } from './file-store.js';
import { FILE_IO, type StoreIo } from './store-io.js';
import { durableBytes } from '../testing/durable-phext.js';
import { checksum } from '../phext/checksum.js';
import { at, tempFiles } from '../testing/store-support.js';
import { tempDir } from '../testing/temp-dir.js';
import { byDirectory, fileKey } from '../testing/store-support.js';

const MiB = 1024 * 1024;

function openStore(commits: number[] = []): FileDocumentStore {
  return new FileDocumentStore({
    directories: byDirectory,
    cacheBytes: 64 * MiB,
    maxPhextBytes: 4 * MiB,
    // Mutations only: a checkpoint (batch size 0) is not a commit of changes.
    observers: [(commit) => commit.batchSize > 0 && commits.push(commit.batchSize)],
  });
}

/** The store's I/O with `append` (and optionally `replace`) swapped. */
function ioWith(overrides: Partial<StoreIo>): StoreIo {
  return { ...FILE_IO, ...overrides };
}

test('reading a missing phext gives undefined and creates nothing', async (t) => {
  const dir = tempDir(t);
  const store = openStore();
  assert.equal(await store.read(fileKey(join(dir, 'nope.phext'))), undefined);
  assert.equal(await store.read(fileKey(join(dir, 'sub', 'nope.phext'))), undefined);
  assert.deepEqual(readdirSync(dir), []);
  assert.deepEqual(store.stats(), { documents: 0, bytes: 0 });
});

test('a mutation is durable when it resolves (a fresh store sees it), and after a flush the file is exactly serialize()', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'a.phext');
  const commits: number[] = [];
  const store = openStore(commits);
  const result = await store.mutate(fileKey(file), (p) => {
    p.set(at('1.1.1/1.1.1/1.1.2'), 'hello');
    p.set(at('2.1.1/1.3.1/1.1.5'), 'world');
    return 'done';
  });
  assert.deepEqual(result, { value: 'done', version: 1 });
  // What a restart would load: the change log on top of the (not yet written) file.
  const fresh = await openStore().read(fileKey(file));
  assert.equal(fresh?.phext.get(at('2.1.1/1.3.1/1.1.5')), 'world');
  assert.equal(fresh?.version, 1);
  await store.flush();
  const onDisk = readFileSync(file);
  const snap = await store.read(fileKey(file));
  assert.ok(snap);
  assert.deepEqual(onDisk, await snap.bytes());
  assert.deepEqual(onDisk, serialize(snap.phext));
  assert.equal(onDisk.toString('latin1'), '\x17hello\x01\x1c\x1c\x17\x17\x17\x17world');
  assert.equal(snap.phext.get(at('1.1.2')), 'hello');
  assert.equal(await snap.checksum(), checksum(onDisk));
  assert.deepEqual(commits, [1]);
  assert.deepEqual(tempFiles(dir), []);
});

test('200 concurrent inserts to one phext all land, in far fewer commits', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'busy.phext');
  const commits: number[] = [];
  const store = openStore(commits);
  const n = 200;
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      store.mutate(fileKey(file), (p) => {
        p.set(at(`1.1.${i + 1}`), `marker-${i}`);
        p.set(at('9.9.9'), p.get(at('9.9.9')) + `<${i}>`);
        return i;
      }),
    ),
  );
  assert.deepEqual(
    results.map((r) => r.value),
    Array.from({ length: n }, (_, i) => i),
  );
  // One version per mutation, in arrival order.
  assert.deepEqual(
    results.map((r) => r.version),
    Array.from({ length: n }, (_, i) => i + 1),
  );
  await store.flush();
  const reread = parse(readFileSync(file));
  for (let i = 0; i < n; i++) assert.equal(reread.get(at(`1.1.${i + 1}`)), `marker-${i}`);
  // Applied in arrival order.
  assert.equal(reread.get(at('9.9.9')), Array.from({ length: n }, (_, i) => `<${i}>`).join(''));
  assert.equal(
    commits.reduce((a, b) => a + b, 0),
    n,
  );
  assert.ok(commits.length < n / 10, `expected group commits, got ${commits.length} commits`);
  assert.deepEqual(tempFiles(dir), []);
});

test('a throwing change rejects alone; even its partial edits are discarded', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'mixed.phext');
  const store = openStore();
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.1'), 'base'));
  const outcomes = await Promise.allSettled([
    store.mutate(fileKey(file), (p) => p.set(at('1.1.2'), 'first')),
    store.mutate(fileKey(file), (p) => {
      p.set(at('1.1.1'), 'clobbered');
      p.delete(at('1.1.2'));
      p.set(at('1.1.3'), 'half-done');
      throw new Error('boom');
    }),
    store.mutate(fileKey(file), (p) => p.set(at('1.1.4'), p.get(at('1.1.1')) + '+last')),
  ]);
  assert.equal(outcomes[0].status, 'fulfilled');
  assert.equal(outcomes[1].status, 'rejected');
  assert.equal((outcomes[1] as PromiseRejectedResult).reason.message, 'boom');
  assert.equal(outcomes[2].status, 'fulfilled');
  const reread = parse(await durableBytes(file));
  assert.deepEqual(
    [...reread].map((s) => [s.coordinate.toString(), s.text]),
    [
      ['1.1.1/1.1.1/1.1.1', 'base'],
      ['1.1.1/1.1.1/1.1.2', 'first'],
      ['1.1.1/1.1.1/1.1.4', 'base+last'],
    ],
  );
});

test('a failed write (disk full) rejects the whole batch with 507 and keeps the old committed state', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'fail.phext');
  writeFileSync(file, 'original');
  let fail = false;
  const store = new FileDocumentStore(
    { directories: byDirectory, cacheBytes: MiB, maxPhextBytes: MiB },
    ioWith({
      async append(log, at, bytes) {
        if (!fail) return FILE_IO.append(log, at, bytes);
        // Half a frame reaches the log before the disk fills: the next append must cut it off.
        await FILE_IO.append(log, at, bytes.subarray(0, bytes.length >> 1));
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      },
    }),
  );
  assert.equal((await store.read(fileKey(file)))?.phext.get(at('1.1.1')), 'original');
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.5'), 'logged')); // the log exists from here on
  await store.flush();
  fail = true;
  const outcomes = await Promise.allSettled([1, 2, 3].map((i) => store.mutate(fileKey(file), (p) => p.set(at(`1.1.${i}`), 'x'))));
  for (const o of outcomes) {
    assert.equal(o.status, 'rejected');
    const e = (o as PromiseRejectedResult).reason;
    assert.ok(e instanceof StoreError);
    assert.equal(e.status, 507);
    assert.equal(e.code, 'no-space');
    assert.equal(e.message, 'writing fail.phext failed: no space left on the device (ENOSPC); the change was not saved');
  }
  assert.equal((await (await store.read(fileKey(file)))?.bytes())?.toString(), 'original\x17\x17\x17\x17logged');
  assert.equal((await durableBytes(file)).toString(), 'original\x17\x17\x17\x17logged');
  fail = false;
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.2'), 'later'));
  assert.equal((await durableBytes(file)).toString(), 'original\x17later\x17\x17\x17logged');
  await store.flush();
  assert.equal(readFileSync(file, 'utf8'), 'original\x17later\x17\x17\x17logged');
});

test('a real I/O failure (directory gone) is a 500 io error and leaves no temp file', async (t) => {
  const dir = tempDir(t);
  const store = openStore();
  const err = await store.mutate(fileKey(join(dir, 'missing-dir', 'x.phext')), (p) => p.set(at('1.1.1'), 'x')).catch((e) => e);
  assert.ok(err instanceof StoreError);
  assert.equal(err.status, 500);
  assert.equal(err.code, 'io');
  assert.deepEqual(readdirSync(dir), []);
});

test('different phexts commit independently and in parallel', async (t) => {
  const dir = tempDir(t);
  let inFlight = 0;
  let maxInFlight = 0;
  const counted =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        return await write(...args);
      } finally {
        inFlight--;
      }
    };
  const store = new FileDocumentStore(
    { directories: byDirectory, cacheBytes: 64 * MiB, maxPhextBytes: MiB },
    { ...FILE_IO, replace: counted(FILE_IO.replace), append: counted(FILE_IO.append) },
  );
  const names = ['a', 'b', 'c', 'd'];
  await Promise.all(
    names.flatMap((n) => [1, 2, 3].map((i) => store.mutate(fileKey(join(dir, `${n}.phext`)), (p) => p.set(at(`1.1.${i}`), n)))),
  );
  for (const n of names) assert.equal((await durableBytes(join(dir, `${n}.phext`))).toString(), `${n}\x17${n}\x17${n}`);
  assert.ok(maxInFlight > 1, `writes of different phexts overlapped (max in flight ${maxInFlight})`);
});

test('an external edit is picked up on the next read, and a deleted file reads as undefined', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'ext.phext');
  const store = openStore();
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.1'), 'ours'));
  assert.equal((await store.read(fileKey(file)))?.phext.get(at('1.1.1')), 'ours');
  await store.flush(); // folded: the file alone holds the phext
  writeFileSync(file, 'theirs\x17too');
  const snap = await store.read(fileKey(file));
  assert.equal(snap?.phext.get(at('1.1.1')), 'theirs');
  assert.equal(snap?.phext.get(at('1.1.2')), 'too');
  assert.equal(snap?.version, 2, 'an outside edit is a new version');
  // The next mutation builds on the external edit, not on our stale copy.
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.3'), 'more'));
  assert.equal((await durableBytes(file)).toString(), 'theirs\x17too\x17more');
  await store.flush();
  const { rmSync } = await import('node:fs');
  rmSync(file);
  assert.equal(await store.read(fileKey(file)), undefined);
  assert.equal(existsSync(file), false);
});

test('an external edit is seen by every read that starts after it, even with reads in flight', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'busy.phext');
  writeFileSync(file, 'before');
  const store = openStore();
  await store.read(fileKey(file));
  for (let round = 0; round < 20; round++) {
    const inFlight = Array.from({ length: 10 }, () => store.read(fileKey(file)));
    const text = `edit ${round} `.repeat(round + 2);
    writeFileSync(file, text);
    assert.equal((await (await store.read(fileKey(file)))?.bytes())?.toString(), text);
    await Promise.all(inFlight);
  }
});

test('concurrent reads of an uncached phext share one load and one snapshot', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'shared.phext');
  writeFileSync(file, 'x'.repeat(100_000));
  const store = openStore();
  const snaps = await Promise.all(Array.from({ length: 50 }, () => store.read(fileKey(file))));
  for (const s of snaps) assert.equal(s, snaps[0]);
  assert.equal((await snaps[0]?.bytes())?.length, 100_000);
});

test('reload reads the file again even when its stamp looks unchanged', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'r.phext');
  writeFileSync(file, 'one');
  const store = openStore();
  const first = await store.read(fileKey(file));
  const again = await store.reload(fileKey(file));
  assert.notEqual(again, first);
  assert.equal((await again?.bytes())?.toString(), 'one');
  assert.equal(await store.reload(fileKey(join(dir, 'none.phext'))), undefined);
});

test('a reload leaves no open file of the change log behind: the next write opens it once', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'h.phext');
  const store = openStore();
  t.after(() => store.close());
  const log = logPathOf(file);
  /** This process's descriptors open on the log. */
  const openOnLog = () =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === log;
      } catch {
        return false;
      }
    }).length;
  // The first write makes the log whole; the next appends to it, and keeps it open for more.
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.1'), 'zero'));
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.1'), 'one'));
  assert.equal(openOnLog(), 1, 'appending keeps the log open');
  await store.reload(fileKey(file));
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.2'), 'two'));
  assert.equal(openOnLog(), 1, 'the log is open once, for the appends after the reload');
  assert.equal((await (await store.read(fileKey(file)))?.bytes())?.toString(), 'one\x17two');
});

test('close() waits for pending commits, then refuses new work with 503', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'c.phext');
  const store = openStore();
  const pending = Array.from({ length: 20 }, (_, i) => store.mutate(fileKey(file), (p) => p.set(at(`1.1.${i + 1}`), `v${i}`)));
  await store.close();
  // Every mutation accepted before close() is durable by the time close() resolves.
  const onDisk = parse(readFileSync(file));
  for (let i = 0; i < 20; i++) assert.equal(onDisk.get(at(`1.1.${i + 1}`)), `v${i}`);
  await Promise.all(pending);
  for (const call of [() => store.read(fileKey(file)), () => store.mutate(fileKey(file), () => 1), () => store.reload(fileKey(file))]) {
    const e = await call().catch((err) => err);
    assert.ok(e instanceof StoreError);
    assert.equal(e.status, 503);
    assert.equal(e.code, 'closed');
  }
});

test('a change made through append that then throws is rolled back too; nothing reaches the disk', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'append.phext');
  const commits: number[] = [];
  const store = openStore(commits);
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.1'), 'base'));
  const e = await store
    .mutate(fileKey(file), (p) => {
      p.append(at('1.1.1'), '+appended');
      p.append(at('1.1.9'), 'new');
      throw new Error('refused after appending');
    })
    .catch((err: unknown) => err);
  assert.equal((e as Error).message, 'refused after appending');
  await store.flush();
  assert.equal(readFileSync(file, 'utf8'), 'base');
  assert.equal((await (await store.read(fileKey(file)))?.bytes())?.toString(), 'base');
  assert.deepEqual(commits, [1]);
});

test('a change that keeps its draft cannot alter the committed snapshot later', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'kept.phext');
  const store = openStore();
  let kept: import('../phext/index.js').Phext | undefined;
  await store.mutate(fileKey(file), (p) => {
    kept = p;
    p.set(at('1.1.1'), 'committed');
  });
  assert.throws(() => kept!.set(at('1.1.1'), 'sneaked in'), /read-only/);
  assert.equal((await store.read(fileKey(file)))?.phext.get(at('1.1.1')), 'committed');
});

test('a mutation that changes nothing writes nothing: no file is created, none is rewritten', async (t) => {
  const dir = tempDir(t);
  const commits: number[] = [];
  const store = openStore(commits);
  const missing = join(dir, 'missing.phext');
  assert.deepEqual(await store.mutate(fileKey(missing), (p) => p.get(at('1.1.1'))), { value: '', version: 0 });
  await store.mutate(fileKey(missing), (p) => p.delete(at('1.1.1')));
  await store.mutate(fileKey(missing), (p) => p.set(at('1.1.1'), ''));
  assert.deepEqual(readdirSync(dir), []);
  const file = join(dir, 'same.phext');
  writeFileSync(file, 'same');
  const { statSync } = await import('node:fs');
  const ino = statSync(file).ino;
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.1'), 'same'));
  assert.equal(statSync(file).ino, ino, 'the file was not replaced');
  assert.deepEqual(commits, []);
});

test('an edit another program saves while changes wait in the log: our scrolls go on top of it, and the notice says so', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'edited.phext');
  writeFileSync(file, 'ours');
  const notices: string[] = [];
  const store = new FileDocumentStore({
    directories: byDirectory,
    cacheBytes: MiB,
    maxPhextBytes: MiB,
    notice: (line) => notices.push(line),
  });
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.3'), `${p.get(at('1.1.1'))} + server`));
  writeFileSync(file, 'theirs\x17editor line'); // an editor saves before the checkpoint
  const snap = await store.read(fileKey(file));
  assert.equal((await snap?.bytes())?.toString(), 'theirs\x17editor line\x17ours + server');
  assert.equal(snap?.version, 2);
  assert.equal(notices.length, 1);
  assert.match(notices[0]!, /^edited\.phext changed on disk outside SQ .*: 1 scroll change not in it applied on top; now version 2$/);
  await store.flush();
  assert.equal(readFileSync(file, 'utf8'), 'theirs\x17editor line\x17ours + server');
  // A restart agrees, and keeps the version.
  assert.equal((await openStore().read(fileKey(file)))?.version, 2);
});

test("an edit saved between a checkpoint's check and its rename is kept: the checkpoint takes it in and tries again", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'edited.phext');
  writeFileSync(file, 'ours');
  let edits = 1;
  const attempts: number[] = [];
  const store = new FileDocumentStore(
    { directories: byDirectory, cacheBytes: MiB, maxPhextBytes: MiB, notice: () => undefined },
    ioWith({
      async stage(path, data) {
        const staged = await FILE_IO.stage(path, data);
        attempts.push(attempts.length);
        return {
          ...staged,
          install(...expected) {
            // An editor saves (write and rename) after the checkpoint wrote its file, before its rename.
            if (edits-- > 0) writeFileSync(path, 'theirs\x17editor line');
            return staged.install(...expected);
          },
        };
      },
    }),
  );
  let runs = 0;
  await store.mutate(fileKey(file), (p) => {
    runs++;
    p.set(at('1.1.3'), `${p.get(at('1.1.1'))} + server`);
  });
  assert.equal(runs, 1, 'a change runs once: its scrolls, not the change, are applied again');
  await store.flush(); // refused by the edit: takes it in
  await store.flush(); // folds
  assert.equal(attempts.length, 2);
  assert.equal(readFileSync(file, 'utf8'), 'theirs\x17editor line\x17ours + server');
  assert.equal((await (await store.read(fileKey(file)))?.bytes())?.toString(), 'theirs\x17editor line\x17ours + server');
  assert.deepEqual(tempFiles(dir), []);
});

/** A gate a test opens by hand: `wait()` resolves once `open()` was called. */
function gate(): { wait(): Promise<void>; open(): void; reached: Promise<void> } {
  let open!: () => void;
  let arrived!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  return {
    wait: () => {
      arrived();
      return opened;
    },
    open,
    reached,
  };
}

test('a read while a batch is being written still sees an edit another program saved before it began', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'edited.phext');
  writeFileSync(file, 'ours');
  const append = gate();
  let gated = false;
  const store = new FileDocumentStore(
    { directories: byDirectory, cacheBytes: MiB, maxPhextBytes: MiB, notice: () => undefined },
    ioWith({
      async append(...args) {
        if (gated) await append.wait();
        return FILE_IO.append(...args);
      },
    }),
  );
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.2'), 'first'));
  gated = true;
  const writing = store.mutate(fileKey(file), (p) => p.set(at('1.1.3'), 'server'));
  await append.reached;
  writeFileSync(file, 'theirs'); // an editor saves while our log append waits for its fsync
  const reading = store.read(fileKey(file));
  append.open();
  await writing;
  assert.equal((await (await reading)?.bytes())?.toString(), 'theirs\x17first\x17server');
});

test("a read while a checkpoint is installed: its own file is served at once, an editor's save is waited for and taken in", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'edited.phext');
  writeFileSync(file, 'ours');
  const notices: string[] = [];
  const installs = [gate(), gate()];
  const store = new FileDocumentStore(
    { directories: byDirectory, cacheBytes: MiB, maxPhextBytes: MiB, notice: (line) => notices.push(line) },
    ioWith({
      async stage(path, data) {
        const staged = await FILE_IO.stage(path, data);
        const [before, after] = installs.splice(0, 2);
        if (!before || !after) return staged;
        return {
          ...staged,
          async install(...expected) {
            await before.wait();
            const stamp = await staged.install(...expected);
            await after.wait();
            return stamp;
          },
        };
      },
    }),
  );
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.2'), 'server'));
  // The first checkpoint: renamed in, not yet known as the state's file. A read serves it as ours.
  const [before, after] = installs as [ReturnType<typeof gate>, ReturnType<typeof gate>];
  const folding = store.flush();
  await before.reached;
  before.open();
  await after.reached;
  assert.equal((await (await store.read(fileKey(file)))?.bytes())?.toString(), 'ours\x17server');
  after.open();
  await folding;
  assert.deepEqual(notices, [], 'our own checkpoint is no outside edit');

  // The next checkpoint meets an editor's save before its rename: a read during it waits and gets the edit.
  installs.push(gate(), gate());
  const [before2, after2] = installs as [ReturnType<typeof gate>, ReturnType<typeof gate>];
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.3'), 'again'));
  const folding2 = store.flush();
  await before2.reached;
  writeFileSync(file, 'ours\x17server\x17\x17editor');
  const reading = store.read(fileKey(file));
  before2.open();
  after2.open();
  await folding2;
  assert.equal((await (await reading)?.bytes())?.toString(), 'ours\x17server\x17again\x17editor');
  assert.equal(notices.length, 1);
});

test("poll tells the observers of another program's edit to a phext it holds: a Commit with outside, no records; one it does not hold stays unread", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'watched.phext');
  const other = join(dir, 'unheld.phext');
  writeFileSync(file, 'ours');
  writeFileSync(other, 'not read');
  const heard: Array<{ version: number; records: number; outside?: { checksum: string }; before: number; after: number }> = [];
  const store = new FileDocumentStore({
    directories: byDirectory,
    cacheBytes: MiB,
    maxPhextBytes: MiB,
    notice: () => undefined,
    observers: [
      (c) => heard.push({ version: c.version, records: c.records.length, outside: c.outside, before: c.bytesBefore, after: c.bytesAfter }),
    ],
  });
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.2'), 'more'));
  await store.poll(fileKey(file)); // unchanged: nothing to tell
  writeFileSync(file, 'theirs now');
  await store.poll(fileKey(file));
  const now = await store.read(fileKey(file));
  assert.deepEqual(heard, [
    { version: 1, records: 1, outside: undefined, before: 4, after: 9 },
    { version: 2, records: 0, outside: { checksum: await now!.checksum() }, before: 9, after: 15 },
  ]);
  assert.equal((await now!.bytes()).toString(), 'theirs now\x17more');
  await store.poll(fileKey(other));
  assert.equal(store.stats().documents, 1, 'a phext it does not hold is not loaded to be polled');
});

test('the change log is hidden beside the phext; a checkpoint leaves it what it folded, as much as one checkpoint holds', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'logged.phext');
  // A log of 1,500 bytes calls a checkpoint, and that much folded text is kept.
  const store = new FileDocumentStore({
    directories: byDirectory,
    cacheBytes: MiB,
    maxPhextBytes: MiB,
    checkpointMinBytes: 1500,
    checkpointRatio: 0.001,
  });
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.1'), 'x'.repeat(700)));
  assert.deepEqual(readdirSync(dir), ['.logged.phext.log']);
  const logged = await readLog(logPathOf(file));
  assert.deepEqual(
    logged?.records.map((r) => [r.coordinate.toString(), r.kind, r.bytes, r.version]),
    [['1.1.1/1.1.1/1.1.1', 'insert', 700, 1]],
  );
  await store.flush();
  assert.deepEqual(readdirSync(dir).sort(), ['.logged.phext.log', 'logged.phext']);
  const folded = await readLog(logPathOf(file));
  assert.equal(folded?.records.length, 0, 'nothing left to fold');
  assert.deepEqual(
    folded?.folded.map((r) => r.version),
    [1],
    'what it folded, kept for an editor with an older copy',
  );
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.2'), 'y'.repeat(700)));
  await store.flush();
  assert.deepEqual(
    (await readLog(logPathOf(file)))?.folded.map((r) => r.version),
    [1, 2],
    'across checkpoints',
  );
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.3'), 'z'.repeat(700)));
  await store.flush();
  assert.deepEqual(
    (await readLog(logPathOf(file)))?.folded.map((r) => r.version),
    [2, 3],
    'the newest, up to what one checkpoint holds',
  );
});

test('an editor that saves a copy read before the last checkpoint does not drop what that checkpoint folded; its own changes stay', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'race.phext');
  writeFileSync(file, 'one\x17two');
  const notices: string[] = [];
  const store = new FileDocumentStore({
    directories: byDirectory,
    cacheBytes: MiB,
    maxPhextBytes: MiB,
    notice: (line) => notices.push(line),
  });
  const editorsCopy = readFileSync(file); // the editor opens the file...
  await store.mutate(fileKey(file), (p) => {
    p.set(at('1.1.1'), 'ONE'); // ...we change a scroll it will change too,
    p.set(at('1.1.3'), 'three'); // and add one it knows nothing of;
  });
  await store.flush(); // the checkpoint folds both into the file.
  // The editor saves its old copy with its own change to scroll 1.
  const edited = parse(editorsCopy);
  edited.set(at('1.1.1'), 'uno');
  writeFileSync(file, serialize(edited));
  const snap = await store.read(fileKey(file));
  assert.equal(
    (await snap?.bytes())?.toString(),
    'uno\x17two\x17three',
    'ours comes back where the editor only had an old copy; its own change stays',
  );
  assert.match(
    notices.at(-1) ?? '',
    /1 scroll change not in it applied on top \(1 it had dropped with an older copy\), 1 scroll it changed itself kept as it saved them; now version 2$/,
  );
  await store.flush();
  assert.equal(readFileSync(file, 'utf8'), 'uno\x17two\x17three');
  // A file deleted outside takes what was folded into it along.
  const { rmSync } = await import('node:fs');
  rmSync(file);
  assert.equal(await store.read(fileKey(file)), undefined);
});

test('writes go on while a checkpoint writes its file; those after it stay in the new log', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'busy.phext');
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  let staging: () => void = () => undefined;
  const started = new Promise<void>((r) => (staging = r));
  const store = new FileDocumentStore(
    { directories: byDirectory, cacheBytes: MiB, maxPhextBytes: MiB },
    ioWith({
      async stage(path, data) {
        staging();
        await gate; // the checkpoint's file takes its time to write
        return FILE_IO.stage(path, data);
      },
    }),
  );
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.1'), 'before'));
  const flushed = store.flush();
  await started;
  // The checkpoint is writing version 1; these commit meanwhile, each acknowledged at once.
  for (let i = 2; i <= 5; i++) assert.equal((await store.mutate(fileKey(file), (p) => p.set(at(`1.1.${i}`), `during ${i}`))).version, i);
  release();
  await flushed;
  assert.equal(readFileSync(file, 'utf8'), 'before', 'the file holds what was committed when the checkpoint began');
  assert.equal((await durableBytes(file)).toString(), 'before\x17during 2\x17during 3\x17during 4\x17during 5');
  assert.equal((await store.read(fileKey(file)))?.version, 5);
  await store.flush();
  assert.equal(readFileSync(file, 'utf8'), 'before\x17during 2\x17during 3\x17during 4\x17during 5');
  assert.equal((await openStore().read(fileKey(file)))?.version, 5);
});

test('close folds the log of a phext the cache already let go', async (t) => {
  const dir = tempDir(t);
  // A budget smaller than any phext: each is evicted as soon as nothing holds it.
  const store = new FileDocumentStore({ directories: byDirectory, cacheBytes: 16, maxPhextBytes: MiB });
  const names = ['a', 'b', 'c'];
  for (const n of names) await store.mutate(fileKey(join(dir, `${n}.phext`)), (p) => p.set(at('1.1.1'), `${n} text`));
  assert.ok(store.stats().documents < names.length, 'some were evicted');
  await store.close();
  for (const n of names) {
    assert.equal(readFileSync(join(dir, `${n}.phext`), 'utf8'), `${n} text`);
    assert.equal((await readLog(logPathOf(join(dir, `${n}.phext`))))?.records.length, 0, `${n}: nothing left to fold`);
  }
});

test("a document is its tenant's `<name>.phext`; an unknown tenant or a name that leaves the directory is refused", async (t) => {
  const dir = tempDir(t);
  const store = new FileDocumentStore({
    directories: (tenant) => (tenant === 'alice' ? dir : undefined),
    cacheBytes: MiB,
    maxPhextBytes: MiB,
  });
  t.after(() => store.close());
  await store.mutate({ tenant: 'alice', name: 'notes' }, (p) => p.set(at('1.1.1/1.1.1/1.1.2'), 'hello'));
  await store.mutate({ tenant: 'alice', name: '' }, (p) => p.set(at('1.1.1/1.1.1/1.1.1'), 'original'));
  await store.flush();
  assert.equal(readFileSync(join(dir, 'notes.phext'), 'utf8'), '\x17hello');
  assert.equal(readFileSync(join(dir, '.phext'), 'utf8'), 'original');
  for (const [document, message] of [
    [{ tenant: 'bob', name: 'notes' }, /tenant "bob" has no data directory/],
    [{ tenant: 'alice', name: '../notes' }, /may not contain '\/'/],
    [{ tenant: 'alice', name: 'a\\b' }, /may not contain/],
    [{ tenant: 'alice', name: 'a\0b' }, /may not contain/],
  ] as const) {
    await assert.rejects(store.read(document), (e) => e instanceof StoreError && e.status === 403 && message.test(e.message));
    await assert.rejects(
      store.mutate(document, (p) => p.set(at('1.1.1/1.1.1/1.1.1'), 'x')),
      (e) => e instanceof StoreError && e.status === 403,
    );
  }
  assert.deepEqual(
    readdirSync(dir)
      .filter((n) => n.endsWith('.phext'))
      .sort(),
    ['.phext', 'notes.phext'],
  );
});

test('the folded records a new log carries do not count toward the next checkpoint', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'steady.phext');
  let checkpoints = 0;
  let firstCheckpoint!: () => void;
  const checkpointed = new Promise<void>((resolve) => (firstCheckpoint = resolve));
  const store = new FileDocumentStore({
    directories: byDirectory,
    cacheBytes: MiB,
    maxPhextBytes: MiB,
    checkpointMinBytes: 1500,
    checkpointRatio: 0.001,
    checkpointIdleMs: 1e9,
    observers: [
      (commit) => {
        if (commit.batchSize > 0) return;
        checkpoints++;
        firstCheckpoint();
      },
    ],
  });
  t.after(() => store.close());
  // One write past the threshold: a checkpoint, whose new log carries that record (folded).
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.1'), 'x'.repeat(1500)));
  await checkpointed;
  assert.ok((await readLog(logPathOf(file)))!.folded.length > 0, 'the new log carries the folded record');
  // Then writes that add far less than the threshold between them: no checkpoint is due.
  for (let i = 2; i <= 11; i++) await store.mutate(fileKey(file), (p) => p.set(at(`1.1.${i}`), 'y'));
  await store.flush(); // waits for any checkpoint in flight, then makes one more
  assert.equal(checkpoints, 2, 'the one the threshold called, and the flush');
});

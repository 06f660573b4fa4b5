import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from '../phext/index.js';
import { FileDocumentStore } from './file-store.js';
import { FILE_IO, type StoreIo } from './store-io.js';
import { durableBytes } from '../testing/durable-phext.js';
import { at } from '../testing/store-support.js';
import { tempDir } from '../testing/temp-dir.js';
import { byDirectory, fileKey } from '../testing/store-support.js';

test('mutations that arrive during a commit share the next one; readers see only committed states', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'g.phext');
  let release: () => void = () => undefined;
  let gate: Promise<void> | undefined;
  let entered: () => void = () => undefined;
  const writing = new Promise<void>((r) => (entered = r));
  const batches: number[] = [];
  const store = new FileDocumentStore(
    { directories: byDirectory, cacheBytes: 1 << 20, maxPhextBytes: 1 << 20, observers: [(commit) => batches.push(commit.batchSize)] },
    beforeEachWrite(async () => {
      entered();
      await gate;
    }),
  );
  gate = new Promise((r) => (release = r));
  const first = store.mutate(fileKey(file), (p) => p.set(at('1.1.1'), 'first'));
  await writing; // the first batch is now stuck in its write
  assert.equal(await store.read(fileKey(file)), undefined, 'an uncommitted mutation is invisible');
  const queued = Array.from({ length: 50 }, (_, i) => store.mutate(fileKey(file), (p) => p.set(at(`2.2.${i + 1}`), `q${i}`)));
  let settled = 0;
  for (const q of queued) void q.then(() => settled++);
  await new Promise((r) => setImmediate(r)); // anything already settled would have counted by now
  assert.equal(settled, 0, 'queued mutations wait for their own commit');
  const releaseFirst = release;
  gate = new Promise<void>((r) => (release = r));
  releaseFirst();
  await first;
  assert.equal((await store.read(fileKey(file)))?.phext.get(at('1.1.1')), 'first');
  assert.equal((await store.read(fileKey(file)))?.phext.get(at('2.2.1')), '', 'the second batch is not committed yet');
  release();
  await Promise.all(queued);
  assert.deepEqual(batches, [1, 50]);
  const onDisk = parse(await durableBytes(file));
  assert.equal(onDisk.size, 51);
});

/** The store's I/O, each durable write (log append or file replace) preceded by `before`. */
function beforeEachWrite(before: () => Promise<void>): StoreIo {
  return {
    openLog: FILE_IO.openLog,
    async stage(...args) {
      await before();
      return FILE_IO.stage(...args);
    },
    async replace(...args) {
      await before();
      return FILE_IO.replace(...args);
    },
    async append(...args) {
      await before();
      return FILE_IO.append(...args);
    },
  };
}

/**
 * A hand-driven clock: time moves only when the test says so, and gathering timers fire only
 * when the test fires them; every timer the store starts is recorded.
 */
class TestClock {
  time = 0;
  readonly timers: { ms: number; fire: () => void; cancelled: boolean }[] = [];
  private started: Array<() => void> = [];

  readonly clock = {
    now: () => this.time,
    setTimer: (fn: () => void, ms: number, background?: boolean) => {
      if (background) return () => undefined; // idle checkpoints: not what these tests drive
      const timer = { ms, fire: fn, cancelled: false };
      this.timers.push(timer);
      for (const wake of this.started.splice(0)) wake();
      return () => void (timer.cancelled = true);
    },
  };

  /** Resolves once the store has started its `n`-th timer. */
  async timerStarted(n: number): Promise<void> {
    while (this.timers.length < n) await new Promise<void>((r) => this.started.push(r));
  }
}

test('a batch smaller than the last one waits briefly for stragglers instead of committing alone', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'convoy.phext');
  const batches: number[] = [];
  const time = new TestClock();
  // Every commit takes 200 ms of the test clock, so the gathering wait is min(1000, 200 / 4) = 50 ms.
  const store = new FileDocumentStore(
    {
      directories: byDirectory,
      cacheBytes: 1 << 20,
      maxPhextBytes: 1 << 20,
      gatherMaxMs: 1000,
      clock: time.clock,
      observers: [(commit) => batches.push(commit.batchSize)],
    },
    beforeEachWrite(async () => {
      time.time += 200;
    }),
  );
  const client = (i: number, round: number) => store.mutate(fileKey(file), (p) => p.set(at(`3.3.${i + 1}`), `r${round}`));
  await Promise.all(Array.from({ length: 10 }, (_, i) => client(i, 0)));
  assert.deepEqual(batches, [10]);
  assert.equal(time.timers.length, 0, 'the first batch had nothing to wait for');

  // The ten answered clients come back one by one: the first one alone makes the store wait...
  const first = client(0, 1);
  await time.timerStarted(1);
  assert.equal(time.timers[0]!.ms, 50);
  assert.deepEqual(batches, [10], 'nothing is committed while the store waits');
  // ...and the other nine, arriving before the wait is over, share its commit and end the wait.
  await Promise.all([first, ...Array.from({ length: 9 }, (_, i) => client(i + 1, 1))]);
  assert.deepEqual(batches, [10, 10]);
  assert.equal(time.timers[0]!.cancelled, true, 'the wait ended when the tenth mutation arrived');

  // A lone client after a batch of ten waits once, for the full 50 ms, then commits alone...
  const lone = client(0, 2);
  await time.timerStarted(2);
  assert.equal(time.timers[1]!.ms, 50);
  time.timers[1]!.fire();
  await lone;
  assert.deepEqual(batches, [10, 10, 1]);
  // ...and from then on never waits: its last batch was one.
  await client(0, 3);
  await client(0, 4);
  assert.deepEqual(batches, [10, 10, 1, 1, 1]);
  assert.equal(time.timers.length, 2, 'no timer was started for a lone writer');
  assert.equal(parse(await durableBytes(file)).get(at('3.3.1')), 'r4');
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from '../phext/index.js';
import { writeFileAtomic } from './atomic-write.js';
import { FileDocumentStore } from './file-store.js';
import { at } from '../testing/store-support.js';
import { tempDir } from '../testing/temp-dir.js';

test('mutations that arrive during a commit share the next one; readers see only committed states', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'g.phext');
  let release: () => void = () => undefined;
  let gate: Promise<void> | undefined;
  const batches: number[] = [];
  const store = new FileDocumentStore(
    { cacheBytes: 1 << 20, maxPhextBytes: 1 << 20, onCommit: (_p, _b, _a, info) => batches.push(info.batchSize) },
    async (path, bytes) => {
      await gate;
      return writeFileAtomic(path, bytes);
    },
  );
  gate = new Promise((r) => (release = r));
  const first = store.mutate(file, (p) => p.set(at('1.1.1'), 'first'));
  await new Promise((r) => setTimeout(r, 20)); // the first batch is now stuck in its write
  assert.equal(await store.read(file), undefined, 'an uncommitted mutation is invisible');
  const queued = Array.from({ length: 50 }, (_, i) => store.mutate(file, (p) => p.set(at(`2.2.${i + 1}`), `q${i}`)));
  let settled = 0;
  for (const q of queued) void q.then(() => settled++);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(settled, 0, 'queued mutations wait for their own commit');
  const releaseFirst = release;
  gate = new Promise<void>((r) => (release = r));
  releaseFirst();
  await first;
  assert.equal((await store.read(file))?.phext.get(at('1.1.1')), 'first');
  assert.equal((await store.read(file))?.phext.get(at('2.2.1')), '', 'the second batch is not committed yet');
  release();
  await Promise.all(queued);
  assert.deepEqual(batches, [1, 50]);
  const onDisk = parse(readFileSync(file));
  assert.equal(onDisk.size, 51);
});

test('a batch smaller than the last one waits briefly for stragglers instead of committing alone', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'convoy.phext');
  const batches: number[] = [];
  // A slow disk (200 ms per commit) and a generous wait, so timing noise cannot decide the test.
  const store = new FileDocumentStore(
    {
      cacheBytes: 1 << 20, maxPhextBytes: 1 << 20, gatherMaxMs: 1000,
      onCommit: (_p, _b, _a, info) => batches.push(info.batchSize),
    },
    async (path, bytes) => {
      await new Promise((r) => setTimeout(r, 200));
      return writeFileAtomic(path, bytes);
    },
  );
  const client = (i: number, round: number) => store.mutate(file, (p) => p.set(at(`3.3.${i + 1}`), `r${round}`));
  await Promise.all(Array.from({ length: 10 }, (_, i) => client(i, 0)));
  // The ten answered clients come back one by one, the last ones 10 ms late (network).
  const first = client(0, 1);
  await new Promise((r) => setTimeout(r, 10));
  await Promise.all([first, ...Array.from({ length: 9 }, (_, i) => client(i + 1, 1))]);
  assert.deepEqual(batches, [10, 10]);
  // A lone client commits alone (after one wait, since the last batch was 10), then never waits.
  await client(0, 2);
  const started = performance.now();
  await client(0, 3);
  assert.deepEqual(batches, [10, 10, 1, 1]);
  assert.ok(performance.now() - started < 200 + 50, 'the second lone commit did not wait for company');
});

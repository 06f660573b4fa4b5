import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Changes } from './document-store.js';
import { FileDocumentStore } from './file-store.js';
import { at, byDirectory, fileKey } from '../testing/store-support.js';
import { tempDir } from '../testing/temp-dir.js';

const MiB = 1024 * 1024;

function openStore(checkpointMinBytes = MiB): FileDocumentStore {
  // Checkpoints only when asked (flush), so each test decides what is folded.
  return new FileDocumentStore({
    directories: byDirectory,
    cacheBytes: 64 * MiB,
    maxPhextBytes: 4 * MiB,
    checkpointMinBytes,
    checkpointIdleMs: 3_600_000,
    notice: () => {},
  });
}

const brief = (changes: Changes | undefined) =>
  changes && { version: changes.version, records: changes.records.map((r) => `${r.version} ${r.kind} ${r.coordinate} ${r.text}`) };

test('changes after a version: the newest change of each scroll since, in version order, unfolded or folded', async (t) => {
  // Closed before its directory goes (after hooks run in the order added).
  const store = openStore();
  t.after(() => store.close());
  const dir = tempDir(t);
  const key = fileKey(join(dir, 'notes.phext'));
  assert.deepEqual(brief(await store.changesSince(key, 0)), { version: 0, records: [] });

  await store.mutate(key, (p) => p.set(at('1.1.1/1.1.1/1.1.1'), 'a1')); // 1
  await store.mutate(key, (p) => p.set(at('1.1.1/1.1.1/1.1.2'), 'b1')); // 2
  await store.mutate(key, (p) => p.set(at('1.1.1/1.1.1/1.1.1'), 'a2')); // 3
  await store.flush(); // 1..3 folded into the file, kept in the new log
  await store.mutate(key, (p) => p.set(at('1.1.1/1.1.1/1.1.2'), '')); // 4
  await store.mutate(key, (p) => p.set(at('2.1.1/1.1.1/1.1.1'), 'c1')); // 5

  const all = ['3 update 1.1.1/1.1.1/1.1.1 a2', '4 delete 1.1.1/1.1.1/1.1.2 ', '5 insert 2.1.1/1.1.1/1.1.1 c1'];
  // Versions 1 and 2 are compacted into the later changes of their scrolls.
  assert.deepEqual(brief(await store.changesSince(key, 0)), { version: 5, records: all });
  assert.deepEqual(brief(await store.changesSince(key, 2)), { version: 5, records: all });
  assert.deepEqual(brief(await store.changesSince(key, 4)), { version: 5, records: ['5 insert 2.1.1/1.1.1/1.1.1 c1'] });
  assert.deepEqual(brief(await store.changesSince(key, 5)), { version: 5, records: [] });
  // Ahead of the document: the caller's copy is not of this phext.
  assert.equal(await store.changesSince(key, 6), undefined);
});

test('what no record holds any more is refused: after an outside edit, and after a restart past a checkpoint', async (t) => {
  let store = openStore();
  t.after(() => store.close());
  const dir = tempDir(t);
  const file = join(dir, 'notes.phext');
  const key = fileKey(file);
  await store.mutate(key, (p) => p.set(at('1.1.1/1.1.1/1.1.1'), 'a1')); // 1
  await store.mutate(key, (p) => p.set(at('1.1.1/1.1.1/1.1.2'), 'b1')); // 2
  await store.close();
  writeFileSync(file, 'edited elsewhere');
  store = openStore();
  // The edit moved the version without a record of what it changed.
  const after = await store.changesSince(key, 3);
  assert.deepEqual(brief(after), { version: 3, records: [] });
  assert.equal(await store.changesSince(key, 2), undefined);
  await store.mutate(key, (p) => p.set(at('1.1.1/1.1.1/1.1.3'), 'c1')); // 4
  assert.deepEqual(brief(await store.changesSince(key, 3)), { version: 4, records: ['4 insert 1.1.1/1.1.1/1.1.3 c1'] });
});

test('folded records cut to the checkpoint budget: changes from before the cut are refused', async (t) => {
  // A checkpoint keeps at most 6 bytes of folded text: one of the two scrolls below.
  const store = openStore(6);
  t.after(() => store.close());
  const dir = tempDir(t);
  const key = fileKey(join(dir, 'notes.phext'));
  await store.mutate(key, (p) => p.set(at('1.1.1/1.1.1/1.1.1'), 'aaaa')); // 1
  await store.mutate(key, (p) => p.set(at('1.1.1/1.1.1/1.1.2'), 'bbbb')); // 2
  await store.flush();
  assert.equal(await store.changesSince(key, 0), undefined);
  assert.deepEqual(brief(await store.changesSince(key, 1)), { version: 2, records: ['2 insert 1.1.1/1.1.1/1.1.2 bbbb'] });
});

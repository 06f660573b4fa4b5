import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Coordinate, Phext, serialize } from '../phext/index.js';
import { FileDocumentStore } from './file-store.js';
import { at, tempFiles } from '../testing/store-support.js';
import { tempDir } from '../testing/temp-dir.js';
import { byDirectory, fileKey } from '../testing/store-support.js';

test('the cache stays within its budget, evicts least-recently-used, and shares an evicted snapshot still in use', async (t) => {
  const dir = tempDir(t);
  const size = 10_000;
  const files = Array.from({ length: 12 }, (_, i) => join(dir, `doc${i}.phext`));
  files.forEach((f, i) => writeFileSync(f, String(i % 10).repeat(size)));
  const weighing = new FileDocumentStore({ directories: byDirectory, cacheBytes: 1 << 30, maxPhextBytes: 1 << 20 });
  await weighing.read(fileKey(files[0]!));
  const one = weighing.stats().bytes;
  await weighing.close();
  const budget = 5 * one + one / 2; // room for five documents
  const store = new FileDocumentStore({ directories: byDirectory, cacheBytes: budget, maxPhextBytes: 1 << 20 });
  const first = await store.read(fileKey(files[0]!));
  for (const f of files) {
    await store.read(fileKey(f));
    const { documents, bytes } = store.stats();
    assert.ok(bytes <= budget, `cache holds ${bytes} bytes, over the ${budget}-byte budget`);
    assert.ok(documents <= 5);
  }
  assert.equal(store.stats().documents, 5);
  // doc0 was evicted, but its snapshot is still held (here by `first`, in a server by answers
  // streaming from it): a reader of the same file version shares it rather than loading a copy.
  const again = await store.read(fileKey(files[0]!));
  assert.equal(again, first);
  // An edit is never served from that snapshot.
  writeFileSync(files[0]!, 'edited');
  assert.equal((await (await store.read(fileKey(files[0]!)))?.bytes())?.toString(), 'edited');
  // Recently used documents are served from the cache (same snapshot object).
  const last = files.at(-1)!;
  assert.equal(await store.read(fileKey(last)), await store.read(fileKey(last)));
});

test('evicted documents that were written come back with their committed content', async (t) => {
  const dir = tempDir(t);
  const store = new FileDocumentStore({ directories: byDirectory, cacheBytes: 2_000, maxPhextBytes: 1 << 20 });
  const files = Array.from({ length: 30 }, (_, i) => join(dir, `w${i}.phext`));
  await Promise.all(files.map((f, i) => store.mutate(fileKey(f), (p) => p.set(at('2.2.2'), `doc ${i} `.repeat(20)))));
  assert.ok(store.stats().bytes <= 2_000);
  for (let i = 0; i < files.length; i++) {
    assert.equal((await store.read(fileKey(files[i]!)))?.phext.get(at('2.2.2')), `doc ${i} `.repeat(20));
  }
  assert.equal(tempFiles(dir).length, 0);
  assert.equal(readdirSync(dir).length, 30);
});

test('a snapshot too large for the cache is shared by readers while anything holds it, and only then', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'big.phext');
  writeFileSync(file, 'x'.repeat(10_000));
  const store = new FileDocumentStore({ directories: byDirectory, cacheBytes: 1_000, maxPhextBytes: 1 << 20 });
  let held = await store.read(fileKey(file));
  assert.equal(store.stats().documents, 0); // not cached
  await collectGarbage();
  assert.equal(await store.read(fileKey(file)), held, 'a reader loaded its own copy of a snapshot still in use');
  const id = new WeakRef(held!);
  held = undefined;
  await collectGarbage();
  assert.equal(id.deref(), undefined, 'the store keeps a snapshot nobody uses');
});

/** A phext of `scrolls` ASCII scrolls of 1,000 bytes (~1 MB for 1,000), written to `file`; returns its size. */
function writeScrolls(file: string, scrolls: number, seed = 0): number {
  const phext = new Phext();
  for (let i = 0; i < scrolls; i++) {
    const text = `#${seed}.${i} ${'abcdefghijklmnopqrstuvwxyz '.repeat(40)}`.slice(0, 1000);
    phext.set(Coordinate.of([1, 1, 1, 1, 1, 1, 1, 1 + Math.floor(i / 999), 1 + (i % 999)]), text);
  }
  const bytes = serialize(phext);
  writeFileSync(file, bytes);
  return bytes.length;
}

test('a cached 1 MB phext of 1 KB scrolls weighs between its size and 1.5 times it, written to or not', async (t) => {
  const file = join(tempDir(t), 'mb.phext');
  const size = writeScrolls(file, 1000);
  const store = new FileDocumentStore({ directories: byDirectory, cacheBytes: 512 << 20, maxPhextBytes: 1 << 30 });
  t.after(() => store.close());
  await store.read(fileKey(file));
  const loaded = store.stats().bytes;
  assert.ok(loaded >= size && loaded <= 1.5 * size, `a ${size}-byte phext weighs ${loaded}`);
  // Changed scrolls are held as strings beside the file's bytes, and their records in the log.
  for (let i = 0; i < 50; i++) await store.mutate(fileKey(file), (p) => p.set(at(`1.1.1/1.1.1/1.1.${i + 1}`), 'é'.repeat(1000)));
  const written = store.stats().bytes;
  assert.ok(written > loaded + 50 * 2000, `50 changed scrolls of 1,000 two-byte characters added only ${written - loaded}`);
  assert.ok(written <= 1.5 * size, `a ${size}-byte phext with 50 changed scrolls weighs ${written}`);
  // Serialized bytes made for a reader are kept, so they are counted once made.
  await (await store.read(fileKey(file)))!.bytes();
  assert.ok(store.stats().bytes >= written + size, 'the serialized copy of a changed phext is not counted');
});

test('a small cache holds many 1 MB phexts, read and written, within its budget', async (t) => {
  const dir = tempDir(t);
  const files = Array.from({ length: 24 }, (_, i) => join(dir, `t${i}.phext`));
  const size = Math.max(...files.map((f, i) => writeScrolls(f, 1000, i)));
  const budget = 4 * size;
  const store = new FileDocumentStore({ directories: byDirectory, cacheBytes: budget, maxPhextBytes: 1 << 30 });
  t.after(() => store.close());
  for (const round of [0, 1]) {
    for (const [i, f] of files.entries()) {
      const first = (await store.read(fileKey(f)))?.phext.get(at('1.1.1/1.1.1/1.1.1'));
      assert.ok(first?.startsWith(round === 0 ? `#${i}.0 ` : 'round 0'), `${f}: ${first?.slice(0, 10)}`);
      const { bytes, documents } = store.stats();
      assert.ok(bytes <= budget, `cache holds ${bytes} bytes in ${documents} documents, over the ${budget}-byte budget`);
      // Weighed near their real cost, three fit (at 3 times the size, one would).
      assert.ok(documents >= Math.min(i + 1, 3), `a ${budget}-byte cache holds ${documents} ~${size}-byte documents`);
    }
    // Written documents stay until their checkpoint folds the log in; then the budget holds again.
    await Promise.all(files.map((f) => store.mutate(fileKey(f), (p) => p.set(at('1.1.1/1.1.1/1.1.1'), `round ${round}`))));
    await store.flush();
    assert.ok(store.stats().bytes <= budget, `after writes and checkpoints: ${store.stats().bytes} bytes, budget ${budget}`);
  }
});

/** A full garbage collection (weak references and finalizers included). */
async function collectGarbage(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
}

import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FileDocumentStore, MEMORY_PER_BYTE } from './file-store.js';
import { at, tempFiles } from '../testing/store-support.js';
import { tempDir } from '../testing/temp-dir.js';
import { byDirectory, fileKey } from '../testing/store-support.js';

test('the cache stays within its budget, evicts least-recently-used, and shares an evicted snapshot still in use', async (t) => {
  const dir = tempDir(t);
  const size = 10_000;
  const budget = 5 * MEMORY_PER_BYTE * size + 5_000; // room for five documents
  const store = new FileDocumentStore({ directories: byDirectory, cacheBytes: budget, maxPhextBytes: 1 << 20 });
  const files = Array.from({ length: 12 }, (_, i) => join(dir, `doc${i}.phext`));
  files.forEach((f, i) => writeFileSync(f, String(i % 10).repeat(size)));
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

/** A full garbage collection (weak references and finalizers included). */
async function collectGarbage(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
}

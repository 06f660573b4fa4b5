import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from '../phext/index.js';
import { StoreError } from './document-store.js';
import { FileDocumentStore } from './file-store.js';
import { at } from '../testing/store-support.js';
import { tempDir } from '../testing/temp-dir.js';
import { durableBytes } from '../testing/durable-phext.js';
import { byDirectory, fileKey } from '../testing/store-support.js';

async function refusal(promise: Promise<unknown>): Promise<StoreError> {
  const e = await promise.then(
    () => assert.fail('expected a StoreError'),
    (err: unknown) => err,
  );
  assert.ok(e instanceof StoreError, `expected a StoreError, got ${String(e)}`);
  return e;
}

test('a file that is not valid UTF-8 is refused by read and mutate, and left byte-for-byte untouched', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'broken.phext');
  const original = Buffer.from([0x68, 0x69, 0x17, 0xff, 0xfe, 0x41, 0xc3]);
  writeFileSync(file, original);
  let commits = 0;
  const store = new FileDocumentStore({
    directories: byDirectory,
    cacheBytes: 1 << 20,
    maxPhextBytes: 1 << 20,
    observers: [() => commits++],
  });
  for (const attempt of [
    () => store.read(fileKey(file)),
    () => store.mutate(fileKey(file), (p) => p.set(at('1.1.1'), 'overwrite')),
    () => store.reload(fileKey(file)),
  ]) {
    const e = await refusal(attempt());
    assert.equal(e.status, 422);
    assert.equal(e.code, 'invalid-utf8');
    assert.equal(e.message, 'broken.phext is not valid UTF-8; refusing to load it (file left untouched)');
  }
  assert.deepEqual(readFileSync(file), original);
  assert.equal(commits, 0);
  assert.deepEqual(readdirSync(dir), ['broken.phext']);
  assert.deepEqual(store.stats(), { documents: 0, bytes: 0 });
});

test('a phext that turns invalid after being cached is refused, not served stale nor overwritten', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'turned.phext');
  const store = new FileDocumentStore({ directories: byDirectory, cacheBytes: 1 << 20, maxPhextBytes: 1 << 20 });
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.1'), 'good'));
  const bad = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80]);
  writeFileSync(file, bad);
  assert.equal((await refusal(store.read(fileKey(file)))).code, 'invalid-utf8');
  assert.equal((await refusal(store.mutate(fileKey(file), (p) => p.set(at('1.1.2'), 'x')))).code, 'invalid-utf8');
  assert.deepEqual(readFileSync(file), bad);
});

test('a file over maxPhextBytes is refused with 413 and left untouched', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'big.phext');
  const original = Buffer.alloc(2000, 'a');
  writeFileSync(file, original);
  const store = new FileDocumentStore({ directories: byDirectory, cacheBytes: 1 << 20, maxPhextBytes: 1000 });
  for (const attempt of [() => store.read(fileKey(file)), () => store.mutate(fileKey(file), (p) => p.delete(at('1.1.1')))]) {
    const e = await refusal(attempt());
    assert.equal(e.status, 413);
    assert.equal(e.code, 'too-large');
    assert.match(e.message, /^big\.phext is 2000 bytes, over the limit of 1000 bytes/);
  }
  assert.deepEqual(readFileSync(file), original);
});

test('a mutation that would grow the file past the limit fails alone; the file never exceeds it', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'limit.phext');
  const limit = 100;
  const store = new FileDocumentStore({ directories: byDirectory, cacheBytes: 1 << 20, maxPhextBytes: limit });
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.1'), 'x'.repeat(60)));
  const before = await durableBytes(file);
  const outcomes = await Promise.allSettled([
    store.mutate(fileKey(file), (p) => p.set(at('1.1.2'), 'y'.repeat(50))), // 60 + 1 + 50 > 100
    store.mutate(fileKey(file), (p) => p.set(at('1.1.2'), 'z'.repeat(30))), // 60 + 1 + 30 fits
    // A far coordinate needs a long delimiter run: 998 volume breaks alone exceed the limit.
    store.mutate(fileKey(file), (p) => p.set(at('1.1.1/1.999.1/1.1.1'), 'w')),
  ]);
  assert.equal(outcomes[0].status, 'rejected');
  const e = (outcomes[0] as PromiseRejectedResult).reason as StoreError;
  assert.equal(e.status, 413);
  assert.equal(e.code, 'too-large');
  assert.match(e.message, /would grow to 111 bytes, over the limit of 100 bytes/);
  assert.equal(outcomes[1].status, 'fulfilled');
  assert.equal(outcomes[2].status, 'rejected');
  const after = await durableBytes(file);
  assert.equal(after.length, 91);
  assert.equal((await store.read(fileKey(file)))?.size, 91, 'the size is measured exactly, without serializing');
  assert.equal(parse(after).get(at('1.1.2')), 'z'.repeat(30));
  assert.notDeepEqual(after, before);
  // Alone in its batch and over the limit: nothing is written at all.
  await refusal(store.mutate(fileKey(file), (p) => p.set(at('1.1.3'), 'q'.repeat(20))));
  assert.deepEqual(await durableBytes(file), after);
  await store.flush();
  assert.deepEqual(readFileSync(file), after);
});

test('a directory named like a phext is refused with 409, never replaced', async (t) => {
  const dir = tempDir(t);
  const { mkdirSync, statSync } = await import('node:fs');
  const path = join(dir, 'dir.phext');
  mkdirSync(path);
  const store = new FileDocumentStore({ directories: byDirectory, cacheBytes: 1 << 20, maxPhextBytes: 1 << 20 });
  assert.equal((await refusal(store.read(fileKey(path)))).code, 'not-a-file');
  const e = await refusal(store.mutate(fileKey(path), (p) => p.set(at('1.1.1'), 'x')));
  assert.equal(e.status, 409);
  assert.equal(e.message, 'dir.phext is a directory, not a regular file; refusing to use it (left untouched)');
  assert.ok(statSync(path).isDirectory());
});

test('a FIFO named like a phext is refused with 409 at once (never opened, never waited on)', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'pipe.phext');
  const { execFileSync } = await import('node:child_process');
  execFileSync('mkfifo', [path]);
  const store = new FileDocumentStore({ directories: byDirectory, cacheBytes: 1 << 20, maxPhextBytes: 1 << 20 });
  for (const attempt of [() => store.read(fileKey(path)), () => store.mutate(fileKey(path), (p) => p.set(at('1.1.1'), 'x'))]) {
    const e = await refusal(attempt());
    assert.equal(e.status, 409);
    assert.equal(e.message, 'pipe.phext is a FIFO, not a regular file; refusing to use it (left untouched)');
  }
  const { statSync } = await import('node:fs');
  assert.ok(statSync(path).isFIFO());
});

test('a read-only phext (mode 0444) is refused with 403 and stays as it was, even for root', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'ro.phext');
  const { chmodSync, statSync } = await import('node:fs');
  writeFileSync(file, 'keep me');
  chmodSync(file, 0o444);
  const ino = statSync(file).ino;
  const store = new FileDocumentStore({ directories: byDirectory, cacheBytes: 1 << 20, maxPhextBytes: 1 << 20 });
  const e = await refusal(store.mutate(fileKey(file), (p) => p.set(at('1.1.2'), 'x')));
  assert.equal(e.status, 403);
  assert.equal(e.code, 'read-only');
  assert.equal(e.message, 'ro.phext is read-only (mode 0444); change refused (file left untouched)');
  assert.equal(readFileSync(file, 'utf8'), 'keep me');
  assert.equal(statSync(file).ino, ino);
  assert.deepEqual(readdirSync(dir), ['ro.phext']);
  assert.equal((await (await store.read(fileKey(file)))?.bytes())?.toString(), 'keep me');
  chmodSync(file, 0o644); // writable again: the next change goes through
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.2'), 'x'));
  assert.equal((await durableBytes(file)).toString(), 'keep me\x17x');
});

test('a phext owned by another user without write permission for others is refused with 403', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'theirs.phext');
  const { chownSync, statSync } = await import('node:fs');
  writeFileSync(file, 'not yours', { mode: 0o644 });
  try {
    chownSync(file, 54321, 54321); // needs root, which the tests run as
  } catch {
    t.skip('cannot chown here (not root)');
    return;
  }
  const store = new FileDocumentStore({ directories: byDirectory, cacheBytes: 1 << 20, maxPhextBytes: 1 << 20 });
  const e = await refusal(store.mutate(fileKey(file), (p) => p.set(at('1.1.1'), 'mine')));
  assert.equal(e.status, 403);
  assert.equal(readFileSync(file, 'utf8'), 'not yours');
  assert.equal(statSync(file).uid, 54321);
});

test('a phext with a part over 65535 is refused with 422 by every command, untouched', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'deep.phext');
  const original = Buffer.from('a' + '\x17'.repeat(65535) + 'z');
  writeFileSync(file, original);
  let commits = 0;
  const store = new FileDocumentStore({
    directories: byDirectory,
    cacheBytes: 1 << 20,
    maxPhextBytes: 1 << 20,
    observers: [() => commits++],
  });
  for (const attempt of [() => store.read(fileKey(file)), () => store.mutate(fileKey(file), (p) => p.set(at('1.1.1'), 'b'))]) {
    const e = await refusal(attempt());
    assert.equal(e.status, 422);
    assert.equal(e.code, 'unholdable');
    assert.match(e.message, /^deep\.phext cannot be held losslessly \(scroll would be 65536, over 65535\)/);
  }
  assert.deepEqual(readFileSync(file), original);
  assert.equal(commits, 0);
});

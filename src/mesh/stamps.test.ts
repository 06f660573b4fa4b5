import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../testing/temp-dir.js';
import { StampBook } from './stamps.js';

const stamp = (t: number, s: string) => ({ t, k: 0, n: 'a', s });

test('stamps are kept in a sidecar per phext and read back; a torn last line is cut off', async (t) => {
  const dir = tempDir(t);
  const book = new StampBook(dir);
  await book.load();
  book.keep('notes', '1.1.1/1.1.1/1.1.1', stamp(1, 'x'));
  book.keep('notes', '1.1.1/1.1.1/1.1.1', stamp(2, 'y'));
  book.keep('notes', '2.1.1/1.1.1/1.1.1', { ...stamp(3, 'z'), d: 1, p: { t: 1, k: 0, n: 'b' } });
  book.keep('', '1.1.1/1.1.1/1.1.1', stamp(4, 'w'));
  await book.close();
  const sidecar = join(dir, '.notes.phext.mesh');
  assert.equal(readFileSync(sidecar, 'utf8').split('\n').length, 4);
  appendFileSync(sidecar, '{"c":"3.1.1/1.1.1/1.1.1","t":'); // a crash mid-append

  const again = new StampBook(dir);
  await again.load();
  assert.deepEqual(again.get('notes', '1.1.1/1.1.1/1.1.1'), stamp(2, 'y'));
  assert.deepEqual(again.get('notes', '2.1.1/1.1.1/1.1.1'), { ...stamp(3, 'z'), d: 1, p: { t: 1, k: 0, n: 'b' } });
  assert.equal(again.get('notes', '3.1.1/1.1.1/1.1.1'), undefined);
  assert.deepEqual(again.get('', '1.1.1/1.1.1/1.1.1'), stamp(4, 'w'));
  // Only a stamp of the text as it is counts.
  assert.equal(again.valid('notes', '1.1.1/1.1.1/1.1.1', 'x'), undefined);
  assert.deepEqual(again.valid('notes', '1.1.1/1.1.1/1.1.1', 'y'), stamp(2, 'y'));
  again.keep('notes', '3.1.1/1.1.1/1.1.1', stamp(5, 'v'));
  await again.close();
  assert.ok(readFileSync(sidecar, 'utf8').endsWith('"s":"v"}\n'));
  const third = new StampBook(dir);
  await third.load();
  assert.deepEqual(third.get('notes', '3.1.1/1.1.1/1.1.1'), stamp(5, 'v'));
});

test('a sidecar mostly of superseded lines is rewritten, atomically, with the newest of each', async (t) => {
  const dir = tempDir(t);
  const sidecar = join(dir, '.busy.phext.mesh');
  const line = (i: number) => JSON.stringify({ c: '1.1.1/1.1.1/1.1.1', ...stamp(i, `v${i}`) }) + '\n';
  // As a previous run left it: on load.
  writeFileSync(
    sidecar,
    Array.from({ length: 1_100 }, (_, i) => line(i + 1)).join('') + JSON.stringify({ c: '2.1.1/1.1.1/1.1.1', ...stamp(1, 'w') }) + '\n',
  );
  const again = new StampBook(dir);
  await again.load();
  assert.equal(readFileSync(sidecar, 'utf8').split('\n').length, 3);
  assert.deepEqual(again.get('busy', '1.1.1/1.1.1/1.1.1'), stamp(1_100, 'v1100'));
  assert.deepEqual(again.get('busy', '2.1.1/1.1.1/1.1.1'), stamp(1, 'w'));
  // As appends make it so: while running.
  for (let i = 1_101; i <= 2_300; i++) {
    again.keep('busy', '1.1.1/1.1.1/1.1.1', stamp(i, `v${i}`));
    if (i % 100 === 0) await new Promise((r) => setTimeout(r, 5));
  }
  await again.close();
  assert.ok(readFileSync(sidecar, 'utf8').split('\n').length < 1_100);
  const third = new StampBook(dir);
  await third.load();
  assert.deepEqual(third.get('busy', '1.1.1/1.1.1/1.1.1'), stamp(2_300, 'v2300'));
  assert.deepEqual(third.get('busy', '2.1.1/1.1.1/1.1.1'), stamp(1, 'w'));
});

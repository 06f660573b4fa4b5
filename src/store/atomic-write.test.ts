import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic } from './atomic-write.js';
import { tempDir, tempFiles } from './fixtures/support.js';

test('writeFileAtomic replaces the file with a new inode and returns its stamp', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'a.phext');
  writeFileSync(file, 'old content');
  const oldIno = statSync(file).ino;
  const stamp = await writeFileAtomic(file, Buffer.from('new'));
  const st = statSync(file, { bigint: true });
  assert.equal(readFileSync(file, 'utf8'), 'new');
  assert.notEqual(Number(st.ino), oldIno);
  assert.deepEqual(stamp, { ino: st.ino, size: st.size, mtimeNs: st.mtimeNs });
  assert.deepEqual(readdirSync(dir), ['a.phext']);
});

test('writeFileAtomic removes its temp file when the final rename fails', async (t) => {
  const dir = tempDir(t);
  const target = join(dir, 'occupied.phext');
  mkdirSync(target);
  writeFileSync(join(target, 'inside'), 'x'); // renaming a file over a non-empty directory fails
  await assert.rejects(writeFileAtomic(target, Buffer.from('data')), (e: NodeJS.ErrnoException) => typeof e.code === 'string');
  assert.deepEqual(tempFiles(dir), []);
  assert.ok(statSync(target).isDirectory());
});

import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileChangedError, writeFileAtomic } from './atomic-write.js';
import { stampOf } from './file-stamp.js';
import { tempDir } from '../testing/temp-dir.js';
import { tempFiles } from '../testing/store-support.js';

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

test('writeFileAtomic keeps the permission bits of the file it replaces', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'private.phext');
  writeFileSync(file, 'old', { mode: 0o600 });
  chmodSync(file, 0o640);
  await writeFileAtomic(file, Buffer.from('new'));
  assert.equal(statSync(file).mode & 0o777, 0o640);
  assert.equal(readFileSync(file, 'utf8'), 'new');
});

test('writeFileAtomic with a mode sets exactly those bits, on a new file and over an open one', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'tenants.json');
  await writeFileAtomic(file, '{}', { mode: 0o600 });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  chmodSync(file, 0o644);
  await writeFileAtomic(file, '{"tenants":{}}', { mode: 0o600 });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(readFileSync(file, 'utf8'), '{"tenants":{}}');
});

test('writeFileAtomic through a symlink replaces the file it points to and keeps the link', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'real'));
  writeFileSync(join(dir, 'real', 'a.phext'), 'old');
  symlinkSync(join('real', 'a.phext'), join(dir, 'a.phext'));
  await writeFileAtomic(join(dir, 'a.phext'), Buffer.from('new'));
  assert.ok(lstatSync(join(dir, 'a.phext')).isSymbolicLink());
  assert.equal(readFileSync(join(dir, 'real', 'a.phext'), 'utf8'), 'new');
  assert.deepEqual(readdirSync(join(dir, 'real')), ['a.phext']);
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

test('removeStaleTempFiles removes only temp files of processes that are gone', async (t) => {
  const dir = tempDir(t);
  const { spawnSync } = await import('node:child_process');
  const { removeStaleTempFiles } = await import('./stale-temp.js');
  const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
  assert.ok(deadPid);
  const dead = `.a.phext.tmp-${deadPid}-3`;
  const mine = `.a.phext.tmp-${process.pid}-1`;
  const parent = `.b.phext.tmp-${process.ppid}-7`;
  for (const name of [dead, mine, parent, 'a.phext', 'notes.tmp-1-2']) writeFileSync(join(dir, name), 'x');
  assert.equal(await removeStaleTempFiles(dir), 1);
  assert.deepEqual(readdirSync(dir).sort(), [mine, parent, 'a.phext', 'notes.tmp-1-2'].sort());
});

test('with expect, a target that changed (or appeared, or vanished) is left alone: FileChangedError, no temp file', async (t) => {
  const dir = tempDir(t);
  const target = join(dir, 'x.phext');
  writeFileSync(target, 'one');
  const stamp = stampOf(statSync(target, { bigint: true }));
  writeFileSync(target, 'two!');
  await assert.rejects(writeFileAtomic(target, Buffer.from('ours'), { expect: stamp }), FileChangedError);
  assert.equal(readFileSync(target, 'utf8'), 'two!');
  await assert.rejects(writeFileAtomic(target, Buffer.from('ours'), { expect: undefined }), FileChangedError);
  const now = stampOf(statSync(target, { bigint: true }));
  rmSync(target);
  await assert.rejects(writeFileAtomic(target, Buffer.from('ours'), { expect: now }), FileChangedError);
  assert.deepEqual(readdirSync(dir), []);
  await writeFileAtomic(target, Buffer.from('ours'), { expect: undefined });
  assert.equal(readFileSync(target, 'utf8'), 'ours');
});

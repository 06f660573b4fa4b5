import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Phext } from '../phext/index.js';
import { tempDir } from '../testing/temp-dir.js';
import type { Snapshot } from './document-store.js';
import { listPhextFiles } from './list-files.js';

test('listPhextFiles: phexts by file or change log, in name order; hidden, temp, odd and missing ones left out', async (t) => {
  const dir = tempDir(t, 'sq-list-files-');
  for (const name of [
    'b.phext',
    '.a.phext.log',
    'b.phext',
    '.b.phext.log',
    '.phext',
    '..phext.log',
    '.c.tmp-1-2',
    'a b.phext',
    'notes.txt',
    'gone.phext',
  ]) {
    writeFileSync(join(dir, name), '');
  }
  mkdirSync(join(dir, 'dir.phext'));
  const asked: string[] = [];
  const read = async (name: string): Promise<Snapshot | undefined> => {
    asked.push(name);
    if (name === 'gone') return undefined;
    const phext = new Phext();
    return { phext, version: name.length, size: 7, bytes: async () => Buffer.alloc(0), checksum: async () => '' };
  };
  const listed = await listPhextFiles(dir, read);
  assert.deepEqual(asked, ['a', 'b', 'gone']);
  assert.deepEqual(
    listed.map(({ modified: _, ...rest }) => rest),
    [
      { name: 'a', bytes: 7, scrolls: 0, version: 1 },
      { name: 'b', bytes: 7, scrolls: 0, version: 1 },
    ],
  );
  for (const entry of listed) assert.ok(entry.modified && !Number.isNaN(Date.parse(entry.modified)));
  assert.deepEqual(await listPhextFiles(join(dir, 'missing'), read), []);
});

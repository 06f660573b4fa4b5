import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Coordinate, checksum } from '../phext/index.js';
import type { Commit } from '../store/document-store.js';
import { RecentChanges } from './recent.js';

function commit(version: number, changes: [number, string, string][], extra: Partial<Commit> = {}): Commit {
  return {
    document: { tenant: 't', name: 'p' },
    bytesBefore: 0,
    bytesAfter: 0,
    bytesWritten: 0,
    version,
    batchSize: 1,
    durationMs: 0,
    records: changes.map(([v, c, text]) => ({
      version: v,
      coordinate: Coordinate.parse(c),
      kind: 'update' as const,
      text,
      bytes: text.length,
      checksum: checksum(text),
      before: '',
    })),
    ...extra,
  };
}

const texts = (changes: ReturnType<RecentChanges['changes']>) => changes?.records.map((r) => `${r.version} ${r.text}`);

test('the newest change of each scroll after a version, from this run’s commits; older positions go to the store', () => {
  const recent = new RecentChanges('t');
  assert.equal(recent.changes('p', 0), undefined);
  recent.observe(
    commit(5, [
      [4, '1.1.1', 'a'],
      [5, '1.1.2', 'b'],
    ]),
  );
  recent.observe(
    commit(7, [
      [6, '1.1.1', 'c'],
      [7, '1.1.3', 'd'],
    ]),
  );
  assert.deepEqual(texts(recent.changes('p', 3)), ['5 b', '6 c', '7 d']);
  assert.deepEqual(texts(recent.changes('p', 5)), ['6 c', '7 d']);
  assert.deepEqual(recent.changes('p', 7), { version: 7, records: [] });
  assert.equal(recent.changes('p', 2), undefined); // before the first commit seen
  assert.equal(recent.changes('p', 8), undefined); // ahead of the phext
  recent.observe(commit(7, [], { outside: { checksum: 'x' } })); // another program's edit
  assert.equal(recent.changes('p', 7), undefined);
  // A phext the store found unchanged is not asked again until its next commit.
  recent.unchanged('p', 7);
  assert.deepEqual(recent.changes('p', 7), { version: 7, records: [] });
  recent.observe(commit(8, [[8, '1.1.1', 'e']]));
  assert.deepEqual(texts(recent.changes('p', 7)), ['8 e']);
  assert.equal(recent.changes('p', 6), undefined);
});

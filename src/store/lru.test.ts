import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Lru } from './lru.js';

test('Lru evicts least-recently-used first, skips pinned entries, and keeps the totals right', () => {
  const lru = new Lru<string, { pinned: boolean }>(100);
  const values = { a: { pinned: false }, b: { pinned: false }, c: { pinned: false }, d: { pinned: false } };
  for (const [k, v] of Object.entries(values)) {
    lru.add(k, v);
    lru.weigh(k, v, 40);
  }
  values.b.pinned = true;
  lru.get('a'); // order now b, c, d, a
  lru.trim((v) => !v.pinned);
  // b is pinned, so c and d go; 80 fits.
  assert.deepEqual([...lru.values()], [values.b, values.a]);
  assert.equal(lru.weight, 80);
  assert.equal(lru.weightedCount, 2);
  lru.weigh('a', { pinned: false }, 1000); // a value that no longer owns the key is ignored
  assert.equal(lru.weight, 80);
  lru.delete('a');
  assert.equal(lru.weight, 40);
  assert.equal(lru.peek('a'), undefined);
});

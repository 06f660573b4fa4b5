import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HybridClock, compareStamps } from './hlc.js';

test('stamps follow the wall clock, never go back, and pass every stamp seen', () => {
  let wall = 1_000;
  const clock = new HybridClock('a', () => wall);
  assert.deepEqual(clock.now(), { t: 1_000, k: 0, n: 'a' });
  assert.deepEqual(clock.now(), { t: 1_000, k: 1, n: 'a' });
  wall = 900; // the wall clock stepped back: the stamps do not
  assert.deepEqual(clock.now(), { t: 1_000, k: 2, n: 'a' });
  clock.observe({ t: 5_000, k: 7, n: 'b' }); // a node whose clock is ahead
  const after = clock.now();
  assert.deepEqual(after, { t: 5_000, k: 8, n: 'a' });
  assert.ok(compareStamps(after, { t: 5_000, k: 7, n: 'b' }) > 0);
  wall = 6_000;
  assert.deepEqual(clock.now(), { t: 6_000, k: 0, n: 'a' });
});

test('stamps are ordered by time, then counter, then node id (ties go to the greater id)', () => {
  assert.ok(compareStamps({ t: 1, k: 9, n: 'z' }, { t: 2, k: 0, n: 'a' }) < 0);
  assert.ok(compareStamps({ t: 2, k: 1, n: 'a' }, { t: 2, k: 0, n: 'z' }) > 0);
  assert.ok(compareStamps({ t: 2, k: 1, n: 'b' }, { t: 2, k: 1, n: 'a' }) > 0);
  assert.equal(compareStamps({ t: 2, k: 1, n: 'a' }, { t: 2, k: 1, n: 'a' }), 0);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoadLimit } from './load-limit.js';

test('a load limit runs at most its limit at once, the others in arrival order, and goes on after a failure', async () => {
  const limit = new LoadLimit(2);
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const releases: Array<() => void> = [];
  const load = (i: number) =>
    limit.run(async () => {
      started.push(i);
      most = Math.max(most, ++running);
      await new Promise<void>((resolve) => releases.push(resolve));
      running--;
      if (i === 1) throw new Error('load 1 failed');
      return i;
    });
  const results = [0, 1, 2, 3, 4].map((i) => load(i).catch((e: Error) => e.message));
  for (let n = 0; n < 5; n++) {
    await new Promise((r) => setImmediate(r));
    releases.shift()!();
  }
  assert.deepEqual(await Promise.all(results), [0, 'load 1 failed', 2, 3, 4]);
  assert.equal(most, 2);
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FreshReads } from './fresh-reads.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** Checks the test ends by hand: each resolves with its own number (its start order). */
function handChecks() {
  const pending: Array<() => void> = [];
  let started = 0;
  return {
    check: () => {
      const n = ++started;
      return new Promise<number>((resolve) => pending.push(() => resolve(n)));
    },
    get started() {
      return started;
    },
    finishNext: () => pending.shift()!(),
  };
}

test('a read that comes while a check runs gets the next one, started after it; those that come meanwhile share it', async () => {
  const checks = handChecks();
  const reads = new FreshReads(checks.check);
  const first = reads.read();
  await turn();
  assert.equal(checks.started, 1);
  const second = reads.read(); // came after check 1 was sent: must not be served by it
  const third = reads.read();
  await turn();
  assert.equal(checks.started, 1, 'no second check while the first runs');
  checks.finishNext();
  assert.equal(await first, 1);
  await turn();
  await turn();
  assert.equal(checks.started, 2, 'the waiting reads start one check once the first has ended');
  checks.finishNext();
  assert.deepEqual(await Promise.all([second, third]), [2, 2]);
  // Idle again: the next read starts its own check at once.
  const fourth = reads.read();
  await turn();
  assert.equal(checks.started, 3);
  checks.finishNext();
  assert.equal(await fourth, 3);
});

test('reads that come in the same turn of the event loop share one check, sent after the last of them', async () => {
  const checks = handChecks();
  const reads = new FreshReads(checks.check);
  const all = [reads.read(), reads.read(), reads.read()];
  assert.equal(checks.started, 0, 'not sent before the turn ends');
  await turn();
  assert.equal(checks.started, 1);
  checks.finishNext();
  assert.deepEqual(await Promise.all(all), [1, 1, 1]);
});

test('a failed check fails the reads it served; the reads waiting behind it get a check of their own', async () => {
  let n = 0;
  const fails: Array<(e: Error) => void> = [];
  const reads = new FreshReads<number>(() => {
    n++;
    return n === 1 ? new Promise<number>((_, reject) => fails.push(reject)) : Promise.resolve(n);
  });
  const first = reads.read();
  await turn();
  const second = reads.read();
  fails[0]!(new Error('connection lost'));
  await assert.rejects(first, /connection lost/);
  assert.equal(await second, 2);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Coordinate, checksum } from '../phext/index.js';
import { FileDocumentStore } from '../store/index.js';
import { tempDir } from '../testing/temp-dir.js';
import { applyRemote, type RemoteScroll } from './apply.js';
import { HybridClock } from './hlc.js';
import { Stamper } from './stamper.js';
import { StampBook } from './stamps.js';

const C = '1.1.1/1.1.1/1.1.1';

/** One node: a store of its own directory, its stamps, a clock at `wall()`. */
async function node(t: { after(fn: () => unknown): void }, id: string, wall: () => number) {
  // The directory goes once the store has closed (its last checkpoint written).
  const removals: (() => unknown)[] = [];
  const dir = tempDir({ after: (fn) => removals.push(fn) });
  const store = new FileDocumentStore({ cacheBytes: 1 << 24, maxPhextBytes: 1 << 24, directories: () => dir });
  const book = new StampBook(dir);
  await book.load();
  const stamper = new Stamper(book, new HybridClock(id, wall), 'default');
  store.onCommit((commit) => stamper.observe(commit));
  t.after(async () => {
    await store.close();
    await book.close();
    for (const remove of removals) await remove();
  });
  const conflicts: string[] = [];
  return {
    stamper,
    conflicts,
    write: (text: string) => store.mutate({ tenant: 'default', name: 'p' }, (d) => d.set(Coordinate.parse(C), text)),
    text: async () => (await store.read({ tenant: 'default', name: 'p' }))?.phext.get(Coordinate.parse(C)) ?? '',
    /** The scroll as this node sends it. */
    sent: async () => {
      const text = (await store.read({ tenant: 'default', name: 'p' }))?.phext.get(Coordinate.parse(C)) ?? '';
      const { t: time, k, n, p } = book.get('p', C)!;
      return { c: C, text, t: time, k, n, p };
    },
    apply: (scroll: RemoteScroll) =>
      applyRemote(store, stamper, 'default', 'p', [scroll], (c, kept, dropped) => conflicts.push(`${c} kept ${kept} dropped ${dropped}`)),
  };
}

test('the newer stamp wins on both nodes, ties go to the greater node id, and a value coming back applies nothing', async (t) => {
  let wall = 1_000;
  const a = await node(t, 'a', () => wall);
  const b = await node(t, 'b', () => wall);
  await a.write('from a');
  wall = 1_001;
  await b.write('from b');
  const fromA = await a.sent();
  const fromB = await b.sent();
  assert.equal((await b.apply(fromA)).count, 0); // older: b keeps its value
  assert.equal((await a.apply(fromB)).count, 1);
  assert.equal(await a.text(), 'from b');
  assert.equal(await b.text(), 'from b');
  // b's value back from a (or via a third node) carries b's stamp: equal, nothing happens.
  assert.equal((await b.apply(await a.sent())).count, 0);
  assert.deepEqual(await a.sent(), await b.sent());
  // Both saw a's value lose: it was written without knowledge of b's.
  assert.deepEqual(a.conflicts, [`${C} kept b dropped a`]);
  assert.deepEqual(b.conflicts, [`${C} kept b dropped a`]);

  // Same millisecond, same counter: the greater node id wins everywhere.
  wall = 5_000;
  await a.write('tie a');
  await b.write('tie b');
  const [tieA, tieB] = [await a.sent(), await b.sent()];
  assert.equal(tieA.t, tieB.t);
  await a.apply(tieB);
  await b.apply(tieA);
  assert.equal(await a.text(), 'tie b');
  assert.equal(await b.text(), 'tie b');
});

test('a later write made on top of a value is no conflict; a deletion travels as a tombstone', async (t) => {
  let wall = 1_000;
  const a = await node(t, 'a', () => wall);
  const b = await node(t, 'b', () => wall);
  await a.write('one');
  await b.apply(await a.sent());
  wall = 2_000;
  await b.write('two'); // b saw "one"
  await a.apply(await b.sent());
  assert.equal(await a.text(), 'two');
  assert.deepEqual(a.conflicts, []);
  wall = 3_000;
  await a.write(''); // deleted
  const tombstone = await a.sent();
  assert.equal(tombstone.text, '');
  assert.equal((await b.apply(tombstone)).count, 1);
  assert.equal(await b.text(), '');
  // An older value arriving late does not bring the scroll back.
  assert.equal((await b.apply({ c: C, text: 'late', t: 1_500, k: 0, n: 'c' })).count, 0);
  assert.equal(await b.text(), '');
});

test('a scroll served while a remote value of it is being committed keeps its stamp, and the value keeps its own', async (t) => {
  const a = await node(t, 'a', () => 1_000);
  await a.write('old');
  const old = await a.sent();
  const { book } = a.stamper;
  const remote = { t: 2_000, k: 0, n: 'b', s: checksum('new') };
  book.propose('p', C, remote); // as applyRemote does inside the mutation, before its commit
  // A peer asks meanwhile: the committed text is still 'old', with its stamp.
  assert.deepEqual(a.stamper.stampOf('p', C, checksum('old')), book.get('p', C));
  assert.equal(book.get('p', C)!.t, old.t);
  // The commit lands: its observer settles the proposal.
  a.stamper.observe({
    document: { tenant: 'default', name: 'p' },
    bytesBefore: 0,
    bytesAfter: 0,
    bytesWritten: 0,
    version: 2,
    records: [
      {
        version: 2,
        coordinate: Coordinate.parse(C),
        kind: 'update',
        text: 'new',
        bytes: 3,
        checksum: checksum('new'),
        before: checksum('old'),
      },
    ],
    batchSize: 1,
    durationMs: 0,
  });
  assert.deepEqual(book.get('p', C), remote);
});

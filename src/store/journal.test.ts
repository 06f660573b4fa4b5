import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Coordinate, Phext, serialize } from '../phext/index.js';
import { Journal } from './journal.js';

const coordinate = fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 9, maxLength: 9 }).map((parts) => Coordinate.of(parts));
const edit = fc.record({
  coordinate,
  text: fc.oneof(fc.constant(''), fc.string({ maxLength: 6 }), fc.string({ unit: 'grapheme', maxLength: 4 })),
});

test('changesSince lists exactly the scrolls whose text differs from the mark, with their text then and now', () => {
  fc.assert(
    fc.property(fc.array(edit, { maxLength: 12 }), fc.array(edit, { maxLength: 8 }), (initial, edits) => {
      const phext = new Phext();
      for (const e of initial) phext.set(e.coordinate, e.text);
      const then = new Map([...phext].map((s) => [s.coordinate.key, s.text]));
      const journal = new Journal(phext);
      for (const e of edits) phext.set(e.coordinate, e.text);
      const changed = new Map(journal.changesSince(0).changed.map((c) => [c.key, c]));
      for (const e of edits) {
        const key = e.coordinate.key;
        const differs = phext.get(e.coordinate) !== (then.get(key) ?? '');
        assert.equal(changed.has(key), differs, key);
        if (differs) {
          assert.equal(changed.get(key)!.before, then.get(key) ?? '');
          assert.equal(changed.get(key)!.text, phext.get(e.coordinate));
        }
      }
      assert.ok([...changed.keys()].every((k) => edits.some((e) => e.coordinate.key === k)));
      journal.detach();
    }),
  );
});

test('changesSince measures exactly how much the serialized phext grew since the mark, and keeps the changes', () => {
  fc.assert(
    fc.property(
      fc.array(edit, { maxLength: 12 }),
      fc.array(edit, { maxLength: 4 }),
      fc.array(edit, { maxLength: 8 }),
      (initial, earlier, edits) => {
        const phext = new Phext();
        for (const e of initial) phext.set(e.coordinate, e.text);
        const journal = new Journal(phext);
        for (const e of earlier) phext.set(e.coordinate, e.text);
        const before = serialize(phext).length;
        const mark = journal.mark;
        edits.forEach((e, i) => {
          if (i % 3 === 0) phext.append(e.coordinate, e.text);
          else if (e.text === '') phext.delete(e.coordinate);
          else phext.set(e.coordinate, e.text);
        });
        const expected = serialize(phext);
        assert.equal(journal.changesSince(mark).growth, expected.length - before);
        assert.deepEqual(serialize(phext), expected);
        // Still undoable to the mark after being measured.
        journal.rollback(mark);
        assert.equal(serialize(phext).length, before);
        journal.detach();
      },
    ),
  );
});

test('rollback restores the exact previous phext, and detach stops recording', () => {
  fc.assert(
    fc.property(
      fc.array(edit, { maxLength: 12 }),
      fc.array(edit, { maxLength: 8 }),
      fc.array(edit, { maxLength: 8 }),
      (initial, kept, undone) => {
        const phext = new Phext();
        for (const e of initial) phext.set(e.coordinate, e.text);
        const journal = new Journal(phext);
        for (const e of kept) phext.set(e.coordinate, e.text);
        const expected = serialize(phext);
        const mark = journal.mark;
        undone.forEach((e, i) => {
          if (i % 3 === 0) phext.append(e.coordinate, e.text);
          else if (i % 3 === 1) phext.delete(e.coordinate);
          else phext.set(e.coordinate, e.text);
        });
        journal.rollback(mark);
        assert.deepEqual(serialize(phext), expected);
        journal.detach();
        phext.set(Coordinate.ORIGIN, 'after detach');
        assert.equal(journal.mark, 0);
      },
    ),
  );
});

test('append, set and delete are all journaled: rolling back to 0 gives the phext back byte for byte', () => {
  const phext = new Phext();
  phext.set(Coordinate.parse('1.1.1'), 'a');
  phext.set(Coordinate.parse('1.1.3'), 'c');
  const expected = serialize(phext);
  const journal = new Journal(phext);
  phext.append(Coordinate.parse('1.1.1'), '+more');
  phext.append(Coordinate.parse('1.1.2'), 'new');
  phext.append(Coordinate.parse('9.9.9'), 'far');
  phext.delete(Coordinate.parse('1.1.3'));
  assert.equal(journal.mark, 4);
  journal.rollback(0);
  assert.deepEqual(serialize(phext), expected);
  journal.detach();
});

test('a phext takes one recorder at a time, and a frozen phext refuses every change', () => {
  const phext = new Phext();
  const journal = new Journal(phext);
  assert.throws(() => new Journal(phext), /already has a change recorder/);
  journal.detach();
  phext.set(Coordinate.ORIGIN, 'x');
  phext.freeze();
  for (const change of [
    () => phext.set(Coordinate.ORIGIN, 'y'),
    () => phext.append(Coordinate.ORIGIN, 'y'),
    () => phext.delete(Coordinate.ORIGIN),
  ])
    assert.throws(change, /read-only/);
  assert.equal(phext.get(Coordinate.ORIGIN), 'x');
  assert.equal(phext.clone().isFrozen, false);
});

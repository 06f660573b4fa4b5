import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Coordinate, Phext, serialize } from '../phext/index.js';
import { Journal } from './journal.js';

const coordinate = fc
  .array(fc.integer({ min: 1, max: 12 }), { minLength: 9, maxLength: 9 })
  .map((parts) => Coordinate.of(parts));
const edit = fc.record({ coordinate, text: fc.oneof(fc.constant(''), fc.string({ maxLength: 6 }), fc.string({ unit: 'grapheme', maxLength: 4 })) });

test('growthBound never underestimates how much the serialized phext grows', () => {
  fc.assert(
    fc.property(fc.array(edit, { maxLength: 12 }), fc.array(edit, { maxLength: 8 }), (initial, edits) => {
      const phext = new Phext();
      for (const e of initial) phext.set(e.coordinate, e.text);
      const before = serialize(phext).length;
      const journal = new Journal(phext);
      for (const e of edits) {
        if (e.text === '') phext.delete(e.coordinate);
        else phext.set(e.coordinate, e.text);
      }
      const after = serialize(phext).length;
      assert.ok(after - before <= journal.growthBound(0), `grew ${after - before}, bound ${journal.growthBound(0)}`);
      journal.detach();
    }),
  );
});

test('rollback restores the exact previous phext, and detach restores plain methods', () => {
  fc.assert(
    fc.property(fc.array(edit, { maxLength: 12 }), fc.array(edit, { maxLength: 8 }), fc.array(edit, { maxLength: 8 }), (initial, kept, undone) => {
      const phext = new Phext();
      for (const e of initial) phext.set(e.coordinate, e.text);
      const journal = new Journal(phext);
      for (const e of kept) phext.set(e.coordinate, e.text);
      const expected = serialize(phext);
      const mark = journal.mark;
      for (const e of undone) phext.set(e.coordinate, e.text);
      journal.rollback(mark);
      assert.deepEqual(serialize(phext), expected);
      journal.detach();
      assert.equal(Object.hasOwn(phext, 'set'), false);
      assert.equal(Object.hasOwn(phext, 'delete'), false);
    }),
  );
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { coordinate, phext, pooledCoordinate, scrollText } from './arbitraries.test.js';
import { Coordinate } from './coordinate.js';
import { serializedGrowth } from './growth.js';
import { Phext } from './phext.js';
import { serialize } from './serialize.js';

const at = Coordinate.parse;

describe('serializedGrowth', () => {
  it('counts the delimiters a new scroll needs, and those a removed one frees', () => {
    const p = Phext.from([{ coordinate: at('1.1.1/1.1.1/1.1.1'), text: 'a' }]);
    assert.equal(serializedGrowth(p, at('1.1.1/1.1.1/1.1.50'), 'xyz'), 49 + 3);
    assert.equal(serializedGrowth(p, at('1.1.1/1.1.1/1.1.1'), 'abc'), 2);
    assert.equal(serializedGrowth(p, at('1.1.1/1.1.1/1.1.1'), ''), -1);
    assert.equal(serializedGrowth(new Phext(), at('2.1.1/1.1.1/1.1.3'), 'é'), 1 + 2 + 2);
  });

  it('equals the change of the serialized size, for any phext, coordinate and text', () => {
    fc.assert(
      fc.property(phext, fc.oneof(coordinate, pooledCoordinate), scrollText, fc.boolean(), (p, c, text, unsorted) => {
        if (unsorted) p.set(at('1.1.1/1.1.1/1.1.1'), 'late'); // a scroll set out of order
        const before = serialize(p).length;
        const growth = serializedGrowth(p, c, text);
        const next = p.clone();
        next.set(c, text);
        assert.equal(growth, serialize(next).length - before);
      }),
      { numRuns: 300 },
    );
  });
});

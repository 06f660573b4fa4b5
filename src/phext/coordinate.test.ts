import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { coordinate } from './arbitraries.test.js';
import { Coordinate } from './coordinate.js';

describe('Coordinate.parse (lenient, as the original to_coordinate)', () => {
  const cases: [string, string][] = [
    ['', '1.1.1/1.1.1/1.1.1'],
    ['HOME', '1.1.1/1.1.1/1.1.1'],
    ['3.3.3', '3.3.1/1.1.1/1.1.3'],
    ['1;2;3', '1.2.1/1.1.1/1.1.3'],
    ['7', '1.1.1/1.1.1/1.1.7'],
    ['2.3.4/5.6.7/8.9.10', '2.3.4/5.6.7/8.9.10'],
    ['2.3.4;5.6.7;8.9.10', '2.3.4/5.6.7/8.9.10'],
    [' 2.3.4 / 5.6.7 / 8.9.10 ', '2.3.4/5.6.7/8.9.10'],
    ['c=1.1.1/1.1.1/1.1.2x', '1.1.1/1.1.1/1.1.2'],
    ['1.2.3/4.5.6/7.8.9/10.11', '1.2.3/4.5.6/7.8.11'],
  ];
  for (const [input, expected] of cases) {
    test(JSON.stringify(input), () => assert.equal(Coordinate.parse(input).toString(), expected));
  }

  test('overflow is kept and flagged invalid, naming the part', () => {
    const c = Coordinate.parse('1.1.1/1.1.1/1.1.99999999999');
    assert.equal(c.isValid(), false);
    assert.match(c.problem()!, /scroll is 99999999999, outside 1\.\.999/);
    assert.match(c.problem()!, /1\.1\.1\/1\.1\.1\/1\.1\.99999999999/);
  });

  test('0 and 1000 are invalid, 1 and 999 valid', () => {
    assert.match(Coordinate.parse('0.1.1/1.1.1/1.1.1').problem()!, /^library is 0/);
    assert.match(Coordinate.parse('1.1.1/1.1000.1/1.1.1').problem()!, /^volume is 1000/);
    assert.equal(Coordinate.parse('999.1.1/1.1.1/1.1.999').problem(), undefined);
  });

  test('toString, toUrl and parse round-trip', () => {
    fc.assert(
      fc.property(coordinate, (c) => {
        assert.ok(Coordinate.parse(c.toString()).equals(c));
        assert.ok(Coordinate.parse(c.toUrl()).equals(c));
        assert.equal(c.toUrl(), c.toString().replaceAll('/', ';'));
      }),
      { numRuns: 200 },
    );
  });
});

describe('ordering', () => {
  test('library first, scroll last', () => {
    const sorted = ['1.1.1/1.1.1/1.1.2', '1.1.1/1.1.1/1.2.1', '1.1.1/1.1.2/1.1.1', '1.1.2/1.1.1/1.1.1', '2.1.1/1.1.1/1.1.1', '10.1.1/1.1.1/1.1.1'];
    const shuffled = [...sorted].reverse().map(Coordinate.parse);
    assert.deepEqual(shuffled.sort((a, b) => a.compare(b)).map(String), sorted);
  });

  test('key order is coordinate order, and fromKey inverts key', () => {
    fc.assert(
      fc.property(coordinate, coordinate, (a, b) => {
        assert.equal(Math.sign(a.compare(b)), a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
        assert.ok(Coordinate.fromKey(a.key).equals(a));
      }),
      { numRuns: 300 },
    );
  });

  test('a part a file can hold (up to 65535) has a key; 0 and 65536 have none', () => {
    const far = Coordinate.parse('1.1.1/1.1.1/1.1.65535');
    assert.equal(Coordinate.fromKey(far.key).toString(), '1.1.1/1.1.1/1.1.65535');
    assert.ok(Coordinate.parse('1.1.1/1.1.1/1.1.999').key < Coordinate.parse('1.1.1/1.1.1/1.1.1000').key);
    assert.throws(() => Coordinate.parse('1.1.1/1.1.1/1.1.65536').key, /scroll is 65536, outside 1\.\.65535/);
    assert.throws(() => Coordinate.parse('1.1.1/1.1.1/1.1.0').key, /scroll is 0/);
  });
});

describe('advance', () => {
  test('increments one part and resets the smaller ones', () => {
    const c = Coordinate.parse('3.3.3/3.3.3/3.3.3');
    assert.equal(c.advance(4).toString(), '3.3.3/3.4.1/1.1.1');
    assert.equal(c.advance(8).toString(), '3.3.3/3.3.3/3.3.4');
    assert.equal(c.advance(0).toString(), '4.1.1/1.1.1/1.1.1');
  });

  test('stays at 999 (saturation) but still resets below', () => {
    const c = Coordinate.parse('1.1.1/1.999.5/5.5.5');
    assert.equal(c.advance(4).toString(), '1.1.1/1.999.1/1.1.1');
  });
});

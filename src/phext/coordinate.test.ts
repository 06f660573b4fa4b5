import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { coordinate } from './arbitraries.test.js';
import { Coordinate } from './coordinate.js';
import { COORDINATE_VECTORS } from '../testing/coordinate-vectors.js';

/**
 * SQ-PROTOCOL A1's request rule read a second way, to test Coordinate.parse against: keep only
 * digits and separators, drop whatever comes before the first digit, split at the separators.
 * With k separators there are k+1 segments; the first min(k, 8) fill library … section, the last
 * one is the scroll, an empty segment is 0 and a 0 means 1. Numbers are BigInts, so overflow
 * cannot hide. `clamped` is the original's answer (999 for anything above), `part` our refusal.
 */
function reference(text: string): { coordinate: string; clamped: string; part?: string } {
  const names = ['library', 'shelf', 'series', 'collection', 'volume', 'book', 'chapter', 'section', 'scroll'];
  const kept = text.replace(/[^0-9./;]/g, '');
  const first = kept.search(/[0-9]/);
  const values: bigint[] = new Array(9).fill(1n);
  if (first >= 0) {
    const segments = kept.slice(first).split(/[./;]/);
    const separators = segments.length - 1;
    const number = (segment = '') => (segment === '' ? 0n : BigInt(segment));
    for (let i = 0; i < Math.min(separators, 8); i++) values[i] = number(segments[i]);
    values[8] = number(segments[separators]);
  }
  const canonical = values.map((v) => (v === 0n ? 1n : v));
  const format = (vs: bigint[]) => `${vs.slice(0, 3).join('.')}/${vs.slice(3, 6).join('.')}/${vs.slice(6).join('.')}`;
  const over = canonical.findIndex((v) => v > 999n);
  return {
    coordinate: format(canonical),
    clamped: format(canonical.map((v) => (v > 999n ? 999n : v))),
    part: over < 0 ? undefined : names[over],
  };
}

/** What Coordinate.parse makes of `text`: the canonical coordinate, or the part it refuses. */
function parsed(text: string): { coordinate?: string; part?: string } {
  const c = Coordinate.parse(text);
  const problem = c.problem();
  return problem === undefined ? { coordinate: c.toString() } : { part: /^(\w+) is /.exec(problem)?.[1] };
}

/** Coordinate-like text: numbers (leading zeros, 0, over 999, overflowing), separators, and the noise clients put around them. */
const coordinateText = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0, max: 1200 }).map(String) },
      { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 10n ** 25n }).map(String) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 99 }).map((n) => `00${n}`) },
      { weight: 8, arbitrary: fc.constantFrom('.', '/', ';') },
      { weight: 2, arbitrary: fc.constantFrom('a', '-', ' ', '\\', ',', 'test', 'HOME', '٣', 'é', '😀', '?', '#', '%2F', '+') },
      { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
    ),
    { maxLength: 24 },
  )
  .map((pieces) => pieces.join(''));

describe('Coordinate.parse (the original to_coordinate)', () => {
  test('every vector of SQ-PROTOCOL A1 lands where the original puts it (or is 400 naming the part)', () => {
    assert.ok(COORDINATE_VECTORS.length >= 30);
    for (const v of COORDINATE_VECTORS) {
      const c = Coordinate.parse(v.text);
      if (v.expect === '400') {
        assert.match(c.problem() ?? '', /outside 1\.\.999/, JSON.stringify(v.text));
      } else {
        assert.equal(c.problem(), undefined, JSON.stringify(v.text));
        assert.equal(c.toString(), v.expect, JSON.stringify(v.text));
      }
    }
  });

  test('the reference reading agrees with every vector, the original clamp included', () => {
    for (const v of COORDINATE_VECTORS) {
      const r = reference(v.text);
      if (v.expect === '400') {
        assert.ok(r.part !== undefined, JSON.stringify(v.text));
        assert.equal(r.clamped, v.original, JSON.stringify(v.text));
      } else {
        assert.equal(r.coordinate, v.expect, JSON.stringify(v.text));
      }
    }
  });

  test('parse agrees with the reference reading on any text', () => {
    fc.assert(
      fc.property(fc.oneof(coordinateText, fc.string({ unit: 'binary', maxLength: 30 })), (text) => {
        const r = reference(text);
        assert.deepEqual(parsed(text), r.part === undefined ? { coordinate: r.coordinate } : { part: r.part });
      }),
      { numRuns: 3000 },
    );
  });

  const cases: [string, string][] = [
    ['1;2;3', '1.2.1/1.1.1/1.1.3'],
    ['2.3.4;5.6.7;8.9.10', '2.3.4/5.6.7/8.9.10'],
    [' 2.3.4 / 5.6.7 / 8.9.10 ', '2.3.4/5.6.7/8.9.10'],
    ['c=1.1.1/1.1.1/1.1.2x', '1.1.1/1.1.1/1.1.2'],
    ['1.2.3/4.5.6/7.8.9/10.11', '1.2.3/4.5.6/7.8.11'],
    ['connect/2.1.1/1.1.1/1.1.1', '2.1.1/1.1.1/1.1.1'],
    ['0.1.1/1.1.1/1.1.0', '1.1.1/1.1.1/1.1.1'],
    ['007.1.1/1.1.1/1.1.010', '7.1.1/1.1.1/1.1.10'],
  ];
  for (const [input, expected] of cases) {
    test(JSON.stringify(input), () => assert.equal(Coordinate.parse(input).toString(), expected));
  }

  test('overflow is kept and flagged invalid, naming the part', () => {
    const c = Coordinate.parse('1.1.1/1.1.1/1.1.99999999999');
    assert.equal(c.isValid(), false);
    assert.match(c.problem()!, /scroll is 99999999999, outside 1\.\.999/);
    assert.match(c.problem()!, /1\.1\.1\/1\.1\.1\/1\.1\.99999999999/);
    // The original wraps 2^32 + 2 to 2, and clamps the rest: both alias another scroll.
    assert.match(Coordinate.parse('1.1.4294967298/1.1.1/1.1.1').problem()!, /^series is 4294967298/);
    assert.match(
      Coordinate.parse('1.99999999999999999999999/1.1.1/1.1.1').problem()!,
      /^shelf is …, outside 1\.\.999 in coordinate 1\.…\.1/,
    );
  });

  test('0 means 1; 1000 is invalid; 1 and 999 valid', () => {
    assert.equal(Coordinate.parse('0.1.1/1.1.1/1.1.1').toString(), '1.1.1/1.1.1/1.1.1');
    assert.match(Coordinate.parse('1.1.1/1.1000.1/1.1.1').problem()!, /^volume is 1000/);
    assert.equal(Coordinate.parse('999.1.1/1.1.1/1.1.999').problem(), undefined);
  });

  test('a number after the eighth separator that never reaches a part is not refused (it addresses nothing)', () => {
    assert.equal(Coordinate.parse('1.1.1/1.1.1/1.1.1/5000.2').toString(), '1.1.1/1.1.1/1.1.2');
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
    const sorted = [
      '1.1.1/1.1.1/1.1.2',
      '1.1.1/1.1.1/1.2.1',
      '1.1.1/1.1.2/1.1.1',
      '1.1.2/1.1.1/1.1.1',
      '2.1.1/1.1.1/1.1.1',
      '10.1.1/1.1.1/1.1.1',
    ];
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

  test('a part a file can hold (up to 65535) has a key; 0 (which parse reads as 1) and 65536 have none', () => {
    const far = Coordinate.parse('1.1.1/1.1.1/1.1.65535');
    assert.equal(Coordinate.fromKey(far.key).toString(), '1.1.1/1.1.1/1.1.65535');
    assert.ok(Coordinate.parse('1.1.1/1.1.1/1.1.999').key < Coordinate.parse('1.1.1/1.1.1/1.1.1000').key);
    assert.throws(() => Coordinate.parse('1.1.1/1.1.1/1.1.65536').key, /scroll is 65536, outside 1\.\.65535/);
    assert.throws(() => Coordinate.of([1, 1, 1, 1, 1, 1, 1, 1, 0]).key, /scroll is 0/);
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

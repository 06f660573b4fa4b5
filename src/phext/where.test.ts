import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { phext } from './arbitraries.test.js';
import { Coordinate } from './coordinate.js';
import { PhextFormatError } from './errors.js';
import { parse } from './parse.js';
import { serialize } from './serialize.js';
import { where } from './where.js';

const long = 'x'.repeat(100);

describe('where, xor', () => {
  const cases: [string, string, number, string][] = [
    ['no long scroll: the start point', 'short\x17also short', 100, '1.1.1/1.1.1/1.1.1'],
    ['one long scroll at 1.1.4: 1^4 = 5, other parts 1^1 = 0 → 1', `\x17\x17\x17${long}\x17\x17short`, 100, '1.1.1/1.1.1/1.1.5'],
    ['two long scrolls: at 1.1.1/1.3.1/1.1.1 and 2.1.1/1.1.1/1.1.3', `\x1c\x1c${long}\x01\x17\x17${long}`, 100, '2.1.1/1.3.1/1.1.3'],
    ['limit 0 counts every non-empty scroll: 1 ^ 1 ^ 2', 'a\x17b', 0, '1.1.1/1.1.1/1.1.2'],
    ['limit counts UTF-8 bytes: 50 × é is 100 bytes', `\x17\x17\x17${'é'.repeat(50)}`, 100, '1.1.1/1.1.1/1.1.5'],
    ['49 × é is 98 bytes, too short', `\x17\x17\x17${'é'.repeat(49)}`, 100, '1.1.1/1.1.1/1.1.1'],
  ];
  for (const [name, body, limit, expected] of cases) {
    test(name, () => assert.equal(where(Buffer.from(body), 'xor', limit).toString(), expected));
  }

  test('a part above 999 (1 ^ 512 ^ 511 = 1022) stays at 999', () => {
    const body = `${'\x17'.repeat(511)}${long}${'\x17'.repeat(510)}${long}`;
    // The scrolls sit at scroll 512 and 1021 → saturated to 999 when read: 1 ^ 512 ^ 999 = 486.
    assert.equal(where(body, 'xor', 100).toString(), '1.1.1/1.1.1/1.1.486');
    const p = parse(Buffer.from(`${'\x17'.repeat(511)}${long}\x18${'\x17'.repeat(510)}${long}`));
    assert.equal(where(p, 'xor', 100).parts[7], 1 ^ 1 ^ 2);
    const q = parse(Buffer.from(`${'\x17'.repeat(511)}${long}`));
    q.set(Coordinate.parse('1.1.1/1.1.1/1.1.511'), long);
    assert.equal(where(q, 'xor', 100).toString(), '1.1.1/1.1.1/1.1.999');
  });

  test('always a valid coordinate', () => {
    fc.assert(
      fc.property(phext, fc.integer({ min: 0, max: 50 }), (p, limit) => {
        assert.equal(where(p, 'xor', limit).problem(), undefined);
        assert.equal(where(p, 'checksum', limit).problem(), undefined);
      }),
      { numRuns: 200 },
    );
  });

  test('refuses bytes that are not UTF-8', () => {
    assert.throws(() => where(Buffer.from([0x61, 0xff])), PhextFormatError);
  });
});

describe('where, checksum', () => {
  test('hello: parts from the hex text b5e9c1ad071b3e7fc779cfaa5e523818', () => {
    // ('b'<<8 | '5') % 999 = 25141 % 999 = 166, ('e'<<8 | '9') % 999 = 938, …
    assert.equal(where('hello', 'checksum', 100).toString(), '166.938.418/956.355.654/170.196.424');
    assert.equal(where(Buffer.from('hello'), 'checksum').toString(), '166.938.418/956.355.654/170.196.424');
  });

  test('a phext is hashed as its serialization', () => {
    fc.assert(
      fc.property(phext, (p) => assert.ok(where(p, 'checksum').equals(where(serialize(p), 'checksum')))),
      { numRuns: 100 },
    );
  });
});

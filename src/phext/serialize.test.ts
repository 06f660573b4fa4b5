import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { coordinate, entries, phext, scrollMap, scrollText } from './arbitraries.test.js';
import { Coordinate } from './coordinate.js';
import { parse } from './parse.js';
import { Phext } from './phext.js';
import { delimitersBetween, serialize, serializeToString } from './serialize.js';

const at = (c: string, text: string) => ({ coordinate: Coordinate.parse(c), text });

describe('serialize', () => {
  test('the protocol example: 1.1.1/1.1.1/1.1.2 → 2.1.1/1.3.1/1.1.5 is 01 1C 1C 17 17 17 17', () => {
    const run = delimitersBetween(Coordinate.parse('1.1.1/1.1.1/1.1.2'), Coordinate.parse('2.1.1/1.3.1/1.1.5'));
    assert.deepEqual([...Buffer.from(run)], [0x01, 0x1c, 0x1c, 0x17, 0x17, 0x17, 0x17]);
  });

  test('coordinate order whatever the insertion order; empty scrolls dropped', () => {
    const p = Phext.from([
      at('1.1.1/1.1.1/1.1.3', 'c'),
      at('1.1.1/1.1.1/1.1.1', 'a'),
      at('1.1.1/1.1.1/1.1.2', ''),
      at('1.1.2/1.1.1/1.1.1', 'z'),
    ]);
    assert.equal(serializeToString(p), 'a\x17\x17c\x1ez');
  });

  test('a first scroll away from the origin starts with its run; no trailing delimiters', () => {
    assert.equal(serializeToString(Phext.from([at('1.1.1/1.1.1/1.2.2', 'x')])), '\x18\x17x');
    assert.equal(serialize(new Phext()).length, 0);
  });

  test('999 in every part', () => {
    const p = Phext.from([at('999.999.999/999.999.999/999.999.999', 'end')]);
    const bytes = serialize(p);
    assert.equal(bytes.length, 9 * 998 + 3);
    assert.deepEqual(entries(parse(bytes)), [['999.999.999/999.999.999/999.999.999', 'end']]);
  });
});

describe('properties', () => {
  test('parse(serialize(m)) is m', () => {
    fc.assert(
      fc.property(scrollMap, (pairs) => {
        const p = Phext.from(pairs.map(([coordinate, text]) => ({ coordinate, text })));
        const expected = pairs
          .slice()
          .sort(([a], [b]) => a.compare(b))
          .map(([c, text]): [string, string] => [c.toString(), text]);
        assert.deepEqual(entries(parse(serialize(p))), expected);
      }),
      { numRuns: 300 },
    );
  });

  test('serialize is canonical: serialize(parse(serialize(p))) is byte-equal', () => {
    fc.assert(
      fc.property(phext, (p) => {
        const once = serialize(p);
        assert.ok(serialize(parse(once)).equals(once));
      }),
      { numRuns: 300 },
    );
  });

  test('normalizing arbitrary delimiter soup is idempotent', () => {
    const soup = fc.array(fc.constantFrom('a', 'é', '🙂', '\n', '\x01', '\x17', '\x18', '\x19', '\x1a', '\x1c', '\x1d', '\x1e', '\x1f'), {
      maxLength: 80,
    });
    fc.assert(
      fc.property(soup, (chars) => {
        const first = parse(Buffer.from(chars.join('')));
        const bytes = serialize(first);
        assert.deepEqual(entries(parse(bytes)), entries(first));
        assert.ok(serialize(parse(bytes)).equals(bytes));
      }),
      { numRuns: 300 },
    );
  });
});

describe('serialize of parsed scrolls (copied from the parsed bytes)', () => {
  test('a parsed, then edited phext serializes exactly as the same phext built from strings', () => {
    const edit = fc.tuple(fc.boolean(), fc.nat(), coordinate, scrollText);
    fc.assert(
      fc.property(phext, fc.array(edit, { maxLength: 8 }), (original, edits) => {
        const plain = original.clone();
        const parsed = parse(serialize(original)).clone();
        const existing = [...original.scrolls()].map((s) => s.coordinate);
        for (const [onExisting, index, elsewhere, text] of edits) {
          const c = onExisting && existing.length > 0 ? existing[index % existing.length]! : elsewhere;
          plain.set(c, text);
          parsed.set(c, text);
        }
        assert.ok(serialize(parsed).equals(Buffer.from(serializeToString(plain), 'utf8')));
      }),
      { numRuns: 500 },
    );
  });

  test('a parsed file comes back as its bytes when canonical, with minimal delimiter runs when not', () => {
    const canonical = Buffer.from('a\x17b\x01\x1c\x1c\x17\x17c\x18\x18d');
    assert.ok(serialize(parse(canonical)).equals(canonical));
    // A scroll break before a section break, a trailing run, runs with no text between.
    assert.equal(serialize(parse(Buffer.from('a\x17\x18b\x17\x17\x17c\x19'))).toString(), 'a\x18b\x17\x17\x17c');
    assert.equal(serialize(parse(Buffer.from('\x17\x17a\x17\x17\x17\x18b'))).toString(), '\x17\x17a\x18b');
  });
});

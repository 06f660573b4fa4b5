import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { entries, nonEmptyScrollText } from './arbitraries.test.js';
import { Coordinate } from './coordinate.js';
import { DELIMITERS } from './delimiters.js';
import { PhextFormatError } from './errors.js';
import { parse, parseAsync } from './parse.js';
import { serialize } from './serialize.js';

const read = (text: string) => entries(parse(Buffer.from(text, 'utf8')));
const ch = (byte: number) => String.fromCharCode(byte);

// Where one break from the origin lands, written out by hand from the format's table.
const ONE_BREAK: [number, string][] = [
  [0x17, '1.1.1/1.1.1/1.1.2'],
  [0x18, '1.1.1/1.1.1/1.2.1'],
  [0x19, '1.1.1/1.1.1/2.1.1'],
  [0x1a, '1.1.1/1.1.2/1.1.1'],
  [0x1c, '1.1.1/1.2.1/1.1.1'],
  [0x1d, '1.1.1/2.1.1/1.1.1'],
  [0x1e, '1.1.2/1.1.1/1.1.1'],
  [0x1f, '1.2.1/1.1.1/1.1.1'],
  [0x01, '2.1.1/1.1.1/1.1.1'],
];

describe('parse: each delimiter', () => {
  for (const [byte, landing] of ONE_BREAK) {
    test(`0x${byte.toString(16)} alone`, () => {
      assert.deepEqual(read(`a${ch(byte)}b`), [
        ['1.1.1/1.1.1/1.1.1', 'a'],
        [landing, 'b'],
      ]);
    });

    test(`0x${byte.toString(16)} in a run of 4 from 3.3.3/3.3.3/3.3.3 resets the smaller parts`, () => {
      const d = DELIMITERS.find((x) => x.byte === byte)!;
      // Reach 3.3.3/3.3.3/3.3.3 with two breaks of every level, then the run.
      const prefix = DELIMITERS.slice()
        .reverse()
        .map((x) => ch(x.byte).repeat(2))
        .join('');
      const parts = [3, 3, 3, 3, 3, 3, 3, 3, 3];
      parts[d.part]! += 4;
      for (let j = d.part + 1; j < 9; j++) parts[j] = 1;
      assert.deepEqual(read(`${prefix}x${ch(byte).repeat(4)}y`), [
        ['3.3.3/3.3.3/3.3.3', 'x'],
        [Coordinate.of(parts).toString(), 'y'],
      ]);
    });

    test(`0x${byte.toString(16)} counts past 999 without merging; past 65535 the buffer is refused`, () => {
      const d = DELIMITERS.find((x) => x.byte === byte)!;
      const [p, q] = [Coordinate.ORIGIN.parts.slice(), Coordinate.ORIGIN.parts.slice()];
      p[d.part] = 999;
      q[d.part] = 1499;
      const text = `${ch(byte).repeat(998)}p${ch(byte).repeat(500)}q`;
      assert.deepEqual(read(text), [
        [Coordinate.of(p).toString(), 'p'],
        [Coordinate.of(q).toString(), 'q'],
      ]);
      assert.equal(serialize(parse(Buffer.from(text))).toString('latin1'), text);
      const last = Coordinate.ORIGIN.parts.slice();
      last[d.part] = 65535;
      assert.deepEqual(read(`${ch(byte).repeat(65534)}z`), [[Coordinate.of(last).toString(), 'z']]);
      assert.throws(
        () => parse(Buffer.from(`${ch(byte).repeat(65535)}z`)),
        (e: unknown) => e instanceof PhextFormatError && e.message === `${d.name} would be 65536, over 65535`,
      );
    });
  }
});

describe('parse: dead reckoning', () => {
  test('the protocol example: 01 1C 1C 17 17 17 17 from 1.1.1/1.1.1/1.1.2', () => {
    assert.deepEqual(read('a\x17b\x01\x1c\x1c\x17\x17\x17\x17c'), [
      ['1.1.1/1.1.1/1.1.1', 'a'],
      ['1.1.1/1.1.1/1.1.2', 'b'],
      ['2.1.1/1.3.1/1.1.5', 'c'],
    ]);
  });

  test('agrees with a step-by-step walker over random break sequences', () => {
    const step = fc.tuple(
      fc.integer({ min: 0, max: 8 }),
      fc.integer({ min: 1, max: 3 }),
      fc.string({ maxLength: 4 }).map((s) => s.replace(/[\x00-\x1f]/g, '')),
    );
    fc.assert(
      fc.property(nonEmptyScrollText, fc.array(step, { maxLength: 60 }), (first, steps) => {
        let text = first;
        let at = Coordinate.ORIGIN;
        const expected = new Map<string, string>([[at.toString(), first]]);
        for (const [level, count, piece] of steps) {
          const d = DELIMITERS[level]!;
          text += ch(d.byte).repeat(count) + piece;
          for (let i = 0; i < count; i++) at = at.advance(d.part);
          if (piece) expected.set(at.toString(), (expected.get(at.toString()) ?? '') + piece);
        }
        const sorted = [...expected].sort(([a], [b]) => Coordinate.parse(a).compare(Coordinate.parse(b)));
        assert.deepEqual(read(text), sorted);
      }),
      { numRuns: 300 },
    );
  });

  test('thousands of breaks of mixed levels', () => {
    let text = '';
    for (let i = 0; i < 3000; i++) text += `s${i}${ch(DELIMITERS[i % 9 === 0 ? 2 : 0]!.byte)}`;
    const scrolls = read(text);
    assert.equal(scrolls.length, 3000);
    // Every 9th break is a chapter break: s0 at 1.1.1, s1..s9 follow as scrolls 1..9 of chapter 2, ...
    assert.deepEqual(scrolls[1], ['1.1.1/1.1.1/2.1.1', 's1']);
    assert.deepEqual(scrolls[9], ['1.1.1/1.1.1/2.1.9', 's9']);
    assert.deepEqual(scrolls[10], ['1.1.1/1.1.1/3.1.1', 's10']);
  });
});

describe('parse: text and bytes', () => {
  test('an empty buffer has no scrolls; delimiters alone make none', () => {
    assert.equal(parse(Buffer.alloc(0)).size, 0);
    assert.equal(parse(Buffer.from('\x17\x18\x01')).size, 0);
  });

  test('line breaks, tabs, CR, ESC and other controls are scroll text', () => {
    assert.deepEqual(read('a\nb\r\n\t\x1b\x02\x00c'), [['1.1.1/1.1.1/1.1.1', 'a\nb\r\n\t\x1b\x02\x00c']]);
  });

  test('multi-byte text around delimiters', () => {
    assert.deepEqual(read('日本\x17🙂é\x18ü'), [
      ['1.1.1/1.1.1/1.1.1', '日本'],
      ['1.1.1/1.1.1/1.1.2', '🙂é'],
      ['1.1.1/1.1.1/1.2.1', 'ü'],
    ]);
  });

  test('accepts a plain Uint8Array view', () => {
    const bytes = new Uint8Array([0, 0, 0x61, 0x17, 0x62, 0]).subarray(2, 5);
    assert.deepEqual(entries(parse(bytes)), [
      ['1.1.1/1.1.1/1.1.1', 'a'],
      ['1.1.1/1.1.1/1.1.2', 'b'],
    ]);
  });

  const invalid: [string, number[]][] = [
    ['a stray continuation byte', [0x61, 0x80, 0x62]],
    ['0xFF', [0x61, 0xff]],
    ['a truncated 3-byte sequence', [0xe6, 0x97]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ];
  for (const [name, bytes] of invalid) {
    test(`refuses invalid UTF-8: ${name}`, () => {
      assert.throws(() => parse(Buffer.from([0x78, 0x17, ...bytes])), PhextFormatError);
    });
  }
});

describe('parseAsync: the same phext in segments', () => {
  // Texts with delimiter runs of every level, saturated parts (999, then back down), repeated
  // coordinates and multi-byte characters; tiny segments cut them everywhere a delimiter allows.
  const piece = fc.oneof(
    fc.constantFrom(...DELIMITERS.map((d) => ch(d.byte))),
    fc.constantFrom(...DELIMITERS.map((d) => ch(d.byte).repeat(1000))),
    fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => s.replace(/[\x00-\x1f]/g, '')),
  );
  test('agrees with parse for any segment size, in order and content', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 40 }), fc.integer({ min: 1, max: 64 }), async (pieces, segmentBytes) => {
        const bytes = Buffer.from(pieces.join(''), 'utf8');
        assert.deepEqual(entries(await parseAsync(bytes, segmentBytes)), entries(parse(bytes)));
      }),
      { numRuns: 300 },
    );
  });

  test('refuses invalid UTF-8 in any segment', async () => {
    const bytes = Buffer.concat([Buffer.from('a\x17'.repeat(50)), Buffer.from([0xe6, 0x97]), Buffer.from('\x17b')]);
    await assert.rejects(parseAsync(bytes, 8), PhextFormatError);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { entries, phext, pooledCoordinate, scrollText } from './arbitraries.test.js';
import { Coordinate } from './coordinate.js';
import { documentOps } from './document-ops.js';
import { PhextInputError } from './errors.js';
import { contract, expand, fetch, insert, merge, rangeReplace, remove, replace, subtract } from './ops.js';
import { parse } from './parse.js';
import { Phext } from './phext.js';
import { serialize } from './serialize.js';
import { shiftBreaks } from './shift.js';

const c = Coordinate.parse;
const doc = 'a\x17b\x18c'; // a at 1.1.1, b at 1.1.2, c at 1.2.1 (last x arm)

describe('whole-document operations', () => {
  const cases: [string, () => string | Buffer, string][] = [
    ['fetch', () => documentOps.fetch(doc, c('1.1.2')), 'b'],
    ['fetch of nothing is empty', () => documentOps.fetch(doc, c('9.9.9')), ''],
    ['insert appends', () => documentOps.insert(doc, c('1.1.2'), '+'), 'a\x17b+\x18c'],
    ['insert creates', () => documentOps.insert(doc, c('1.1.3'), 'n'), 'a\x17b\x17n\x18c'],
    ['replace', () => documentOps.replace(doc, c('1.1.1'), 'A'), 'A\x17b\x18c'],
    ['replace by empty removes', () => documentOps.replace(doc, c('1.1.2'), ''), 'a\x18c'],
    ['remove', () => documentOps.remove(doc, c('1.1.1')), '\x17b\x18c'],
    ['remove of nothing keeps the document', () => documentOps.remove(doc, c('1.1.9')), doc],
    ['rangeReplace', () => documentOps.rangeReplace(doc, { start: c('1.1.2'), end: c('1.2.1') }, 'R'), 'a\x17R'],
    ['rangeReplace with an empty range start', () => documentOps.rangeReplace(doc, { start: c('1.1.1/1.1.1/1.1.5'), end: c('2.1.1/1.1.1/1.1.1') }, ''), 'a\x17b'],
    ['normalize', () => documentOps.normalize('\x17\x17a\x01\x17\x18b\x17\x17'), '\x17\x17a\x01\x18b'],
    ['merge concatenates per coordinate', () => documentOps.merge(doc, 'L\x17R\x01Z'), 'aL\x17bR\x18c\x01Z'],
    ['subtract keeps coordinates right lacks', () => documentOps.subtract(doc, 'x\x18y'), '\x17b'],
    ['expand', () => documentOps.expand('a\nb\x17c\x18d\x01e\x1ff'), 'a\x17b\x18c\x19d\x01e\x01f'],
    ['contract', () => documentOps.contract('a\nb\x17c\x18d\x01e\x1ff'), 'a\nb\nc\x17d\x1fe\x1ef'],
  ];
  for (const [name, run, expected] of cases) test(name, () => assert.equal(run(), expected));

  test('bytes in, Buffer out', () => {
    const out = documentOps.insert(Buffer.from(doc), c('1.1.1'), 'é');
    assert.ok(Buffer.isBuffer(out));
    assert.equal(out.toString('utf8'), 'aé\x17b\x18c');
  });
});

describe('expand and contract', () => {
  const ladder = ['\n', '\x17', '\x18', '\x19', '\x1a', '\x1c', '\x1d', '\x1e', '\x1f', '\x01'];
  ladder.forEach((from, level) => {
    const up = ladder[Math.min(level + 1, ladder.length - 1)];
    const down = ladder[Math.max(level - 1, 0)];
    test(`level ${level}: expand ${JSON.stringify(from)} → ${JSON.stringify(up)}, contract → ${JSON.stringify(down)}`, () => {
      assert.equal(shiftBreaks(Buffer.from(`x${from}y`), 'expand').toString(), `x${up}y`);
      assert.equal(shiftBreaks(Buffer.from(`x${from}y`), 'contract').toString(), `x${down}y`);
    });
  });

  test('contract undoes expand without library breaks; expand undoes contract without line breaks', () => {
    const bytes = fc.array(fc.constantFrom(...ladder, 'a', 'é', '\t'), { maxLength: 50 }).map((a) => a.join(''));
    fc.assert(
      fc.property(bytes, (text) => {
        const b = Buffer.from(text);
        if (!text.includes('\x01')) assert.ok(shiftBreaks(shiftBreaks(b, 'expand'), 'contract').equals(b));
        if (!text.includes('\n')) assert.ok(shiftBreaks(shiftBreaks(b, 'contract'), 'expand').equals(b));
      }),
      { numRuns: 300 },
    );
  });

  test('on phexts: a scroll break becomes a section break, and lines become scrolls', () => {
    const p = parse(Buffer.from('l1\nl2\x17s'));
    assert.deepEqual(entries(expand(p)), [['1.1.1/1.1.1/1.1.1', 'l1'], ['1.1.1/1.1.1/1.1.2', 'l2'], ['1.1.1/1.1.1/1.2.1', 's']]);
    assert.deepEqual(entries(contract(expand(p))), entries(p));
  });
});

describe('scroll operations agree with a plain Map model', () => {
  type Op = { kind: 'insert' | 'replace'; at: Coordinate; text: string } | { kind: 'remove' | 'fetch'; at: Coordinate };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constantFrom('insert' as const, 'replace' as const), at: pooledCoordinate, text: scrollText }),
    fc.record({ kind: fc.constantFrom('remove' as const, 'fetch' as const), at: pooledCoordinate }),
  );

  test('random operation sequences', () => {
    fc.assert(
      fc.property(phext, fc.array(op, { maxLength: 40 }), (start, ops) => {
        const p = start.clone();
        const model = new Map(entries(start));
        for (const o of ops) {
          const key = o.at.toString();
          const before = model.get(key) ?? '';
          if (o.kind === 'insert') {
            assert.equal(insert(p, o.at, o.text), before + o.text);
            if (before + o.text) model.set(key, before + o.text);
          } else if (o.kind === 'replace') {
            assert.equal(replace(p, o.at, o.text), before);
            if (o.text) model.set(key, o.text);
            else model.delete(key);
          } else if (o.kind === 'remove') {
            assert.equal(remove(p, o.at), before);
            model.delete(key);
          } else {
            assert.equal(fetch(p, o.at), before);
          }
        }
        const expected = [...model].sort(([a], [b]) => c(a).compare(c(b)));
        assert.deepEqual(entries(p), expected);
        assert.deepEqual(entries(parse(serialize(p))), expected);
        assert.deepEqual(entries(start), entries(start.clone()), 'the starting phext was not touched');
      }),
      { numRuns: 200 },
    );
  });
});

describe('merge, subtract, rangeReplace', () => {
  test('merge: union of coordinates, left text then right text', () => {
    fc.assert(
      fc.property(phext, phext, (l, r) => {
        const m = merge(l, r);
        const keys = new Set([...entries(l), ...entries(r)].map(([k]) => k));
        assert.deepEqual(entries(m).map(([k]) => k).sort(), [...keys].sort());
        for (const [k, text] of entries(m)) assert.equal(text, l.get(c(k)) + r.get(c(k)));
      }),
      { numRuns: 150 },
    );
  });

  test('subtract: left scrolls at coordinates right has no scroll at', () => {
    fc.assert(
      fc.property(phext, phext, (l, r) => {
        assert.deepEqual(entries(subtract(l, r)), entries(l).filter(([k]) => !r.has(c(k))));
        assert.equal(subtract(l, l).size, 0);
      }),
      { numRuns: 150 },
    );
  });

  test('subtract keeps going past a coordinate only right has (the original stopped)', () => {
    const left = parse(Buffer.from('a\x17\x17c'));
    const right = parse(Buffer.from('\x17b'));
    assert.deepEqual(entries(subtract(left, right)), [['1.1.1/1.1.1/1.1.1', 'a'], ['1.1.1/1.1.1/1.1.3', 'c']]);
  });

  test('rangeReplace removes the whole inclusive range and reports the count', () => {
    const p = parse(Buffer.from('a\x17b\x17c\x19d\x01e'));
    assert.equal(rangeReplace(p, { start: c('1.1.2'), end: c('1.1.1/1.1.1/2.1.1') }, 'X'), 3);
    assert.deepEqual(entries(p), [['1.1.1/1.1.1/1.1.1', 'a'], ['1.1.1/1.1.1/1.1.2', 'X'], ['2.1.1/1.1.1/1.1.1', 'e']]);
    assert.throws(() => rangeReplace(p, { start: c('2.1.1/1.1.1/1.1.1'), end: c('1.1.1') }, ''), PhextInputError);
  });
});

describe('refused input', () => {
  const bad = c('1.1.1/1.1.1/1.1.1000');
  const cases: [string, (p: Phext) => unknown, RegExp][] = [
    ['fetch at an invalid coordinate', (p) => fetch(p, bad), /scroll is 1000/],
    ['insert at an invalid coordinate', (p) => insert(p, bad, 'x'), /scroll is 1000/],
    ['replace at a 0 part', (p) => replace(p, Coordinate.of([0, 1, 1, 1, 1, 1, 1, 1, 1]), 'x'), /library is 0/],
    ['remove at an invalid coordinate', (p) => remove(p, bad), /scroll is 1000/],
    ['insert of a delimiter', (p) => insert(p, c('1.1.1'), 'a\x17b'), /delimiter/],
    ['replace with a library break', (p) => replace(p, c('1.1.1'), '\x01'), /delimiter/],
    ['rangeReplace with a delimiter', (p) => rangeReplace(p, { start: c('1'), end: c('2') }, '\x1f'), /delimiter/],
  ];
  for (const [name, run, message] of cases) {
    test(name, () => {
      const p = parse(Buffer.from(doc));
      assert.throws(() => run(p), (e: Error) => e instanceof PhextInputError && message.test(e.message));
      assert.equal(serialize(p).toString(), doc, 'nothing changed');
    });
  }
});

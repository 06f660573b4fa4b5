import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { scrollText } from './arbitraries.test.js';
import { parse } from './parse.js';
import { Phext } from './phext.js';
import { SUMMARY_BYTES, summary, toc } from './toc.js';

describe('toc', () => {
  test('protocol example line', () => {
    assert.equal(toc(parse(Buffer.from('x\x17line1\nline2'))), '* 1.1.1/1.1.1/1.1.1: x\n* 1.1.1/1.1.1/1.1.2: line1...\n');
  });

  test('one line per scroll in coordinate order across levels', () => {
    const p = parse(Buffer.from('a\x01b\x1cc'));
    assert.equal(toc(p), '* 1.1.1/1.1.1/1.1.1: a\n* 2.1.1/1.1.1/1.1.1: b\n* 2.1.1/1.2.1/1.1.1: c\n');
  });

  test('an empty phext lists the empty scroll at the origin, as the original', () => {
    assert.equal(toc(new Phext()), '* 1.1.1/1.1.1/1.1.1: \n');
  });
});

describe('summary', () => {
  const cases: [string, string, string][] = [
    ['short text is whole', 'hello', 'hello'],
    ['exactly 32 bytes: whole, no dots', 'a'.repeat(32), 'a'.repeat(32)],
    ['33 bytes: 32 and dots', 'a'.repeat(33), `${'a'.repeat(32)}...`],
    ['stops at a line break', 'line1\nline2', 'line1...'],
    ['a leading line break', '\nrest', '...'],
    ['2-byte char ending at byte 32 is kept', `${'a'.repeat(30)}é`, `${'a'.repeat(30)}é`],
    ['2-byte char crossing byte 32 is left out', `${'a'.repeat(31)}é`, `${'a'.repeat(31)}...`],
    ['3-byte char crossing byte 32', `${'a'.repeat(30)}日本`, `${'a'.repeat(30)}...`],
    ['4-byte char crossing byte 32', `${'a'.repeat(29)}🙂`, `${'a'.repeat(29)}...`],
    ['4-byte char ending at byte 32', `${'a'.repeat(28)}🙂b`, `${'a'.repeat(28)}🙂...`],
    ['all multi-byte', 'é'.repeat(40), `${'é'.repeat(16)}...`],
  ];
  for (const [name, input, expected] of cases) test(name, () => assert.equal(summary(input), expected));

  test('never splits a character and takes as much as fits', () => {
    fc.assert(
      fc.property(scrollText, fc.string({ unit: 'binary', maxLength: 40 }), (a, b) => {
        const text = (a + b).replace(/[\x01\x17-\x1a\x1c-\x1f]/g, '');
        const s = summary(text);
        const kept = s === text ? s : s.slice(0, -3);
        assert.ok(text.startsWith(kept));
        assert.equal(Buffer.from(kept, 'utf8').toString('utf8'), kept, 'no lone surrogate at the cut');
        assert.ok(Buffer.byteLength(kept) <= SUMMARY_BYTES);
        assert.ok(!kept.includes('\n'));
        if (kept !== text) {
          assert.equal(s, `${kept}...`);
          const next = String.fromCodePoint(text.codePointAt(kept.length)!);
          assert.ok(next === '\n' || Buffer.byteLength(kept + next) > SUMMARY_BYTES, 'the next character did not fit');
        }
      }),
      { numRuns: 500 },
    );
  });
});

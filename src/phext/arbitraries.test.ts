/** fast-check generators shared by the codec's property tests (and a check that they are sound). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Coordinate, PART_MAX } from './coordinate.js';
import { containsDelimiter } from './delimiters.js';
import { Phext } from './phext.js';

/** A coordinate part, biased towards the edges 1 and 999 where off-by-one bugs live. */
export const part = fc.oneof(fc.constant(1), fc.constant(PART_MAX), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: PART_MAX }));

/** Any valid coordinate. */
export const coordinate = fc.array(part, { minLength: 9, maxLength: 9 }).map((parts) => Coordinate.of(parts));

/** Coordinates from a small pool, so random operations hit the same scrolls again. */
export const pooledCoordinate = fc.constantFrom(
  ...['1.1.1/1.1.1/1.1.1', '1.1.1/1.1.1/1.1.2', '1.1.1/1.1.1/2.1.1', '1.2.3/4.5.6/7.8.9', '999.999.999/999.999.999/999.999.999'].map(
    Coordinate.parse,
  ),
);

const DELIMITER_CHARS = /[\x01\x17\x18\x19\x1a\x1c\x1d\x1e\x1f]/g;

/** Scroll text: any Unicode (astral included, `\n` and other controls too) without delimiters; maybe empty. */
export const scrollText = fc
  .oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ maxLength: 40 }))
  .map((s) => s.replace(DELIMITER_CHARS, ''));

/** Non-empty scroll text. */
export const nonEmptyScrollText = scrollText.filter((s) => s.length > 0);

/** A scroll map as [coordinate text, scroll text] pairs with distinct coordinates, in no order. */
export const scrollMap = fc.uniqueArray(fc.tuple(coordinate, nonEmptyScrollText), {
  maxLength: 25,
  selector: ([c]) => c.toString(),
});

/** A Phext built from {@link scrollMap}. */
export const phext = scrollMap.map((entries) => Phext.from(entries.map(([c, text]) => ({ coordinate: c, text }))));

/** The scrolls of a phext as comparable [coordinate, text] pairs in coordinate order. */
export function entries(p: Phext): [string, string][] {
  return [...p.scrolls()].map((s) => [s.coordinate.toString(), s.text]);
}

test('generated coordinates are valid and texts hold no delimiter', () => {
  fc.assert(
    fc.property(coordinate, scrollText, (c, text) => {
      assert.equal(c.problem(), undefined);
      assert.equal(containsDelimiter(text), false);
    }),
    { numRuns: 200 },
  );
});

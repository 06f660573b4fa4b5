import { Coordinate } from './coordinate.js';
import { BREAK_FOR_PART } from './delimiters.js';
import type { Phext, Scroll } from './phext.js';

const BREAK_CHAR = BREAK_FOR_PART.map((b) => String.fromCharCode(b));

/**
 * The minimal delimiter run that moves a reader from `from` to `to` (`to` must sort after
 * `from`): at the highest differing part, (to − from) copies of its break; below it, (value − 1)
 * copies of each lower part's break.
 */
export function delimitersBetween(from: Coordinate, to: Coordinate): string {
  const a = from.parts;
  const b = to.parts;
  let i = 0;
  while (i < 9 && a[i] === b[i]) i++;
  if (i === 9) return '';
  let run = BREAK_CHAR[i].repeat(b[i] - a[i]);
  for (let j = i + 1; j < 9; j++) if (b[j] > 1) run += BREAK_CHAR[j].repeat(b[j] - 1);
  return run;
}

/** The text of a phext: non-empty scrolls in coordinate order joined by minimal delimiter runs. */
export function serializeToString(scrolls: Phext | Iterable<Scroll>): string {
  const pieces: string[] = [];
  let at = Coordinate.ORIGIN;
  for (const s of scrolls) {
    if (s.text === '') continue;
    pieces.push(delimitersBetween(at, s.coordinate), s.text);
    at = s.coordinate;
  }
  return pieces.join('');
}

/**
 * The text of {@link serializeToString} as delimiter runs and scroll texts, one at a time (for
 * answers streamed in chunks). `scrolls` must come in coordinate order.
 */
export function* serializePieces(scrolls: Iterable<Scroll>): Generator<string> {
  let at = Coordinate.ORIGIN;
  for (const s of scrolls) {
    if (s.text === '') continue;
    yield delimitersBetween(at, s.coordinate);
    yield s.text;
    at = s.coordinate;
  }
}

/** The bytes of a phext file, identical to the original's `implode`. */
export function serialize(scrolls: Phext | Iterable<Scroll>): Buffer {
  return Buffer.from(serializeToString(scrolls), 'utf8');
}

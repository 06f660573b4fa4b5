/**
 * The original library's scroll operations on {@link Phext} values. Edits change the phext they
 * are given (a store passes its private copy); combinations return a new phext. Every coordinate
 * must be valid and every text a single scroll, else {@link PhextInputError}.
 */
import type { Coordinate } from './coordinate.js';
import { parse } from './parse.js';
import { Phext } from './phext.js';
import { serialize } from './serialize.js';
import { shiftBreaks, type ShiftDirection } from './shift.js';
import { PhextInputError } from './errors.js';
import { requireScrollText, requireValid } from './validate.js';

/** Inclusive coordinate range for {@link rangeReplace}. */
export interface CoordinateRange {
  readonly start: Coordinate;
  readonly end: Coordinate;
}

/** The scroll text at `coordinate`, `''` when there is none. */
export function fetch(phext: Phext, coordinate: Coordinate): string {
  return phext.get(requireValid(coordinate));
}

/** Appends `text` to the scroll at `coordinate` (the original's `insert` and SQ's `insert`); returns the new scroll text. */
export function insert(phext: Phext, coordinate: Coordinate, text: string): string {
  return phext.append(requireValid(coordinate), requireScrollText(text));
}

/** Replaces the scroll at `coordinate` by `text` (`''` removes it); returns the previous text. */
export function replace(phext: Phext, coordinate: Coordinate, text: string): string {
  const previous = phext.get(requireValid(coordinate));
  phext.set(coordinate, requireScrollText(text));
  return previous;
}

/** Removes the scroll at `coordinate`; returns the removed text (`''` when there was none). */
export function remove(phext: Phext, coordinate: Coordinate): string {
  return phext.delete(requireValid(coordinate));
}

/**
 * Removes every scroll from `range.start` to `range.end` (both included) and puts `text` at
 * `range.start`. The original spliced bytes and left the text at whichever scroll preceded the
 * range when `start` had none; here it always lands at `start`. Returns the number of scrolls
 * removed. Throws when `start` sorts after `end`.
 */
export function rangeReplace(phext: Phext, range: CoordinateRange, text: string): number {
  const { start, end } = range;
  requireValid(start);
  requireValid(end);
  requireScrollText(text);
  if (start.compare(end) > 0) throw new PhextInputError(`range start ${start} is after its end ${end}`);
  const doomed: Coordinate[] = [];
  for (const s of phext.scrolls()) {
    if (s.coordinate.compare(end) > 0) break;
    if (s.coordinate.compare(start) >= 0) doomed.push(s.coordinate);
  }
  for (const c of doomed) phext.delete(c);
  phext.set(start, text);
  return doomed.length;
}

/** A new phext with every coordinate of either side; where both have text, left's text then right's. */
export function merge(left: Phext, right: Phext): Phext {
  const out = left.clone();
  for (const s of right.scrolls()) out.append(s.coordinate, s.text);
  return out;
}

/**
 * A new phext with left's scrolls whose coordinate has no scroll in `right` (a mask). The
 * original stopped keeping left's scrolls after the first coordinate only `right` had; this
 * compares every coordinate.
 */
export function subtract(left: Phext, right: Phext): Phext {
  const out = new Phext();
  for (const s of left.scrolls()) if (!right.has(s.coordinate)) out.set(s.coordinate, s.text);
  return out;
}

/** The phext read back after {@link shiftBreaks} on its bytes: see there for what moves where. */
function shifted(phext: Phext, direction: ShiftDirection): Phext {
  return parse(shiftBreaks(serialize(phext), direction));
}

/** Every break one level larger and `\n` a scroll break (the original's `expand`), as a new phext. */
export function expand(phext: Phext): Phext {
  return shifted(phext, 'expand');
}

/** Every break one level smaller and scroll breaks `\n` (the original's `contract`), as a new phext. */
export function contract(phext: Phext): Phext {
  return shifted(phext, 'contract');
}

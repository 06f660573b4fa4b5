import { Coordinate } from './coordinate.js';
import type { Phext } from './phext.js';
import { delimitersBetween } from './serialize.js';

/**
 * By how many bytes the serialized phext grows (negative: shrinks) when the scroll at
 * `coordinate` becomes `text`. A scroll that appears or disappears also adds or removes delimiter
 * bytes: the run from the scroll before it and the run to the scroll after it replace the one
 * run between those two. Quotas need this exact figure; the text bytes alone undercount.
 */
export function serializedGrowth(phext: Phext, coordinate: Coordinate, text: string): number {
  const old = phext.get(coordinate);
  const textGrowth = Buffer.byteLength(text, 'utf8') - Buffer.byteLength(old, 'utf8');
  if ((old === '') === (text === '')) return textGrowth;
  const { before = Coordinate.ORIGIN, after } = phext.neighbors(coordinate);
  // Delimiters are single bytes, so a run's length is its size in bytes.
  let runs = delimitersBetween(before, coordinate).length;
  if (after) runs += delimitersBetween(coordinate, after).length - delimitersBetween(before, after).length;
  return textGrowth + (text === '' ? -runs : runs);
}

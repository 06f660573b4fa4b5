import type { Coordinate } from './coordinate.js';
import { containsDelimiter } from './delimiters.js';
import { PhextInputError } from './errors.js';

/** Returns `coordinate` when every part is 1..999; otherwise throws {@link PhextInputError} naming the part. */
export function requireValid(coordinate: Coordinate): Coordinate {
  const problem = coordinate.problem();
  if (problem !== undefined) throw new PhextInputError(`invalid coordinate: ${problem}`);
  return coordinate;
}

/**
 * Returns `text` when it can be one scroll; throws {@link PhextInputError} when it holds a
 * delimiter, which would split the scroll the next time the file is read.
 */
export function requireScrollText(text: string): string {
  if (containsDelimiter(text)) throw new PhextInputError('scroll text contains a phext delimiter byte (0x01, 0x17-0x1A, 0x1C-0x1F)');
  return text;
}

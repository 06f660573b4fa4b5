import { isUtf8 } from 'node:buffer';
import { Coordinate } from './coordinate.js';
import { PART_FOR_BYTE } from './delimiters.js';
import { PhextFormatError } from './errors.js';
import { Phext } from './phext.js';

/**
 * Splits a phext buffer into scrolls in one linear pass (dead reckoning from the origin).
 * Each scroll's bytes are decoded once. Throws {@link PhextFormatError} when the buffer is not
 * valid UTF-8 — never substitutes U+FFFD. Scrolls that land on the same coordinate (parts
 * saturate at 999) are concatenated so no text is lost.
 */
export function parse(buffer: Uint8Array): Phext {
  const buf = Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (!isUtf8(buf)) throw new PhextFormatError('phext is not valid UTF-8');
  const phext = new Phext();
  let coordinate = Coordinate.ORIGIN;
  let start = 0;
  const end = buf.length;
  const emit = (from: number, to: number): void => {
    if (to <= from) return;
    const text = buf.toString('utf8', from, to);
    phext.set(coordinate, phext.get(coordinate) + text);
  };
  for (let i = 0; i < end; i++) {
    const part = PART_FOR_BYTE[buf[i]];
    if (part < 0) continue;
    emit(start, i);
    coordinate = coordinate.advance(part);
    start = i + 1;
  }
  emit(start, end);
  return phext;
}

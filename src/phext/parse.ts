import { isUtf8 } from 'node:buffer';
import { Coordinate, KEY_PART_MAX } from './coordinate.js';
import { PART_FOR_BYTE, PART_NAMES } from './delimiters.js';
import { PhextFormatError } from './errors.js';
import { Phext } from './phext.js';

// Matches the text up to the next delimiter. Sticky and used with test(), so skipping a scroll
// is a native scan that allocates nothing.
const TEXT_RUN = /[^\x01\x17\x18\x19\x1a\x1c\x1d\x1e\x1f]*/y;

/**
 * Splits a phext buffer into scrolls in one linear pass (dead reckoning from the origin).
 * Throws {@link PhextFormatError} when the buffer is not valid UTF-8 — never substitutes U+FFFD —
 * and when a part goes past {@link KEY_PART_MAX}: such a file cannot be held without merging
 * scrolls, so it is refused whole. Parts never saturate, so every scroll gets its own coordinate
 * and serialize() gives the minimal-run bytes back (1,002 scrolls in one section stay 1,002).
 *
 * The buffer is decoded once as a whole and scrolls are substrings of that text: delimiters are
 * ASCII, so they sit at the same places in the text as in the bytes, and one decode is much
 * cheaper than one per scroll. (V8 may keep the whole decoded text alive while any unchanged
 * scroll of it is referenced: at most one extra copy of the document.)
 */
export function parse(buffer: Uint8Array): Phext {
  const buf = Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (!isUtf8(buf)) throw new PhextFormatError('phext is not valid UTF-8');
  const phext = new Phext();
  const text = buf.toString('utf8');
  const end = text.length;
  // Dead reckoning on a mutable array; a Coordinate is only built for a scroll that has text,
  // so runs of delimiters cost no allocation.
  const parts = [1, 1, 1, 1, 1, 1, 1, 1, 1];
  let at = 0;
  while (at < end) {
    TEXT_RUN.lastIndex = at;
    TEXT_RUN.test(text);
    const stop = TEXT_RUN.lastIndex;
    if (stop > at) phext.append(Coordinate.of(parts), text.slice(at, stop));
    // `stop` is now at a run of delimiters (or the end): apply each of them.
    for (at = stop; at < end; at++) {
      const unit = text.charCodeAt(at);
      const part = unit < 0x20 ? PART_FOR_BYTE[unit] : -1;
      if (part < 0) break;
      if (++parts[part] > KEY_PART_MAX) {
        throw new PhextFormatError(`${PART_NAMES[part]} would be ${parts[part]}, over ${KEY_PART_MAX}`);
      }
      for (let j = part + 1; j < 9; j++) parts[j] = 1;
    }
  }
  return phext;
}

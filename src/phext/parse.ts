import { isUtf8 } from 'node:buffer';
import { PART_MAX, keyOf } from './coordinate.js';
import { PART_FOR_BYTE } from './delimiters.js';
import { PhextFormatError } from './errors.js';
import { Phext } from './phext.js';

// Matches the text up to the next delimiter. Sticky and used with test(), so skipping a scroll
// is a native scan that allocates nothing.
const TEXT_RUN = /[^\x01\x17\x18\x19\x1a\x1c\x1d\x1e\x1f]*/y;

/** Bytes parsed between two turns of the event loop by {@link parseAsync}. */
export const PARSE_SEGMENT_BYTES = 1 << 20;

/**
 * Splits a phext buffer into scrolls in one linear pass (dead reckoning from the origin).
 * Throws {@link PhextFormatError} when the buffer is not valid UTF-8 — never substitutes U+FFFD.
 * Scrolls that land on the same coordinate (parts saturate at 999) are concatenated so no text
 * is lost.
 *
 * The buffer is decoded once as a whole and scrolls are substrings of that text: delimiters are
 * ASCII, so they sit at the same places in the text as in the bytes, and one decode is much
 * cheaper than one per scroll. (V8 may keep the whole decoded text alive while any unchanged
 * scroll of it is referenced: at most one extra copy of the document.)
 */
export function parse(buffer: Uint8Array): Phext {
  const buf = asBuffer(buffer);
  if (!isUtf8(buf)) throw new PhextFormatError('phext is not valid UTF-8');
  const phext = new Phext();
  scan(buf.toString('utf8'), [1, 1, 1, 1, 1, 1, 1, 1, 1], phext);
  return phext;
}

/**
 * {@link parse} for large buffers, in segments of about `segmentBytes` with a turn of the event
 * loop between them, so that a 50 MB file does not hold the loop for a few hundred ms. Segments
 * end just before a delimiter byte: delimiters are ASCII, so no character and no scroll text is
 * split, each segment is valid UTF-8 exactly when its part of the buffer is, and scanning the
 * segments one after the other is scanning the whole.
 */
export async function parseAsync(buffer: Uint8Array, segmentBytes = PARSE_SEGMENT_BYTES): Promise<Phext> {
  const buf = asBuffer(buffer);
  const phext = new Phext();
  const parts = [1, 1, 1, 1, 1, 1, 1, 1, 1];
  for (let start = 0; start < buf.length; ) {
    if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const end = nextDelimiter(buf, start + segmentBytes);
    const segment = buf.subarray(start, end);
    if (!isUtf8(segment)) throw new PhextFormatError('phext is not valid UTF-8');
    scan(segment.toString('utf8'), parts, phext);
    start = end;
  }
  return phext;
}

/** The index of the first delimiter byte at or after `from`, or the buffer's length. */
function nextDelimiter(buf: Buffer, from: number): number {
  for (let i = from; i < buf.length; i++) if (PART_FOR_BYTE[buf[i]] >= 0) return i;
  return buf.length;
}

/**
 * Adds the scrolls of `text` to `phext`, starting at the coordinate `parts` (moved along; it is
 * where the next text would start). Dead reckoning on a mutable array: a key is only built for a
 * scroll that has text, so runs of delimiters cost no allocation.
 */
function scan(text: string, parts: number[], phext: Phext): void {
  const end = text.length;
  let at = 0;
  while (at < end) {
    TEXT_RUN.lastIndex = at;
    TEXT_RUN.test(text);
    const stop = TEXT_RUN.lastIndex;
    if (stop > at) phext.appendKey(keyOf(parts), text.slice(at, stop));
    // `stop` is now at a run of delimiters (or the end): apply each of them.
    for (at = stop; at < end; at++) {
      const unit = text.charCodeAt(at);
      const part = unit < 0x20 ? PART_FOR_BYTE[unit] : -1;
      if (part < 0) break;
      if (parts[part] < PART_MAX) parts[part]++;
      for (let j = part + 1; j < 9; j++) parts[j] = 1;
    }
  }
}

function asBuffer(buffer: Uint8Array): Buffer {
  return Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

import { isUtf8 } from 'node:buffer';
import { KEY_PART_MAX, keyOf } from './coordinate.js';
import { PART_FOR_BYTE, PART_NAMES } from './delimiters.js';
import { PhextFormatError } from './errors.js';
import { Phext } from './phext.js';

/** Bytes parsed between two turns of the event loop by {@link parseAsync} (~2 ms of work). */
const PARSE_SEGMENT_BYTES = 256 * 1024;

/**
 * Splits a phext buffer into scrolls in one linear pass (dead reckoning from the origin).
 * Throws {@link PhextFormatError} when the buffer is not valid UTF-8 — never substitutes U+FFFD —
 * and when a part goes past {@link KEY_PART_MAX}: such a file cannot be held without merging
 * scrolls, so it is refused whole. Parts never saturate, so every scroll gets its own coordinate
 * and serialize() gives the minimal-run bytes back (1,002 scrolls in one section stay 1,002).
 *
 * Scroll texts are not decoded here: each scroll refers to its bytes in `buffer` and decodes them
 * when its text is read (delimiters are ASCII, so a scroll's bytes are whole characters). The
 * phext therefore shares `buffer`, which must not be modified afterwards.
 */
export function parse(buffer: Uint8Array): Phext {
  const buf = asBuffer(buffer);
  if (!isUtf8(buf)) throw new PhextFormatError('phext is not valid UTF-8', 'utf8');
  const phext = new Phext();
  scan(buf, 0, buf.length, [1, 1, 1, 1, 1, 1, 1, 1, 1], phext);
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
    const end = nextDelimiter(buf, start + segmentBytes, buf.length);
    if (!isUtf8(buf.subarray(start, end))) throw new PhextFormatError('phext is not valid UTF-8', 'utf8');
    scan(buf, start, end, parts, phext);
    start = end;
  }
  return phext;
}

/** The index of the first delimiter byte in `buf[from, to)`, or `to`. */
function nextDelimiter(buf: Buffer, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    const b = buf[i]!;
    if (b < 0x20 && PART_FOR_BYTE[b]! >= 0) return i;
  }
  return to;
}

/**
 * Adds the scrolls of `buf[from, to)` to `phext`, starting at the coordinate `parts` (moved along;
 * it is where the next text would start). Dead reckoning on a mutable array: a key is only built
 * for a scroll that has text, so runs of delimiters cost no allocation.
 */
function scan(buf: Buffer, from: number, to: number, parts: number[], phext: Phext): void {
  let at = from;
  while (at < to) {
    const stop = nextDelimiter(buf, at, to);
    if (stop > at) phext.appendBytes(keyOf(parts), buf, at, stop);
    // `stop` is now at a run of delimiters (or the end): apply each of them.
    for (at = stop; at < to; at++) {
      const b = buf[at]!;
      const part = b < 0x20 ? PART_FOR_BYTE[b]! : -1;
      if (part < 0) break;
      if (++parts[part]! > KEY_PART_MAX) {
        throw new PhextFormatError(`${PART_NAMES[part]} would be ${parts[part]}, over ${KEY_PART_MAX}`, 'too-deep');
      }
      for (let j = part + 1; j < 9; j++) parts[j] = 1;
    }
  }
}

function asBuffer(buffer: Uint8Array): Buffer {
  return Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

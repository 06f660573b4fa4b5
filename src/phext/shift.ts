import { DELIMITERS, LINE_BREAK } from './delimiters.js';

/** Which way {@link shiftBreaks} moves every break: one level up (`expand`) or down (`contract`). */
export type ShiftDirection = 'expand' | 'contract';

// Line break first, then the nine delimiters from scroll to library.
const LADDER = [LINE_BREAK, ...DELIMITERS.map((d) => d.byte)];

function table(step: 1 | -1): Uint8Array {
  const map = new Uint8Array(256).map((_, b) => b);
  LADDER.forEach((byte, level) => {
    // The ends stay: library break has nothing above it, line break nothing below.
    map[byte] = LADDER[Math.min(LADDER.length - 1, Math.max(0, level + step))];
  });
  return map;
}

const TABLES: Record<ShiftDirection, Uint8Array> = { expand: table(1), contract: table(-1) };

/**
 * The original's `expand` and `contract` on raw bytes. `expand`: `\n` becomes a scroll break and
 * every delimiter the next larger one; a library break stays. `contract`: every delimiter becomes
 * the next smaller one and a scroll break becomes `\n`; a line break stays. All these bytes are
 * ASCII, so valid UTF-8 stays valid. So `contract(expand(x))` is `x` when `x` has no library
 * break, and `expand(contract(x))` is `x` when `x` has no line break. Returns a new buffer.
 */
export function shiftBreaks(bytes: Uint8Array, direction: ShiftDirection): Buffer {
  const map = TABLES[direction];
  const out = Buffer.allocUnsafe(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = map[bytes[i]];
  return out;
}

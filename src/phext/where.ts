import { checksum } from './checksum.js';
import { Coordinate, PART_MAX, PART_MIN } from './coordinate.js';
import { parse } from './parse.js';
import { Phext } from './phext.js';
import { serialize } from './serialize.js';
import { DEFAULT_WHERE_LIMIT, type WhereAlgorithm } from './where-options.js';

/** Keeps a computed part addressable: 0 becomes 1, and above 999 stays at 999 (as reading saturates). */
function clampPart(v: number): number {
  return Math.min(PART_MAX, Math.max(PART_MIN, v));
}

/**
 * Infers a coordinate for a body (SQ's `where`).
 *
 * - `xor`: starting from `1.1.1/1.1.1/1.1.1`, XOR part by part the coordinates of the body's
 *   scrolls that are at least `limit` UTF-8 bytes long.
 * - `checksum`: the body's checksum as 32 hex characters b; part i is
 *   `((b[2i] << 8) | b[2i+1]) % 999`, with 0 becoming 1.
 *
 * The body may be raw bytes (a request body; `checksum` hashes them exactly as given, as the
 * original did, and `xor` parses them) or a Phext (hashed as its serialization). The original
 * could answer parts of 0 (e.g. one long scroll at the origin XORs to all zeros) or up to 1023;
 * here every part is clamped into 1..999 so the answer is always a valid coordinate. Only
 * non-empty scrolls take part, even with `limit` 0. Throws PhextFormatError for bytes that are
 * not UTF-8.
 */
export function where(body: Phext | Uint8Array | string, algo: WhereAlgorithm = 'xor', limit = DEFAULT_WHERE_LIMIT): Coordinate {
  const parts = [1, 1, 1, 1, 1, 1, 1, 1, 1];
  if (algo === 'checksum') {
    const hex = checksum(body instanceof Phext ? serialize(body) : body);
    for (let i = 0; i < 9; i++) parts[i] = clampPart(((hex.charCodeAt(2 * i) << 8) | hex.charCodeAt(2 * i + 1)) % 999);
    return Coordinate.of(parts);
  }
  const phext = body instanceof Phext ? body : parse(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  for (const s of phext.scrolls()) {
    // UTF-8 never has fewer bytes than UTF-16 units, so long texts skip the byte count.
    if (s.text.length < limit && Buffer.byteLength(s.text, 'utf8') < limit) continue;
    // The original read parts above 999 as 999; so does `where`, whose answers must not change.
    for (let i = 0; i < 9; i++) parts[i]! ^= Math.min(s.coordinate.parts[i]!, PART_MAX);
  }
  return Coordinate.of(parts.map(clampPart));
}

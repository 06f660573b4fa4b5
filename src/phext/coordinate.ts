import { PART_NAMES } from './delimiters.js';

/** Smallest and largest value of a coordinate part that the API addresses. */
export const PART_MIN = 1;
export const PART_MAX = 999;
/**
 * Largest part a phext file may reach and still be held losslessly: keys hold one UTF-16 code
 * unit per part. Files with parts 1000..65535 are kept exactly (their scrolls are listed and
 * written back, never merged), though requests cannot address those scrolls.
 */
export const KEY_PART_MAX = 0xffff;

const PART_COUNT = 9;
const MICRO = 0x2e; // '.'
const MACRO = 0x2f; // '/'
const MACRO_URL = 0x3b; // ';'

/**
 * A 9-part phext address `library.shelf.series/collection.volume.book/chapter.section.scroll`.
 * Immutable; parts are plain numbers and may be out of range until checked with {@link Coordinate.problem}.
 */
export class Coordinate {
  /** The nine parts, library first. */
  readonly parts: readonly number[];
  private cachedKey: string | undefined;

  private constructor(parts: readonly number[]) {
    this.parts = parts;
  }

  /** `1.1.1/1.1.1/1.1.1`, where reading a phext starts. */
  static readonly ORIGIN = new Coordinate(Object.freeze(new Array(PART_COUNT).fill(1)));

  /**
   * Builds a coordinate from exactly nine parts (copied). Parts are readonly by type but not
   * frozen at run time: the parser builds one per scroll, and freezing cost ~10% of parse time.
   */
  static of(parts: readonly number[]): Coordinate {
    if (parts.length !== PART_COUNT) throw new RangeError(`a coordinate has 9 parts, got ${parts.length}`);
    return new Coordinate(parts.slice());
  }

  /**
   * Parses request text exactly as the original SQ does (libphext's `to_coordinate`), so that a
   * text lands on the same scroll in both servers. Only digits and `.` `/` `;` count; every other
   * character is skipped. Separators before the first digit do nothing; after it, each one stores
   * the number read so far into the next part (library, shelf, … section; a segment without
   * digits stores 0) until eight are stored, and later ones only reset the number. The last
   * number always lands in scroll; parts never set stay 1, and a 0 means 1, as the original's
   * navigation treats them alike. So `""` and `HOME` are the origin, `3.3.3` is
   * `3.3.1/1.1.1/1.1.3` and `/2.1.1/1.1.1/1.1.1` is `2.1.1/1.1.1/1.1.1`. A number over 999 is
   * kept (not clamped, as the original does): never throws, check {@link Coordinate.problem}.
   */
  static parse(text: string): Coordinate {
    const parts = new Array<number>(PART_COUNT).fill(1);
    // `index` counts like the original's: 0 until the first digit, then the part (1-based) the
    // next separator stores into.
    let index = 0;
    let value = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x30 && c <= 0x39) {
        // Saturate instead of wrapping: an overflowing part must be reported, not relocated.
        value = Math.min(value * 10 + (c - 0x30), Number.MAX_SAFE_INTEGER);
        if (index === 0) index = 1;
      } else if (c === MICRO || c === MACRO || c === MACRO_URL) {
        if (index >= 1 && index < PART_COUNT) {
          parts[index - 1] = value || 1;
          index++;
        }
        value = 0;
      }
    }
    parts[PART_COUNT - 1] = value || 1;
    return new Coordinate(parts);
  }

  /** Why this coordinate cannot address a scroll (a part outside 1..999), or undefined when valid. */
  problem(): string | undefined {
    for (let i = 0; i < PART_COUNT; i++) {
      const v = this.parts[i]!;
      if (!(v >= PART_MIN && v <= PART_MAX)) {
        // A saturated part (see parse) no longer holds the digits sent: shown as … rather than misquoted.
        const shown = (n: number) => (n >= Number.MAX_SAFE_INTEGER ? '…' : `${n}`);
        const p = this.parts.map(shown);
        const text = `${p[0]}.${p[1]}.${p[2]}/${p[3]}.${p[4]}.${p[5]}/${p[6]}.${p[7]}.${p[8]}`;
        return `${PART_NAMES[i]} is ${shown(v)}, outside ${PART_MIN}..${PART_MAX} in coordinate ${text}`;
      }
    }
    return undefined;
  }

  /** True when every part is within 1..999. */
  isValid(): boolean {
    return this.problem() === undefined;
  }

  /** Canonical text, `LB.SF.SR/CN.VM.BK/CH.SN.SC`. */
  toString(): string {
    const p = this.parts;
    return `${p[0]}.${p[1]}.${p[2]}/${p[3]}.${p[4]}.${p[5]}/${p[6]}.${p[7]}.${p[8]}`;
  }

  /** URL form, `;` instead of `/`. */
  toUrl(): string {
    const p = this.parts;
    return `${p[0]}.${p[1]}.${p[2]};${p[3]}.${p[4]}.${p[5]};${p[6]}.${p[7]}.${p[8]}`;
  }

  /**
   * An opaque fixed-width string whose lexicographic order is coordinate order; used as a map
   * key. Throws a RangeError for an invalid coordinate, so such a coordinate can never be stored
   * (where the original silently relocated the data).
   */
  get key(): string {
    // Cached: the parts are frozen, and maps look the key up on every get/set.
    if (this.cachedKey === undefined) this.cachedKey = keyOf(this.parts);
    return this.cachedKey;
  }

  /** Rebuilds a coordinate from its {@link Coordinate.key}. */
  static fromKey(key: string): Coordinate {
    const parts = new Array<number>(PART_COUNT);
    for (let i = 0; i < PART_COUNT; i++) parts[i] = key.charCodeAt(i);
    const c = new Coordinate(parts);
    c.cachedKey = key;
    return c;
  }

  /** Negative, zero or positive as this coordinate sorts before, equal to or after `other`. */
  compare(other: Coordinate): number {
    for (let i = 0; i < PART_COUNT; i++) {
      const d = this.parts[i]! - other.parts[i]!;
      if (d !== 0) return d;
    }
    return 0;
  }

  equals(other: Coordinate): boolean {
    return this.compare(other) === 0;
  }

  /**
   * The coordinate reached after a break at `part`: that part +1 (staying at 999, as the
   * original does when reading), every smaller part reset to 1.
   */
  advance(part: number): Coordinate {
    const parts = this.parts.slice();
    if (parts[part]! < PART_MAX) parts[part]!++;
    for (let i = part + 1; i < PART_COUNT; i++) parts[i] = 1;
    return new Coordinate(parts);
  }
}

/**
 * The {@link Coordinate.key} of nine parts, without building a Coordinate: one UTF-16 code unit
 * per part (1..65535 fit), so the key is one flat 9-unit string built by a single allocation.
 */
export function keyOf(p: ArrayLike<number>): string {
  for (let i = 0; i < PART_COUNT; i++) {
    const v = p[i]!;
    if (!(Number.isInteger(v) && v >= PART_MIN && v <= KEY_PART_MAX)) {
      throw new RangeError(
        `${PART_NAMES[i]} is ${v}, outside ${PART_MIN}..${KEY_PART_MAX} in coordinate ${Coordinate.of(Array.from(p)).toString()}`,
      );
    }
  }
  return String.fromCharCode(p[0]!, p[1]!, p[2]!, p[3]!, p[4]!, p[5]!, p[6]!, p[7]!, p[8]!);
}

/**
 * The phext delimiter table: nine ASCII control bytes, each of which moves the current
 * coordinate forward at one level and resets every level below it to 1.
 */

/** Index of each coordinate part, from the largest (library) to the smallest (scroll). */
export const PART_NAMES = ['library', 'shelf', 'series', 'collection', 'volume', 'book', 'chapter', 'section', 'scroll'] as const;

/** One row of the delimiter table. `part` is the index into a coordinate's parts. */
export interface Delimiter {
  readonly byte: number;
  readonly name: string;
  readonly part: number;
}

/** Ordered from the smallest break (scroll) to the largest (library). */
export const DELIMITERS: readonly Delimiter[] = [
  { byte: 0x17, name: 'scroll', part: 8 },
  { byte: 0x18, name: 'section', part: 7 },
  { byte: 0x19, name: 'chapter', part: 6 },
  { byte: 0x1a, name: 'book', part: 5 },
  { byte: 0x1c, name: 'volume', part: 4 },
  { byte: 0x1d, name: 'collection', part: 3 },
  { byte: 0x1e, name: 'series', part: 2 },
  { byte: 0x1f, name: 'shelf', part: 1 },
  { byte: 0x01, name: 'library', part: 0 },
];

export const LINE_BREAK = 0x0a;

/** The delimiter byte that increments coordinate part `i` (0 = library … 8 = scroll). */
export const BREAK_FOR_PART: readonly number[] = PART_NAMES.map((_, part) => DELIMITERS.find((d) => d.part === part)!.byte);

/**
 * Byte → coordinate part it increments, or -1 for ordinary text. A 256-entry table so the
 * tokenizer does one array load per byte.
 */
export const PART_FOR_BYTE: Int8Array = (() => {
  const table = new Int8Array(256).fill(-1);
  for (const d of DELIMITERS) table[d.byte] = d.part;
  return table;
})();

/** True when `byte` is one of the nine phext delimiters. */
export function isDelimiter(byte: number): boolean {
  return PART_FOR_BYTE[byte]! >= 0;
}

const DELIMITER_PATTERN = /[\x01\x17\x18\x19\x1a\x1c\x1d\x1e\x1f]/;

/** True when the text contains any delimiter byte (such text cannot be stored in one scroll). */
export function containsDelimiter(text: string): boolean {
  return DELIMITER_PATTERN.test(text);
}

/**
 * What `where` accepts, apart from the code that computes it: the CLI checks its options against
 * these rules before it starts a daemon round trip, and must not load the checksum's native hash.
 */

/** How `where` infers a coordinate. */
export type WhereAlgorithm = 'xor' | 'checksum';

const WHERE_ALGORITHMS: readonly WhereAlgorithm[] = ['xor', 'checksum'];

/** SQ's default `limit` for `where`: scrolls shorter than this many bytes are ignored by `xor`. */
export const DEFAULT_WHERE_LIMIT = 100;

/** `text` as an algorithm (empty or absent: `xor`), or undefined when it names none. */
export function whereAlgorithm(text: string | undefined): WhereAlgorithm | undefined {
  const algo = text || 'xor';
  return WHERE_ALGORITHMS.find((a) => a === algo);
}

/** `text` as a limit: up to nine digits (empty or absent: the default), or undefined. */
export function whereLimit(text: string | undefined): number | undefined {
  const limit = text || String(DEFAULT_WHERE_LIMIT);
  return /^\d{1,9}$/.test(limit) ? Number(limit) : undefined;
}

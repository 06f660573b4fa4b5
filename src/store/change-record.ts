import type { Coordinate } from '../phext/index.js';

/** What a commit did to one scroll. */
type ChangeKind = 'insert' | 'update' | 'delete';

/** One scroll as a commit left it: the unit of the change log (and of what later reads it). */
export interface ChangeRecord {
  /** The phext's version once this change was made. */
  readonly version: number;
  readonly coordinate: Coordinate;
  readonly kind: ChangeKind;
  /** The scroll's new text ('' for a delete). */
  readonly text: string;
  /** UTF-8 length of `text`. */
  readonly bytes: number;
  /** XXH3-128 of `text`, as the `checksum` command prints it. */
  readonly checksum: string;
  /**
   * XXH3-128 of the scroll's text before this change: an outside edit that still holds that text
   * for the scroll was made from a copy older than the change (see withLog).
   */
  readonly before: string;
}

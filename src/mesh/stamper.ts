import type { Commit } from '../store/index.js';
import { checksum } from '../phext/index.js';
import type { HybridClock, Stamp } from './hlc.js';
import type { ScrollStamp, StampBook } from './stamps.js';

/** The checksum of an empty scroll: what a tombstone stamped. */
export const EMPTY_SUM = checksum('');

/**
 * Gives scrolls their stamps: a commit observer of the store (this node's writes get a fresh
 * stamp; a remote value applied keeps the stamp it came with, proposed to the book just before
 * its commit, so it is never mistaken for a new write and sent back), and the stamp of a scroll
 * as served, made now when it has none (it was written before the mesh, or its stamp was lost).
 */
export class Stamper {
  constructor(
    readonly book: StampBook,
    readonly clock: HybridClock,
    private readonly tenant: string,
  ) {}

  observe(commit: Commit): void {
    if (commit.document.tenant !== this.tenant || commit.elsewhere) return;
    const name = commit.document.name;
    for (const record of commit.records) {
      const c = record.coordinate.toString();
      const proposed = this.book.settle(name, c);
      if (proposed && proposed.s === record.checksum) this.book.keep(name, c, proposed);
      else this.book.keep(name, c, this.fresh(record.checksum, record.kind === 'delete', this.book.get(name, c)));
    }
  }

  /** The stamp of scroll `c` holding text of checksum `sum` (EMPTY_SUM: no scroll), made now if it has none. */
  stampOf(name: string, c: string, sum: string): ScrollStamp {
    const valid = this.book.valid(name, c, sum);
    if (valid) return valid;
    const stamp = this.fresh(sum, sum === EMPTY_SUM, undefined);
    this.book.keep(name, c, stamp);
    return stamp;
  }

  /** A stamp of this node now, over `replaced` (the value this write displaced, when stamped). */
  private fresh(sum: string, deleted: boolean, replaced: Stamp | undefined): ScrollStamp {
    const p = replaced && { t: replaced.t, k: replaced.k, n: replaced.n };
    return { ...this.clock.now(), s: sum, ...(deleted ? { d: 1 as const } : {}), ...(p ? { p } : {}) };
  }
}

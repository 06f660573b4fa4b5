/**
 * A hybrid logical clock: stamps that follow wall time (ms) but never go backwards and always
 * pass every stamp seen from another node, so a later write anywhere gets a greater stamp.
 * Ties between nodes (same ms and counter) go to the greater node id: every node orders any two
 * stamps the same way, which is what makes last-writer-wins converge.
 */

/** When a scroll was last written, and by which node. */
export interface Stamp {
  /** Wall-clock milliseconds (at least the greatest seen). */
  readonly t: number;
  /** Counter within one `t`. */
  readonly k: number;
  /** The node that wrote it. */
  readonly n: string;
}

/** Negative, zero or positive as `a` is older than, the same as, or newer than `b`. */
export function compareStamps(a: Stamp, b: Stamp): number {
  if (a.t !== b.t) return a.t - b.t;
  if (a.k !== b.k) return a.k - b.k;
  return a.n < b.n ? -1 : a.n > b.n ? 1 : 0;
}

export class HybridClock {
  private t = 0;
  private k = 0;

  /** `wall` is injected for tests; the default is Date.now. */
  constructor(
    readonly node: string,
    private readonly wall: () => number = Date.now,
  ) {}

  /** A fresh stamp for a write of this node, greater than every stamp made or seen so far. */
  now(): Stamp {
    const wall = this.wall();
    if (wall > this.t) {
      this.t = wall;
      this.k = 0;
    } else this.k++;
    return { t: this.t, k: this.k, n: this.node };
  }

  /** Takes in a stamp from another node, so that later stamps of ours pass it. */
  observe(stamp: Stamp): void {
    if (stamp.t > this.t || (stamp.t === this.t && stamp.k > this.k)) {
      this.t = stamp.t;
      this.k = stamp.k;
    }
  }
}

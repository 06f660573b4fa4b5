/**
 * Response times in fractional milliseconds. autocannon's own histogram keeps whole milliseconds,
 * which cannot tell a 0.2 ms server from a 0.9 ms one.
 */
export class LatencyRecorder {
  private samples: number[] = [];

  record(ms: number): void {
    this.samples.push(ms);
  }

  /** The `p`-th percentile (0..100), nearest rank; NaN without samples. */
  percentiles(...ps: number[]): number[] {
    const sorted = Float64Array.from(this.samples).sort();
    return ps.map((p) => (sorted.length ? (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN) : NaN));
  }
}

/** One autocannon run, reduced to the table's columns. */
export interface Measurement {
  readonly scenario: string;
  readonly connections: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Socket errors plus timeouts. */
  readonly errors: number;
  readonly non2xx: number;
  /** CPU time of the server process the load hits, per request (NaN where unknown). */
  readonly cpuMicrosPerRequest: number;
}

/** A target: `numerator` must reach `atLeast` × `denominator` (req/s at the same connection count). */
export interface Target {
  readonly numerator: string;
  readonly denominator: string;
  readonly connections: number;
  readonly atLeast: number;
}

const COLUMNS = ['scenario', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'errors/non-2xx', 'server CPU µs/req'];

function cells(m: Measurement): string[] {
  return [
    m.scenario,
    String(m.connections),
    m.requestsPerSecond.toFixed(0),
    m.p50Ms.toFixed(2),
    m.p99Ms.toFixed(2),
    `${m.errors}/${m.non2xx}`,
    Number.isNaN(m.cpuMicrosPerRequest) ? '-' : m.cpuMicrosPerRequest.toFixed(0),
  ];
}

/** The measurements as one aligned text table (first column left-aligned, numbers right-aligned). */
export function formatTable(measurements: readonly Measurement[]): string {
  const rows = [COLUMNS, ...measurements.map(cells)];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(COLUMNS), rule, ...rows.slice(1).map(line)].join('\n');
}

/**
 * One line per target whose two rows were measured: the req/s ratio against the bar, and the
 * same ratio computed from server CPU per request, which a busy machine disturbs far less.
 */
export function formatTargets(measurements: readonly Measurement[], targets: readonly Target[]): string {
  const row = (scenario: string, connections: number) => measurements.find((m) => m.scenario === scenario && m.connections === connections);
  const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : '-');
  return targets
    .flatMap((t) => {
      const num = row(t.numerator, t.connections);
      const den = row(t.denominator, t.connections);
      if (!num || !den) return [];
      const ratio = num.requestsPerSecond / den.requestsPerSecond;
      const cpuRatio = den.cpuMicrosPerRequest / num.cpuMicrosPerRequest;
      const verdict = ratio >= t.atLeast ? 'ok' : 'BELOW TARGET';
      return [
        `${t.numerator} / ${t.denominator} @${t.connections}: ${pct(ratio)} of req/s (target >= ${pct(t.atLeast)}) ${verdict}; by CPU per request ${pct(cpuRatio)}`,
      ];
    })
    .join('\n');
}

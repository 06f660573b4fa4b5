import type { LoadResult } from './wrk-load.js';

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
    m.requestsPerSecond.toFixed(m.requestsPerSecond < 100 ? 1 : 0), // a whole-file rewrite per commit can be under 1/s
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

const percent = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : '-');
/** `0.52x`, or two significant digits below 0.1 (`0.0042x`), where a percentage would read 0%. */
const multiple = (x: number) => (Number.isFinite(x) ? `${x >= 0.1 ? x.toFixed(2) : x.toPrecision(2)}x` : '-');

/**
 * One line per target whose two rows were measured: the req/s ratio against the bar, and the
 * same ratio computed from server CPU per request, which a busy machine disturbs far less.
 * Ratios read as percentages, or as multiples (`0.05x`, target `0.5`) with `style: 'multiple'`.
 */
export function formatTargets(
  measurements: readonly Measurement[],
  targets: readonly Target[],
  style: 'percent' | 'multiple' = 'percent',
): string {
  const row = (scenario: string, connections: number) => measurements.find((m) => m.scenario === scenario && m.connections === connections);
  const show = style === 'percent' ? percent : multiple;
  const bar = (x: number) => (style === 'percent' ? percent(x) : String(x));
  return targets
    .flatMap((t) => {
      const num = row(t.numerator, t.connections);
      const den = row(t.denominator, t.connections);
      if (!num || !den) return [];
      const ratio = num.requestsPerSecond / den.requestsPerSecond;
      const cpuRatio = den.cpuMicrosPerRequest / num.cpuMicrosPerRequest;
      const verdict = ratio >= t.atLeast ? 'ok' : 'BELOW TARGET';
      return [
        `${t.numerator} / ${t.denominator} @${t.connections}: ${show(ratio)} of req/s (target >= ${bar(t.atLeast)}) ${verdict}; by CPU per request ${show(cpuRatio)}`,
      ];
    })
    .join('\n');
}

/**
 * One row of the table from a wrk run: wrk's rate counts every answer, only the 2xx ones are
 * acknowledged updates (or answered selects); CPU per request is per acknowledged one.
 */
export function acknowledgedRow(scenario: string, connections: number, r: LoadResult, cpuSeconds?: number): Measurement {
  const acknowledged = Number.isFinite(r.total) ? r.total - r.non2xx : 0;
  return {
    scenario,
    connections,
    requestsPerSecond: r.total > 0 ? (r.average * acknowledged) / r.total : 0,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    errors: r.errors,
    non2xx: r.non2xx,
    cpuMicrosPerRequest: cpuSeconds === undefined || acknowledged === 0 ? NaN : (cpuSeconds * 1e6) / acknowledged,
  };
}

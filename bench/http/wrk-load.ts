/**
 * Load from wrk (Debian's `wrk` package), the C load generator the throughput targets were set
 * with. autocannon and our close loop run in node and take much of a 2-core machine's CPU from
 * the servers, which squeezes every ratio; wrk takes little. The requests are sampled from the
 * scenario beforehand and replayed at random by a generated Lua script.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

export interface WrkRequest {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  /** Sent with this request only, beside the load's headers (e.g. each tenant's token). */
  readonly headers?: Record<string, string>;
}

/** One load run, whichever generator made it. */
export interface LoadResult {
  /** Where this load's stamps started (see {@link STAMP}). */
  readonly stampsFrom?: number;
  readonly total: number;
  readonly average: number;
  /** Socket errors plus timeouts. */
  readonly errors: number;
  readonly non2xx: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

const run = promisify(execFile);

/** True when a `wrk` binary answers on this machine. */
export async function wrkAvailable(): Promise<boolean> {
  return run('wrk', ['--version']).then(
    () => true,
    // wrk prints its version and exits 1.
    (err: { stdout?: string }) => /wrk/.test(err.stdout ?? ''),
  );
}

/**
 * In a request's body, stands for a number wrk writes there per request: the next of a counter
 * that no other request of this process's loads shares, so no two requests send the same body (an
 * update that rewrites a scroll's own text changes nothing, and a store may rightly skip it).
 */
export const STAMP = '@'.repeat(12);
/** Each load's stamps start here: a load never reaches the next one's. */
const STAMPS_PER_LOAD = 1e9;
let nextStamps = STAMPS_PER_LOAD;

/** The stamp in `body` if it came from `template` in the load whose stamps start at `from`. */
export function stampOf(body: string, template: string, from: number): number | undefined {
  const at = template.indexOf(STAMP);
  if (at < 0 || body.length !== template.length) return undefined;
  if (body.slice(0, at) !== template.slice(0, at) || body.slice(at + STAMP.length) !== template.slice(at + STAMP.length)) return undefined;
  const digits = body.slice(at, at + STAMP.length);
  if (!/^\d+$/.test(digits)) return undefined;
  const n = Number(digits);
  return n >= from && n < from + STAMPS_PER_LOAD ? n : undefined;
}

const lua = (s: string): string => JSON.stringify(s); // a JSON string literal is a valid Lua one here (ASCII paths and bodies)

export async function wrkLoad(options: {
  port: number;
  connections: number;
  seconds: number;
  requests: readonly WrkRequest[];
  headers: Record<string, string>;
  close: boolean;
  scriptPath: string;
  /** A response slower than this counts as a timeout (wrk's default: 2 s). */
  timeoutSeconds?: number;
}): Promise<LoadResult> {
  const headers = { ...options.headers, ...(options.close ? { Connection: 'close' } : {}) };
  const table = (h: Record<string, string>) =>
    `{${Object.entries(h)
      .map(([k, v]) => `[${lua(k)}] = ${lua(v)}`)
      .join(', ')}}`;
  // A request with headers of its own carries its whole table; the others share one.
  const list = options.requests.map(
    (r) =>
      `{${lua(r.method)}, ${lua(r.path)}, ${r.body === undefined ? 'nil' : lua(r.body)}, ${r.headers ? table({ ...headers, ...r.headers }) : 'headers'}}`,
  );
  const stampsFrom = nextStamps;
  nextStamps += STAMPS_PER_LOAD;
  // One wrk thread (-t1), so one counter numbers every request of the load.
  writeFileSync(
    options.scriptPath,
    `local headers = ${table(headers)}\nlocal reqs = {${list.join(',\n')}}\nlocal stamp = ${stampsFrom}\n` +
      'request = function()\n  local r = reqs[math.random(#reqs)]\n  local body = r[3]\n' +
      `  if body and string.find(body, ${lua(STAMP)}, 1, true) then\n` +
      `    body = string.gsub(body, ${lua(STAMP)}, string.format("%0${STAMP.length}d", stamp), 1)\n    stamp = stamp + 1\n  end\n` +
      '  return wrk.format(r[1], r[2], r[4], body)\nend\n',
  );
  const { stdout } = await run('wrk', [
    '-t1',
    `-c${options.connections}`,
    `-d${options.seconds}`,
    '--latency',
    ...(options.timeoutSeconds === undefined ? [] : ['--timeout', `${options.timeoutSeconds}s`]),
    '-s',
    options.scriptPath,
    `http://127.0.0.1:${options.port}`,
  ]);
  return { ...parseWrk(stdout, options.seconds), stampsFrom };
}

function ms(text: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text ?? '');
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

function parseWrk(out: string, seconds: number): LoadResult {
  const total = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const average = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? total / seconds);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const [connect = 0, read = 0, write = 0, timeouts = 0] = socket ? socket.slice(1).map(Number) : [];
  return {
    total,
    average,
    errors: connect + read + write + timeouts,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    p50Ms: ms(/\s50%\s+(\S+)/.exec(out)?.[1]),
    p99Ms: ms(/\s99%\s+(\S+)/.exec(out)?.[1]),
  };
}

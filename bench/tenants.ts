/**
 * Many tenants, one `sq host`: 500 tenants (`--tenants`), each with a ~1 MB phext of 1 KB scrolls
 * in a data directory of its own, served from one tenants file. wrk spreads
 * `GET /api/v2/select` of a random scroll over every tenant, each request with its tenant's token,
 * so the documents in use add up to about the cache (`--cache-mb`, default 512 as in `sq host`).
 * One row per cache size (`--cache-mb 512,64`): req/s and latency, and the server's resident
 * memory (VmRSS, sampled every 100 ms during the run; the highest) against the cache plus 150 MB.
 * `npx tsc -p . && node dist/bench/tenants.js [--duration SECONDS] [--quick] [--tenants N]
 *   [--cache-mb 512,64] [--connections 64] [--updates] [--sq PATH]` (npm run bench:tenants).
 * `--updates` sends `POST /api/v2/update` of a random scroll (a new text of the same size)
 * instead: every written document keeps its change log open, and so its place in the cache,
 * until its checkpoint, which must not let the memory run away.
 * `--sq` names another build's `bin/sq` to run the same load against (an older commit, say).
 *
 * Every tenant's document is read once before the timed run (loading it; at a small cache most are
 * evicted again), and every answer of the run must be a 200: a row with errors fails the bench.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { residentKib } from '../src/testing/resident-memory.js';
import { coordinateOf, megabytes, scrollText, writeFixture } from './http/fixtures.js';
import { cpuSeconds } from './http/cpu.js';
import { startServer, stopAll, stopAllOnExit, stopServer, type ServerChild } from './http/processes.js';
import { acknowledgedRow, formatTable, type Measurement } from './http/report.js';
import { STAMP, wrkAvailable, wrkLoad, type WrkRequest } from './http/wrk-load.js';

const SQ = fileURLToPath(new URL('../../bin/sq', import.meta.url));
const LISTENING = /listening on http:\/\/127\.0\.0\.1:(\d+)/;
const FIXTURE = megabytes(1);
/** Requests sampled for wrk to replay at random: each tenant about eight times at 500 tenants. */
const SAMPLED = 4096;
/** What the server may use beside its cache: node, the heap's slack, sockets, the tenants. */
const HEADROOM_MB = 150;

interface Tenant {
  readonly name: string;
  readonly token: string;
  readonly dataDir: string;
}

/** `count` tenants under `dir`, each with a copy of the fixture, and the tenants file naming them. */
function provision(dir: string, count: number): { tenants: Tenant[]; config: string; bytes: number } {
  const cache = join(dir, 'fixture');
  mkdirSync(cache);
  const bytes = writeFixture(cache, FIXTURE);
  const tenants = Array.from({ length: count }, (_, i) => {
    const name = `t${String(i + 1).padStart(4, '0')}`;
    const dataDir = join(dir, name);
    mkdirSync(dataDir);
    // Copies, not links: every tenant's document is a file of its own, as in production.
    copyFileSync(join(cache, `${FIXTURE.name}.phext`), join(dataDir, `${FIXTURE.name}.phext`));
    return { name, token: `pmb-v1-${randomBytes(16).toString('hex')}`, dataDir };
  });
  const config = join(dir, 'tenants.json');
  const entries = Object.fromEntries(tenants.map((t) => [t.token, { name: t.name, data_dir: t.dataDir }]));
  writeFileSync(config, JSON.stringify({ tenants: entries }));
  return { tenants, config, bytes };
}

const selectPath = (coordinate: string) => `/api/v2/select?p=${FIXTURE.name}&c=${coordinate}`;
const random = (n: number) => Math.floor(Math.random() * n);

type Op = 'select' | 'update';

/** Selects (or updates, with texts of their own) of random scrolls of random tenants, each with its own token. */
function sampleRequests(tenants: readonly Tenant[], op: Op): WrkRequest[] {
  return Array.from({ length: SAMPLED }, () => {
    const coordinate = coordinateOf(random(FIXTURE.scrolls));
    const headers = { Authorization: `Bearer ${tenants[random(tenants.length)]!.token}` };
    return op === 'select'
      ? { method: 'GET', path: selectPath(coordinate), headers }
      : {
          method: 'POST',
          path: `/api/v2/update?p=${FIXTURE.name}&c=${coordinate}`,
          // Stamped by wrk: a replayed request never rewrites a scroll's own text (a write of nothing).
          body: `#${STAMP} ${scrollText(0, FIXTURE.scrollBytes).slice(3)}`.slice(0, FIXTURE.scrollBytes),
          headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' },
        };
  });
}

/** One select of every tenant (loading its document), checked; a few at a time. */
async function warmUp(server: ServerChild, tenants: readonly Tenant[]): Promise<void> {
  const queue = [...tenants];
  const worker = async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      const res = await fetch(`http://127.0.0.1:${server.port}${selectPath(coordinateOf(0))}`, {
        headers: { Authorization: `Bearer ${t.token}` },
      });
      const text = await res.text();
      // '#0 ' as written, or '#<serial> ' once an earlier row of --updates has been there.
      if (res.status !== 200 || !/^#\d+ /.test(text)) throw new Error(`${t.name}: warm-up select: HTTP ${res.status} ${text.slice(0, 80)}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** The highest resident memory of `pid` in MiB while `during` runs, sampled every 100 ms. */
async function peakResident<T>(pid: number, during: Promise<T>): Promise<{ value: T; peakMib: number }> {
  let peak = 0;
  const sample = async () => {
    peak = Math.max(peak, (await residentKib(pid).catch(() => 0)) / 1024);
  };
  await sample();
  const timer = setInterval(() => void sample(), 100);
  try {
    const value = await during;
    await sample();
    return { value, peakMib: peak };
  } finally {
    clearInterval(timer);
  }
}

interface Row {
  readonly measurement: Measurement;
  readonly cacheMb: number;
  readonly startRssMib: number;
  readonly warmRssMib: number;
  readonly peakRssMib: number;
  /** After the run, from the server's /metrics: where its memory is. */
  readonly after: string;
}

/** The server's own account of its memory (its /metrics, open to local readers), in MiB. */
async function memoryMetrics(server: ServerChild): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
  const metric = (name: string) => Number(new RegExp(`^${name} ([\\d.e+]+)`, 'm').exec(text)?.[1] ?? NaN);
  const mib = (name: string) => `${(metric(name) / 1024 / 1024).toFixed(0)}`;
  return (
    `${metric('sq_cached_phexts')} phexts cached, weighing ${mib('sq_cached_bytes')} MiB; ` +
    `heap used ${mib('sq_nodejs_heap_size_used_bytes')} of ${mib('sq_nodejs_heap_size_total_bytes')} MiB, ` +
    `external ${mib('sq_nodejs_external_memory_bytes')} MiB`
  );
}

async function measure(options: {
  sq: string;
  config: string;
  tenants: readonly Tenant[];
  cacheMb: number;
  connections: number;
  seconds: number;
  dir: string;
  op: Op;
}): Promise<Row> {
  const { cacheMb, connections, seconds } = options;
  const label = `${options.tenants.length} tenants, ${options.op}s, --cache-mb ${cacheMb}`;
  const args = [options.sq, 'host', '0', '--bind', '127.0.0.1', '--config', options.config, '--log-format', 'off'];
  const server = await startServer(label, [...args, '--cache-mb', String(cacheMb)], LISTENING);
  try {
    const pid = server.child.pid!;
    const startRssMib = (await residentKib(pid)) / 1024;
    await warmUp(server, options.tenants);
    const warmRssMib = (await residentKib(pid)) / 1024;
    const cpuBefore = cpuSeconds(pid);
    const { value: r, peakMib } = await peakResident(
      pid,
      wrkLoad({
        port: server.port,
        connections,
        seconds,
        requests: sampleRequests(options.tenants, options.op),
        headers: {},
        close: false,
        scriptPath: join(options.dir, 'tenants.lua'),
      }),
    );
    const cpuAfter = cpuSeconds(pid);
    const cpu = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
    const measurement = acknowledgedRow(label, connections, r, cpu);
    return { measurement, cacheMb, startRssMib, warmRssMib, peakRssMib: peakMib, after: await memoryMetrics(server) };
  } finally {
    await stopServer(server);
  }
}

function parseList(text: string, name: string): number[] {
  const values = text.split(',').map(Number);
  if (values.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`--${name} must list whole numbers, got '${text}'`);
  return values;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      quick: { type: 'boolean' },
      tenants: { type: 'string', default: '500' },
      'cache-mb': { type: 'string', default: '512,64' },
      connections: { type: 'string', default: '64' },
      sq: { type: 'string' },
      updates: { type: 'boolean' },
    },
  });
  if (!(await wrkAvailable())) throw new Error('no wrk on this machine (apt-get install wrk)');
  const seconds = values.quick ? 3 : Number(values.duration ?? 10);
  if (!(seconds > 0)) throw new Error(`--duration must be a positive number of seconds, got '${values.duration}'`);
  const [count] = parseList(values.tenants, 'tenants');
  const [connections] = parseList(values.connections, 'connections');
  const caches = parseList(values['cache-mb'], 'cache-mb');
  const sq = values.sq ? resolve(values.sq) : SQ;
  const op: Op = values.updates ? 'update' : 'select';

  stopAllOnExit(() => {});
  const dir = mkdtempSync(join(tmpdir(), 'sq-bench-tenants-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true })); // also after Ctrl-C
  try {
    const { tenants, config, bytes } = provision(dir, count!);
    process.stderr.write(`  ${count} tenants, each a ${(bytes / 1e6).toFixed(2)} MB phext of ${FIXTURE.scrolls} scrolls\n`);
    const rows: Row[] = [];
    for (const cacheMb of caches) {
      const row = await measure({ sq, config, tenants, cacheMb, connections: connections!, seconds, dir, op });
      rows.push(row);
      process.stderr.write(
        `  --cache-mb ${cacheMb}: ${row.measurement.requestsPerSecond.toFixed(0)} req/s, peak RSS ${row.peakRssMib.toFixed(0)} MiB\n`,
      );
    }
    console.log(
      `wrk, ${seconds} s per row, node ${process.version}, ${sq === SQ ? 'this build' : sq}; ` +
        `${op === 'select' ? 'GET /api/v2/select' : 'POST /api/v2/update (a new text of the same size)'} of a random ` +
        `scroll of a random tenant (${SAMPLED} sampled), each with its own token; ${count} tenants × ${(bytes / 1e6).toFixed(2)} MB`,
    );
    console.log(formatTable(rows.map((r) => r.measurement)));
    console.log('');
    const memory = rows.map((r) => {
      const bound = r.cacheMb + HEADROOM_MB;
      const verdict = r.peakRssMib <= bound ? 'ok' : 'OVER';
      return (
        `--cache-mb ${r.cacheMb}: RSS at start ${r.startRssMib.toFixed(0)} MiB, after warm-up ${r.warmRssMib.toFixed(0)} MiB, peak during the run ` +
        `${r.peakRssMib.toFixed(0)} MiB (bound ${bound} MiB: cache + ${HEADROOM_MB}) ${verdict}\n  after the run: ${r.after}`
      );
    });
    console.log(memory.join('\n'));
    if (rows.some((r) => r.measurement.errors > 0 || r.measurement.non2xx > 0)) process.exitCode = 1;
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

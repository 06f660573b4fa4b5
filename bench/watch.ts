/**
 * The change feed (`GET /api/v2/watch`) against issue 12's targets, in one run:
 * 1. 1,000 streams open on one phext of one `sq host`, and a writer of one-scroll updates, one at
 *    a time with a pause between (latency, not saturation): for every write, the time from just
 *    before it is sent to the moment each stream has its event. Target p99 ≤ 50 ms.
 * 2. The same server's update throughput (wrk, 16 connections, every text stamped so none is a
 *    write of nothing) without streams, then with the 1,000 open and read. Target: a drop ≤ 10%.
 * 3. 10,000 idle streams over 500 tenants (20 each) of another `sq host`: its RSS before opening
 *    and after all are open (growth ≤ 200 MB), and `select` throughput (wrk, 64 connections,
 *    spread over the tenants with their tokens) without and with them (target: no effect).
 * `npx tsc -p . && node dist/bench/watch.js [--duration SECONDS] [--quick] [--writes N]
 *   [--streams N] [--idle-tenants N] [--idle-per-tenant N]` (npm run bench:watch).
 *
 * Every stream is a socket of this process, and every server stream one of the server's: 10,000
 * idle streams need more than 10,000 file descriptors on each side, so `ulimit -n` (per process,
 * inherited by the server) must allow it; the bench scales the idle streams down to fit when it
 * cannot raise it, and says so. Client, server and wrk share the machine's cores: on a 2-core
 * machine the streams' reader takes CPU from the server it measures, which the output notes.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { residentKib } from '../src/testing/resident-memory.js';
import { coordinateOf, LARGE, SMALL, scrollText, writeFixture } from './http/fixtures.js';
import { cpuSeconds } from './http/cpu.js';
import { startServer, stopAll, stopAllOnExit, stopServer, type ServerChild } from './http/processes.js';
import { acknowledgedRow, formatTable, type Measurement } from './http/report.js';
import { STAMP, wrkAvailable, wrkLoad, type WrkRequest } from './http/wrk-load.js';
import { LISTENING } from './updates/sq-host.js';

const SQ = fileURLToPath(new URL('../../bin/sq', import.meta.url));
const SAMPLED = 4096;
/** Descriptors beside the streams: the server's files, wrk's connections, node's own. */
const SPARE_FDS = 500;
const LATENCY_P99_MS = 50;
/** Writes before the measured ones (see measureDelivery). */
const WARM_UP = 20;
const WRITE_DROP = 0.1;
const RSS_GROWTH_MB = 200;

/** An open stream: the moment it received each change event (in order), and whether it ended. */
interface Stream {
  readonly received: number[];
  readonly versions: number[];
  /** Whether arriving events are parsed and noted (else only read and dropped). */
  recording: boolean;
  ended: boolean;
  /** The server cut it off for reading too slowly (its last event was an overflow). */
  overflowed: boolean;
  close(): void;
}

/**
 * Opens one stream and resolves on its 200. With `record`, notes when each event arrives;
 * without, only drains what comes (an idle subscriber's heartbeats).
 */
function openStream(port: number, path: string, token: string | undefined, record: boolean): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (token) headers.Authorization = `Bearer ${token}`;
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false });
    req.on('error', reject);
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`watch ${path}: HTTP ${res.statusCode}`));
        return;
      }
      const stream: Stream = {
        received: [],
        versions: [],
        recording: record,
        ended: false,
        overflowed: false,
        close: () => req.destroy(),
      };
      let pending = '';
      // Decoded only while recording: the throughput row reads the bytes and drops them.
      const decoder = new StringDecoder('utf8');
      res.on('data', (chunk: Buffer) => {
        if (!stream.recording) {
          // The one thing looked for in dropped bytes: why the server cut a stream off, if it did.
          if (chunk.includes('event: overflow')) stream.overflowed = true;
          return;
        }
        const now = performance.now();
        pending += decoder.write(chunk);
        // An event is one block ending in a blank line; only its id (the version) matters here.
        for (let end = pending.indexOf('\n\n'); end >= 0; end = pending.indexOf('\n\n')) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          const id = /^id: (\d+)$/m.exec(block);
          if (id && /^event: change$/m.test(block)) {
            stream.received.push(now);
            stream.versions.push(Number(id[1]));
          }
        }
      });
      const finish = () => {
        stream.ended = true;
      };
      res.on('close', finish);
      res.on('error', finish);
      req.on('error', finish);
      resolve(stream);
    });
  });
}

/** Opens `count` streams, `parallel` at a time (a burst of 10,000 connects overflows the listen backlog). */
async function openMany(count: number, open: (i: number) => Promise<Stream>, parallel = 100): Promise<Stream[]> {
  const streams: Stream[] = new Array(count);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) streams[i] = await open(i);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return streams;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function until(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

interface Delivery {
  readonly writes: number;
  readonly deliveries: number;
  readonly missing: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly ackP50: number;
  readonly lastP50: number;
  readonly lastP99: number;
}

/** `writes` sequential updates, each to a random scroll; each stream's k-th event is the k-th write's. */
async function measureDelivery(port: number, streams: readonly Stream[], writes: number, pauseMs: number): Promise<Delivery> {
  const update = async (k: number) => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v2/update?p=${LARGE.name}&c=${coordinateOf(k % LARGE.scrolls)}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: scrollText(1e6 + k, LARGE.scrollBytes),
    });
    await res.text();
    if (res.status !== 200) throw new Error(`update ${k}: HTTP ${res.status}`);
  };
  // Unmeasured: the first writes after 1,000 connects run code neither process has compiled yet
  // (the first five took 50-160 ms to reach every stream, the rest under 30).
  const warm = streams.map((s) => s.received.length + WARM_UP);
  for (let k = 0; k < WARM_UP; k++) {
    await update(writes + k);
    await sleep(pauseMs);
  }
  await until(() => streams.every((s, i) => s.ended || s.received.length >= warm[i]!), 10_000);
  const base = streams.map((s) => s.received.length);
  const sent: number[] = [];
  const acks: number[] = [];
  for (let k = 0; k < writes; k++) {
    const started = performance.now();
    sent.push(started);
    await update(k);
    acks.push(performance.now() - started);
    await sleep(pauseMs);
  }
  await until(() => streams.every((s, i) => s.ended || s.received.length - base[i]! >= writes), 10_000);
  const all: number[] = [];
  const last: number[] = [];
  let missing = 0;
  for (let k = 0; k < writes; k++) {
    let slowest = 0;
    let version: number | undefined;
    streams.forEach((s, i) => {
      const at = s.received[base[i]! + k];
      if (at === undefined) {
        missing++;
        return;
      }
      const v = s.versions[base[i]! + k]!;
      // Every stream must see the same change as its k-th: else the order is not the writes'.
      if (version === undefined) version = v;
      else if (v !== version) throw new Error(`write ${k}: one stream has version ${version}, another ${v}`);
      all.push(at - sent[k]!);
      slowest = Math.max(slowest, at - sent[k]!);
    });
    last.push(slowest);
  }
  all.sort((a, b) => a - b);
  last.sort((a, b) => a - b);
  acks.sort((a, b) => a - b);
  return {
    writes,
    deliveries: all.length,
    missing,
    p50: quantile(all, 0.5),
    p99: quantile(all, 0.99),
    max: all[all.length - 1] ?? NaN,
    ackP50: quantile(acks, 0.5),
    lastP50: quantile(last, 0.5),
    lastP99: quantile(last, 0.99),
  };
}

async function wrkRow(
  label: string,
  server: ServerChild,
  requests: WrkRequest[],
  connections: number,
  seconds: number,
  dir: string,
): Promise<Measurement> {
  const pid = server.child.pid!;
  const before = cpuSeconds(pid);
  const r = await wrkLoad({
    port: server.port,
    connections,
    seconds,
    requests,
    headers: {},
    close: false,
    scriptPath: join(dir, 'watch.lua'),
  });
  const after = cpuSeconds(pid);
  return acknowledgedRow(label, connections, r, before === undefined || after === undefined ? undefined : after - before);
}

/** Every stream holds one of the server's connections (--max-connections, 512 by default), beside wrk's. */
const connectionsFor = (streams: number) => String(streams + 200);

const hostArgs = (extra: string[]) => [SQ, 'host', '0', '--bind', '127.0.0.1', '--log-format', 'off', ...extra];

/** Streams that ended while they should have stayed open (a cut-off reader, a refused reconnect). */
const endedCount = (streams: readonly Stream[]) => streams.filter((s) => s.ended).length;

async function oneTenant(options: { dir: string; streams: number; writes: number; pauseMs: number; seconds: number }): Promise<string[]> {
  const dataDir = join(options.dir, 'one');
  mkdirSync(dataDir);
  writeFixture(dataDir, LARGE);
  const limit = String(options.streams + 100);
  const server = await startServer(
    'one phext',
    hostArgs([
      '--data-dir',
      dataDir,
      '--watch-max-streams',
      limit,
      '--watch-max-per-tenant',
      limit,
      '--max-connections',
      connectionsFor(options.streams),
    ]),
    LISTENING,
  );
  const lines: string[] = [];
  try {
    const updates: WrkRequest[] = Array.from({ length: SAMPLED }, () => ({
      method: 'POST',
      path: `/api/v2/update?p=${LARGE.name}&c=${coordinateOf(Math.floor(Math.random() * LARGE.scrolls))}`,
      body: `#${STAMP} ${scrollText(0, LARGE.scrollBytes).slice(3)}`.slice(0, LARGE.scrollBytes),
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    }));
    const without = await wrkRow('updates, no streams', server, updates, 16, options.seconds, options.dir);
    process.stderr.write(`  updates without streams: ${without.requestsPerSecond.toFixed(0)} req/s\n`);
    const streams = await openMany(options.streams, () => openStream(server.port, `/api/v2/watch?p=${LARGE.name}`, undefined, true));
    process.stderr.write(`  ${streams.length} streams open\n`);
    const d = await measureDelivery(server.port, streams, options.writes, options.pauseMs);
    process.stderr.write(`  delivery p99 ${d.p99.toFixed(1)} ms\n`);
    // Read and dropped from here: parsing every event of a 16-connection write load in this
    // process would take the server's CPU, and delivery was measured above.
    for (const s of streams) s.recording = false;
    const readerBefore = process.cpuUsage();
    const withStreams = await wrkRow(`updates, ${options.streams} streams`, server, updates, 16, options.seconds, options.dir);
    const reader = process.cpuUsage(readerBefore);
    // The readers' CPU is taken from the same 2 cores the server runs on: how much of the drop is theirs.
    const readerShare = (reader.user + reader.system) / 1e6 / options.seconds;
    const cut = endedCount(streams);
    for (const s of streams) s.close();

    const ok = (b: boolean) => (b ? 'ok' : 'MISSED');
    lines.push(
      `1. ${options.streams} streams on one phext (${(LARGE.scrolls * LARGE.scrollBytes) / 1e6} MB, ${LARGE.scrolls} scrolls), ` +
        `${d.writes} sequential one-scroll updates ${options.pauseMs} ms apart (after ${WARM_UP} unmeasured), from just before each is sent to each stream's event:`,
      `   per delivery (${d.deliveries} of ${d.writes * options.streams}, ${d.missing} missing): p50 ${d.p50.toFixed(1)} ms, ` +
        `p99 ${d.p99.toFixed(1)} ms (target <= ${LATENCY_P99_MS} ms) ${ok(d.p99 <= LATENCY_P99_MS && d.missing === 0)}, max ${d.max.toFixed(1)} ms`,
      `   per write, until the last stream has it: p50 ${d.lastP50.toFixed(1)} ms, p99 ${d.lastP99.toFixed(1)} ms; the write's own answer p50 ${d.ackP50.toFixed(1)} ms`,
      '',
      `2. update throughput of the same server, wrk @16, stamped texts; the ${options.streams} streams read everything meanwhile:`,
      formatTable([without, withStreams]),
    );
    const ratio = withStreams.requestsPerSecond / without.requestsPerSecond;
    lines.push(
      `   with / without: ${(ratio * 100).toFixed(0)}% (target: drop <= ${WRITE_DROP * 100}%) ${ok(ratio >= 1 - WRITE_DROP)}; ` +
        `by server CPU per update ${((without.cpuMicrosPerRequest / withStreams.cpuMicrosPerRequest) * 100).toFixed(0)}%; ` +
        `streams ended by the server during the run: ${cut} (for reading too slowly: ${streams.filter((s) => s.overflowed).length})`,
      `   this process reading the streams used ${(readerShare * 100).toFixed(0)}% of a core during the row with streams`,
    );
    if (d.missing > 0 || cut > 0 || without.non2xx + withStreams.non2xx + without.errors + withStreams.errors > 0) process.exitCode = 1;
  } finally {
    await stopServer(server);
  }
  return lines;
}

async function manyTenants(options: { dir: string; tenants: number; perTenant: number; seconds: number; note: string }): Promise<string[]> {
  const { tenants: count, perTenant } = options;
  mkdirSync(options.dir);
  const tenants = Array.from({ length: count }, (_, i) => {
    const name = `t${String(i + 1).padStart(4, '0')}`;
    const dataDir = join(options.dir, name);
    mkdirSync(dataDir);
    writeFixture(dataDir, SMALL);
    return { name, token: `pmb-v1-${randomBytes(16).toString('hex')}`, dataDir };
  });
  const config = join(options.dir, 'tenants.json');
  writeFileSync(
    config,
    JSON.stringify({ tenants: Object.fromEntries(tenants.map((t) => [t.token, { name: t.name, data_dir: t.dataDir }])) }),
  );
  const total = count * perTenant;
  const server = await startServer(
    'many tenants',
    hostArgs([
      '--config',
      config,
      '--watch-max-streams',
      String(total + 100),
      '--watch-max-per-tenant',
      String(perTenant + 10),
      '--max-connections',
      connectionsFor(total),
    ]),
    LISTENING,
  );
  const lines: string[] = [];
  try {
    const pid = server.child.pid!;
    const selects: WrkRequest[] = Array.from({ length: SAMPLED }, () => {
      const t = tenants[Math.floor(Math.random() * count)]!;
      return {
        method: 'GET',
        path: `/api/v2/select?p=${SMALL.name}&c=${coordinateOf(Math.floor(Math.random() * SMALL.scrolls))}`,
        headers: { Authorization: `Bearer ${t.token}` },
      };
    });
    // Every tenant's document read once, so neither row pays for loading it.
    for (const t of tenants) {
      const res = await fetch(`http://127.0.0.1:${server.port}/api/v2/select?p=${SMALL.name}&c=${coordinateOf(0)}`, {
        headers: { Authorization: `Bearer ${t.token}` },
      });
      await res.text();
      if (res.status !== 200) throw new Error(`${t.name}: warm-up select: HTTP ${res.status}`);
    }
    const without = await wrkRow('selects, no streams', server, selects, 64, options.seconds, options.dir);
    const rssBefore = (await residentKib(pid)) / 1024;
    const streams = await openMany(total, (i) => {
      const t = tenants[i % count]!;
      return openStream(server.port, `/api/v2/watch?p=${SMALL.name}`, t.token, false);
    });
    await sleep(1000); // lets the server settle what the burst of connects allocated
    const rssAfter = (await residentKib(pid)) / 1024;
    process.stderr.write(`  ${total} idle streams open; RSS ${rssBefore.toFixed(0)} -> ${rssAfter.toFixed(0)} MiB\n`);
    const withStreams = await wrkRow(`selects, ${total} idle streams`, server, selects, 64, options.seconds, options.dir);
    const cut = endedCount(streams);
    for (const s of streams) s.close();
    const growth = rssAfter - rssBefore;
    const ratio = withStreams.requestsPerSecond / without.requestsPerSecond;
    lines.push(
      `3. ${total} idle streams over ${count} tenants (${perTenant} each), one ~1 KB phext per tenant${options.note}:`,
      `   server RSS before opening ${rssBefore.toFixed(0)} MiB, all open ${rssAfter.toFixed(0)} MiB: growth ${growth.toFixed(0)} MiB ` +
        `(target <= ${RSS_GROWTH_MB} MB) ${growth <= RSS_GROWTH_MB ? 'ok' : 'MISSED'}, ${((growth * 1024) / total).toFixed(1)} KiB per stream`,
      '   select throughput, wrk @64 spread over every tenant with its token:',
      formatTable([without, withStreams]),
      `   with / without: ${(ratio * 100).toFixed(0)}% of req/s (target: no effect); by server CPU per select ` +
        `${((without.cpuMicrosPerRequest / withStreams.cpuMicrosPerRequest) * 100).toFixed(0)}%; streams ended by the server: ${cut}`,
    );
    if (cut > 0 || without.non2xx + withStreams.non2xx + without.errors + withStreams.errors > 0) process.exitCode = 1;
  } finally {
    await stopServer(server);
  }
  return lines;
}

/** The soft descriptor limit this process (and the server it starts) has. */
function descriptorLimit(): number {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  } catch {
    return NaN;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      quick: { type: 'boolean' },
      writes: { type: 'string', default: '300' },
      pause: { type: 'string', default: '20' },
      streams: { type: 'string', default: '1000' },
      'idle-tenants': { type: 'string', default: '500' },
      'idle-per-tenant': { type: 'string', default: '20' },
    },
  });
  if (!(await wrkAvailable())) throw new Error('no wrk on this machine (apt-get install wrk)');
  const seconds = values.quick ? 3 : Number(values.duration ?? 10);
  const number = (name: string, text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a whole number, got '${text}'`);
    return n;
  };
  const writes = number('writes', values.writes);
  const pauseMs = Number(values.pause);
  const streams = number('streams', values.streams);
  const tenants = number('idle-tenants', values['idle-tenants']);
  let perTenant = number('idle-per-tenant', values['idle-per-tenant']);

  // The shell's `ulimit -n` is what a child gets; node cannot raise its own, so it is checked, not set.
  const fds = descriptorLimit();
  let note = '';
  if (Number.isFinite(fds) && tenants * perTenant + SPARE_FDS > fds) {
    const fit = Math.max(1, Math.floor((fds - SPARE_FDS) / tenants));
    note = ` (SCALED DOWN from ${perTenant} per tenant: ulimit -n is ${fds}; raise it to ${tenants * perTenant + SPARE_FDS} for the full run)`;
    perTenant = fit;
  }

  stopAllOnExit(() => {});
  const dir = mkdtempSync(join(tmpdir(), 'sq-bench-watch-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  try {
    const one = await oneTenant({ dir, streams, writes, pauseMs, seconds });
    const many = await manyTenants({ dir: join(dir, 'many'), tenants, perTenant, seconds, note });
    console.log(
      `node ${process.version}, ${cpus().length} cores shared by the server, wrk and this process (which reads every stream: ` +
        `its CPU is the server's loss), wrk ${seconds} s per row, ulimit -n ${fds}`,
    );
    console.log([...one, '', ...many].join('\n'));
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

/**
 * One-scroll updates: `sq host` against a SQLite reference server (bench/updates/sqlite-server.ts:
 * WAL, `synchronous = FULL`, one transaction per event-loop turn), on phexts of ~1 MB and ~100 MB
 * (scrolls of 1,000 bytes), at 1, 16 and 64 connections, with wrk. Each request is
 * `POST /api/v2/update` of a random existing scroll with a new text of the same size, so every
 * acknowledged request is a durable change and the documents keep their size.
 * `npx tsc -p . && node dist/bench/updates.js [--duration SECONDS] [--quick] [--only TEXT] [--sizes 1,100]`
 * (npm run bench:updates). `--only` runs the rows whose name (`sq 100 MB @16`) starts with TEXT
 * (or one of TEXT,TEXT...): `--only 'sq '` is every sq row, `--only sqlite` every reference row.
 * `--sizes` lists the document sizes in whole MB.
 *
 * Each server runs alone, in a child process, on documents of its own; it is asked once to update
 * (and so load) its document before its rows are timed. After each row every sampled coordinate
 * is read back: the row fails its check unless about as many hold a text the row sent as its
 * acknowledged updates would reach, which catches a server that answers 200 without writing.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { coordinateOf, megabytes, scrollText, writeFixture, type PhextFixture } from './http/fixtures.js';
import { cpuSeconds } from './http/cpu.js';
import { startServer, stopAll, stopAllOnExit, stopServer, type ServerChild } from './http/processes.js';
import { formatTable, formatTargets, type Measurement, type Target } from './http/report.js';
import { wrkAvailable, wrkLoad, type WrkRequest } from './http/wrk-load.js';
import { seedScrolls } from './updates/sqlite-db.js';

const SQ = fileURLToPath(new URL('../../bin/sq', import.meta.url));
const SQLITE_SERVER = fileURLToPath(new URL('./updates/sqlite-server.js', import.meta.url));
const LISTENING = /listening on http:\/\/127\.0\.0\.1:(\d+)/;
const CONNECTIONS = [1, 16, 64];
const SAMPLED = 512;
const HEADERS = { 'content-type': 'text/plain; charset=utf-8' };
/** wrk's default 2 s would count a slow whole-file commit as a failed request. */
const TIMEOUT_SECONDS = 30;
/** sq over SQLite at the same size, and sq at a size over sq at the smallest: the project's bars. */
const VERSUS_SQLITE = 0.5;
const VERSUS_SMALLEST = 0.8;

type Kind = 'sq' | 'sqlite';

/** One server on one document: its rows are `${label} @${connections}`. */
interface Subject {
  readonly kind: Kind;
  readonly mb: number;
  readonly label: string;
  readonly fixture: PhextFixture;
}

/** A row's read-back: how many sampled coordinates hold a text this row sent. */
interface Check {
  readonly row: string;
  readonly acknowledged: number;
  readonly sampled: number;
  readonly written: number;
  /** About how many sampled coordinates `acknowledged` updates at random reach. */
  readonly expected: number;
  readonly failures: readonly string[];
}

const random = (n: number) => Math.floor(Math.random() * n);

// Above every seed's serial (the scroll's index), so a text that was sent is never a seed text.
let serial = 1e9;

/** `n` updates of random existing scrolls, each with a text of its own, for wrk to replay at random. */
function sampleUpdates(fixture: PhextFixture, n = SAMPLED): WrkRequest[] {
  return Array.from({ length: n }, () => ({
    method: 'POST',
    path: `/api/v2/update?p=${fixture.name}&c=${coordinateOf(random(fixture.scrolls))}`,
    body: scrollText(++serial, fixture.scrollBytes),
  }));
}

const url = (server: ServerChild, path: string) => `http://127.0.0.1:${server.port}${path}`;

async function selectText(server: ServerChild, fixture: PhextFixture, coordinate: string): Promise<string> {
  const res = await fetch(url(server, `/api/v2/select?p=${fixture.name}&c=${coordinate}`));
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${server.name}: select ${coordinate}: HTTP ${res.status} ${text}`);
  return text;
}

/** One update of a random existing scroll, answered 200; returns where it wrote what. */
async function updateOnce(server: ServerChild, fixture: PhextFixture): Promise<{ coordinate: string; text: string }> {
  const [update] = sampleUpdates(fixture, 1);
  const res = await fetch(url(server, update!.path), { method: 'POST', headers: HEADERS, body: update!.body });
  const answer = await res.text();
  if (res.status !== 200) throw new Error(`${server.name}: update: HTTP ${res.status} ${answer}`);
  return { coordinate: new URL(update!.path, 'http://localhost').searchParams.get('c')!, text: update!.body! };
}

/**
 * One update and its read-back before the timed rows: `sq host` loads a document on first use
 * (a second or two at 100 MB), and a server that cannot do this much need not be timed.
 */
async function warmUp(server: ServerChild, fixture: PhextFixture): Promise<number> {
  const started = performance.now();
  const { coordinate, text } = await updateOnce(server, fixture);
  if ((await selectText(server, fixture, coordinate)) !== text) throw new Error(`${server.name}: warm-up update not read back`);
  return performance.now() - started;
}

/**
 * After a row: one more update, whose answer comes only after the commits still in flight when
 * wrk stopped (so they do not run into the next row); then every coordinate the row's requests
 * name is read back, and those the load reached must hold one of the texts sent to them.
 */
async function check(
  server: ServerChild,
  subject: Subject,
  row: string,
  requests: readonly WrkRequest[],
  acknowledged: number,
): Promise<Check> {
  const sent = new Map<string, Set<string>>();
  for (const r of requests) {
    const coordinate = new URL(r.path, 'http://localhost').searchParams.get('c')!;
    const texts = sent.get(coordinate) ?? new Set<string>();
    texts.add(r.body!);
    sent.set(coordinate, texts);
  }
  const barrier = await updateOnce(server, subject.fixture);
  sent.get(barrier.coordinate)?.add(barrier.text);
  let written = 0;
  const failures: string[] = [];
  for (const [coordinate, texts] of sent) {
    const text = await selectText(server, subject.fixture, coordinate);
    if (texts.has(text)) written++;
    else if (text.length !== subject.fixture.scrollBytes) failures.push(`${coordinate} holds ${text.length} bytes`);
  }
  // wrk picks each request at random among the sampled ones, so `acknowledged` updates reach
  // about `expected` distinct coordinates; a server that drops writes falls far short of it.
  let expected = 0;
  for (const texts of sent.values()) expected += 1 - (1 - texts.size / requests.length) ** acknowledged;
  if (acknowledged === 0) failures.push('no update acknowledged');
  else if (written < Math.max(1, Math.floor(expected / 2))) failures.push(`${written} read back, ~${expected.toFixed(0)} expected`);
  return { row, acknowledged, sampled: sent.size, written, expected, failures };
}

async function measure(
  server: ServerChild,
  subject: Subject,
  connections: number,
  seconds: number,
  dir: string,
): Promise<{ measurement: Measurement; check: Check }> {
  const requests = sampleUpdates(subject.fixture);
  const pid = server.child.pid;
  const cpuBefore = cpuSeconds(pid);
  const r = await wrkLoad({
    port: server.port,
    connections,
    seconds,
    requests,
    headers: HEADERS,
    close: false,
    scriptPath: join(dir, 'updates.lua'),
    timeoutSeconds: TIMEOUT_SECONDS,
  });
  const cpuAfter = cpuSeconds(pid);
  const acknowledged = Number.isFinite(r.total) ? r.total - r.non2xx : 0;
  const measurement: Measurement = {
    scenario: subject.label,
    connections,
    // wrk's rate counts every answer; only the 2xx ones are acknowledged updates.
    requestsPerSecond: r.total > 0 ? (r.average * acknowledged) / r.total : 0,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    errors: r.errors,
    non2xx: r.non2xx,
    cpuMicrosPerRequest:
      cpuBefore === undefined || cpuAfter === undefined || acknowledged === 0 ? NaN : ((cpuAfter - cpuBefore) * 1e6) / acknowledged,
  };
  return { measurement, check: await check(server, subject, `${subject.label} @${connections}`, requests, acknowledged) };
}

/** Writes the subject's document into `dir` and starts its server; returns it with the document's size in bytes. */
async function start(subject: Subject, dir: string): Promise<{ server: ServerChild; bytes: number }> {
  if (subject.kind === 'sq') {
    const data = join(dir, `sq-${subject.mb}`);
    mkdirSync(data);
    const bytes = writeFixture(data, subject.fixture);
    const args = [SQ, 'host', '0', '--bind', '127.0.0.1', '--data-dir', data, '--log-format', 'off'];
    return { server: await startServer(subject.label, args, LISTENING), bytes };
  }
  const data = join(dir, `sqlite-${subject.mb}`);
  mkdirSync(data);
  const db = join(data, 'scrolls.db');
  seedScrolls(db, subject.fixture);
  return { server: await startServer(subject.label, [SQLITE_SERVER, db], LISTENING), bytes: statSync(db).size };
}

function targets(sizes: readonly number[]): Target[] {
  const smallest = Math.min(...sizes);
  return [
    ...sizes.flatMap((mb) =>
      CONNECTIONS.map((connections) => ({
        numerator: `sq ${mb} MB`,
        denominator: `sqlite ${mb} MB`,
        connections,
        atLeast: VERSUS_SQLITE,
      })),
    ),
    ...sizes
      .filter((mb) => mb !== smallest)
      .flatMap((mb) =>
        CONNECTIONS.map((connections) => ({
          numerator: `sq ${mb} MB`,
          denominator: `sq ${smallest} MB`,
          connections,
          atLeast: VERSUS_SMALLEST,
        })),
      ),
  ];
}

const formatMb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

function formatChecks(checks: readonly Check[]): string {
  return checks
    .map(
      (c) =>
        `check ${c.row}: ${c.written} of ${c.sampled} sampled coordinates hold a text this row sent ` +
        `(~${c.expected.toFixed(0)} expected of ${c.acknowledged} acknowledged) ${c.failures.length === 0 ? 'ok' : `FAILED: ${c.failures.join('; ')}`}`,
    )
    .join('\n');
}

function parseSizes(text: string): number[] {
  const sizes = text.split(',').map(Number);
  if (sizes.some((mb) => !Number.isInteger(mb) || mb <= 0)) throw new Error(`--sizes must list whole numbers of MB, got '${text}'`);
  return [...new Set(sizes)].sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      quick: { type: 'boolean' },
      only: { type: 'string' },
      sizes: { type: 'string', default: '1,100' },
    },
  });
  if (!(await wrkAvailable())) throw new Error('no wrk on this machine (apt-get install wrk)');
  const seconds = values.quick ? 2 : Number(values.duration ?? 5);
  if (!(seconds > 0)) throw new Error(`--duration must be a positive number of seconds, got '${values.duration}'`);
  const sizes = parseSizes(values.sizes);
  const only = (values.only ?? '').split(',');
  const selected = (row: string) => only.some((prefix) => row.startsWith(prefix));
  const subjects: Subject[] = sizes.flatMap((mb) =>
    (['sq', 'sqlite'] as const).map((kind) => ({ kind, mb, label: `${kind} ${mb} MB`, fixture: megabytes(mb) })),
  );

  stopAllOnExit(() => {});
  const dir = mkdtempSync(join(tmpdir(), 'sq-bench-updates-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true })); // also after Ctrl-C
  const results: Measurement[] = [];
  const checks: Check[] = [];
  const documents: string[] = [];
  try {
    for (const subject of subjects) {
      const rows = CONNECTIONS.filter((c) => selected(`${subject.label} @${c}`));
      if (rows.length === 0) continue;
      const { server, bytes } = await start(subject, dir);
      documents.push(`${subject.label}: ${formatMb(bytes)} (${subject.fixture.scrolls} scrolls)`);
      const warmMs = await warmUp(server, subject.fixture);
      process.stderr.write(`  ${subject.label}: ${formatMb(bytes)} on disk, first update answered in ${warmMs.toFixed(0)} ms\n`);
      for (const connections of rows) {
        const { measurement: m, check: c } = await measure(server, subject, connections, seconds, dir);
        results.push(m);
        checks.push(c);
        process.stderr.write(`  ${m.scenario} @${m.connections}: ${m.requestsPerSecond.toFixed(1)} updates/s\n`);
      }
      await stopServer(server);
      rmSync(join(dir, `${subject.kind}-${subject.mb}`), { recursive: true, force: true });
    }
    console.log(
      `wrk, ${seconds} s per row, node ${process.version}; POST /api/v2/update of a random existing scroll ` +
        `(${SAMPLED} sampled per row) with a new text of 1,000 bytes; req/s = acknowledged (2xx) updates per second`,
    );
    console.log(`documents on disk: ${documents.join('; ')}`);
    console.log(formatTable(results));
    console.log(formatChecks(checks));
    console.log(formatTargets(results, targets(sizes), 'multiple'));
    if (checks.some((c) => c.failures.length > 0)) process.exitCode = 1;
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

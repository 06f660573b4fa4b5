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
 * Two measurements follow the rows, each on 100 MB whatever `--sizes` says: the noisy neighbour
 * (`--only neighbour`, bench/updates/neighbour.ts: selects of a 1 KB phext alone and while its
 * server takes updates of a 100 MB one) and the cold load (`--only cold`, bench/updates/cold.ts:
 * a restart's first select of a 100 MB phext with a ~10 MB change log not folded in).
 * `--only neighbour,cold` runs both and no row.
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
import { megabytes, type PhextFixture } from './http/fixtures.js';
import { cpuSeconds } from './http/cpu.js';
import { startServer, stopAll, stopAllOnExit, stopServer, type ServerChild } from './http/processes.js';
import { acknowledgedRow, formatTable, formatTargets, type Measurement, type Target } from './http/report.js';
import { wrkAvailable, wrkLoad } from './http/wrk-load.js';
import { coldLoad } from './updates/cold.js';
import { noisyNeighbour } from './updates/neighbour.js';
import { HEADERS, SAMPLED, check, formatChecks, sampleUpdates, selectText, updateOnce, type Check } from './updates/scrolls.js';
import { LISTENING, placeFixture, startSq } from './updates/sq-host.js';
import { seedScrolls } from './updates/sqlite-db.js';

const SQLITE_SERVER = fileURLToPath(new URL('./updates/sqlite-server.js', import.meta.url));
const CONNECTIONS = [1, 16, 64];
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
  const measurement = acknowledgedRow(
    subject.label,
    connections,
    r,
    cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore,
  );
  const acknowledged = Number.isFinite(r.total) ? r.total - r.non2xx : 0;
  return { measurement, check: await check(server, subject.fixture, `${subject.label} @${connections}`, requests, r, acknowledged) };
}

/**
 * Writes the subject's document into `dir` (sq's a copy of the fixture built once under `cache`)
 * and starts its server; returns it with the document's size in bytes.
 */
async function start(subject: Subject, dir: string, cache: string): Promise<{ server: ServerChild; bytes: number }> {
  if (subject.kind === 'sq') {
    const data = join(dir, `sq-${subject.mb}`);
    mkdirSync(data);
    const bytes = placeFixture(cache, subject.fixture, data);
    return { server: await startSq(subject.label, data), bytes };
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
  const cache = join(dir, 'fixtures');
  process.once('exit', () => rmSync(dir, { recursive: true, force: true })); // also after Ctrl-C
  const results: Measurement[] = [];
  const checks: Check[] = [];
  const documents: string[] = [];
  try {
    for (const subject of subjects) {
      const rows = CONNECTIONS.filter((c) => selected(`${subject.label} @${c}`));
      if (rows.length === 0) continue;
      const { server, bytes } = await start(subject, dir, cache);
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
    const neighbour = selected('neighbour') ? await noisyNeighbour(dir, cache, seconds) : undefined;
    const cold = selected('cold') ? await coldLoad(dir, cache) : undefined;
    if (results.length > 0) {
      console.log(
        `wrk, ${seconds} s per row, node ${process.version}; POST /api/v2/update of a random existing scroll ` +
          `(${SAMPLED} sampled per row) with a new text of 1,000 bytes; req/s = acknowledged (2xx) updates per second`,
      );
      console.log(`documents on disk: ${documents.join('; ')}`);
      console.log(formatTable(results));
      console.log(formatChecks(checks));
      console.log(formatTargets(results, targets(sizes), 'multiple'));
    }
    if (neighbour) {
      if (results.length > 0) console.log('');
      console.log(neighbour.header);
      console.log(formatTable(neighbour.rows));
      console.log(formatChecks([neighbour.check]));
      console.log(neighbour.targets);
    }
    if (cold) {
      if (results.length > 0 || neighbour) console.log('');
      console.log(cold.lines.join('\n'));
    }
    if ([...checks, ...(neighbour ? [neighbour.check] : [])].some((c) => c.failures.length > 0) || (cold?.failures.length ?? 0) > 0)
      process.exitCode = 1;
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

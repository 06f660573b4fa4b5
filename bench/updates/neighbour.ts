/**
 * The noisy neighbour: one `sq host` serving a 100 MB phext and a 1 KB one. Selects of the small
 * phext are timed alone, then while a second wrk updates random scrolls of the large one as fast
 * as it can (its change log growing, its checkpoints rewriting 100 MB in the background). A write
 * to one phext should hardly slow reads of another: the targets bound the readers' p99 and rate.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SMALL, coordinateOf, megabytes, scrollText } from '../http/fixtures.js';
import { cpuSeconds } from '../http/cpu.js';
import { stopServer } from '../http/processes.js';
import type { Measurement } from '../http/report.js';
import { wrkLoad, type WrkRequest } from '../http/wrk-load.js';
import { acknowledgedRow } from '../http/report.js';
import { HEADERS, check, sampleUpdates, selectPath, selectText, type Check } from './scrolls.js';
import { placeFixture, startSq } from './sq-host.js';

const READERS = 64;
const WRITERS = 16;
/**
 * An untimed select load first: a fresh server's first seconds under load (its code not yet
 * optimized) have a p99 ten times the next ones', which would flatter the row with the writer.
 */
const WARM_UP_SECONDS = 2;
/** The writer starts this long before the timed selects and stops as long after them (wrk takes whole seconds). */
const LEAD_SECONDS = 1;
/** Bars: the readers' p99 while the writer runs, and their rate then over their rate alone. */
const P99_WITH_WRITER_MS = 5;
const RATE_WITH_WRITER = 0.8;
/** As the update rows: a checkpoint's fsync of 100 MB must not count as a failed write. */
const TIMEOUT_SECONDS = 30;

const LARGE = megabytes(100);
const ALONE = 'neighbour: select 1 KB, alone';
const WITH_WRITER = 'neighbour: select 1 KB, with writer';
const WRITER = 'neighbour: writer, update 100 MB';

export interface NeighbourResult {
  /** What the rows measured and how, for above the table. */
  readonly header: string;
  readonly rows: readonly Measurement[];
  /** The writer's read-back. */
  readonly check: Check;
  /** One line per target. */
  readonly targets: string;
}

/**
 * Runs both loads against one server on a data directory under `dir` (the fixtures built under
 * `cache`); `seconds` is each timed select load's length.
 */
export async function noisyNeighbour(dir: string, cache: string, seconds: number): Promise<NeighbourResult> {
  const data = join(dir, 'neighbour');
  mkdirSync(data);
  const largeBytes = placeFixture(cache, LARGE, data);
  const smallBytes = placeFixture(cache, SMALL, data);
  const server = await startSq('neighbour', data);
  try {
    // Load both phexts (and check their seed texts) before anything is timed; selects only, so
    // that no change log and no idle checkpoint is pending when the first row starts.
    const started = performance.now();
    for (const [fixture, i] of [
      [LARGE, LARGE.scrolls - 1],
      [SMALL, 0],
    ] as const) {
      const text = await selectText(server, fixture, coordinateOf(i));
      if (text !== scrollText(i, fixture.scrollBytes))
        throw new Error(`neighbour: ${fixture.name} scroll ${i} does not hold its seed text`);
    }
    process.stderr.write(`  neighbour: ${LARGE.name} and ${SMALL.name} loaded in ${(performance.now() - started).toFixed(0)} ms\n`);

    const selects: WrkRequest[] = Array.from({ length: SMALL.scrolls }, (_, i) => ({
      method: 'GET',
      path: selectPath(SMALL, coordinateOf(i)),
    }));
    const readers = (forSeconds = seconds) =>
      wrkLoad({
        port: server.port,
        connections: READERS,
        seconds: forSeconds,
        requests: selects,
        headers: {},
        close: false,
        scriptPath: join(dir, 'neighbour-select.lua'),
      });
    const warm = await readers(WARM_UP_SECONDS);
    process.stderr.write(`  neighbour: warm-up selects @${READERS}: ${warm.average.toFixed(0)} req/s, p99 ${warm.p99Ms.toFixed(2)} ms\n`);

    const cpuBefore = cpuSeconds(server.child.pid);
    const alone = await readers();
    const cpuAfter = cpuSeconds(server.child.pid);
    const cpuOfSelects = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
    process.stderr.write(`  ${ALONE} @${READERS}: ${alone.average.toFixed(0)} req/s, p99 ${alone.p99Ms.toFixed(2)} ms\n`);

    const updates = sampleUpdates(LARGE);
    const [writer, withWriter] = await Promise.all([
      wrkLoad({
        port: server.port,
        connections: WRITERS,
        seconds: seconds + 2 * LEAD_SECONDS,
        requests: updates,
        headers: HEADERS,
        close: false,
        scriptPath: join(dir, 'neighbour-update.lua'),
        timeoutSeconds: TIMEOUT_SECONDS,
      }),
      sleep(LEAD_SECONDS * 1000).then(() => readers()),
    ]);
    process.stderr.write(
      `  ${WITH_WRITER} @${READERS}: ${withWriter.average.toFixed(0)} req/s, p99 ${withWriter.p99Ms.toFixed(2)} ms; ` +
        `writer ${writer.average.toFixed(0)} updates/s\n`,
    );
    const rows = [
      acknowledgedRow(ALONE, READERS, alone, cpuOfSelects),
      acknowledgedRow(WITH_WRITER, READERS, withWriter),
      acknowledgedRow(WRITER, WRITERS, writer),
    ];
    const acknowledged = Number.isFinite(writer.total) ? writer.total - writer.non2xx : 0;
    const writerCheck = await check(server, LARGE, WRITER, updates, writer, acknowledged);

    const [aloneRow, withRow] = rows;
    const ratio = withRow!.requestsPerSecond / aloneRow!.requestsPerSecond;
    const targets = [
      `neighbour select p99 with writer: ${withRow!.p99Ms.toFixed(2)} ms (target <= ${P99_WITH_WRITER_MS} ms) ` +
        `${withRow!.p99Ms <= P99_WITH_WRITER_MS ? 'ok' : 'ABOVE TARGET'}; alone ${aloneRow!.p99Ms.toFixed(2)} ms`,
      `neighbour select req/s with writer: ${ratio.toFixed(2)}x without (target >= ${RATE_WITH_WRITER}x) ` +
        `${ratio >= RATE_WITH_WRITER ? 'ok' : 'BELOW TARGET'}; ${withRow!.requestsPerSecond.toFixed(0)} / ${aloneRow!.requestsPerSecond.toFixed(0)}`,
    ].join('\n');
    const header =
      `noisy neighbour: one sq host serving ${LARGE.name}.phext (${(largeBytes / 1e6).toFixed(1)} MB) and ${SMALL.name}.phext ` +
      `(${smallBytes} bytes); wrk selects a random scroll of ${SMALL.name} @${READERS} for ${seconds} s, alone, then while a second ` +
      `wrk updates random scrolls of ${LARGE.name} @${WRITERS} as fast as it can (started ${LEAD_SECONDS} s before, stopped ` +
      `${LEAD_SECONDS} s after), after ${WARM_UP_SECONDS} s of untimed selects; both wrk processes share the machine's ${availableParallelism()} CPU cores with the server; ` +
      'server CPU only for the select row alone';
    return { header, rows, check: writerCheck, targets };
  } finally {
    await stopServer(server);
  }
}

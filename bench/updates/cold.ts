/**
 * The cold load: how long a restarted `sq host` takes to answer its first select of a 100 MB
 * phext whose change log (~10 MB, the most the default checkpoint ratio lets a log grow to) was
 * never folded in, as after a crash. The log is made by one host taking ~10,000 one-scroll
 * updates of distinct scrolls and then killed with SIGKILL; each trial starts a new host on a
 * fresh copy of that directory and times spawn → first answered select (process start, load of
 * the file, replay of the log), and checks that the updated scrolls read back their new texts.
 * The files are in the page cache by then: this is the store's cost, not the disk's.
 */
import { cpSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { coordinateOf, megabytes, scrollText } from '../http/fixtures.js';
import type { ServerChild } from '../http/processes.js';
import { HEADERS, newText, random, selectPath, updatePath } from './scrolls.js';
import { changeLogOf, killServer, placeFixture, startSq } from './sq-host.js';

const LARGE = megabytes(100);
const UPDATES = 10_000;
const CONCURRENCY = 32;
const TRIALS = 3;
/** Updated scrolls read back after each restart, besides the timed one. */
const READ_BACK = 200;
const TARGET_SECONDS = 1.5;
/**
 * While the log is made: no checkpoint, neither by size (a 10 MB log is the default ratio's
 * limit, which the frames' headers would cross) nor after an idle second.
 */
const NO_CHECKPOINT = ['--checkpoint-ratio', '10', '--checkpoint-idle-ms', '3600000'];

export interface ColdResult {
  readonly lines: readonly string[];
  /** Empty when every read-back held its text. */
  readonly failures: readonly string[];
}

interface Trial {
  readonly spawnToListenMs: number;
  readonly firstSelectMs: number;
  readonly totalMs: number;
}

/** `k` distinct scroll indices of `n`, at random. */
function distinct(n: number, k: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + random(n - i);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, k);
}

async function send(pool: Pool, method: 'GET' | 'POST', path: string, body?: string): Promise<{ status: number; text: string }> {
  const res = await pool.request({ method, path, ...(body === undefined ? {} : { headers: HEADERS, body }) });
  return { status: res.statusCode, text: await res.body.text() };
}

/** Runs `jobs` on `concurrency` connections at once, each worker taking the next job when its last is answered. */
async function concurrently<T>(jobs: readonly T[], concurrency: number, run: (job: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await run(jobs[next++]!);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

const origin = (server: ServerChild) => `http://127.0.0.1:${server.port}`;
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * One restart on a copy of `source`: spawn → listening → first select of `probe`, which must
 * answer `expected`; then `others` must read back their texts. The host is killed afterwards.
 */
async function trial(
  source: string,
  copy: string,
  probe: string,
  expected: string,
  others: ReadonlyMap<string, string>,
  failures: string[],
): Promise<Trial> {
  cpSync(source, copy, { recursive: true });
  const spawned = performance.now();
  const server = await startSq('cold', copy);
  const listening = performance.now();
  const pool = new Pool(origin(server), { connections: CONCURRENCY });
  try {
    const first = await send(pool, 'GET', selectPath(LARGE, probe));
    const answered = performance.now();
    if (first.status !== 200 || first.text !== expected)
      failures.push(
        `first select of ${probe} after the restart: HTTP ${first.status}, ${first.text.length} bytes, not the text it was sent`,
      );
    await concurrently([...others], 8, async ([coordinate, text]) => {
      const r = await send(pool, 'GET', selectPath(LARGE, coordinate));
      if (r.status !== 200 || r.text !== text) failures.push(`${coordinate} after the restart: HTTP ${r.status}, not the text it was sent`);
    });
    return { spawnToListenMs: listening - spawned, firstSelectMs: answered - listening, totalMs: answered - spawned };
  } finally {
    await pool.close();
    await killServer(server);
    rmSync(copy, { recursive: true, force: true });
  }
}

function summary(label: string, trials: readonly Trial[], target: boolean): string {
  const total = median(trials.map((t) => t.totalMs)) / 1000;
  const verdict = target ? ` (target <= ${TARGET_SECONDS} s) ${total <= TARGET_SECONDS ? 'ok' : 'ABOVE TARGET'}` : '';
  return (
    `${label}: ${total.toFixed(2)} s${verdict}; spawn to listening ${(median(trials.map((t) => t.spawnToListenMs)) / 1000).toFixed(2)} s, ` +
    `first select ${(median(trials.map((t) => t.firstSelectMs)) / 1000).toFixed(2)} s; ` +
    `trials ${trials.map((t) => (t.totalMs / 1000).toFixed(2)).join(' / ')} s`
  );
}

/** Makes the change log, then restarts on it `TRIALS` times, and as often on the 100 MB fixture without a log. */
export async function coldLoad(dir: string, cache: string): Promise<ColdResult> {
  const failures: string[] = [];
  const source = join(dir, 'cold');
  mkdirSync(source);
  const phextBytes = placeFixture(cache, LARGE, source);

  // Without a log first: the same restart on the bare fixture, for comparison.
  const bare = join(dir, 'cold-bare');
  mkdirSync(bare);
  placeFixture(cache, LARGE, bare);
  const bareTrials: Trial[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const n = random(LARGE.scrolls);
    bareTrials.push(await trial(bare, join(dir, 'cold-trial'), coordinateOf(n), scrollText(n, LARGE.scrollBytes), new Map(), failures));
  }
  rmSync(bare, { recursive: true, force: true });

  const updated = new Map<string, string>();
  for (const i of distinct(LARGE.scrolls, UPDATES)) updated.set(coordinateOf(i), newText(LARGE));
  const writer = await startSq('cold writer', source, NO_CHECKPOINT);
  const pool = new Pool(origin(writer), { connections: CONCURRENCY });
  const started = performance.now();
  try {
    await concurrently([...updated], CONCURRENCY, async ([coordinate, text]) => {
      const r = await send(pool, 'POST', updatePath(LARGE, coordinate), text);
      if (r.status !== 200) throw new Error(`cold: update ${coordinate}: HTTP ${r.status} ${r.text}`);
    });
  } finally {
    await pool.close();
    await killServer(writer); // SIGKILL: the log stays as it is, not folded in
  }
  const writeSeconds = (performance.now() - started) / 1000;
  const logBytes = statSync(changeLogOf(source, LARGE), { throwIfNoEntry: false })?.size ?? 0;
  const payload = UPDATES * LARGE.scrollBytes;
  // Every acknowledged update is in the log: a log shorter than their texts was folded or lost.
  if (logBytes < payload || logBytes > 2 * payload)
    throw new Error(`cold: expected a change log of about ${mb(payload)} MB after ${UPDATES} updates, found ${mb(logBytes)} MB`);
  if (statSync(join(source, `${LARGE.name}.phext`)).size !== phextBytes)
    throw new Error('cold: the phext changed size: the log was folded in');
  process.stderr.write(`  cold: ${UPDATES} updates in ${writeSeconds.toFixed(1)} s, log ${mb(logBytes)} MB\n`);

  const logTrials: Trial[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const entries = [...updated];
    const [probe, text] = entries[random(entries.length)]!;
    const others = new Map(distinct(entries.length, READ_BACK).map((j) => entries[j]!));
    logTrials.push(await trial(source, join(dir, 'cold-trial'), probe, text, others, failures));
  }
  rmSync(source, { recursive: true, force: true });

  return {
    lines: [
      `cold load: a new sq host on a data dir holding ${LARGE.name}.phext (${mb(phextBytes)} MB), timed from spawn to its first answered ` +
        `select of one scroll (process start, loading the file, replaying the log); median of ${TRIALS} trials, each on a fresh copy, ` +
        'the files in the page cache',
      `change log: ${UPDATES} updates of ${LARGE.scrollBytes} bytes to distinct scrolls from ${CONCURRENCY} concurrent keep-alive ` +
        `connections in ${writeSeconds.toFixed(1)} s (${(UPDATES / writeSeconds).toFixed(0)}/s), the host then killed with SIGKILL: ` +
        `.${LARGE.name}.phext.log ${mb(logBytes)} MB, ${LARGE.name}.phext unchanged`,
      summary(`cold load 100 MB + ${mb(logBytes)} MB log`, logTrials, true),
      summary('cold load 100 MB, no log', bareTrials, false),
      `check cold: after each restart the first select and ${READ_BACK} more updated scrolls hold their new texts ` +
        `${failures.length === 0 ? 'ok' : `FAILED: ${failures.slice(0, 5).join('; ')}${failures.length > 5 ? ` (${failures.length} in all)` : ''}`}`,
    ],
    failures,
  };
}

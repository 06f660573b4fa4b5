/**
 * `sq host --store postgres://…` against issue 13's targets, in one run, on a throwaway PostgreSQL
 * cluster of its own (fsync on, synchronous_commit on, reached over its Unix socket):
 * 1. One-scroll updates of a ~100 MB phext (100,000 scrolls of 1,000 bytes), 16 writers over two
 *    `sq host --store` nodes on one database (wrk with 8 connections on each, at once). Target
 *    ≥ 1,500 acknowledged updates/s. The same load on one file-store `sq host` (16 connections)
 *    is printed beside it.
 * 2. `select` of a scroll of a cached ~1 MB phext, wrk @64: a `sq host --store` node against a
 *    file-store `sq host`. Target ≥ 0.8× the file store's.
 * Every update row is read back afterwards (bench/updates/scrolls.ts `check`): a server that
 * answers 200 without writing fails it. Client, servers, PostgreSQL and wrk share this machine's cores.
 * `npx tsc -p . && node dist/bench/pg.js [--duration SECONDS] [--quick] [--select-only]` (npm run bench:pg).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Coordinate } from '../src/phext/index.js';
import { PgDocumentStore } from '../src/store/pg/pg-store.js';
import { startPostgres } from '../src/testing/postgres.js';
import { coordinateOf, LARGE, megabytes, scrollText, type PhextFixture } from './http/fixtures.js';
import { cpuSeconds } from './http/cpu.js';
import { startServer, stopAll, stopAllOnExit, type ServerChild } from './http/processes.js';
import { acknowledgedRow, formatTable, type Measurement } from './http/report.js';
import { wrkAvailable, wrkLoad, type LoadResult, type WrkRequest } from './http/wrk-load.js';
import { check, formatChecks, sampleUpdates, selectPath, random, type Check } from './updates/scrolls.js';
import { LISTENING, placeFixture, startSq } from './updates/sq-host.js';

const SQ = fileURLToPath(new URL('../../bin/sq', import.meta.url));
const UPDATES_PER_S = 1500;
const SELECT_RATIO = 0.8;
/** A single-tenant `sq host` keeps its phexts under this tenant name. */
const TENANT = 'default';
/** Scrolls written to the database per transaction while seeding. */
const SEED_BATCH = 5000;
const TIMEOUT_SECONDS = 30;

function fixtureCoordinate(i: number): Coordinate {
  return Coordinate.of([1, 1, 1, 1, 1, 1, 1, 1 + Math.floor(i / 999), 1 + (i % 999)]);
}

/** Writes `fixture` into the database as `sq host` would find it, a few thousand scrolls per transaction. */
async function seed(url: string, fixture: PhextFixture): Promise<void> {
  const store = await PgDocumentStore.open({ connection: { connectionString: url }, cacheBytes: 256 * 2 ** 20, maxPhextBytes: 2 ** 30 });
  try {
    for (let from = 0; from < fixture.scrolls; from += SEED_BATCH) {
      await store.mutate({ tenant: TENANT, name: fixture.name }, (phext) => {
        for (let i = from; i < Math.min(fixture.scrolls, from + SEED_BATCH); i++)
          phext.set(fixtureCoordinate(i), scrollText(i, fixture.scrollBytes));
      });
    }
  } finally {
    await store.close();
  }
}

const startStoreNode = (label: string, url: string) =>
  startServer(label, [SQ, 'host', '0', '--bind', '127.0.0.1', '--store', url, '--log-format', 'off'], LISTENING);

/** Loads each server with its share of the connections at once; one row for them together. */
async function updatesRow(
  label: string,
  servers: readonly ServerChild[],
  fixture: PhextFixture,
  connections: number,
  seconds: number,
  dir: string,
): Promise<{ row: Measurement; checks: Check[] }> {
  // Each server its own scrolls: a scroll two of them wrote would hold only the later text.
  const samples = servers.map(() => sampleUpdates(fixture));
  const before = servers.map((s) => cpuSeconds(s.child.pid!));
  const results: LoadResult[] = await Promise.all(
    servers.map((s, i) =>
      wrkLoad({
        port: s.port,
        connections: connections / servers.length,
        seconds,
        requests: samples[i]!,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        close: false,
        scriptPath: join(dir, `updates-${i}.lua`),
        timeoutSeconds: TIMEOUT_SECONDS,
      }),
    ),
  );
  const after = servers.map((s) => cpuSeconds(s.child.pid!));
  const cpu = before.every((b, i) => b !== undefined && after[i] !== undefined)
    ? after.reduce((n: number, a, i) => n + a! - before[i]!, 0)
    : undefined;
  const total: LoadResult = {
    total: results.reduce((n, r) => n + r.total, 0),
    average: results.reduce((n, r) => n + r.average, 0),
    errors: results.reduce((n, r) => n + r.errors, 0),
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
    p50Ms: Math.max(...results.map((r) => r.p50Ms)),
    p99Ms: Math.max(...results.map((r) => r.p99Ms)),
  };
  const row = acknowledgedRow(label, connections, total, cpu);
  // Each node's writes read back from the other (or itself, alone): none may be missing.
  const checks: Check[] = [];
  for (let i = 0; i < servers.length; i++) {
    const reader = servers[(i + 1) % servers.length]!;
    const share = Math.round(row.requestsPerSecond * seconds * (results[i]!.average / total.average));
    checks.push(await check(reader, fixture, `${label}, written through ${servers[i]!.name}`, samples[i]!, results[i]!, share));
  }
  return { row, checks };
}

async function selectRow(label: string, server: ServerChild, fixture: PhextFixture, seconds: number, dir: string): Promise<Measurement> {
  const requests: WrkRequest[] = Array.from({ length: 512 }, () => ({
    method: 'GET',
    path: selectPath(fixture, coordinateOf(random(fixture.scrolls))),
  }));
  // Once before: the phext is loaded (cached) before the row.
  await fetch(`http://127.0.0.1:${server.port}${requests[0]!.path}`).then((r) => r.text());
  const before = cpuSeconds(server.child.pid!);
  const r = await wrkLoad({
    port: server.port,
    connections: 64,
    seconds,
    requests,
    headers: {},
    close: false,
    scriptPath: join(dir, 'selects.lua'),
  });
  const after = cpuSeconds(server.child.pid!);
  return acknowledgedRow(label, 64, r, before === undefined || after === undefined ? undefined : after - before);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { duration: { type: 'string' }, quick: { type: 'boolean' }, 'select-only': { type: 'boolean' } },
  });
  if (!(await wrkAvailable())) throw new Error('no wrk on this machine (apt-get install wrk)');
  const seconds = values.quick ? 3 : Number(values.duration ?? 10);
  const cluster = await startPostgres();
  if ('missing' in cluster) throw new Error(`PostgreSQL not available: ${cluster.missing}`);
  stopAllOnExit(() => void cluster.stop());
  const dir = mkdtempSync(join(tmpdir(), 'sq-bench-pg-'));
  try {
    const big = megabytes(100);
    const url = cluster.url();
    const selectOnly = values['select-only'] === true;
    if (!selectOnly) {
      process.stderr.write(`  seeding ${big.scrolls} scrolls into PostgreSQL\n`);
      await seed(url, big);
    }
    await seed(url, LARGE);
    const nodes = [await startStoreNode('node A', url), await startStoreNode('node B', url)];
    const dataDir = join(dir, 'files');
    mkdirSync(dataDir);
    placeFixture(join(dir, 'fixtures'), LARGE, dataDir);
    if (!selectOnly) placeFixture(join(dir, 'fixtures'), big, dataDir);
    const files = await startSq('files', dataDir);

    const rows: Measurement[] = [];
    const checks: Check[] = [];
    const lines: string[] = [];
    const ok = (b: boolean) => (b ? 'ok' : 'MISSED');
    if (!selectOnly) {
      // Each server reads the phext once (a whole load) before its row is timed.
      for (const server of [...nodes, files])
        await fetch(`http://127.0.0.1:${server.port}${selectPath(big, '1.1.1;1.1.1;1.1.1')}`).then((r) => r.text());
      const pg = await updatesRow('updates 100 MB, PostgreSQL, 2 nodes', nodes, big, 16, seconds, dir);
      process.stderr.write(`  PostgreSQL updates: ${pg.row.requestsPerSecond.toFixed(0)}/s\n`);
      const file = await updatesRow('updates 100 MB, files, 1 node', [files], big, 16, seconds, dir);
      rows.push(pg.row, file.row);
      checks.push(...pg.checks, ...file.checks);
      const rate = pg.row.requestsPerSecond;
      lines.push(
        `updates over PostgreSQL, 16 writers on 2 nodes: ${rate.toFixed(0)}/s (target >= ${UPDATES_PER_S}) ${ok(rate >= UPDATES_PER_S)}`,
      );
    }

    const pgSelect = await selectRow('select 1 MB cached, PostgreSQL node', nodes[0]!, LARGE, seconds, dir);
    const fileSelect = await selectRow('select 1 MB cached, files', files, LARGE, seconds, dir);
    rows.push(pgSelect, fileSelect);
    const ratio = pgSelect.requestsPerSecond / fileSelect.requestsPerSecond;
    lines.push(
      `select of a cached scroll, PostgreSQL node / files: ${ratio.toFixed(2)}x (target >= ${SELECT_RATIO}) ${ok(ratio >= SELECT_RATIO)}`,
    );
    console.log(
      [
        `node ${process.version}, ${cpus().length} cores shared by PostgreSQL (fsync on, synchronous_commit on), the servers and wrk; ${seconds} s per row`,
        formatTable(rows),
        ...(checks.length > 0 ? [formatChecks(checks)] : []),
        ...lines,
      ].join('\n'),
    );
    if (checks.some((c) => c.failures.length > 0)) process.exitCode = 1;
  } finally {
    await stopAll();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

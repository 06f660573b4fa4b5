/**
 * HTTP throughput of `sq host` and `sq route` against a bare node:http hello world, with
 * autocannon. Every server runs in a child process of its own; the load generator runs here.
 * `npx tsc -p . && node dist/bench/http.js [--duration SECONDS] [--quick] [--only TEXT] [--profile DIR]`
 * (npm run bench:http). `--only` runs the rows whose label starts with TEXT (or one of TEXT,TEXT...); `--profile` runs
 * the server children with `--cpu-prof` and writes their .cpuprofile files into DIR.
 * `--load wrk|node` picks the load generator: wrk (Debian's package) where installed, as the
 * targets were set with it; else autocannon and a node loop for `Connection: close`, which share
 * the CPU with the servers and so report lower ratios.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { LARGE, SMALL, coordinateOf, scrollText, writeFixture, type PhextFixture } from './http/fixtures.js';
import { closeLoad } from './http/close-load.js';
import { cpuSeconds } from './http/cpu.js';
import { LatencyRecorder } from './http/latency.js';
import { startServer, stopAll, stopAllOnExit, type ServerChild } from './http/processes.js';
import { formatTable, formatTargets, type Measurement, type Target } from './http/report.js';
import { wrkAvailable, wrkLoad, type LoadResult, type WrkRequest } from './http/wrk-load.js';

const SQ = fileURLToPath(new URL('../../bin/sq', import.meta.url));
const TOKEN = 'pmb-v1-0123456789abcdef0123456789abcdef';
const CONNECTIONS = [1, 64];
const LISTENING = /listening on http:\/\/127\.0\.0\.1:(\d+)/;
const HELLO = `const s = require('node:http').createServer((q, r) => {
  r.writeHead(200, {'content-type': 'text/plain'}); r.end('hello world');
}).listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + s.address().port));
process.on('SIGTERM', () => process.exit(0)); // a normal exit, so --cpu-prof writes its profile`;

type ServerName = 'bare' | 'host' | 'keyed' | 'router';
type Servers = Record<ServerName, ServerChild>;

/** One row of the table: which server, and how each request is made. */
interface Scenario {
  readonly label: string;
  readonly server: ServerName;
  readonly request: autocannon.Request;
  /** One request per connection (`Connection: close`), with closeLoad instead of autocannon. */
  readonly close?: boolean;
}

const random = (n: number) => Math.floor(Math.random() * n);

/** GET select of a random existing scroll. */
function select(fixture: PhextFixture): autocannon.Request {
  return {
    setupRequest: (req) => ({ ...req, path: `/api/v2/select?p=${fixture.name}&c=${coordinateOf(random(fixture.scrolls))}` }),
  };
}

let serial = 0;
/**
 * POST update of a random existing scroll with a new text of the same size: every request is a
 * real durable write, and the file keeps its size however long the run.
 */
function update(fixture: PhextFixture): autocannon.Request {
  return {
    method: 'POST',
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    setupRequest: (req) => ({
      ...req,
      path: `/api/v2/update?p=${fixture.name}&c=${coordinateOf(random(fixture.scrolls))}`,
      body: scrollText(++serial, fixture.scrollBytes),
    }),
  };
}

const SCENARIOS: readonly Scenario[] = [
  { label: 'bare hello world', server: 'bare', request: { path: '/' } },
  { label: 'bare close', server: 'bare', request: { path: '/' }, close: true },
  { label: 'select 1 KB', server: 'host', request: select(SMALL) },
  { label: 'select close 1 KB', server: 'host', request: select(SMALL), close: true },
  { label: 'select 1 MB', server: 'host', request: select(LARGE) },
  { label: 'update 1 KB', server: 'host', request: update(SMALL) },
  { label: 'update 1 MB', server: 'host', request: update(LARGE) },
  { label: 'router select 1 KB', server: 'router', request: select(SMALL) },
  { label: 'direct select 1 KB', server: 'keyed', request: select(SMALL) },
];

const TARGETS: readonly Target[] = [
  // Issue 10's bars: keep-alive at half of bare node:http, one request per connection at 0.9 of it
  // (where the original Rust SQ stands), and the router at 0.4 of the backend it fronts.
  { numerator: 'select 1 KB', denominator: 'bare hello world', connections: 64, atLeast: 0.5 },
  { numerator: 'select close 1 KB', denominator: 'bare close', connections: 64, atLeast: 0.9 },
  { numerator: 'router select 1 KB', denominator: 'direct select 1 KB', connections: 64, atLeast: 0.4 },
  { numerator: 'select 1 MB', denominator: 'bare hello world', connections: 64, atLeast: 0.8 },
  { numerator: 'update 1 MB', denominator: 'select 1 MB', connections: 64, atLeast: 0.25 },
];

let current: autocannon.Instance | undefined;

const authHeaders = (scenario: Scenario): Record<string, string> =>
  scenario.server === 'keyed' || scenario.server === 'router' ? { authorization: `Bearer ${TOKEN}` } : {};

/** The scenario's requests, sampled once, for wrk to replay at random. */
function sampled(scenario: Scenario, n = 512): WrkRequest[] {
  const { request } = scenario;
  return Array.from({ length: n }, () => {
    const r = request.setupRequest ? request.setupRequest({ ...request }, {}) : request;
    const body = r.body === undefined ? undefined : String(r.body);
    return { method: r.method ?? 'GET', path: r.path ?? '/', body };
  });
}

/**
 * One load run against `port`: wrk when `wrkDir` is given (its script goes there), else
 * autocannon, or our close loop for one request per connection.
 */
async function load(scenario: Scenario, port: number, connections: number, seconds: number, wrkDir?: string): Promise<LoadResult> {
  const headers = authHeaders(scenario);
  if (wrkDir) {
    const requests = sampled(scenario);
    const scriptPath = join(wrkDir, 'requests.lua');
    const allHeaders = { ...headers, ...scenario.request.headers };
    return wrkLoad({ port, connections, seconds, requests, headers: allHeaders, close: scenario.close === true, scriptPath });
  }
  const latency = new LatencyRecorder();
  let r: { requests: { total: number; average: number }; errors: number; timeouts: number; non2xx: number };
  if (scenario.close) {
    const { request } = scenario;
    const path = () => (request.setupRequest ? request.setupRequest({ ...request }, {}).path : request.path) ?? '/';
    r = { ...(await closeLoad({ port, connections, seconds, path, headers, latency })), timeouts: 0 };
  } else {
    current = autocannon({ url: `http://127.0.0.1:${port}`, connections, duration: seconds, headers, requests: [scenario.request] });
    current.on('response', (_client, _status, _bytes, ms) => latency.record(ms));
    try {
      r = await current;
    } finally {
      current = undefined;
    }
  }
  const [p50Ms = NaN, p99Ms = NaN] = latency.percentiles(50, 99);
  return { total: r.requests.total, average: r.requests.average, errors: r.errors + r.timeouts, non2xx: r.non2xx, p50Ms, p99Ms };
}

async function measure(
  scenario: Scenario,
  server: ServerChild,
  connections: number,
  seconds: number,
  warmup: number,
  wrkDir?: string,
): Promise<Measurement> {
  if (warmup > 0) await load(scenario, server.port, connections, warmup, wrkDir);
  const cpuBefore = cpuSeconds(server.child.pid);
  const r = await load(scenario, server.port, connections, seconds, wrkDir);
  const cpuAfter = cpuSeconds(server.child.pid);
  return {
    scenario: scenario.label,
    connections,
    requestsPerSecond: r.average,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    errors: r.errors,
    non2xx: r.non2xx,
    cpuMicrosPerRequest:
      cpuBefore === undefined || cpuAfter === undefined || r.total === 0 ? NaN : ((cpuAfter - cpuBefore) * 1e6) / r.total,
  };
}

/** Starts the four servers on ephemeral ports: bare, `sq host`, keyed `sq host`, and `sq route` before it. */
async function startServers(dir: string, nodeFlags: string[]): Promise<Servers> {
  const plain = join(dir, 'plain');
  const keyedDir = join(dir, 'keyed');
  mkdirSync(plain);
  mkdirSync(keyedDir);
  for (const f of [SMALL, LARGE]) writeFixture(plain, f);
  writeFixture(keyedDir, SMALL);
  const host = (data: string, extra: string[] = []) => [
    ...nodeFlags,
    SQ,
    'host',
    '0',
    '--bind',
    '127.0.0.1',
    '--data-dir',
    data,
    '--log-format',
    'off',
    ...extra,
  ];
  const [bare, plainHost, keyed] = await Promise.all([
    startServer('bare', [...nodeFlags, '-e', HELLO], LISTENING),
    startServer('sq host', host(plain), LISTENING),
    startServer('sq host --key', host(keyedDir, ['--key', TOKEN]), LISTENING),
  ]);
  const config = join(dir, 'router.json');
  writeFileSync(config, JSON.stringify({ tenants: [{ token: TOKEN, port: keyed.port, data_dir: keyedDir }] }));
  const router = await startServer(
    'sq route',
    [...nodeFlags, SQ, 'route', config, '0', '--bind', '127.0.0.1', '--log-format', 'off'],
    LISTENING,
  );
  return { bare, host: plainHost, keyed, router };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      quick: { type: 'boolean' },
      only: { type: 'string' },
      profile: { type: 'string' },
      load: { type: 'string' },
    },
  });
  if (values.load !== undefined && values.load !== 'wrk' && values.load !== 'node') throw new Error(`--load must be wrk or node`);
  const useWrk = values.load === 'wrk' || (values.load === undefined && (await wrkAvailable()));
  if (values.load === 'wrk' && !useWrk) throw new Error('--load wrk: no wrk on this machine (apt-get install wrk)');
  const seconds = values.quick ? 1 : Number(values.duration ?? 5);
  if (!(seconds > 0)) throw new Error(`--duration must be a positive number of seconds, got '${values.duration}'`);
  const warmup = values.quick ? 0 : 1;
  stopAllOnExit(() => current?.stop());
  const dir = mkdtempSync(join(tmpdir(), 'sq-bench-http-'));
  try {
    const servers = await startServers(dir, values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : []);
    const results: Measurement[] = [];
    const only = (values.only ?? '').split(',');
    for (const scenario of SCENARIOS.filter((s) => only.some((prefix) => s.label.startsWith(prefix)))) {
      for (const [i, connections] of CONNECTIONS.entries()) {
        const m = await measure(scenario, servers[scenario.server], connections, seconds, i === 0 ? warmup : 0, useWrk ? dir : undefined);
        results.push(m);
        process.stderr.write(`  ${m.scenario} @${m.connections}: ${m.requestsPerSecond.toFixed(0)} req/s\n`);
      }
    }
    console.log(
      `${useWrk ? 'wrk' : 'autocannon (close rows: a node loop)'}, ${seconds} s per row, node ${process.version}; ` +
        'updates: POST /update of a random existing scroll with a same-size text',
    );
    console.log(formatTable(results));
    console.log(formatTargets(results, TARGETS));
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

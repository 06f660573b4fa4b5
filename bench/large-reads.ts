/**
 * Large reads against a real `sq host --cache-mb 64`: a ~50 MB phext of ~519k scrolls, read by N
 * concurrent clients (`json-export`, `toc`, `get`) while a worker thread probes `/health` every
 * ~10 ms. Each case runs on a fresh server, so its peak RSS (VmHWM of /proc/<pid>/status, checked
 * against VmRSS samples every ~10 ms) is the case's own.
 * `npx tsc -p . && node dist/bench/large-reads.js [--concurrency N] [--scrolls N] [--only TEXT] [--sq PATH]`
 * (npm run bench:large-reads). `--sq` measures another build's `bin/sq` with the same clients.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { startServer, stopAll, stopAllOnExit, type ServerChild } from './http/processes.js';
import { residentKib } from '../src/testing/resident-memory.js';
import { random } from './random.js';

const SQ = fileURLToPath(new URL('../../bin/sq', import.meta.url));
const LISTENING = /listening on http:\/\/127\.0\.0\.1:(\d+)/;
const CACHE_MB = 64;
const NAME = 'large';
const SCROLL_BREAK = '\x17';
const SECTION_BREAK = '\x18';
const CHAPTER_BREAK = '\x19';
const WORDS = ['phext', 'scroll', 'library', 'the', 'of', 'subspace', 'café', 'naïve', '日本語', 'λόγος', 'and', 'a', 'to'];

interface Case {
  readonly command: 'json-export' | 'toc' | 'get';
  readonly concurrency: number;
}

interface Row {
  readonly label: string;
  readonly concurrency: number;
  readonly peakRssMb: number;
  readonly healthMaxMs: number;
  readonly healthProbes: number;
  readonly healthErrors: number;
  readonly seconds: number;
  readonly bytesPerClient: number;
  /** Clients that got no whole answer, and how the server ended if it died. */
  readonly failed: number;
  readonly died: string | undefined;
}

/**
 * Writes `<dir>/large.phext`: `scrolls` scrolls of ~96 bytes of words (some non-ASCII, some line
 * breaks), 999 scrolls per section, 999 sections per chapter. Returns the file size.
 */
async function writePhext(dir: string, scrolls: number): Promise<number> {
  const rand = random(519);
  const pool = Array.from({ length: 256 }, (_, n) => {
    let text = `#${n} `;
    while (Buffer.byteLength(text) < 90) text += WORDS[Math.floor(rand() * WORDS.length)] + (rand() < 0.08 ? '\n' : ' ');
    return text;
  });
  const out = createWriteStream(join(dir, `${NAME}.phext`));
  let pending = '';
  let size = 0;
  for (let i = 0; i < scrolls; i++) {
    if (i > 0) pending += i % (999 * 999) === 0 ? CHAPTER_BREAK : i % 999 === 0 ? SECTION_BREAK : SCROLL_BREAK;
    pending += `${i}:${pool[i % pool.length]}`;
    if (pending.length > 1 << 16) {
      size += Buffer.byteLength(pending);
      if (!out.write(pending)) await once(out, 'drain');
      pending = '';
    }
  }
  size += Buffer.byteLength(pending);
  out.end(pending);
  await once(out, 'finish');
  return size;
}

/** Reads one whole answer, counting its bytes without keeping them. */
function fetchCount(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`${path}: HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

// The probe runs on a thread of its own, so that the clients' work here does not delay it.
const PROBE = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
let running = true, max = 0, count = 0, errors = 0;
parentPort.on('message', () => { running = false; });
function probe() {
  if (!running) { parentPort.postMessage({ max, count, errors }); return; }
  const started = performance.now();
  // A fresh connection each time: a keep-alive one may be closed under us after a long stall.
  http.get({ host: '127.0.0.1', port: workerData.port, path: '/health', agent: false }, (res) => {
    res.resume();
    res.on('end', () => {
      max = Math.max(max, performance.now() - started);
      count++;
      setTimeout(probe, 10);
    });
  }).on('error', () => {
    max = Math.max(max, performance.now() - started);
    errors++;
    setTimeout(probe, 10);
  });
}
probe();
`;

function startProbe(port: number): { stop(): Promise<{ max: number; count: number; errors: number }> } {
  const worker = new Worker(PROBE, { eval: true, workerData: { port } });
  const result = new Promise<{ max: number; count: number; errors: number }>((resolve, reject) => {
    worker.once('message', (m: { max: number; count: number; errors: number }) => resolve(m));
    worker.once('error', reject);
  });
  return {
    async stop() {
      worker.postMessage('stop');
      const r = await result;
      await worker.terminate();
      return r;
    },
  };
}

async function peakKib(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0);
}

async function runCase(sq: string, dataDir: string, c: Case): Promise<Row> {
  const server: ServerChild = await startServer(
    c.command,
    [sq, 'host', '0', '--bind', '127.0.0.1', '--data-dir', dataDir, '--cache-mb', String(CACHE_MB), '--log-format', 'off'],
    LISTENING,
  );
  const pid = server.child.pid!;
  let sampledKib = 0;
  const sampler = setInterval(() => {
    residentKib(pid).then(
      (kib) => (sampledKib = Math.max(sampledKib, kib)),
      () => {},
    );
  }, 10);
  let died: string | undefined;
  server.child.once('exit', (code, signal) => (died = `exit ${signal ?? code}`));
  const probe = startProbe(server.port);
  const started = performance.now();
  const answers = await Promise.allSettled(
    Array.from({ length: c.concurrency }, () => fetchCount(server.port, `/api/v2/${c.command}?p=${NAME}`)),
  );
  const seconds = (performance.now() - started) / 1000;
  const health = await probe.stop();
  clearInterval(sampler);
  const peak = Math.max(sampledKib, died ? 0 : await peakKib(pid));
  if (!died) {
    server.child.kill('SIGKILL');
    await once(server.child, 'exit');
  }
  const sizes = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
  return {
    label: c.command,
    concurrency: c.concurrency,
    peakRssMb: peak / 1024,
    healthMaxMs: health.max,
    healthProbes: health.count,
    healthErrors: health.errors,
    seconds,
    bytesPerClient: sizes[0] ?? 0,
    failed: c.concurrency - sizes.length,
    died,
  };
}

function printTable(rows: readonly Row[]): void {
  const table = [
    ['case', 'concurrency', 'peak RSS MB', 'max /health ms', 'probes (failed)', 'total s', 'MB per answer', 'failed answers'],
    ...rows.map((r) => [
      r.label,
      String(r.concurrency),
      r.peakRssMb.toFixed(0),
      r.healthMaxMs.toFixed(1),
      `${r.healthProbes} (${r.healthErrors})`,
      r.seconds.toFixed(1),
      (r.bytesPerClient / (1 << 20)).toFixed(1),
      r.failed === 0 ? '0' : `${r.failed}${r.died ? ` (server ${r.died})` : ''}`,
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]?.length ?? 0)));
  for (const r of table)
    console.log(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      concurrency: { type: 'string', default: '24' },
      scrolls: { type: 'string', default: '519000' },
      only: { type: 'string' },
      sq: { type: 'string', default: SQ },
    },
  });
  const n = Number(values.concurrency);
  const cases: Case[] = [
    { command: 'json-export', concurrency: 1 },
    { command: 'json-export', concurrency: n },
    { command: 'toc', concurrency: 1 },
    { command: 'toc', concurrency: n },
    { command: 'get', concurrency: n },
  ].filter((c) => !values.only || c.command.startsWith(values.only)) as Case[];
  stopAllOnExit(() => {});
  const dir = mkdtempSync(join(tmpdir(), 'sq-large-reads-'));
  try {
    const size = await writePhext(dir, Number(values.scrolls));
    console.log(`${values.sq}: ${NAME}.phext ${(size / (1 << 20)).toFixed(1)} MB, ${values.scrolls} scrolls, --cache-mb ${CACHE_MB}`);
    const rows: Row[] = [];
    for (const c of cases) {
      rows.push(await runCase(values.sq!, dir, c));
      process.stderr.write(`${c.command} x${c.concurrency} done\n`);
    }
    printTable(rows);
    console.log(`peak RSS: VmHWM of a fresh server per case; /health probed every ~10 ms from a worker thread; node ${process.version}`);
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

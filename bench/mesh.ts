/**
 * Replication lag of the mesh (issue 14): three `sq host --mesh-config` nodes on 127.0.0.1, each
 * following the other two; writers send ~1,000 one-scroll updates a second in all, spread over
 * the three nodes (open loop: a write is sent on schedule whether or not the last was answered),
 * and every node's change feed (`/api/v2/watch?text=1`) is read. A write's lag at a node is the
 * time from its acknowledgement by the node it was sent to until the event of it arrives from
 * the other node's feed. Printed as a table: lag p50/p90/p99/max per node and for all.
 * `npx tsc -p . && node dist/bench/mesh.js [--rate N] [--duration SECONDS]` (npm run bench:mesh).
 *
 * Writers, readers and the three servers share the machine's cores: on a 2-core machine the
 * figures include the contention of five busy processes on two cores.
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { startMesh, type MeshNode } from '../src/testing/mesh-nodes.js';

const { values } = parseArgs({ options: { rate: { type: 'string' }, duration: { type: 'string' } } });
const RATE = Number(values.rate ?? 1000);
const DURATION_S = Number(values.duration ?? 10);
const P = 'bench';
const DRAIN_MS = 30_000;

interface Arrival {
  readonly at: number;
  readonly origin: number;
  readonly seq: number;
}

/** Reads `/api/v2/watch` of phext P on `node`, noting when each change's text arrives. */
function follow(node: MeshNode, arrivals: Arrival[]): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: node.port, path: `/api/v2/watch?p=${P}&text=1`, agent: false });
    req.on('error', reject);
    req.on('response', (res) => {
      if (res.statusCode !== 200) return reject(new Error(`watch: ${res.statusCode}`));
      res.setEncoding('utf8');
      let pending = '';
      res.on('data', (chunk: string) => {
        const at = Date.now();
        pending += chunk;
        const blocks = pending.split('\n\n');
        pending = blocks.pop()!;
        for (const block of blocks) {
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (!data || !block.includes('event: change')) continue;
          const { text } = JSON.parse(data.slice(6)) as { text?: string };
          const m = /^w (\d+) (\d+)$/.exec(text ?? '');
          if (m) arrivals.push({ at, origin: Number(m[1]), seq: Number(m[2]) });
        }
      });
      resolve(() => req.destroy());
    });
  });
}

const coordOf = (origin: number, seq: number): string => `${origin + 1}.1.1/1.1.1/${Math.floor(seq / 999) + 1}.1.${(seq % 999) + 1}`;

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function main(): Promise<void> {
  const cleanups: (() => unknown)[] = [];
  const nodes = await startMesh({ after: (fn) => cleanups.push(fn) }, ['a', 'b', 'c']);
  try {
    const arrivals = nodes.map(() => [] as Arrival[]);
    const stops = await Promise.all(nodes.map((n, i) => follow(n, arrivals[i]!)));
    const acks = nodes.map(() => new Map<number, number>());
    const agents = nodes.map(() => new http.Agent({ keepAlive: true, maxSockets: 32 }));
    let failed = 0;
    const write = (i: number, seq: number): Promise<void> =>
      new Promise((resolve) => {
        const body = `w ${i} ${seq}`;
        const req = http.request(
          {
            host: '127.0.0.1',
            port: nodes[i]!.port,
            method: 'POST',
            path: `/api/v2/update?p=${P}&c=${encodeURIComponent(coordOf(i, seq))}`,
            agent: agents[i],
            headers: { 'content-length': Buffer.byteLength(body) },
          },
          (res) => {
            res.resume();
            res.on('end', () => {
              if (res.statusCode === 200) acks[i]!.set(seq, Date.now());
              else failed++;
              resolve();
            });
          },
        );
        req.on('error', () => {
          failed++;
          resolve();
        });
        req.end(body);
      });

    const started = Date.now();
    const sent = nodes.map(() => 0);
    const inflight: Promise<void>[] = [];
    while (Date.now() - started < DURATION_S * 1000) {
      const due = Math.floor(((Date.now() - started) / 1000) * RATE);
      for (let n = sent.reduce((a, b) => a + b, 0); n < due; n++) {
        const i = n % nodes.length;
        inflight.push(write(i, sent[i]!++));
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(inflight);
    const elapsed = (Date.now() - started) / 1000;
    const total = acks.reduce((sum, m) => sum + m.size, 0);
    // Every acknowledged write must reach the other two nodes' feeds.
    const expected = (i: number) => total - acks[i]!.size;
    const seen = (i: number) => arrivals[i]!.filter((a) => a.origin !== i).length;
    const drainUntil = Date.now() + DRAIN_MS;
    while (nodes.some((_, i) => seen(i) < expected(i)) && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
    for (const stop of stops) stop();

    const rows: string[][] = [];
    const all: number[] = [];
    for (const [i, node] of nodes.entries()) {
      const lags: number[] = [];
      for (const a of arrivals[i]!) {
        if (a.origin === i) continue;
        const ack = acks[a.origin]!.get(a.seq);
        if (ack !== undefined) lags.push(Math.max(0, a.at - ack));
      }
      lags.sort((x, y) => x - y);
      all.push(...lags);
      rows.push([`at ${node.id}`, String(lags.length), String(expected(i)), ...[0.5, 0.9, 0.99, 1].map((q) => `${percentile(lags, q)}`)]);
    }
    all.sort((x, y) => x - y);
    rows.push([
      'all',
      String(all.length),
      String(nodes.reduce((s, _, i) => s + expected(i), 0)),
      ...[0.5, 0.9, 0.99, 1].map((q) => `${percentile(all, q)}`),
    ]);
    const sums = await Promise.all(nodes.map(async (n) => (await n.call('GET', `/api/v2/checksum?p=${P}`)).text));
    const header = ['replication lag (ms)', 'received', 'expected', 'p50', 'p90', 'p99', 'max'];
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
    const line = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
    console.log(
      `3 nodes, ${total} writes acknowledged in ${elapsed.toFixed(1)} s (${Math.round(total / elapsed)}/s, target ${RATE}/s), ${failed} failed`,
    );
    console.log(line(header));
    for (const row of rows) console.log(line(row));
    console.log(`checksums ${sums.every((s) => s === sums[0]) ? 'equal' : `DIFFER: ${sums.join(' ')}`} on the three nodes`);
    const status = await Promise.all(nodes.map((n) => n.status()));
    console.log(`changes applied: ${status.map((s) => `${s.node} ${s.peers.reduce((x, p) => x + p.applied, 0)}`).join(', ')}`);
    for (const agent of agents) agent.destroy();
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
}

await main();

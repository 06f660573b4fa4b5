/**
 * Codec throughput: builds phexts in memory and times parse and serialize.
 * Run: `npx tsc -p . && node dist/bench/codec.js` (optionally `--runs N`).
 */
import { Coordinate, Phext, parse, serialize } from '../src/phext/index.js';
import { random } from './random.js';

interface Case {
  readonly name: string;
  readonly bytes: number;
  readonly scrolls: number;
}

const CASES: readonly Case[] = [
  { name: '1 MB / 1k scrolls', bytes: 1 << 20, scrolls: 1_000 },
  { name: '10 MB / 10k scrolls', bytes: 10 << 20, scrolls: 10_000 },
  { name: '2 MB / 20k scrolls', bytes: 2 << 20, scrolls: 20_000 },
  { name: '50 MB / 100k scrolls', bytes: 50 << 20, scrolls: 100_000 },
];

// Break weights per coordinate part, library (0) … scroll (8): mostly scroll breaks, some of every level.
const LEVEL_WEIGHTS = [1, 3, 5, 8, 12, 20, 40, 120, 791];
const WORDS = ['phext', 'scroll', 'library', 'the', 'of', 'subspace', 'café', 'naïve', '日本語', 'λόγος', 'Ω', '🙂', 'ünïcödé', 'and'];

function pickLevel(rand: () => number, parts: number[]): number {
  const total = LEVEL_WEIGHTS.reduce((a, b) => a + b, 0);
  let r = rand() * total;
  let level = 0;
  // r < total, so the walk stops at the scroll level at the latest.
  while (r >= LEVEL_WEIGHTS[level]!) r -= LEVEL_WEIGHTS[level++]!;
  // A full part would saturate and revisit coordinates; break at the next larger level instead.
  while (level > 0 && parts[level]! >= 999) level--;
  return level;
}

function scrollText(rand: () => number, bytes: number): string {
  let text = '';
  while (Buffer.byteLength(text) < bytes) {
    text += WORDS[Math.floor(rand() * WORDS.length)]!;
    text += rand() < 0.08 ? '\n' : ' ';
  }
  return text;
}

function generate(c: Case): Phext {
  const rand = random(c.scrolls);
  const phext = new Phext();
  const parts = new Array<number>(9).fill(1);
  const perScroll = Math.max(1, Math.floor(c.bytes / c.scrolls));
  // A pool of texts keeps generation fast; lengths still vary per scroll.
  const pool = Array.from({ length: 64 }, () => scrollText(rand, perScroll));
  for (let i = 0; i < c.scrolls; i++) {
    if (i > 0) {
      const level = pickLevel(rand, parts);
      parts[level]!++;
      for (let j = level + 1; j < 9; j++) parts[j] = 1;
    }
    phext.set(Coordinate.of(parts), pool[i % pool.length]!);
  }
  return phext;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function time(runs: number, fn: () => unknown): number {
  const seconds: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  return median(seconds);
}

function main(): void {
  const runsArg = process.argv.indexOf('--runs');
  const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
  const rows: string[][] = [['case', 'MB', 'scrolls', 'parse MB/s', 'parse scrolls/s', 'serialize MB/s', 'serialize scrolls/s']];
  for (const c of CASES) {
    const phext = generate(c);
    const bytes = serialize(phext);
    const check = parse(bytes);
    if (check.size !== phext.size) throw new Error(`${c.name}: parsed ${check.size} scrolls, expected ${phext.size}`);
    const mb = bytes.length / (1 << 20);
    parse(bytes); // warm up
    // Read once: a parsed phext puts its last scrolls (up to a loading chunk) in its tree on first use.
    const parseSeconds = time(runs, () => parse(bytes).size);
    const serializeSeconds = time(runs, () => serialize(phext));
    rows.push([
      c.name,
      mb.toFixed(1),
      String(phext.size),
      (mb / parseSeconds).toFixed(0),
      (phext.size / parseSeconds).toFixed(0),
      (mb / serializeSeconds).toFixed(0),
      (phext.size / serializeSeconds).toFixed(0),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
  for (const r of rows) console.log(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '));
  console.log(`median of ${runs} runs, node ${process.version}`);
}

main();

/**
 * Group-commit throughput: 64 concurrent inserters on a 1 MB phext for a few seconds.
 * `npx tsc -p . && node dist/bench/store.js [seconds] [inserters] [MB]`
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Coordinate, Phext, serialize } from '../src/phext/index.js';
import { FileDocumentStore } from '../src/store/index.js';
import { byDirectory, fileKey } from '../src/testing/store-support.js';

const seconds = Number(process.argv[2] ?? 5);
const inserters = Number(process.argv[3] ?? 64);
const megabytes = Number(process.argv[4] ?? 1);

const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'sq-bench-store-'));
const file = join(dir, 'bench.phext');
const seed = new Phext();
const scrolls = Math.round((megabytes * 1_000_000) / 1000);
for (let i = 0; i < scrolls; i++) seed.set(Coordinate.of([1, 1, 1, 1, 1, 1 + Math.floor(i / 999), 1, 1, 1 + (i % 999)]), 'x'.repeat(999));
writeFileSync(file, serialize(seed));

let commits = 0;
let commitMs = 0;
let mutations = 0;
const store = new FileDocumentStore({
  directories: byDirectory,
  cacheBytes: 512 << 20,
  maxPhextBytes: 512 << 20,
  observers: [
    (commit) => {
      commits++;
      commitMs += commit.durationMs;
    },
  ],
});
await store.read(fileKey(file));
const deadline = performance.now() + seconds * 1000;
const started = performance.now();
await Promise.all(
  Array.from({ length: inserters }, async (_, w) => {
    const c = Coordinate.of([2, 1, 1, 1, 1, 1, 1, 1, w + 1]);
    while (performance.now() < deadline) {
      await store.mutate(fileKey(file), (p) => p.set(c, p.get(c) + `insert ${mutations}\n`));
      mutations++;
    }
  }),
);
const elapsed = (performance.now() - started) / 1000;
await store.close();
const size =
  (await new FileDocumentStore({ directories: byDirectory, cacheBytes: 1 << 30, maxPhextBytes: 1 << 30 }).read(fileKey(file)))?.bytes
    .length ?? 0;
rmSync(dir, { recursive: true, force: true });
console.log(
  `${inserters} inserters, ${megabytes} MB phext (${(size / 1e6).toFixed(2)} MB at the end), ${elapsed.toFixed(1)} s on ${dir}:\n` +
    `  ${(mutations / elapsed).toFixed(0)} mutations/s, ${(commits / elapsed).toFixed(1)} commits/s, ` +
    `${(mutations / commits).toFixed(1)} mutations per commit, ${(commitMs / commits).toFixed(1)} ms per write+fsync`,
);

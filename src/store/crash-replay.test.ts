import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { Coordinate, Phext, serialize } from '../phext/index.js';
import { durableBytes } from '../testing/durable-phext.js';
import { tempDir } from '../testing/temp-dir.js';
import { FileDocumentStore } from './file-store.js';
import { FILE_IO, type StoreIo } from './store-io.js';
import { byDirectory, fileKey } from '../testing/store-support.js';

/**
 * A store whose disk "dies" on demand: from `crash()` on, every write fails, and the append that
 * is cut may leave half its frame behind, as a kill during write() would. `settled` waits for the
 * write in flight, after which nothing of this store touches the disk again.
 */
function crashableIo(): { io: StoreIo; crash(torn: boolean): void; settled(): Promise<void> } {
  let dead = false;
  let tearNext = false;
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    return p.finally(() => inFlight.delete(p));
  };
  const gone = () => Object.assign(new Error('the process was killed'), { code: 'EIO' });
  return {
    io: {
      replace: (path, data, options) => {
        if (dead) return Promise.reject(gone());
        return track(FILE_IO.replace(path, data, options));
      },
      stage: async (path, data) => {
        if (dead) throw gone();
        const staged = await track(FILE_IO.stage(path, data));
        return {
          ...staged,
          install: (...expected) => (dead ? staged.discard().then(() => Promise.reject(gone())) : track(staged.install(...expected))),
        };
      },
      openLog: (path, at) => {
        if (dead) return Promise.reject(gone());
        return track(FILE_IO.openLog(path, at));
      },
      append: (log, at, bytes) => {
        if (dead && tearNext) {
          tearNext = false;
          return track(FILE_IO.append(log, at, bytes.subarray(0, bytes.length >> 1)).then(() => Promise.reject(gone())));
        }
        if (dead) return Promise.reject(gone());
        return track(FILE_IO.append(log, at, bytes));
      },
    },
    crash(torn) {
      dead = true;
      tearNext = torn;
    },
    settled: async () => {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

const coordinate = fc
  .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }))
  .map(([s, n]) => Coordinate.of([1, 1, 1, 1, 1, 1, 1, s, n]));
const step = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('set' as const), at: coordinate, text: fc.string({ maxLength: 40, unit: 'grapheme' }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: coordinate }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flush' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), torn: fc.boolean(), during: fc.boolean() }) },
);

test('any sequence of writes, checkpoints and crashes leaves exactly the acknowledged writes, and versions never go back', async (t) => {
  const dir = tempDir(t);
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(step, { maxLength: 24 }), async (steps) => {
      const file = join(dir, `p${++run}.phext`);
      const model = new Phext();
      let disk = crashableIo();
      // Small thresholds: checkpoints happen on their own too, in the middle of the sequence.
      const open = () =>
        new FileDocumentStore(
          {
            directories: byDirectory,
            cacheBytes: 1 << 20,
            maxPhextBytes: 1 << 20,
            checkpointMinBytes: 200,
            checkpointIdleMs: 1e9,
            notice: () => undefined,
          },
          disk.io,
        );
      let store = open();
      let version = 0;
      for (const s of steps) {
        if (s.kind === 'set' || s.kind === 'delete') {
          const text = s.kind === 'set' ? s.text.replace(/[\x01\x17-\x1a\x1c-\x1f]/g, '') : '';
          const written = await store.mutate(fileKey(file), (p) => p.set(s.at, text)).catch(() => undefined);
          if (written) {
            model.set(s.at, text);
            assert.ok(written.version >= version, `version went back: ${written.version} after ${version}`);
            version = written.version;
          }
        } else if (s.kind === 'flush') {
          await store.flush();
        } else {
          // A crash now, or in the middle of the next write (which then is never acknowledged).
          if (s.during) {
            const next = store.mutate(fileKey(file), (p) => p.set(Coordinate.of([1, 1, 1, 1, 1, 1, 1, 9, 9]), 'never acknowledged'));
            disk.crash(s.torn);
            assert.equal(
              await next.then(
                () => 'acknowledged',
                () => 'lost',
              ),
              'lost',
            );
          } else {
            disk.crash(s.torn);
          }
          await disk.settled();
          await store.close(); // writes nothing now (every one fails); closes the dead store's files
          disk = crashableIo();
          store = open();
          const reloaded = await store.read(fileKey(file));
          assert.ok((reloaded?.version ?? 0) >= version, 'a restart never goes back to an older version');
          version = reloaded?.version ?? 0;
        }
      }
      const expected = serialize(model);
      assert.deepEqual((await (await store.read(fileKey(file)))?.bytes()) ?? Buffer.alloc(0), expected);
      assert.deepEqual(await durableBytes(file), expected, 'what a restart would load');
      await store.close();
      assert.deepEqual(await durableBytes(file), expected);
    }),
    { numRuns: 40 },
  );
});

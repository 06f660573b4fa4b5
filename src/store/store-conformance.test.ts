/**
 * What every DocumentStore does, checked through the interface alone against each store: the
 * file store in a temporary directory, the PostgreSQL store in a throwaway cluster.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { serialize } from '../phext/index.js';
import type { Changes, DocumentKey, DocumentStore } from './document-store.js';
import { StoreError } from './document-store.js';
import { FileDocumentStore } from './file-store.js';
import { QuotaError, type QuotaLedger } from './quota-ledger.js';
import { PgDocumentStore } from './pg/pg-store.js';
import { startPostgres } from '../testing/postgres.js';
import { at, byDirectory, fileKey } from '../testing/store-support.js';
import { tempDir } from '../testing/temp-dir.js';

const MiB = 1024 * 1024;
const limits = { cacheBytes: 64 * MiB, maxPhextBytes: 4 * MiB };

interface Subject {
  readonly name: string;
  readonly skip: string | false;
  /** A store over the same data as every other store this subject opened (a restart, another server). */
  open(options?: Partial<typeof limits> & { quota?: QuotaLedger }): Promise<DocumentStore>;
  /** A document no other test uses. */
  key(name: string): DocumentKey;
}

const dir = tempDir({ after });
const cluster = await startPostgres();
after(() => ('stop' in cluster ? cluster.stop() : undefined));

const subjects: Subject[] = [
  {
    name: 'FileDocumentStore',
    skip: false,
    open: async (options) => new FileDocumentStore({ directories: byDirectory, ...limits, ...options, notice: () => {} }),
    key: (name) => fileKey(join(dir, `${name}.phext`)),
  },
  {
    name: 'PgDocumentStore',
    skip: 'missing' in cluster ? `PostgreSQL not available: ${cluster.missing}` : false,
    open: (options) => PgDocumentStore.open({ ...limits, ...options, connection: 'connection' in cluster ? cluster.connection : {} }),
    key: (name) => ({ tenant: 'conformance', name }),
  },
];

/** Opens a store of `subject` that `t` closes after the test. */
async function opened(
  subject: Subject,
  t: { after(fn: () => Promise<void>): void },
  options?: Parameters<Subject['open']>[0],
): Promise<DocumentStore> {
  const store = await subject.open(options);
  t.after(() => store.close());
  return store;
}

const brief = (changes: Changes | undefined) =>
  changes && { version: changes.version, records: changes.records.map((r) => `${r.version} ${r.kind} ${r.coordinate} ${r.text}`) };

for (const subject of subjects) {
  describe(subject.name, { skip: subject.skip }, () => {
    test('a phext that was never written reads as undefined, and has no changes', async (t) => {
      const store = await opened(subject, t);
      const key = subject.key('never');
      assert.equal(await store.read(key), undefined);
      assert.deepEqual(brief(await store.changesSince(key, 0)), { version: 0, records: [] });
      assert.equal(await store.changesSince(key, 1), undefined);
    });

    test('a mutation is read back with its version, size and bytes', async (t) => {
      const store = await opened(subject, t);
      const key = subject.key('written');
      const written = await store.mutate(key, (p) => {
        p.set(at('1.1.1/1.1.1/1.1.1'), 'first');
        p.set(at('2.1.1/1.1.1/1.1.3'), 'second ü');
        return 'value';
      });
      assert.deepEqual(written, { value: 'value', version: 1 });
      const snapshot = await store.read(key);
      assert.equal(snapshot?.version, 1);
      assert.equal(snapshot.phext.get(at('2.1.1/1.1.1/1.1.3')), 'second ü');
      const bytes = serialize(snapshot.phext);
      assert.deepEqual(await snapshot.bytes(), bytes);
      assert.equal(snapshot.size, bytes.length);
    });

    test('versions grow by one per mutation that changed a scroll, and survive a restart', async (t) => {
      const store = await subject.open();
      const key = subject.key('versions');
      assert.equal((await store.mutate(key, (p) => p.set(at('1.1.1'), 'a'))).version, 1);
      assert.equal(
        (
          await store.mutate(key, (p) => {
            p.set(at('1.1.2'), 'b');
            p.set(at('1.1.3'), 'c');
          })
        ).version,
        2,
      );
      assert.equal((await store.mutate(key, (p) => p.set(at('1.1.2'), ''))).version, 3);
      const before = await store.read(key);
      await store.close();
      const again = await opened(subject, t);
      const after = await again.read(key);
      assert.equal(after?.version, 3);
      assert.deepEqual(
        [...after.phext.scrolls()].map((s) => [s.coordinate.toString(), s.text]),
        [...before!.phext.scrolls()].map((s) => [s.coordinate.toString(), s.text]),
      );
      assert.equal(after.size, before!.size);
      assert.equal((await again.mutate(key, (p) => p.set(at('1.1.4'), 'd'))).version, 4);
    });

    test('200 concurrent mutations all land, sharing fewer commits', async (t) => {
      const store = await opened(subject, t);
      const key = subject.key('concurrent');
      const commits: number[] = [];
      store.onCommit((c) => commits.push(c.batchSize));
      const written = await Promise.all(
        Array.from({ length: 200 }, (_, i) => store.mutate(key, (p) => p.set(at(`1.1.1/1.1.1/1.1.${i + 1}`), `scroll ${i}`))),
      );
      assert.deepEqual(
        written.map((w) => w.version).sort((a, b) => a - b),
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      assert.ok(commits.length < 200, `${commits.length} commits for 200 mutations`);
      assert.equal(
        commits.reduce((a, b) => a + b, 0),
        200,
      );
      const snapshot = await store.read(key);
      assert.equal(snapshot?.version, 200);
      assert.equal(snapshot.phext.size, 200);
    });

    test('a change that throws fails alone; the others of its batch land', async (t) => {
      const store = await opened(subject, t);
      const key = subject.key('throws');
      const results = await Promise.allSettled([
        store.mutate(key, (p) => p.set(at('1.1.1'), 'kept')),
        store.mutate(key, (p) => {
          p.set(at('1.1.2'), 'undone');
          throw new Error('refused by the change');
        }),
        store.mutate(key, (p) => p.set(at('1.1.3'), 'kept too')),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      assert.equal((results[1] as PromiseRejectedResult).reason.message, 'refused by the change');
      const snapshot = await store.read(key);
      assert.equal(snapshot?.version, 2);
      assert.deepEqual(
        [...snapshot.phext.scrolls()].map((s) => s.text),
        ['kept', 'kept too'],
      );
    });

    test('a mutation for a version that moved on is refused with 412', async (t) => {
      const store = await opened(subject, t);
      const key = subject.key('if-version');
      await store.mutate(key, (p) => p.set(at('1.1.1'), 'one'));
      await assert.rejects(
        store.mutate(key, (p) => p.set(at('1.1.1'), 'stale'), { ifVersion: 0 }),
        (e) => e instanceof StoreError && e.status === 412 && e.code === 'version-moved',
      );
      assert.equal((await store.mutate(key, (p) => p.set(at('1.1.1'), 'two'), { ifVersion: 1 })).version, 2);
      assert.equal((await store.read(key))?.phext.get(at('1.1.1')), 'two');
    });

    test('changes since a version: the newest change of each scroll since, in version order', async (t) => {
      const store = await opened(subject, t);
      const key = subject.key('changes');
      await store.mutate(key, (p) => p.set(at('1.1.1/1.1.1/1.1.1'), 'a1')); // 1
      await store.mutate(key, (p) => p.set(at('1.1.1/1.1.1/1.1.2'), 'b1')); // 2
      await store.mutate(key, (p) => p.set(at('1.1.1/1.1.1/1.1.1'), 'a2')); // 3
      await store.mutate(key, (p) => p.set(at('1.1.1/1.1.1/1.1.2'), '')); // 4
      await store.mutate(key, (p) => p.set(at('2.1.1/1.1.1/1.1.1'), 'c1')); // 5
      const all = ['3 update 1.1.1/1.1.1/1.1.1 a2', '4 delete 1.1.1/1.1.1/1.1.2 ', '5 insert 2.1.1/1.1.1/1.1.1 c1'];
      assert.deepEqual(brief(await store.changesSince(key, 0)), { version: 5, records: all });
      assert.deepEqual(brief(await store.changesSince(key, 2)), { version: 5, records: all });
      assert.deepEqual(brief(await store.changesSince(key, 4)), { version: 5, records: ['5 insert 2.1.1/1.1.1/1.1.1 c1'] });
      assert.deepEqual(brief(await store.changesSince(key, 5)), { version: 5, records: [] });
      assert.equal(await store.changesSince(key, 6), undefined);
      const [record] = (await store.changesSince(key, 4))!.records;
      assert.equal(record?.bytes, 2);
    });

    test('a change the quota refuses, or past the size limit, fails alone; every hold is settled once', async (t) => {
      const held = new Map<number, number>();
      let next = 0;
      const quota: QuotaLedger = {
        admit(_document, growth) {
          const bytes = growth();
          if (bytes > 100) throw new QuotaError(`${bytes} bytes is over the quota`);
          const id = next++;
          held.set(id, bytes);
          return {
            settle: () => {
              assert.ok(held.delete(id), 'settled once');
            },
          };
        },
      };
      const store = await opened(subject, t, { quota, maxPhextBytes: 1000 });
      const key = subject.key('quota');
      const results = await Promise.allSettled([
        store.mutate(key, (p) => p.set(at('1.1.1'), 'small')),
        store.mutate(key, (p) => p.set(at('1.1.2'), 'x'.repeat(101))),
        store.mutate(key, (p) => p.set(at('1.1.3'), 'also small')),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      assert.ok((results[1] as PromiseRejectedResult).reason instanceof QuotaError);
      assert.equal(held.size, 0, 'no hold left once the batch is written');
      const big = (i: number) => store.mutate(key, (p) => p.set(at(`2.1.${i}`), 'y'.repeat(90)));
      const sizes = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => big(i + 1)));
      const refused = sizes.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
      assert.ok(refused.length > 0 && refused.every((e) => e instanceof StoreError && e.status === 413));
      const snapshot = await store.read(key);
      assert.ok(snapshot && snapshot.size <= 1000);
      assert.equal(snapshot.size, serialize(snapshot.phext).length);
      assert.equal(snapshot.phext.get(at('1.1.2')), '');
      assert.equal(held.size, 0);
    });

    test('a change that changes nothing writes nothing', async (t) => {
      const store = await opened(subject, t);
      const key = subject.key('nothing');
      const commits: number[] = [];
      store.onCommit((c) => commits.push(c.version));
      assert.deepEqual(await store.mutate(key, () => 'looked'), { value: 'looked', version: 0 });
      assert.equal(await store.read(key), undefined, 'no phext was made');
      await store.mutate(key, (p) => p.set(at('1.1.1'), 'text'));
      assert.equal((await store.mutate(key, (p) => p.set(at('1.1.1'), 'text'))).version, 1);
      assert.equal(
        (
          await store.mutate(key, (p) => {
            p.set(at('1.1.2'), 'x');
            p.set(at('1.1.2'), '');
          })
        ).version,
        1,
      );
      assert.deepEqual(commits, [1]);
      assert.deepEqual(brief(await store.changesSince(key, 0)), { version: 1, records: ['1 insert 1.1.1/1.1.1/1.1.1 text'] });
    });

    test('close lets pending mutations land, then refuses new work with 503', async () => {
      const store = await subject.open();
      const key = subject.key('closing');
      const pending = Array.from({ length: 10 }, (_, i) => store.mutate(key, (p) => p.set(at(`1.1.${i + 1}`), 'x')));
      const closed = store.close();
      const isClosed = (e: unknown) => e instanceof StoreError && e.status === 503 && e.code === 'closed';
      await assert.rejects(
        store.mutate(key, (p) => p.set(at('2.1.1'), 'late')),
        isClosed,
      );
      await assert.rejects(store.read(key), isClosed);
      assert.equal((await Promise.all(pending)).length, 10);
      await closed;
      const again = await subject.open();
      try {
        assert.equal((await again.read(key))?.phext.size, 10);
      } finally {
        await again.close();
      }
    });
  });
}

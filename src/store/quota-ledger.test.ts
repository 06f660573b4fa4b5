import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { StoreError, type DocumentKey } from './document-store.js';
import { FileDocumentStore } from './file-store.js';
import { FILE_IO, type StoreIo } from './store-io.js';
import { durableBytes } from '../testing/durable-phext.js';
import { QuotaError, type QuotaLedger } from './quota-ledger.js';
import { at } from '../testing/store-support.js';
import { tempDir } from '../testing/temp-dir.js';
import { byDirectory, fileKey } from '../testing/store-support.js';

const MiB = 1 << 20;

/** A ledger with one budget, keeping a log of what the store asked and told. */
class Budget implements QuotaLedger {
  used = 0;
  held = 0;
  readonly events: string[] = [];

  constructor(private readonly limit: number) {}

  admit(_document: DocumentKey, growth: () => number) {
    const bytes = growth();
    this.events.push(`admit ${bytes}`);
    if (this.used + this.held + bytes > this.limit) throw new QuotaError(`over by ${this.used + this.held + bytes - this.limit}`);
    this.held += bytes;
    let open = true;
    return {
      settle: () => {
        assert.ok(open, 'settled twice');
        open = false;
        this.held -= bytes;
        this.events.push(`settle ${bytes}`);
      },
    };
  }
}

test('the store admits each change by its exact growth; a refused one fails alone, the batch commits, then holds are settled', async (t) => {
  const file = join(tempDir(t), 'q.phext');
  const ledger = new Budget(20);
  const store = new FileDocumentStore({
    directories: byDirectory,
    cacheBytes: MiB,
    maxPhextBytes: MiB,
    quota: ledger,
    observers: [
      (c) => {
        ledger.used += c.bytesAfter - c.bytesBefore;
        ledger.events.push(`commit ${c.bytesBefore}->${c.bytesAfter}`);
      },
    ],
  });
  const results = await Promise.allSettled([
    // 'abc' at 1.1.3 needs two scroll breaks before it: 5 bytes.
    store.mutate(fileKey(file), (p) => p.set(at('1.1.3'), 'abc')),
    store.mutate(fileKey(file), (p) => p.set(at('1.2.1'), 'x'.repeat(30))), // refused: the quota holds 20
    store.mutate(fileKey(file), (p) => p.set(at('1.1.1'), 'hello')),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  const refused = (results[1] as PromiseRejectedResult).reason;
  assert.ok(refused instanceof QuotaError && !(refused instanceof StoreError));
  assert.equal((await durableBytes(file)).toString(), 'hello\x17\x17abc');
  assert.equal(ledger.used, (await durableBytes(file)).length);
  const events = ledger.events.length;
  await store.flush();
  assert.equal(ledger.used, statSync(file).size, 'a checkpoint writes exactly the size that was counted');
  assert.deepEqual(ledger.events.slice(events), ['commit 10->10'], 'a checkpoint grows nothing');
  assert.equal(ledger.held, 0);
  // The commit is counted before the holds end, so the bytes are never free in between.
  const commitAt = ledger.events.findIndex((e) => e.startsWith('commit'));
  assert.deepEqual(ledger.events.slice(commitAt), ['commit 0->10', 'settle 5', 'settle 5', 'commit 10->10']);
});

test('holds end when the write fails, and when it lands', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'q.phext');
  writeFileSync(file, 'ours');
  let failures = 1;
  const io: StoreIo = {
    ...FILE_IO,
    replace: async (...args) => {
      if (failures-- > 0) throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
      return FILE_IO.replace(...args);
    },
  };
  const ledger = new Budget(1000);
  const store = new FileDocumentStore({ directories: byDirectory, cacheBytes: MiB, maxPhextBytes: MiB, quota: ledger }, io);
  const lost = await store.mutate(fileKey(file), (p) => p.set(at('1.1.2'), 'x')).catch((e: unknown) => e);
  assert.ok(lost instanceof StoreError && lost.status === 507);
  assert.equal(ledger.held, 0);
  await store.mutate(fileKey(file), (p) => p.set(at('1.1.2'), 'y'));
  assert.equal((await durableBytes(file)).toString(), 'ours\x17y');
  assert.equal(ledger.held, 0);
  assert.deepEqual(ledger.events, ['admit 2', 'settle 2', 'admit 2', 'settle 2']);
});

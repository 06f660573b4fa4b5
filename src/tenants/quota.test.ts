import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { StoreError } from '../store/document-store.js';
import { QuotaError } from '../store/quota-ledger.js';
import { checkQuota, measureUsage } from './quota.js';
import { TenantManager } from './manager.js';
import { TenantQuotaLedger } from './tenant-quota-ledger.js';
import { tempDir } from '../testing/temp-dir.js';

const root = tempDir({ after }, 'sq-quota-');
const MB = 1_048_576;

describe('quotas', () => {
  it('measures the *.phext files of a data dir only', async () => {
    const dir = join(root, 'measure');
    mkdirSync(join(dir, 'sub.phext'), { recursive: true });
    writeFileSync(join(dir, 'a.phext'), 'x'.repeat(100));
    writeFileSync(join(dir, 'b.phext'), 'y'.repeat(23));
    writeFileSync(join(dir, 'notes.txt'), 'z'.repeat(1000));
    writeFileSync(join(dir, 'a.phext.tmp'), 'z'.repeat(1000));
    assert.equal(await measureUsage(dir), 123);
    assert.equal(await measureUsage(join(root, 'missing')), 0);
  });

  it('computes usage at start, tracks commits and refuses writes beyond the quota', async () => {
    const dir = join(root, 'start');
    mkdirSync(join(dir, 'alice'), { recursive: true });
    writeFileSync(join(dir, 'alice', 'big.phext'), Buffer.alloc(MB - 200, 'a'));
    writeFileSync(
      join(dir, 'tenants.json'),
      JSON.stringify({
        default_quota_mb: 1,
        tenants: { 'tok-alice': { name: 'alice', data_dir: 'alice' }, 'tok-bob': { name: 'bob', data_dir: 'bob', quota_mb: 0.5 } },
      }),
    );
    const manager = await TenantManager.open(join(dir, 'tenants.json'), { log: () => {} });
    after(() => manager.close());
    const ledger = new TenantQuotaLedger(() => manager.registry);
    const alice = manager.resolve('tok-alice')!;
    assert.equal(alice.stats.bytesUsed, MB - 200);
    assert.equal(alice.quotaBytes, MB);
    assert.equal(manager.resolve('tok-bob')!.quotaBytes, MB / 2);

    checkQuota(alice, 200); // exactly full is allowed
    ledger.countCommit({ document: { tenant: 'alice', name: 'new' }, bytesBefore: 0, bytesAfter: 200 });
    assert.equal(alice.stats.bytesUsed, MB);
    const error = (() => {
      try {
        checkQuota(alice, 210);
      } catch (err) {
        return err;
      }
    })();
    assert.ok(error instanceof QuotaError && !(error instanceof StoreError));
    assert.equal(error.status, 507);
    assert.equal(error.message, 'Quota exceeded for tenant alice: 1048576 bytes used of 1048576 (quota 1 MB); write of 210 bytes refused');
    checkQuota(alice, -50); // shrinking writes are always allowed
    ledger.countCommit({ document: { tenant: 'alice', name: 'big' }, bytesBefore: MB - 200, bytesAfter: 1000 });
    assert.equal(alice.stats.bytesUsed, 1200);
    checkQuota(alice, 210);
    ledger.countCommit({ document: { tenant: 'elsewhere', name: 'x' }, bytesBefore: 0, bytesAfter: 999 }); // no such tenant: ignored
    assert.equal(alice.stats.bytesUsed, 1200);
    assert.throws(() => checkQuota(manager.registry.get('bob')!, MB / 2 + 1), /tenant bob: 0 bytes used of 524288 \(quota 0\.5 MB\)/);
  });

  it('treats a tenant without any quota as unlimited', () => {
    checkQuota({ name: 'free', dataDir: '/x' }, 1e12);
    assert.throws(() => checkQuota({ name: 'capped', dataDir: '/x', quotaBytes: 10 }, 11), QuotaError);
  });
});

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { validateConfig } from './config.js';
import { TenantRegistry } from './registry.js';
import { TenantQuotaLedger } from './tenant-quota-ledger.js';

const MB = 1_048_576;
// The ledger only maps paths to tenants: nothing here touches the disk.
const dir = '/sq-ledger-test';

/** A registry of `tenants` as if loaded from `<dir>/tenants.json`; `previous` as on a reload. */
const registryOf = (tenants: object, previous?: TenantRegistry) =>
  new TenantRegistry(validateConfig({ tenants }, join(dir, 'tenants.json')), { previous });

describe('TenantQuotaLedger', () => {
  it('holds the growth of writes in flight until the store settles them', () => {
    const registry = registryOf({
      'tok-carol': { name: 'carol', data_dir: 'carol', quota_mb: 1000 / MB },
      'tok-free': { name: 'free', data_dir: 'free' },
    });
    const ledger = new TenantQuotaLedger(() => registry);
    const carol = registry.get('carol')!;
    const file = { tenant: 'carol', name: 'a' };
    const first = ledger.admit(file, () => 600)!;
    assert.throws(() => ledger.admit(file, () => 401), /600 bytes used of 1000/);
    const second = ledger.admit({ tenant: 'carol', name: 'b' }, () => 400)!;
    assert.equal(carol.stats.bytesReserved, 1000);
    ledger.countCommit({ document: file, bytesBefore: 0, bytesAfter: 600 }); // the first write landed...
    first.settle(); // ...and its hold ends
    first.settle(); // settling twice changes nothing
    second.settle(); // the second write failed
    assert.deepEqual([carol.stats.bytesUsed, carol.stats.bytesReserved], [600, 0]);
    ledger.admit(file, () => 400);
    assert.equal(
      ledger.admit(file, () => -600),
      undefined,
    ); // shrinking: nothing held
    assert.equal(carol.stats.bytesReserved, 400);
    // A tenant without a quota, or no tenant at all, is never asked for its growth.
    assert.equal(
      ledger.admit({ tenant: 'free', name: 'a' }, () => assert.fail('growth asked')),
      undefined,
    );
    assert.equal(
      ledger.admit({ tenant: 'elsewhere', name: 'a' }, () => assert.fail('growth asked')),
      undefined,
    );
  });

  it('asks for the registry on every call, so a reload’s tenants and quotas apply at once', () => {
    const first = registryOf({ 'tok-alice': { name: 'alice', data_dir: 'alice' }, 'tok-bob': { name: 'bob', data_dir: 'bob' } });
    let current = first;
    const ledger = new TenantQuotaLedger(() => current);
    ledger.countCommit({ document: { tenant: 'alice', name: 'a' }, bytesBefore: 0, bytesAfter: 700 });
    current = registryOf(
      { 'tok-alice': { name: 'alice', data_dir: 'alice', quota_mb: 1000 / MB }, 'tok-dave': { name: 'dave', data_dir: 'dave' } },
      first,
    );
    const alice = current.get('alice')!;
    assert.equal(alice.stats.bytesUsed, 700); // counters carried over by the registry
    assert.throws(() => ledger.admit({ tenant: 'alice', name: 'a' }, () => 301), /700 bytes used of 1000/);
    ledger.countCommit({ document: { tenant: 'dave', name: 'd' }, bytesBefore: 0, bytesAfter: 50 });
    assert.equal(current.get('dave')!.stats.bytesUsed, 50);
    ledger.countCommit({ document: { tenant: 'bob', name: 'b' }, bytesBefore: 0, bytesAfter: 50 }); // bob is gone: ignored
    assert.equal(first.get('bob')!.stats.bytesUsed, 0);
  });
});

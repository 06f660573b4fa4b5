import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from './config.js';
import { TenantRegistry } from './registry.js';
import { generateToken, hashedKey } from './token.js';
import { tempDir } from '../testing/temp-dir.js';

const root = tempDir({ after }, 'sq-registry-');

const ALICE = 'pmb-v1-0123456789abcdef0123456789abcdef';
const BOB = 'token:with:colons and more'; // any token text, `:` included
const ADMIN = 'pmb-v1-adminadminadminadminadminadmin';

async function registry(file: object, options = {}) {
  const path = join(root, `r${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(file));
  return new TenantRegistry(await loadConfig(path), options);
}

const twoTenants = {
  admin_key: hashedKey(ADMIN),
  tenants: {
    [ALICE]: { name: 'alice', data_dir: 'alice' },
    [hashedKey('bob-secret')]: { name: 'bob', data_dir: 'bob' },
    [BOB]: { name: 'carol', data_dir: 'carol' },
  },
};

describe('TenantRegistry', () => {
  it('resolves good tokens (raw and sha256 keys) and refuses bad or missing ones', async () => {
    const r = await registry(twoTenants);
    assert.equal(r.resolve(ALICE)?.name, 'alice');
    assert.equal(r.resolve('bob-secret')?.name, 'bob');
    assert.equal(r.resolve(BOB)?.name, 'carol');
    assert.equal(r.resolve(join(root, 'alice'))?.name, undefined);
    for (const bad of [undefined, '', ALICE.slice(0, -1), ALICE + 'x', ALICE.toUpperCase(), hashedKey('bob-secret'), 'token:with']) {
      assert.equal(r.resolve(bad), undefined, `token ${String(bad)}`);
    }
    assert.equal(r.get('alice')?.dataDir, join(root, 'alice'));
  });

  it('counts requests per tenant and keeps counters for tenants that remain', async () => {
    const r = await registry(twoTenants);
    const before = Date.now();
    r.resolve(ALICE);
    r.resolve(ALICE);
    r.resolve('wrong');
    const alice = r.get('alice')!;
    assert.equal(alice.stats.requests, 2);
    assert.ok(alice.stats.lastActive! >= before);
    assert.equal(r.get('bob')!.stats.requests, 0);
    assert.equal(r.fresh.length, 3);
    const next = new TenantRegistry(r.config, { previous: r });
    assert.equal(next.get('alice')!.stats.requests, 2);
    assert.equal(next.fresh.length, 0);
  });

  it('recognizes only the admin key as admin, and the command-line key overrides the file', async () => {
    const r = await registry(twoTenants);
    assert.equal(r.isAdmin(ADMIN), true);
    for (const bad of [undefined, '', ALICE, 'bob-secret', ADMIN + ' ', hashedKey(ADMIN)]) assert.equal(r.isAdmin(bad), false);
    const overridden = new TenantRegistry(r.config, { adminKey: 'from-cli' });
    assert.equal(overridden.isAdmin('from-cli'), true);
    assert.equal(overridden.isAdmin(ADMIN), false);
    assert.throws(() => new TenantRegistry(r.config, { adminKey: ALICE }), /admin key is also the token of tenant "alice"/);
    const none = await registry({ tenants: { [ALICE]: { name: 'alice', data_dir: 'alice2' } } });
    assert.equal(none.hasAdminKey, false);
    assert.equal(none.isAdmin(ADMIN), false);
  });

  it('loads a 500-tenant config: every tenant resolves by its token, every directory is made', async () => {
    const tokens = Array.from({ length: 500 }, () => generateToken());
    const tenants = Object.fromEntries(
      tokens.map((t, i) => [
        t,
        { name: `founding-${String(i + 1).padStart(3, '0')}`, data_dir: join(root, 'founding', `founding-${i + 1}`) },
      ]),
    );
    const path = join(root, 'founding-500.json');
    writeFileSync(path, JSON.stringify({ tenants }));
    const r = new TenantRegistry(await loadConfig(path));
    assert.equal(r.size, 500);
    tokens.forEach((token, i) => assert.equal(r.resolve(token)?.name, `founding-${String(i + 1).padStart(3, '0')}`));
    assert.ok(statSync(join(root, 'founding', 'founding-500')).isDirectory());
    // Again, the directories there: the same tenants.
    const again = new TenantRegistry(await loadConfig(path));
    assert.equal(again.resolve(tokens[499])?.name, 'founding-500');
  });
});

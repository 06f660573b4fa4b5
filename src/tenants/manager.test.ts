import assert from 'node:assert/strict';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { activity } from './activity.js';
import { tokenDigest } from './token-digest.js';
import { TenantManager } from './manager.js';
import { tempDir } from '../testing/temp-dir.js';
import { freshTenantsConfig } from '../testing/tenants-file.js';

const root = tempDir({ after }, 'sq-manager-');
let n = 0;

const tenant = (name: string) => ({ name, data_dir: name });
const base = { 'tok-alice': tenant('alice'), 'tok-bob': tenant('bob') };

/** A manager over a fresh tenants.json holding `tenants`; closed after the test. */
async function setup(t: TestContext, tenants: object = base) {
  const { path, rewrite } = freshTenantsConfig(join(root, `m${++n}`), tenants);
  const logs: string[] = [];
  const manager = await TenantManager.open(path, { log: (line) => logs.push(line) });
  t.after(() => manager.close());
  return { manager, path, logs, rewrite };
}

describe('TenantManager reload', () => {
  it('reloads on request: new tenants resolve, removed tokens stop, counters survive', async (t) => {
    const { manager, rewrite, logs } = await setup(t);
    manager.resolve('tok-alice');
    manager.resolve('tok-alice');
    const before = manager.registry;
    rewrite({ tenants: { 'tok-alice': tenant('alice'), 'tok-carol': tenant('carol') } });
    assert.deepEqual(await manager.reload(), { ok: true, tenants: 2 });
    assert.notEqual(manager.registry, before);
    assert.equal(manager.resolve('tok-carol')?.name, 'carol');
    assert.equal(manager.resolve('tok-bob'), undefined);
    assert.equal(manager.registry.get('alice')!.stats.requests, 2);
    assert.match(logs.at(-1)!, /loaded 2 tenants from .*tenants\.json \(on request\)$/);
  });

  it('refuses a broken config, logs why, and keeps the old registry', async (t) => {
    const { manager, rewrite, logs } = await setup(t);
    const before = manager.registry;
    rewrite({ tenants: { 'tok-alice': { name: 'alice' } } });
    const result = await manager.reload();
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.error : '', /tenants\["tok-…"\]\.data_dir: Required/);
    assert.equal(manager.registry, before);
    assert.equal(manager.resolve('tok-bob')?.name, 'bob');
    assert.match(logs.at(-1)!, /reload refused \(on request\), keeping the previous 2 tenants: .*data_dir: Required/);
    rewrite('{ not json');
    assert.equal((await manager.reload()).ok, false);
    assert.equal(manager.resolve('tok-alice')?.name, 'alice');
  });

  it('refuses a reload that makes one data_dir a symlink to another, or nests one in another', async (t) => {
    const { manager, rewrite, path, logs } = await setup(t);
    const dir = join(path, '..');
    symlinkSync(join(dir, 'alice'), join(dir, 'alias'));
    const before = manager.registry;
    for (const [bob, why] of [
      ['alias', /alias is the same directory as the data_dir of tenant "alice"/],
      ['alice/bob', /alice\/bob lies inside .*alice, the data_dir of tenant "alice"/],
    ] as const) {
      rewrite({ tenants: { 'tok-alice': tenant('alice'), 'tok-bob': { name: 'bob', data_dir: bob } } });
      const result = await manager.reload();
      assert.equal(result.ok, false);
      assert.match(!result.ok ? result.error : '', why);
      assert.match(logs.at(-1)!, /reload refused \(on request\), keeping the previous 2 tenants/);
      assert.equal(manager.registry, before);
      assert.equal(manager.resolve('tok-bob')?.dataDir, join(dir, 'bob'));
    }
  });

  it('with onlyIfChanged, neither reloads nor refuses again a text already read, loaded or written', async (t) => {
    const { manager, rewrite, logs } = await setup(t);
    const onlyIfChanged = { onlyIfChanged: true };
    assert.deepEqual(await manager.reload('file change', onlyIfChanged), { ok: true, tenants: 2 });
    assert.deepEqual(logs, []);
    rewrite({ tenants: { ...base, 'tok-carol': tenant('carol') } });
    assert.deepEqual(await manager.reload('SIGHUP'), { ok: true, tenants: 3 });
    await manager.reload('file change', onlyIfChanged); // what the SIGHUP loaded
    rewrite('{ not json');
    assert.equal((await manager.reload('file change', onlyIfChanged)).ok, false);
    await manager.reload('file change', onlyIfChanged); // what was refused
    assert.equal(logs.length, 2, logs.join('\n'));
    rewrite({ tenants: base });
    await manager.change((file) => ({ file: { ...file, tenants: { ...file.tenants, 'tok-dave': tenant('dave') } }, result: undefined }));
    await manager.reload('file change', onlyIfChanged); // what the change wrote
    assert.equal(logs.length, 2, logs.join('\n'));
    assert.equal(manager.resolve('tok-dave')?.name, 'dave');
    assert.deepEqual(await manager.reload(), { ok: true, tenants: 3 }); // a request always reloads
    assert.equal(logs.length, 3);
  });

  it('takes the admin key from the command line over the file', async (t) => {
    const { path } = await setup(t);
    writeFileSync(path, JSON.stringify({ admin_key: 'file-key', tenants: base }));
    const manager = await TenantManager.open(path, { adminKey: 'cli-key', log: () => {} });
    t.after(() => manager.close());
    assert.equal(manager.isAdmin('cli-key'), true);
    assert.equal(manager.isAdmin('file-key'), false);
    await manager.reload();
    assert.equal(manager.isAdmin('cli-key'), true);
    assert.equal(activity(manager.registry).configured, 2);
  });
});

describe('TenantManager grants', () => {
  it('tells its listeners of each new registry, where a token still opens its tenant only while unchanged', async (t) => {
    const { manager, rewrite, logs } = await setup(t);
    const alice = manager.resolve('tok-alice')!;
    const digest = tokenDigest('tok-alice');
    let heard = 0;
    manager.onSwap(() => heard++);
    manager.onSwap(() => {
      throw new Error('listener broke');
    });
    assert.equal(manager.registry.grants('alice', alice.dataDir, digest), true);
    assert.equal(manager.registry.grants('alice', alice.dataDir, tokenDigest('tok-bob')), false);
    rewrite({ tenants: { 'tok-alice2': tenant('alice'), 'tok-bob': tenant('bob') } });
    await manager.reload();
    assert.equal(heard, 1);
    assert.match(logs.join('\n'), /a listener of the new tenants failed: listener broke/);
    assert.equal(manager.registry.grants('alice', alice.dataDir, digest), false, 'rotated');
    rewrite({ tenants: { 'tok-alice': { name: 'alice', data_dir: 'elsewhere' } } });
    await manager.reload();
    assert.equal(heard, 2);
    assert.equal(manager.registry.grants('alice', alice.dataDir, digest), false, 'the same token, another directory');
    rewrite('{ not json');
    const refused = await manager.reload();
    assert.equal(refused.ok, false);
    assert.equal(heard, 2, 'a refused file swaps nothing');
  });
});

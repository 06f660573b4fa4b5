import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { addTenant } from './changes.js';
import { TenantManager } from './reload.js';
import { tempDir } from '../testing/temp-dir.js';

const root = tempDir({ after }, 'sq-reload-');
let n = 0;

const tenant = (name: string) => ({ name, data_dir: name });
const base = { 'tok-alice': tenant('alice'), 'tok-bob': tenant('bob') };

/** A manager over a fresh tenants.json holding `tenants`; closed after the test. */
async function setup(t: TestContext, tenants: object = base) {
  const dir = join(root, `m${++n}`);
  const path = join(dir, 'tenants.json');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path, JSON.stringify({ tenants }));
  const logs: string[] = [];
  const manager = await TenantManager.open(path, { log: (line) => logs.push(line), debounceMs: 50 });
  t.after(() => manager.close());
  /** Replaces the file the way editors do: write a temp file, rename it over the config. */
  const rewrite = (value: object | string) => {
    writeFileSync(path + '.new', typeof value === 'string' ? value : JSON.stringify(value));
    renameSync(path + '.new', path);
  };
  return { manager, path, logs, rewrite };
}

async function waitFor(what: string, condition: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
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
    assert.match(logs.at(-1)!, /loaded 2 tenants/);
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
    assert.match(logs.at(-1)!, /reload refused, keeping the previous 2 tenants: .*data_dir: Required/);
    rewrite('{ not json');
    assert.equal((await manager.reload()).ok, false);
    assert.equal(manager.resolve('tok-alice')?.name, 'alice');
  });

  it('notices a file replaced by rename (directory watcher)', async (t) => {
    const { manager, rewrite, path } = await setup(t);
    manager.watchFile();
    rewrite({ tenants: { ...base, 'tok-dave': tenant('dave') } });
    await waitFor('dave to resolve', () => manager.resolve('tok-dave') !== undefined);
    rewrite({ tenants: { 'tok-dave': tenant('dave') } });
    await waitFor('alice to be gone', () => manager.resolve('tok-alice') === undefined);
    rewrite('{"tenants": 5}'); // broken: the watcher's reload is refused too
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(manager.resolve('tok-dave')?.name, 'dave');
    writeFileSync(path, JSON.stringify({ tenants: { 'tok-frank': tenant('frank') } })); // written in place
    await waitFor('frank to resolve', () => manager.resolve('tok-frank') !== undefined);
  });

  it('applies its own changes at once and its watcher does not reload them again', async (t) => {
    const { manager, logs } = await setup(t);
    manager.watchFile();
    const tenant = await manager.change((file) => {
      const { file: next, tenant } = addTenant(file, 'gina');
      return { file: next, result: tenant };
    });
    assert.equal(manager.resolve(tenant.token)?.name, 'gina');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(logs, []);
  });

  it('reloads on SIGHUP while watching signals, and removes its handler on close', async (t) => {
    const listeners = process.listenerCount('SIGHUP');
    const { manager, rewrite } = await setup(t);
    manager.watchSignals();
    manager.watchSignals(); // installing twice keeps one handler
    assert.equal(process.listenerCount('SIGHUP'), listeners + 1);
    rewrite({ tenants: { ...base, 'tok-erin': tenant('erin') } });
    process.kill(process.pid, 'SIGHUP');
    await waitFor('erin to resolve', () => manager.resolve('tok-erin') !== undefined);
    await manager.close();
    assert.equal(process.listenerCount('SIGHUP'), listeners);
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
    assert.equal(manager.activity().configured, 2);
  });
});

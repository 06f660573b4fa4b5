import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { addTenant } from './changes.js';
import { TenantManager } from './manager.js';
import { ReloadTriggers } from './reload-triggers.js';
import { tempDir } from '../testing/temp-dir.js';
import { freshTenantsConfig } from '../testing/tenants-file.js';

const root = tempDir({ after }, 'sq-reload-triggers-');
let n = 0;

const tenant = (name: string) => ({ name, data_dir: name });
const base = { 'tok-alice': tenant('alice'), 'tok-bob': tenant('bob') };

/** A manager and its triggers (none installed yet) over `path`, logging to `logs`; closed after the test. */
async function managed(t: TestContext, path: string, logs: string[]) {
  const log = (line: string) => logs.push(line);
  const manager = await TenantManager.open(path, { log });
  const triggers = new ReloadTriggers(manager.source.where, (trigger, options) => manager.reload(trigger, options), {
    log,
    debounceMs: 50,
  });
  t.after(async () => {
    triggers.close();
    await manager.close();
  });
  return { manager, triggers };
}

/** A manager with its triggers over a fresh tenants.json holding `tenants`; closed after the test. */
async function setup(t: TestContext, tenants: object = base) {
  const { path, rewrite } = freshTenantsConfig(join(root, `m${++n}`), tenants);
  const logs: string[] = [];
  const { manager, triggers } = await managed(t, path, logs);
  return { manager, triggers, path, logs, rewrite };
}

/** A watching manager over `path`, which the caller laid out (links and all); closed after the test. */
async function watching(t: TestContext, path: string) {
  const logs: string[] = [];
  const { manager, triggers } = await managed(t, path, logs);
  triggers.watchFile();
  return { manager, logs };
}

/** Writes `tenants` as a config next to `path` and renames it over, like an atomic writer. */
function replaceConfig(path: string, tenants: object): void {
  writeFileSync(path + '.tmp', JSON.stringify({ tenants }));
  renameSync(path + '.tmp', path);
}

/** Points the symlink `link` at `target` in one step, as the kubelet does with `..data`. */
function swapLink(link: string, target: string): void {
  symlinkSync(target, link + '_tmp');
  renameSync(link + '_tmp', link);
}

async function waitFor(what: string, condition: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('TenantManager reload triggers', () => {
  it('notices a file replaced by rename (directory watcher)', async (t) => {
    const { manager, triggers, rewrite, path } = await setup(t);
    triggers.watchFile();
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

  it('follows a symlinked config: an edit of the target in another directory is reloaded', async (t) => {
    const dir = join(root, `m${++n}`);
    mkdirSync(join(dir, 'etc'), { recursive: true });
    mkdirSync(join(dir, 'conf'));
    const real = join(dir, 'etc', 'real.json');
    writeFileSync(real, JSON.stringify({ tenants: base }));
    symlinkSync('../etc/real.json', join(dir, 'conf', 'tenants.json'));
    const { manager, logs } = await watching(t, join(dir, 'conf', 'tenants.json'));
    replaceConfig(real, { ...base, 'tok-hugo': tenant('hugo') });
    await waitFor('hugo to resolve', () => manager.resolve('tok-hugo') !== undefined);
    assert.match(logs.at(-1)!, /loaded 3 tenants from .*conf\/tenants\.json \(on file change\)$/);
  });

  it('follows a ConfigMap swap of ..data, and then watches the new timestamped directory', async (t) => {
    const dir = join(root, `m${++n}`);
    const version = (name: string, tenants: object) => {
      mkdirSync(join(dir, name), { recursive: true });
      writeFileSync(join(dir, name, 'tenants.json'), JSON.stringify({ tenants }));
    };
    version('..2026_a', base);
    symlinkSync('..2026_a', join(dir, '..data'));
    symlinkSync('..data/tenants.json', join(dir, 'tenants.json'));
    const { manager } = await watching(t, join(dir, 'tenants.json'));

    version('..2026_b', { ...base, 'tok-ivy': tenant('ivy') });
    swapLink(join(dir, '..data'), '..2026_b');
    rmSync(join(dir, '..2026_a'), { recursive: true }); // the kubelet removes the old version
    await waitFor('ivy to resolve', () => manager.resolve('tok-ivy') !== undefined);

    version('..2026_c', { 'tok-ivy': tenant('ivy') });
    swapLink(join(dir, '..data'), '..2026_c');
    await waitFor('alice to be gone', () => manager.resolve('tok-alice') === undefined);
    // Only ..2026_c sees this edit: it is seen because the links were followed again.
    writeFileSync(join(dir, '..2026_c', 'tenants.json'), JSON.stringify({ tenants: { 'tok-jo': tenant('jo') } }));
    await waitFor('jo to resolve', () => manager.resolve('tok-jo') !== undefined);
  });

  it('ignores unrelated churn in the directory, and refuses a broken config only once', async (t) => {
    const { manager, triggers, path, logs } = await setup(t);
    triggers.watchFile();
    const dir = join(path, '..');
    const churn = async () => {
      for (let i = 0; i < 5; i++) {
        writeFileSync(join(dir, `other-${i}.txt`), String(i));
        renameSync(join(dir, `other-${i}.txt`), join(dir, `moved-${i}.txt`));
        unlinkSync(join(dir, `moved-${i}.txt`));
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 300)); // several debounce periods
    };
    await churn();
    assert.deepEqual(logs, []);
    writeFileSync(path, '{"tenants": 5}');
    await waitFor('the refusal', () => logs.length > 0);
    await churn();
    assert.equal(logs.length, 1, logs.join('\n'));
    assert.match(logs[0]!, /^tenants: reload refused \(on file change\), keeping the previous 2 tenants: /);
    assert.equal(manager.resolve('tok-bob')?.name, 'bob');
  });

  it('applies its own changes at once and its watcher does not reload them again', async (t) => {
    const { manager, triggers, logs } = await setup(t);
    triggers.watchFile();
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
    const { manager, triggers, rewrite, logs } = await setup(t);
    triggers.watchSignals();
    triggers.watchSignals(); // installing twice keeps one handler
    assert.equal(process.listenerCount('SIGHUP'), listeners + 1);
    rewrite({ tenants: { ...base, 'tok-erin': tenant('erin') } });
    process.kill(process.pid, 'SIGHUP');
    await waitFor('erin to resolve', () => manager.resolve('tok-erin') !== undefined);
    assert.match(logs.at(-1)!, /\(on SIGHUP\)$/);
    triggers.close();
    assert.equal(process.listenerCount('SIGHUP'), listeners);
  });
});

describe('ReloadTriggers', () => {
  /** Triggers over a fresh config whose reloads are only recorded; closed after the test. */
  function recording(t: TestContext) {
    const dir = join(root, `m${++n}`);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'tenants.json');
    writeFileSync(path, JSON.stringify({ tenants: base }));
    const calls: unknown[][] = [];
    const triggers = new ReloadTriggers(path, async (...call) => calls.push(call), { log: assert.fail, debounceMs: 50 });
    t.after(() => triggers.close());
    return { dir, path, calls, triggers };
  }

  it('asks the watcher’s reloads only if the text changed, since any file in the directory fires', async (t) => {
    const { dir, calls, triggers } = recording(t);
    triggers.watchFile();
    triggers.watchFile(); // watching twice keeps one watcher
    writeFileSync(join(dir, 'other.txt'), 'unrelated');
    await waitFor('the watcher', () => calls.length > 0);
    assert.deepEqual(calls, [['file change', { onlyIfChanged: true }]]);
  });

  it('asks SIGHUP reloads unconditionally', async (t) => {
    const { calls, triggers } = recording(t);
    triggers.watchSignals();
    process.kill(process.pid, 'SIGHUP');
    await waitFor('the signal', () => calls.length > 0);
    assert.deepEqual(calls, [['SIGHUP', {}]]);
  });

  it('asks nothing more once closed', async (t) => {
    const { dir, path, calls, triggers } = recording(t);
    triggers.watchFile();
    triggers.close();
    // A second watcher on the same directory and debounce: once it has heard the edit, so
    // would the first have, had it still been watching.
    const witness: unknown[][] = [];
    const other = new ReloadTriggers(path, async (...call) => witness.push(call), { log: assert.fail, debounceMs: 50 });
    t.after(() => other.close());
    other.watchFile();
    writeFileSync(join(dir, 'other.txt'), 'unrelated');
    await waitFor('the witness', () => witness.length > 0);
    assert.deepEqual(calls, []);
  });
});

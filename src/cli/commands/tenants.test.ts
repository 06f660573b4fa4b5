import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../tenants/config.js';
import { TenantRegistry } from '../../tenants/registry.js';
import { runSq } from '../../testing/run-sq.js';
import { tempDir } from '../../testing/temp-dir.js';

const root = tempDir({ after }, 'sq-tenants-cli-');
const config = join(root, 'tenants.json');

/** Runs `node bin/sq tenants ...` and resolves with its exit code and output. */
const sq = (...args: string[]) => runSq(['tenants', ...args], { cwd: root });

const keys = () => Object.keys(JSON.parse(readFileSync(config, 'utf8')).tenants as object);

describe('sq tenants', () => {
  it('adds, lists, rotates and removes tenants in the file', async () => {
    const added = await sq('add', 'alice', '--quota-mb', '2', '--config', config);
    assert.equal(added.code, 0, added.stderr);
    const token = added.stdout.trim();
    assert.match(token, /^pmb-v1-[0-9a-f]{32}$/);
    assert.deepEqual(keys(), [token]);
    assert.equal(statSync(config).mode & 0o777, 0o600);
    assert.ok(statSync(join(root, 'tenants', 'alice')).isDirectory());
    assert.match((await sq('add', 'alice', '--config', config)).stderr, /tenant alice already exists/);

    const listed = await sq('list', '--config', config);
    assert.equal(listed.code, 0);
    assert.match(listed.stdout, /^NAME +DATA_DIR +QUOTA +BYTES_USED\nalice +\S+tenants\/alice +2 MB +0\n$/);
    assert.ok(!listed.stdout.includes(token) && !listed.stderr.includes(token));

    const rotated = await sq('rotate', 'alice', '--config', config);
    assert.equal(rotated.code, 0);
    const fresh = rotated.stdout.trim();
    assert.notEqual(fresh, token);
    assert.deepEqual(keys(), [fresh]);

    writeFileSync(join(root, 'tenants', 'alice', 'kept.phext'), 'x');
    assert.equal((await sq('remove', 'alice', '--config', config)).code, 0);
    assert.deepEqual(keys(), []);
    assert.ok(existsSync(join(root, 'tenants', 'alice', 'kept.phext')));
    const missing = await sq('remove', 'alice', '--config', config);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no tenant named alice/);

    // The removed alice's data is still in tenants/alice: a new alice must not inherit it.
    const before = readFileSync(config, 'utf8');
    const reused = await sq('add', 'alice', '--config', config);
    assert.equal(reused.code, 1, reused.stderr);
    assert.match(reused.stderr, /^sq tenants: .*tenants\/alice already exists and is not empty .*\(tenant "alice"\)\n$/);
    assert.equal(reused.stdout, '', 'no token printed');
    assert.equal(readFileSync(config, 'utf8'), before);
  });

  it('provisions 50 tenants at once with progress lines and a 0600 token CSV', async () => {
    const dataRoot = join(root, 'founders');
    const run = await sq('provision', '50', '--prefix', 'founding', '--data-root', dataRoot, '--config', config);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /provisioning: 5\/50 \(founding-005\)\n[\s\S]*provisioning: 50\/50 \(founding-050\)\n/);
    const csv = join(root, 'founding-tokens.csv');
    assert.equal(statSync(csv).mode & 0o777, 0o600);
    const [header, ...rows] = readFileSync(csv, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => l.split(','));
    assert.deepEqual(header, ['name', 'token', 'data_dir']);
    assert.equal(rows.length, 50);
    assert.deepEqual([rows[0]![0], rows[49]![0]], ['founding-001', 'founding-050']);
    const registry = new TenantRegistry(await loadConfig(config));
    for (const [name = '', token = '', dataDir = ''] of rows) {
      assert.equal(registry.resolve(token)?.name, name);
      assert.equal(dataDir, join(dataRoot, name));
      assert.ok(statSync(dataDir).isDirectory());
    }
    const again = await sq('provision', '2', '--prefix', 'founding', '--config', config);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /founding-tokens\.csv exists/);
    const more = await sq('provision', '2', '--prefix', 'founding', '--csv', join(root, 'more.csv'), '--config', config);
    assert.equal(more.code, 0, more.stderr);
    assert.match(readFileSync(join(root, 'more.csv'), 'utf8'), /^name,token,data_dir\nfounding-051,[^\n]+\nfounding-052,/);
  });

  it('asks a running server to reload with --reload-url', async (t) => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.end('Config reload triggered');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const { port } = server.address() as { port: number };
    const run = await sq('add', 'bob', '--config', config, '--reload-url', `http://127.0.0.1:${port}/`);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(seen, ['POST /api/v2/reload']);
    assert.match(run.stderr, /200 Config reload triggered/);
  });

  it('exits 2 on usage errors', async () => {
    for (const args of [
      [],
      ['list'],
      ['frobnicate', '--config', config],
      ['add', '--config', config],
      ['add', 'x', 'y', '--config', config],
      ['add', '.bad', '--config', config],
      ['add', 'x', '--quota-mb', 'lots', '--config', config],
      ['list', '--config', config, '--nope'],
      ['provision', 'ten', '--prefix', 'p', '--config', config],
      ['provision', '3', '--config', config],
    ]) {
      const run = await sq(...args);
      assert.equal(run.code, 2, `sq tenants ${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /Usage: sq tenants/);
    }
  });
});

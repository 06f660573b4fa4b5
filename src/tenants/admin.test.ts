import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { handleAdmin } from './admin.js';
import { loadConfig } from './config.js';
import { TenantManager, type ManagerOptions } from './manager.js';
import { TenantQuotaLedger } from './tenant-quota-ledger.js';
import { hashedKey } from './token.js';
import { tempDir } from '../testing/temp-dir.js';

const root = tempDir({ after }, 'sq-admin-');
let n = 0;
const ADMIN = 'admin-secret';
const API = '/api/v2/admin/tenants';

async function setup(
  t: TestContext,
  file: object = { admin_key: hashedKey(ADMIN), tenants: { 'tok-alice': { name: 'alice', data_dir: 'alice', quota_mb: 1 } } },
  options: ManagerOptions = {},
) {
  const dir = join(root, `a${++n}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'tenants.json');
  writeFileSync(path, JSON.stringify(file));
  const manager = await TenantManager.open(path, { log: () => {}, ...options });
  t.after(() => manager.close());
  /** An admin request; with a 4th argument (even undefined) that token instead of the admin key. */
  const call = (method: string, path: string, body = '', ...token: [string | undefined] | []) =>
    handleAdmin(manager, { method, path, token: token.length > 0 ? token[0] : ADMIN, body });
  return { manager, path, dir, call };
}

describe('admin API', () => {
  it('answers 401 without the admin key, and always when none is configured', async (t) => {
    const { call } = await setup(t);
    for (const token of [undefined, 'wrong', 'tok-alice']) {
      assert.deepEqual(await call('GET', API, '', token), { status: 401, body: { error: 'Unauthorized' } });
      assert.equal((await call('GET', '/api/v2/admin/nope', '', token)).status, 401);
    }
    const open = await setup(t, { tenants: { 'tok-alice': { name: 'alice', data_dir: 'alice' } } });
    assert.equal((await open.call('GET', API, '', ADMIN)).status, 401);
    assert.equal((await open.call('GET', API, '', undefined)).status, 401);
  });

  it('lists and shows tenants without tokens; 404 for unknown ones and paths, 405 for wrong methods', async (t) => {
    const { call, dir, manager } = await setup(t);
    writeFileSync(join(dir, 'alice', 'notes.phext'), 'hello');
    await manager.reload(); // alice stays: counters kept, usage measured at start (0) stays
    new TenantQuotaLedger(() => manager.registry).countCommit({
      document: { tenant: 'alice', name: 'notes' },
      bytesBefore: 0,
      bytesAfter: 5,
    });
    manager.resolve('tok-alice');
    const list = await call('GET', API);
    assert.equal(list.status, 200);
    const [alice] = (list.body as { tenants: Record<string, unknown>[] }).tenants;
    assert.ok(alice);
    assert.deepEqual(
      { ...alice, last_active: typeof alice.last_active },
      {
        name: 'alice',
        data_dir: join(dir, 'alice'),
        bytes_used: 5,
        quota_bytes: 1_048_576,
        requests: 1,
        last_active: 'string',
      },
    );
    assert.ok(!JSON.stringify(list.body).includes('tok-alice'));
    assert.deepEqual((await call('GET', `${API}/alice`)).body, alice);
    assert.equal((await call('GET', `${API}/nobody`)).status, 404);
    assert.equal((await call('GET', '/api/v2/admin/other')).status, 404);
    assert.equal((await call('GET', `${API}/alice/rotate/x`)).status, 404);
    const wrong = await call('PUT', API);
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers?.Allow, 'GET, POST');
    assert.equal((await call('GET', `${API}/alice/rotate`)).status, 405);
    assert.equal((await call('POST', `${API}/alice`)).status, 405);
  });

  it('creates a tenant with a token shown once, rewrites the file and serves the tenant at once', async (t) => {
    const { call, manager, path, dir } = await setup(t);
    const created = await call('POST', API, JSON.stringify({ name: 'bob', quota_mb: 2.5 }));
    assert.equal(created.status, 201);
    const { token, name, data_dir } = created.body as { token: string; name: string; data_dir: string };
    assert.match(token, /^pmb-v1-[0-9a-f]{32}$/);
    assert.equal(name, 'bob');
    assert.equal(data_dir, join(dir, 'tenants', 'bob'));
    assert.ok(statSync(data_dir).isDirectory());
    assert.equal(manager.resolve(token)?.name, 'bob');
    assert.equal(manager.resolve(token)?.quotaBytes, 2.5 * 1_048_576);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const reloaded = await loadConfig(path);
    assert.deepEqual(
      reloaded.tenants.map((x) => x.name),
      ['alice', 'bob'],
    );
    assert.ok(!JSON.stringify((await call('GET', `${API}/bob`)).body).includes(token), 'the token is shown only once');

    assert.equal((await call('POST', API, JSON.stringify({ name: 'bob' }))).status, 409);
    for (const [body, message] of [
      ['{bad', /must be JSON/],
      ['[]', /JSON object/],
      ['{}', /Missing field "name"/],
      ['{"name": ".x"}', /invalid tenant name/],
      ['{"name": "c", "quota_mb": 0}', /invalid quota_mb/],
      ['{"name": "c", "quota_mb": "1"}', /invalid quota_mb/],
      ['{"name": "c", "token": "x"}', /Unknown field "token"/],
    ] as const) {
      const answer = await call('POST', API, body);
      assert.equal(answer.status, 400, body);
      assert.match((answer.body as { error: string }).error, message);
    }
    assert.deepEqual(
      (await loadConfig(path)).tenants.map((x) => x.name),
      ['alice', 'bob'],
      'refused requests change nothing',
    );
  });

  it('rotates a token (the old one stops at once) and deletes a tenant, keeping its data', async (t) => {
    const { call, manager, path, dir } = await setup(t);
    const rotated = await call('POST', `${API}/alice/rotate`);
    assert.equal(rotated.status, 200);
    const { token } = rotated.body as { token: string };
    assert.equal(manager.resolve('tok-alice'), undefined);
    assert.equal(manager.resolve(token)?.name, 'alice');
    assert.equal((await loadConfig(path)).tenants[0]?.key, token);
    assert.equal((await call('POST', `${API}/nobody/rotate`)).status, 404);

    writeFileSync(join(dir, 'alice', 'keep.phext'), 'data');
    const deleted = await call('DELETE', `${API}/alice`);
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.body, {
      name: 'alice',
      deleted: true,
      data_dir: join(dir, 'alice'),
      note: 'The data directory is kept on disk.',
    });
    assert.equal(manager.resolve(token), undefined);
    assert.equal(readFileSync(join(dir, 'alice', 'keep.phext'), 'utf8'), 'data');
    assert.deepEqual((await loadConfig(path)).tenants, []);
    assert.equal((await call('DELETE', `${API}/alice`)).status, 404);
  });

  it("says a deleted tenant's phexts stay in the database when they are kept there, naming no directory", async (t) => {
    const { call, manager } = await setup(t, undefined, { usage: async (names) => new Map(names.map((name) => [name, 0])) });
    const deleted = await call('DELETE', `${API}/alice`);
    assert.deepEqual(deleted, { status: 200, body: { name: 'alice', deleted: true, note: 'Its phexts are kept in the database.' } });
    assert.equal(manager.resolve('tok-alice'), undefined);
  });

  it('keeps hashed keys hashed on rotate, and refuses changes while the file on disk is broken', async (t) => {
    const { call, manager, path } = await setup(t, {
      admin_key: ADMIN,
      tenants: { [hashedKey('tok-alice')]: { name: 'alice', data_dir: 'alice' } },
    });
    const { token } = (await call('POST', `${API}/alice/rotate`)).body as { token: string };
    assert.equal((await loadConfig(path)).tenants[0]?.key, hashedKey(token));
    assert.ok(!readFileSync(path, 'utf8').includes(token));
    writeFileSync(path, '{"tenants": []}');
    const refused = await call('POST', API, '{"name": "zed"}');
    assert.equal(refused.status, 409);
    assert.match((refused.body as { error: string }).error, /config file is invalid/);
    assert.equal(readFileSync(path, 'utf8'), '{"tenants": []}');
    assert.equal(manager.resolve(token)?.name, 'alice');
  });

  it("refuses (409) a new tenant whose directory holds a deleted tenant's data, or a file, and changes nothing", async (t) => {
    const { call, manager, path, dir } = await setup(t);
    const carol = await call('POST', API, '{"name": "carol"}');
    assert.equal(carol.status, 201);
    const dataDir = (carol.body as { data_dir: string }).data_dir;
    writeFileSync(join(dataDir, 'secret.phext'), 'carol only');
    assert.equal((await call('DELETE', `${API}/carol`)).status, 200);
    const before = readFileSync(path, 'utf8');

    const again = await call('POST', API, '{"name": "carol"}');
    assert.equal(again.status, 409);
    assert.match((again.body as { error: string }).error, /tenants\/carol already exists and is not empty .*\(tenant "carol"\)$/);
    assert.ok(!(again.body as { error: string }).error.includes('\n'));
    writeFileSync(join(dir, 'tenants', 'erin'), 'a file where the directory would go');
    const file = await call('POST', API, '{"name": "erin"}');
    assert.equal(file.status, 409);
    assert.match((file.body as { error: string }).error, /tenants\/erin exists and is not a directory/);

    assert.equal(readFileSync(path, 'utf8'), before, 'the file is unchanged');
    assert.deepEqual(
      manager.registry.list().map((x) => x.name),
      ['alice'],
    );
    assert.deepEqual(readdirSync(dataDir), ['secret.phext']);
    // An empty directory left behind is fine: there is nothing in it to inherit.
    mkdirSync(join(dir, 'tenants', 'gina'));
    assert.equal((await call('POST', API, '{"name": "gina"}')).status, 201);
  });

  it("refuses (409) a new tenant whose directory is another tenant's through a symlink, or inside another's", async (t) => {
    const { call, path, dir } = await setup(t);
    mkdirSync(join(dir, 'tenants'));
    symlinkSync(join(dir, 'alice'), join(dir, 'tenants', 'dave'));
    const linked = await call('POST', API, '{"name": "dave"}');
    assert.equal(linked.status, 409);
    assert.match(
      (linked.body as { error: string }).error,
      /tenants\/dave is the same directory as the data_dir of tenant "alice" .*\(tenant "dave"\)/,
    );

    const nested = await setup(t, {
      admin_key: hashedKey(ADMIN),
      data_root: 'alice/more',
      tenants: { 'tok-alice': { name: 'alice', data_dir: 'alice' } },
    });
    const inside = await nested.call('POST', API, '{"name": "frank"}');
    assert.equal(inside.status, 409);
    assert.match(
      (inside.body as { error: string }).error,
      /alice\/more\/frank lies inside .*\/alice, the data_dir of tenant "alice" \(tenant "frank"\)/,
    );
    assert.deepEqual(
      (await loadConfig(path)).tenants.map((x) => x.name),
      ['alice'],
    );
  });
});

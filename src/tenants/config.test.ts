import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, parseConfig } from './config.js';
import { editConfig } from './edit.js';
import { TenantRegistry } from './registry.js';
import { hashedKey } from './token.js';
import { tempDir } from '../testing/temp-dir.js';

const root = tempDir({ after }, 'sq-config-');
let n = 0;

/** Writes `value` (raw text if a string) as tenants.json in a fresh directory; returns its path. */
function configFile(value: unknown): string {
  const dir = join(root, `c${++n}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'tenants.json');
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

const TOKEN_A = 'pmb-v1-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const TOKEN_B = 'pmb-v1-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

/** Loading must fail with a ConfigError whose message matches every pattern and holds no full token. */
async function refused(value: unknown, ...patterns: RegExp[]): Promise<string> {
  const error = await loadConfig(configFile(value)).then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
  for (const p of patterns) assert.match(error.message, p);
  assert.ok(!error.message.includes(TOKEN_A) && !error.message.includes(TOKEN_B), `token leaked: ${error.message}`);
  assert.ok(!error.message.includes('\n'), 'one line');
  return error.message;
}

describe('tenants config validation', () => {
  it('names the entry with a missing field, showing only the start of its token', async () => {
    await refused({ tenants: { [TOKEN_A]: { name: 'alice' } } }, /tenants\["pmb-v1…"\]\.data_dir: Required \(tenant "alice"\)/);
    await refused({ tenants: { [TOKEN_A]: { data_dir: 'a' } } }, /tenants\["pmb-v1…"\]\.name: Required/);
    await refused({}, /tenants: Required/);
    await refused([], /\(top level\): Expected object/);
  });

  it('rejects bad tenant names', async () => {
    for (const name of ['.hidden', 'a/b', '', 'x'.repeat(65), 'space name', 'ä']) {
      await refused({ tenants: { [TOKEN_A]: { name, data_dir: 'a' } } }, /tenants\["pmb-v1…"\]\.name: must be 1-64 characters/);
    }
    await loadConfig(
      configFile({ tenants: { [TOKEN_A]: { name: 'A-z_0.9', data_dir: 'a' }, [TOKEN_B]: { name: 'x'.repeat(64), data_dir: 'b' } } }),
    );
  });

  it('rejects a duplicate name, a shared data_dir and a token given twice', async () => {
    await refused(
      { tenants: { [TOKEN_A]: { name: 'alice', data_dir: 'a' }, [TOKEN_B]: { name: 'alice', data_dir: 'b' } } },
      /tenants\["pmb-v1…"\]\.name: "alice" is used by two tenants/,
    );
    // `a` and `./x/../a` are the same directory once resolved.
    await refused(
      { tenants: { [TOKEN_A]: { name: 'alice', data_dir: 'a' }, [TOKEN_B]: { name: 'bob', data_dir: './x/../a' } } },
      /\.data_dir: .*\/a is also the data_dir of tenant "alice" \(tenant "bob"\)/,
    );
    await refused(
      { tenants: { [TOKEN_A]: { name: 'alice', data_dir: 'a' }, [hashedKey(TOKEN_A)]: { name: 'bob', data_dir: 'b' } } },
      /same token as tenants\["pmb-v1…"\] \(tenants "alice" and "bob"\)/,
    );
    // JSON.parse would silently keep only the second of two equal keys.
    await refused(
      `{"tenants": {"${TOKEN_A}": {"name": "alice", "data_dir": "a"}, "${TOKEN_A}": {"name": "bob", "data_dir": "b"}}}`,
      /tenants\["pmb-v1…"\]: appears twice \(duplicate token\)/,
    );
  });

  it('rejects bad quotas and accepts fractions', async () => {
    for (const quota of [0, -1, '5', null]) {
      await refused(
        { tenants: { [TOKEN_A]: { name: 'alice', data_dir: 'a', quota_mb: quota } } },
        /tenants\["pmb-v1…"\]\.quota_mb: must be a number of megabytes > 0/,
      );
    }
    await refused({ default_quota_mb: 0, tenants: {} }, /default_quota_mb: must be a number/);
    const config = await loadConfig(
      configFile({
        default_quota_mb: 2,
        tenants: { [TOKEN_A]: { name: 'alice', data_dir: 'a', quota_mb: 0.5 }, [TOKEN_B]: { name: 'bob', data_dir: 'b' } },
      }),
    );
    assert.deepEqual(
      config.tenants.map((t) => t.quotaBytes),
      [524_288, 2 * 1_048_576],
    );
  });

  it('rejects invalid JSON without quoting the text, and an admin key that is a tenant token', async () => {
    await refused(`{"tenants": {"${TOKEN_A}": {"name": "alice",, }}}`, /invalid JSON at line 1 column \d+/);
    await refused(
      { admin_key: TOKEN_A, tenants: { [TOKEN_A]: { name: 'alice', data_dir: 'a' } } },
      /admin_key: is also the token of tenant "alice"/,
    );
    for (const key of [' padded', 'tab\there', '']) {
      await refused(
        { tenants: { [key]: { name: 'alice', data_dir: 'a' } } },
        /a token must be non-empty, without control characters or surrounding spaces/,
      );
    }
  });

  it('resolves relative data_dirs against the file, creates them, and resolves sha256 keys', async () => {
    const path = configFile({
      tenants: {
        [TOKEN_A]: { name: 'alice', data_dir: 'data/alice' },
        [hashedKey(TOKEN_B)]: { name: 'bob', data_dir: join(root, 'abs', 'bob') },
      },
    });
    const dir = join(root, `c${n}`);
    const config = await loadConfig(path);
    assert.equal(config.tenants[0]?.dataDir, join(dir, 'data', 'alice'));
    assert.equal(config.tenants[1]?.dataDir, join(root, 'abs', 'bob'));
    assert.ok(statSync(join(dir, 'data', 'alice')).isDirectory());
    assert.ok(statSync(join(root, 'abs', 'bob')).isDirectory());
    assert.equal(config.dataRoot, join(dir, 'tenants'));
    assert.deepEqual(config.tenants[1]?.digest, (await import('./token-digest.js')).tokenDigest(TOKEN_B));
  });
});

describe('tenants config: data directories by real path', () => {
  it('refuses two tenants on one directory through a symlink, and one directory inside another', async () => {
    const shared = join(root, 'shared-a');
    mkdirSync(shared);
    symlinkSync(shared, join(root, 'link-to-a'));
    await refused(
      { tenants: { [TOKEN_A]: { name: 'alice', data_dir: shared }, [TOKEN_B]: { name: 'bob', data_dir: join(root, 'link-to-a') } } },
      /tenants\["pmb-v1…"\]\.data_dir: .*\/link-to-a is the same directory as the data_dir of tenant "alice" \(.*\/shared-a\) \(tenant "bob"\)/,
    );
    // A directory not made yet, below a symlink, is compared by where it will really be.
    await refused(
      {
        tenants: {
          [TOKEN_A]: { name: 'alice', data_dir: join(shared, 'new') },
          [TOKEN_B]: { name: 'bob', data_dir: join(root, 'link-to-a', 'new') },
        },
      },
      /is the same directory as the data_dir of tenant "alice"/,
    );
    await refused(
      { tenants: { [TOKEN_A]: { name: 'alice', data_dir: 'a' }, [TOKEN_B]: { name: 'bob', data_dir: 'a/b/c' } } },
      /\.data_dir: .*\/a\/b\/c lies inside .*\/a, the data_dir of tenant "alice" \(tenant "bob"\)/,
    );
    await refused(
      { tenants: { [TOKEN_A]: { name: 'alice', data_dir: join(root, 'link-to-a', 'x') }, [TOKEN_B]: { name: 'bob', data_dir: shared } } },
      /link-to-a\/x lies inside .*\/shared-a, the data_dir of tenant "bob" \(tenant "alice"\)/,
    );
    // Siblings whose names share a prefix are not nested.
    await loadConfig(configFile({ tenants: { [TOKEN_A]: { name: 'alice', data_dir: 'a' }, [TOKEN_B]: { name: 'bob', data_dir: 'a-b' } } }));
  });
});

describe('editConfig', () => {
  it('rewrites atomically with mode 0600, keeping the format and unknown fields', async () => {
    const path = configFile({ tenants: {} });
    const file = { comment: 'kept', admin_key: hashedKey('admin'), tenants: { [TOKEN_A]: { name: 'alice', data_dir: 'a', port: 1341 } } };
    await editConfig(path, () => ({ file, result: undefined }), { prepare: async () => {} });
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), file);
    assert.deepEqual(readdirSync(join(root, `c${n}`)), ['tenants.json'], 'no temp file left behind');
    const again = await loadConfig(path);
    assert.equal(again.tenants[0]?.name, 'alice');
    assert.deepEqual(again.file, file);
  });
});

describe('deploy/tenants.example.json', () => {
  it('is a valid tenants file whose sha256 keys match the documented secrets', () => {
    const path = fileURLToPath(new URL('../../../deploy/tenants.example.json', import.meta.url));
    const registry = new TenantRegistry(parseConfig(readFileSync(path, 'utf8'), path));
    assert.equal(registry.resolve('pmb-v1-fedcba9876543210fedcba9876543210')?.name, 'bob');
    assert.equal(registry.get('bob')?.quotaBytes, 1024 * 1_048_576);
    assert.equal(registry.isAdmin('change-me-admin-key'), true);
  });
});

// The admin API over HTTP against a real `sq host --config ... --admin-key K`.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { durableText } from '../src/testing/durable-phext.js';
import { tempDir } from '../src/testing/temp-dir.js';
import { loadConfig } from '../src/tenants/config.js';
import { api, call, type TextReply } from '../src/testing/sq-api.js';
import { startSq, type SqProcess } from '../src/testing/sq-process.js';
import { newToken, writeTenantsFile } from '../src/testing/tenants-file.js';

const ADMIN = 'admin-key-e2e-0123456789';
const TENANTS = '/api/v2/admin/tenants';
const C = '1.1.1/1.1.1/1.1.1';
const TOKEN = /^pmb-v1-[0-9a-f]{32}$/;

describe('admin API over HTTP', () => {
  let sq: SqProcess;
  after(() => sq?.stop());
  const dir = tempDir({ after });
  const config = join(dir, 'tenants.json');
  const alice = { name: 'alice', token: newToken(), data_dir: join(dir, 'alice') };

  /** An admin request with the admin key (or the given headers instead). */
  const admin = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = { Authorization: `Bearer ${ADMIN}` },
  ) => {
    const reply = await call(sq.port, path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (reply.status !== 204) assert.match(String(reply.headers['content-type']), /^application\/json/);
    return { ...reply, json: JSON.parse(reply.text) as Record<string, unknown> };
  };

  /** The file as the server's own loader reads it: valid, and the names it holds. */
  const namesOnDisk = async (): Promise<string[]> => (await loadConfig(config)).tenants.map((t) => t.name).sort();

  const works = async (token: string): Promise<TextReply> => api(sq.port, token, 'select', { p: 'notes', c: C });

  before(async () => {
    writeTenantsFile(config, [alice]);
    sq = await startSq(['host', '0', '--bind', '127.0.0.1', '--config', config, '--admin-key', ADMIN]);
  });

  it('answers 401 without the admin key, with a wrong one and with a tenant token', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { Authorization: 'Bearer wrong' },
      { Authorization: `Bearer ${alice.token}` },
      { 'X-SQ-API-Key': alice.token },
    ];
    for (const headers of attempts) {
      for (const [method, path, body] of [
        ['GET', TENANTS],
        ['POST', TENANTS, { name: 'mallory' }],
        ['DELETE', `${TENANTS}/alice`],
        ['POST', `${TENANTS}/alice/rotate`],
      ] as const) {
        const reply = await admin(method, path, body, headers);
        assert.deepEqual([reply.status, reply.json], [401, { error: 'Unauthorized' }], `${method} ${path} ${JSON.stringify(headers)}`);
      }
    }
    assert.deepEqual(await namesOnDisk(), ['alice']);
    assert.equal((await works(alice.token)).status, 200);
  });

  it('lists tenants without their tokens', async () => {
    const reply = await admin('GET', TENANTS);
    assert.equal(reply.status, 200);
    assert.deepEqual(
      (reply.json.tenants as { name: string }[]).map((t) => t.name),
      ['alice'],
    );
    assert.ok(!reply.text.includes(alice.token) && !/pmb-v1-/.test(reply.text), reply.text);
    const byHeader = await admin('GET', TENANTS, undefined, { 'X-SQ-API-Key': ADMIN });
    assert.equal(byHeader.status, 200);
  });

  let carol = '';
  it('creates a tenant (201) whose token works at once; 409 for a duplicate; the file stays valid', async () => {
    const created = await admin('POST', TENANTS, { name: 'carol', quota_mb: 5 });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.name, 'carol');
    assert.match(String(created.json.token), TOKEN);
    carol = String(created.json.token);
    assert.equal((await api(sq.port, carol, 'insert', { p: 'notes', c: C, s: 'CarolData' })).text, 'Inserted 9 bytes');
    assert.equal((await works(carol)).text, 'CarolData');
    assert.equal(await durableText(join(String(created.json.data_dir), 'notes.phext')), 'CarolData');
    assert.deepEqual(await namesOnDisk(), ['alice', 'carol']);
    assert.equal(statSync(config).mode & 0o777, 0o600);

    const again = await admin('POST', TENANTS, { name: 'carol' });
    assert.equal(again.status, 409);
    assert.match(String(again.json.error), /carol already exists/);
    for (const bad of [{ name: '../evil' }, { name: 'x', quota_mb: -1 }, { nom: 'x' }]) {
      assert.equal((await admin('POST', TENANTS, bad)).status, 400, JSON.stringify(bad));
    }
    assert.deepEqual(await namesOnDisk(), ['alice', 'carol']);
  });

  it('shows one tenant with its usage and quota, not its token', async () => {
    const reply = await admin('GET', `${TENANTS}/carol`);
    assert.equal(reply.status, 200);
    assert.equal(reply.json.name, 'carol');
    assert.equal(reply.json.bytes_used, 9);
    assert.equal(reply.json.quota_bytes, 5 * 1_048_576);
    assert.ok(!reply.text.includes(carol));
    assert.equal((await admin('GET', `${TENANTS}/nobody`)).status, 404);
  });

  it('rotates a token: the old one gets 401, the new one sees the same data', async () => {
    const rotated = await admin('POST', `${TENANTS}/carol/rotate`);
    assert.equal(rotated.status, 200);
    const fresh = String(rotated.json.token);
    assert.match(fresh, TOKEN);
    assert.notEqual(fresh, carol);
    assert.deepEqual([(await works(carol)).status, (await works(carol)).text], [401, 'Unauthorized']);
    assert.equal((await works(fresh)).text, 'CarolData');
    const keys = Object.keys(JSON.parse(readFileSync(config, 'utf8')).tenants);
    assert.ok(keys.includes(fresh) && !keys.includes(carol));
    assert.deepEqual(await namesOnDisk(), ['alice', 'carol']);
    carol = fresh;
  });

  it('deletes a tenant: its token gets 401, its data stays on disk', async () => {
    const dataDir = String((await admin('GET', `${TENANTS}/carol`)).json.data_dir);
    const deleted = await admin('DELETE', `${TENANTS}/carol`);
    assert.equal(deleted.status, 200);
    assert.equal(deleted.json.deleted, true);
    assert.equal((await works(carol)).status, 401);
    assert.equal(await durableText(join(dataDir, 'notes.phext')), 'CarolData');
    assert.deepEqual(await namesOnDisk(), ['alice']);
    assert.equal((await admin('DELETE', `${TENANTS}/carol`)).status, 404);
    assert.equal((await admin('GET', `${TENANTS}/carol`)).status, 404);
    assert.ok(existsSync(dataDir));
    assert.equal((await works(alice.token)).status, 200);
    assert.ok(!sq.stderr().includes(carol) && !sq.stderr().includes(ADMIN), 'no token or key in the log');
  });

  it("refuses (409) a new carol while the deleted carol's data is in her directory; the old data stays unread", async () => {
    const again = await admin('POST', TENANTS, { name: 'carol' });
    assert.equal(again.status, 409, again.text);
    assert.match(String(again.json.error), /tenants\/carol already exists and is not empty/);
    assert.deepEqual(await namesOnDisk(), ['alice']);
    assert.equal(await durableText(join(dir, 'tenants', 'carol', 'notes.phext')), 'CarolData');
  });

  it("refuses (409, not 500) a name whose directory would be a file, or a symlink to another tenant's directory", async () => {
    writeFileSync(join(dir, 'tenants', 'dora'), 'not a directory');
    const file = await admin('POST', TENANTS, { name: 'dora' });
    assert.equal(file.status, 409, file.text);
    assert.match(String(file.json.error), /tenants\/dora exists and is not a directory/);
    mkdirSync(join(dir, 'tenants'), { recursive: true });
    symlinkSync(alice.data_dir, join(dir, 'tenants', 'eve'));
    const linked = await admin('POST', TENANTS, { name: 'eve' });
    assert.equal(linked.status, 409, linked.text);
    assert.match(String(linked.json.error), /tenants\/eve is the same directory as the data_dir of tenant "alice"/);
    assert.deepEqual(await namesOnDisk(), ['alice']);
    assert.ok(!linked.text.includes(alice.token));
  });
});

// Quotas of a real `sq host --config`: usage measured at start, 507 past the quota, nothing written.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { expectedFiles } from '../src/testing/change-log-files.js';
import { durableBytes } from '../src/testing/durable-phext.js';
import { tempDir } from '../src/testing/temp-dir.js';
import { api } from '../src/testing/sq-api.js';
import { startSq, type SqProcess } from '../src/testing/sq-process.js';
import { newToken, writeTenantsFile } from '../src/testing/tenants-file.js';

const QUOTA_MB = 0.001;
const QUOTA = Math.floor(QUOTA_MB * 1_048_576); // 1048 bytes
const PRE_EXISTING = 600;

describe('quota_mb of a tenant', () => {
  let sq: SqProcess;
  after(() => sq?.stop());
  const dir = tempDir({ after });
  const small = { name: 'small', token: newToken(), data_dir: join(dir, 'small'), quota_mb: QUOTA_MB };
  const roomy = { name: 'roomy', token: newToken(), data_dir: join(dir, 'roomy') };
  const far = { name: 'far', token: newToken(), data_dir: join(dir, 'far'), quota_mb: QUOTA_MB };
  const burst = { name: 'burst', token: newToken(), data_dir: join(dir, 'burst'), quota_mb: QUOTA_MB };

  /**
   * Bytes of every phext of the tenant, as on disk once their change logs are folded in (a phext
   * written by SQ may so far be only its log `.<name>.phext.log`).
   */
  const used = async (tenant = small): Promise<number> => {
    const phexts = new Set(readdirSync(tenant.data_dir).map((n) => /^\.(.+\.phext)\.log$/.exec(n)?.[1] ?? n));
    let sum = 0;
    for (const n of phexts) if (n.endsWith('.phext')) sum += (await durableBytes(join(tenant.data_dir, n))).length;
    return sum;
  };
  const newPhext = () => durableBytes(join(small.data_dir, 'new.phext'));
  const insert = (p: string, c: string, s: string, token = small.token) => api(sq.port, token, 'insert', { p, c }, { body: s });

  before(async () => {
    mkdirSync(small.data_dir);
    writeFileSync(join(small.data_dir, 'old.phext'), 'o'.repeat(PRE_EXISTING));
    writeTenantsFile(join(dir, 'tenants.json'), [small, roomy, far, burst]);
    sq = await startSq(['host', '0', '--bind', '127.0.0.1', '--config', join(dir, 'tenants.json')]);
  });

  it('counts phext files already on disk at start; writes up to the quota succeed, the next gets 507', async () => {
    assert.equal((await insert('new', '1.1.1', 'n'.repeat(400))).status, 200);
    assert.equal((await insert('new', '1.1.1', 'n'.repeat(QUOTA - PRE_EXISTING - 400))).status, 200);
    assert.equal(await used(), QUOTA);
    const before = await newPhext();
    const refused = await insert('new', '1.1.1', 'x');
    assert.equal(refused.status, 507);
    assert.match(refused.text, /^Quota exceeded for tenant small: 1048 bytes used of 1048 \(quota 0\.001 MB\); write of 1 bytes refused$/);
    assert.deepEqual(await newPhext(), before);
    // Nor in a new file, nor by an update that grows a scroll.
    assert.equal((await insert('other', '1.1.1', 'x')).status, 507);
    const files = readdirSync(small.data_dir).sort();
    assert.deepEqual(files, expectedFiles(files, ['new'], ['old']));
    assert.equal((await api(sq.port, small.token, 'update', { p: 'new', c: '1.1.1', s: 'n'.repeat(449) })).status, 507);
    assert.deepEqual(await newPhext(), before);
    // Another tenant is not affected.
    assert.equal((await insert('new', '1.1.1', 'x'.repeat(5000), roomy.token)).status, 200);
  });

  it('still lets a full tenant shrink its data, then write again', async () => {
    assert.equal((await api(sq.port, small.token, 'update', { p: 'new', c: '1.1.1', s: 'short' })).text, 'Updated 5 bytes');
    assert.equal(await used(), PRE_EXISTING + 5);
    assert.equal((await insert('new', '1.1.1', 'y'.repeat(10))).status, 200);
    assert.equal((await api(sq.port, small.token, 'delete', { p: 'new', c: '1.1.1' })).text, 'Removed 15 bytes');
    assert.equal(await used(), PRE_EXISTING);
  });

  it('never passes the quota when a new scroll needs delimiter bytes', async () => {
    // A scroll at 1.1.1/1.1.1/1.1.50 needs 49 scroll breaks before it in the file.
    const reply = await insert('far', '1.1.1/1.1.1/1.1.50', 'f'.repeat(QUOTA - 10), far.token);
    assert.equal(reply.status, 507, `accepted: ${await used(far)} bytes used of ${QUOTA}`);
    assert.equal(await used(far), 0);
    assert.equal((await insert('far', '1.1.1/1.1.1/1.1.50', 'f'.repeat(QUOTA - 49), far.token)).status, 200);
    assert.equal(await used(far), QUOTA);
  });

  it('concurrent writes cannot pass the quota together', async () => {
    const each = 100;
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => insert(`burst${i % 2}`, '1.1.1', String(i % 10).repeat(each), burst.token)),
    );
    const accepted = replies.filter((r) => r.status === 200).length;
    assert.deepEqual(
      replies.filter((r) => r.status !== 200).map((r) => r.status),
      Array(20 - accepted).fill(507),
    );
    assert.ok((await used(burst)) <= QUOTA, `${await used(burst)} bytes used of ${QUOTA} after ${accepted} accepted writes`);
    assert.equal(accepted, Math.floor(QUOTA / each));
  });
});

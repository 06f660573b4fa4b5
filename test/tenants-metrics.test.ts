// GET /metrics and /health of a real `sq host --config`: valid Prometheus text, the documented
// series, and no tenant name or token in any label.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../src/testing/temp-dir.js';
import { parsePrometheus, samplesOf, valueOf, type Exposition } from '../src/testing/prometheus.js';
import { api, call } from '../src/testing/sq-api.js';
import { replaceFile } from '../src/testing/replace-file.js';
import { startSq, type SqProcess } from '../src/testing/sq-process.js';
import { newToken, writeTenantsFile } from '../src/testing/tenants-file.js';

const ADMIN = 'admin-key-metrics-e2e';

describe('metrics and health of sq host --config', () => {
  let sq: SqProcess;
  after(() => sq?.stop());
  const dir = tempDir({ after });
  const real = join(dir, 'etc', 'tenants.json'); // behind a symlink, which the watcher follows
  const tenant = (name: string) => ({ name, token: newToken(), data_dir: join(dir, name) });
  const [zulu, yankee, xray] = [tenant('tenant-zulu'), tenant('tenant-yankee'), tenant('tenant-xray')];
  const tenants = [zulu, yankee, xray];

  const scrape = async (): Promise<{ text: string; exposition: Exposition }> => {
    const reply = await call(sq.port, '/metrics');
    assert.equal(reply.status, 200);
    assert.match(String(reply.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    return { text: reply.text, exposition: parsePrometheus(reply.text) };
  };

  before(async () => {
    mkdirSync(join(dir, 'etc'));
    writeTenantsFile(real, tenants);
    symlinkSync(real, join(dir, 'tenants.json'));
    sq = await startSq(['host', '0', '--bind', '127.0.0.1', '--config', join(dir, 'tenants.json'), '--admin-key', ADMIN]);
    // Traffic of two of the three tenants, with a few errors.
    for (const t of [zulu, yankee]) {
      assert.equal((await api(sq.port, t.token, 'insert', { p: 'm', c: '1.1.1', s: t.name })).status, 200);
      assert.equal((await api(sq.port, t.token, 'select', { p: 'm', c: '1.1.1' })).status, 200);
    }
    assert.equal((await api(sq.port, 'pmb-v1-unknown', 'select', { p: 'm' })).status, 401);
    assert.equal((await api(sq.port, zulu.token, 'select', { p: '../x' })).status, 403);
    assert.equal((await api(sq.port, zulu.token, 'insert', { p: 'm', c: '1.1.1000', s: 'x' })).status, 400);
    // Unchanged: only the request reloads it (ok 1). Broken: the watcher refuses it first, then
    // the request does again (failed 2); after that the watcher ignores the same text.
    assert.equal((await call(sq.port, '/api/v2/reload', { method: 'POST' })).status, 200);
    replaceFile(real, '{"tenants": ');
    await sq.waitForStderr((text) => text.includes('tenants: reload refused (on file change)'));
    assert.equal((await call(sq.port, '/api/v2/reload', { method: 'POST' })).status, 400);
  });

  it('GET /health answers 200 without a token', async () => {
    const reply = await call(sq.port, '/health');
    assert.deepEqual([reply.status, reply.text], [200, 'OK']);
  });

  it('serves valid Prometheus text with requests by command and status, and latency histograms', async () => {
    const { exposition } = await scrape();
    assert.equal(exposition.types.get('sq_requests_total'), 'counter');
    const requests = (command: string, status: number) => valueOf(exposition, 'sq_requests_total', { command, status: String(status) });
    assert.equal(requests('insert', 200), 2);
    assert.equal(requests('select', 200), 2);
    assert.equal(requests('select', 401), 1);
    assert.equal(requests('select', 403), 1);
    assert.equal(requests('insert', 400), 1);
    assert.equal(requests('reload', 200), 1);
    assert.equal(requests('reload', 400), 1);

    for (const name of ['sq_request_duration_seconds', 'sq_commit_duration_seconds', 'sq_commit_batch_size']) {
      assert.equal(exposition.types.get(name), 'histogram', name);
    }
    const inserts = samplesOf(exposition, 'sq_request_duration_seconds_bucket', { command: 'insert' });
    assert.ok(inserts.length > 2);
    inserts.reduce((previous, bucket) => {
      assert.ok(bucket.value >= previous, 'buckets are cumulative');
      return bucket.value;
    }, 0);
    assert.equal(inserts.at(-1)!.labels.le, '+Inf');
    assert.equal(valueOf(exposition, 'sq_request_duration_seconds_count', { command: 'insert' }), 3);
    assert.equal(valueOf(exposition, 'sq_commit_duration_seconds_count'), 2);
    assert.ok(valueOf(exposition, 'sq_commit_duration_seconds_sum') > 0);
    assert.equal(valueOf(exposition, 'sq_commit_batch_size_count'), 2);
    assert.equal(valueOf(exposition, 'sq_commit_batch_size_sum'), 2);
  });

  it('reports the cache, the tenants and the reloads', async () => {
    const { exposition } = await scrape();
    for (const name of ['sq_cached_phexts', 'sq_cached_bytes', 'sq_tenants_configured', 'sq_tenants_active']) {
      assert.equal(exposition.types.get(name), 'gauge', name);
    }
    assert.equal(valueOf(exposition, 'sq_cached_phexts'), 2);
    assert.ok(valueOf(exposition, 'sq_cached_bytes') > 0);
    assert.equal(valueOf(exposition, 'sq_tenants_configured'), tenants.length);
    assert.equal(valueOf(exposition, 'sq_tenants_active'), 2);
    assert.equal(valueOf(exposition, 'sq_config_reloads_total', { result: 'ok' }), 1);
    assert.equal(valueOf(exposition, 'sq_config_reloads_total', { result: 'failed' }), 2);
  });

  it('never names a tenant or shows a token', async () => {
    const { text, exposition } = await scrape();
    for (const t of tenants) {
      assert.ok(!text.includes(t.token), 'token in the metrics');
      assert.ok(!text.includes(t.name), `tenant ${t.name} in the metrics`);
    }
    for (const sample of exposition.samples) {
      assert.ok(!Object.keys(sample.labels).some((l) => /tenant|token|user/.test(l)), `${sample.name}: ${JSON.stringify(sample.labels)}`);
    }
  });

  it('answers 401 to a relayed scrape without the admin key, even with a tenant token', async () => {
    const relayed = { 'X-Forwarded-For': '198.51.100.7' };
    assert.equal((await call(sq.port, '/metrics', { headers: relayed })).status, 401);
    assert.equal((await call(sq.port, '/metrics', { headers: { ...relayed, Authorization: `Bearer ${zulu.token}` } })).status, 401);
    assert.equal((await call(sq.port, '/metrics', { headers: { ...relayed, Authorization: `Bearer ${ADMIN}` } })).status, 200);
  });
});

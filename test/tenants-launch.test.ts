// The launch acceptance test of the seed notes, against a real `sq host --config` process.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { durableBytes } from '../src/testing/durable-phext.js';
import { tempDir } from '../src/testing/temp-dir.js';
import { api } from '../src/testing/sq-api.js';
import { runSq } from '../src/testing/run-sq.js';
import { startSq, type SqProcess } from '../src/testing/sq-process.js';

const ALICE = 'pmb-v1-a11ce000000000000000000000000001';
const BOB = 'pmb-v1-b0b00000000000000000000000000002';
const C = '1.1.1/1.1.1/1.1.1';

describe('sq host --config: two tenants (launch acceptance)', () => {
  let sq: SqProcess;
  after(() => sq?.stop());
  const dir = tempDir({ after });
  before(async () => {
    writeFileSync(
      join(dir, 'tenants.json'),
      JSON.stringify({
        tenants: {
          [ALICE]: { name: 'alice', data_dir: join(dir, 'alice') },
          [BOB]: { name: 'bob', data_dir: 'bob' }, // relative: to the config file's directory
        },
      }),
    );
    sq = await startSq(['host', '0', '--bind', '127.0.0.1', '--config', join(dir, 'tenants.json')]);
  });

  it('keeps alice and bob apart at the same p and c, on the wire and on disk', async () => {
    assert.equal((await api(sq.port, ALICE, 'insert', { p: 'test', c: C, s: 'AliceData' })).text, 'Inserted 9 bytes');
    assert.equal((await api(sq.port, BOB, 'insert', { p: 'test', c: C, s: 'BobData' })).text, 'Inserted 7 bytes');
    assert.equal((await api(sq.port, ALICE, 'select', { p: 'test', c: C })).text, 'AliceData');
    assert.equal((await api(sq.port, BOB, 'select', { p: 'test', c: C })).text, 'BobData');
    assert.deepEqual(await durableBytes(join(dir, 'alice', 'test.phext')), Buffer.from('AliceData'));
    assert.deepEqual(await durableBytes(join(dir, 'bob', 'test.phext')), Buffer.from('BobData'));
    // Neither sees the other's other phexts either.
    await api(sq.port, BOB, 'insert', { p: 'bobonly', c: C, s: 'secret' });
    const peek = await api(sq.port, ALICE, 'select', { p: 'bobonly', c: C });
    assert.deepEqual([peek.status, peek.text], [200, '']);
  });

  it('answers 401 Unauthorized to an unknown, missing or near-miss token', async () => {
    for (const token of ['pmb-v1-00000000000000000000000000000000', undefined, ALICE.slice(0, -1), `${ALICE}x`, ALICE.toUpperCase()]) {
      const reply = await api(sq.port, token, 'select', { p: 'test', c: C });
      assert.deepEqual([reply.status, reply.text], [401, 'Unauthorized'], `token ${token}`);
    }
  });

  it('answers 403 to a p that tries to leave the data directory', async () => {
    for (const p of ['../x', '..', 'a/b', 'a\\b', '../bob/test']) {
      const reply = await api(sq.port, ALICE, 'select', { p, c: C });
      assert.equal(reply.status, 403, `p=${p}: ${reply.text}`);
      const write = await api(sq.port, ALICE, 'insert', { p, c: C, s: 'escape' });
      assert.equal(write.status, 403, `insert p=${p}`);
    }
    assert.deepEqual(await durableBytes(join(dir, 'bob', 'test.phext')), Buffer.from('BobData'));
  });

  it('takes the token from X-SQ-API-Key and from a bare Authorization header', async () => {
    const styles: Record<string, string>[] = [
      { 'X-SQ-API-Key': BOB },
      { Authorization: BOB },
      { Authorization: `bearer ${BOB}` },
      { Authorization: `BEARER  ${BOB}` },
    ];
    for (const headers of styles) {
      const reply = await api(sq.port, undefined, 'select', { p: 'test', c: C }, { headers });
      assert.deepEqual([reply.status, reply.text], [200, 'BobData'], JSON.stringify(headers));
    }
    const alice = await api(sq.port, undefined, 'select', { p: 'test', c: C }, { headers: { 'X-SQ-API-Key': ALICE } });
    assert.equal(alice.text, 'AliceData');
  });

  it('status names the phext, never a server path', async () => {
    const reply = await api(sq.port, ALICE, 'status', { p: 'test' });
    assert.equal(reply.status, 200);
    assert.match(reply.text, /^Hosting: test\.phext\nConnection ID: \d+\nPhext Size: 9\nScrolls: 1\nVersion: 1$/);
    assert.ok(!reply.text.includes(dir), reply.text);
    for (const command of ['status', 'select', 'toc', 'get', 'checksum']) {
      const bad = await api(sq.port, ALICE, command, { p: '../../etc/passwd' });
      assert.ok(!bad.text.includes(dir) && !bad.text.includes('/tmp'), `${command}: ${bad.text}`);
    }
  });

  it('answers a CORS preflight without a token and logs no token', async () => {
    const reply = await api(sq.port, undefined, 'select', { p: 'test' }, { method: 'OPTIONS' });
    assert.equal(reply.status, 204);
    assert.match(String(reply.headers['access-control-allow-headers']), /X-SQ-API-Key/i);
    assert.ok(!sq.stderr().includes(ALICE) && !sq.stderr().includes(BOB));
  });
});

describe('sq host --config: tenants that would share data are refused at start', () => {
  const dir = tempDir({ after });

  it("exits 1 with one line when a data_dir is a symlink to another tenant's, or inside it", async () => {
    mkdirSync(join(dir, 'alice'));
    symlinkSync(join(dir, 'alice'), join(dir, 'alias'));
    for (const [bobDir, why] of [
      ['alias', /alias is the same directory as the data_dir of tenant "alice"/],
      ['alice/bob', /alice\/bob lies inside .*\/alice, the data_dir of tenant "alice"/],
    ] as const) {
      writeFileSync(
        join(dir, 'tenants.json'),
        JSON.stringify({ tenants: { [ALICE]: { name: 'alice', data_dir: 'alice' }, [BOB]: { name: 'bob', data_dir: bobDir } } }),
      );
      const run = await runSq(['host', '0', '--bind', '127.0.0.1', '--config', join(dir, 'tenants.json')], { timeoutMs: 15_000 });
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, why);
      assert.equal(run.stderr.trimEnd().split('\n').length, 1, run.stderr);
      assert.doesNotMatch(run.stdout, /listening/);
      assert.ok(!run.stderr.includes(ALICE) && !run.stderr.includes(BOB));
    }
  });
});

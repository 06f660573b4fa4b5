// `GET /api/v2/list`: a tenant's phexts with their sizes, scroll counts, versions and last
// changes, in name order, over both stores; and only the caller's.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { HOST_STORES } from '../src/testing/host-stores.js';
import { api, apiPath } from '../src/testing/sq-api.js';
import { startSq } from '../src/testing/sq-process.js';
import { tempDir } from '../src/testing/temp-dir.js';
import { newToken, writeTenantsFile } from '../src/testing/tenants-file.js';

interface Listed {
  name: string;
  bytes: number;
  scrolls: number;
  version: number;
  modified: string | null;
}

for (const store of HOST_STORES) {
  test(`sq host (${store.name}): list answers the phexts in name order with bytes, scrolls, version and modified`, async (t) => {
    const host = await store.start(t, { args: ['--key', 'list-key'] });
    if (!host) return;
    const auth = { Authorization: 'Bearer list-key' };
    const empty = await host.call('GET', '/api/v2/list', undefined, auth);
    assert.equal(empty.status, 200, empty.text);
    assert.equal(empty.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(JSON.parse(empty.text), []);

    const before = Date.now() - 60_000;
    for (const [p, c, text] of [
      ['zeta', '1.1.1/1.1.1/1.1.1', 'last'],
      ['alpha', '1.1.1/1.1.1/1.1.1', 'one'],
      ['alpha', '1.1.1/1.1.1/1.1.2', 'two'],
    ] as const) {
      const reply = await host.call('POST', apiPath('insert', { p, c }), text, auth);
      assert.equal(reply.status, 200, reply.text);
    }
    const listed = JSON.parse((await host.call('GET', '/api/v2/list', undefined, auth)).text) as Listed[];
    assert.deepEqual(
      listed.map(({ modified: _, ...rest }) => rest),
      [
        { name: 'alpha', bytes: Buffer.byteLength('one\x17two'), scrolls: 2, version: 2 },
        { name: 'zeta', bytes: 4, scrolls: 1, version: 1 },
      ],
    );
    for (const entry of listed)
      assert.ok(entry.modified && Date.parse(entry.modified) > before, `modified of ${entry.name}: ${entry.modified}`);
    // What `get` serves is what list counted.
    const got = await host.call('GET', apiPath('get', { p: 'alpha' }), undefined, auth);
    assert.equal(got.body.length, listed[0]!.bytes);

    assert.equal((await host.call('GET', '/api/v2/list')).status, 401);
    assert.equal((await host.call('GET', '/api/v2/list?p=alpha', undefined, auth)).status, 400);
    assert.equal((await host.call('POST', '/api/v2/list', '', auth)).status, 405);
  });
}

for (const store of HOST_STORES) {
  test(`sq host --config (${store.name}): list shows the caller's phexts only`, async (t) => {
    const dir = tempDir(t, 'sq-list-tenants-');
    const tenants = ['ann', 'bob'].map((name) => ({ name, token: newToken(), data_dir: join(dir, name) }));
    const config = join(dir, 'tenants.json');
    writeTenantsFile(config, tenants);
    let port: number;
    if (store.name === 'files') {
      const sq = await startSq(['host', '0', '--bind', '127.0.0.1', '--config', config], { env: { SQ_KEY: '' } });
      t.after(async () => void (await sq.kill()));
      port = sq.port;
    } else {
      const host = await store.start(t, { args: ['--config', config] });
      if (!host) return;
      port = host.port;
    }
    const [ann, bob] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    assert.equal((await api(port, ann.token, 'insert', { p: 'ann-notes', c: '1.1.1' }, { body: 'a' })).status, 200);
    assert.equal((await api(port, bob.token, 'insert', { p: 'bob-notes', c: '1.1.1' }, { body: 'b' })).status, 200);
    const names = async (token: string) => (JSON.parse((await api(port, token, 'list')).text) as Listed[]).map((e) => e.name);
    assert.deepEqual(await names(ann.token), ['ann-notes']);
    assert.deepEqual(await names(bob.token), ['bob-notes']);
  });
}

// `GET /api/v2/list`: a tenant's phexts with their sizes, scroll counts, versions and last
// changes, in name order, over both stores; and only the caller's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HOST_STORES } from '../src/testing/host-stores.js';
import { apiPath } from '../src/testing/sq-api.js';

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

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { startHost } from '../src/testing/host-process.js';
import { HOST_STORES } from '../src/testing/host-stores.js';
import { apiPath } from '../src/testing/sq-api.js';

const C = '1.1.1;1.1.1;1.1.2';

for (const store of HOST_STORES) {
  test(`sq host (${store.name}): reads answer the version as an ETag; If-Match makes a write conditional (412 when it moved)`, async (t) => {
    const host = await store.start(t);
    if (!host) return;
    const update = (text: string, headers = {}) => host.call('POST', apiPath('update', { p: 'doc', c: C }), text, headers);

    const empty = await host.call('GET', apiPath('select', { p: 'doc', c: C }));
    assert.equal(empty.headers.etag, '"0"', 'a phext that does not exist yet is at version 0');
    const first = await update('one', { 'If-Match': '"0"' });
    assert.equal(first.status, 200);
    assert.equal(first.headers.etag, '"1"');
    const second = await update('two', { 'If-Match': first.headers.etag });
    assert.equal(second.headers.etag, '"2"');

    // A writer that read version 1 is refused, and told where the phext is now; nothing changes.
    const stale = await update('lost update', { 'If-Match': '"1"' });
    assert.equal(stale.status, 412);
    assert.equal(stale.text, 'doc.phext is at version 2, not 1; the change was not made');
    const read = await host.call('GET', apiPath('select', { p: 'doc', c: C }));
    assert.equal(read.text, 'two');
    assert.equal(read.headers.etag, '"2"');
    for (const command of ['get', 'toc', 'checksum', 'status']) {
      assert.equal((await host.call('GET', apiPath(command, { p: 'doc' }))).headers.etag, '"2"', command);
    }
    assert.match((await host.call('GET', apiPath('status', { p: 'doc' }))).text, /\nVersion: 2$/);

    const bad = await update('x', { 'If-Match': 'W/"2"' });
    assert.equal(bad.status, 400);
    assert.equal(bad.text, `Invalid If-Match 'W/"2"': give one version, as the ETag shows it (e.g. "7"), or *`);
    assert.equal((await update('three', { 'If-Match': '*' })).headers.etag, '"3"');

    // The version outlives the process: a clean stop folds the log into the file, a new host goes on from it.
    assert.equal(await host.stop(), 0);
    assert.equal(await store.durableText(host, 'doc'), '\x17three');
    if (store.name === 'files') assert.equal(readFileSync(host.file('doc'), 'utf8'), '\x17three');
    const again = (await store.start(t, { dataDir: host.dataDir, store: host.store }))!;
    assert.equal((await again.call('GET', apiPath('select', { p: 'doc', c: C }))).headers.etag, '"3"');
    if (store.name !== 'files') return;
    // An edit by another program is a new version too.
    writeFileSync(again.file('doc'), 'theirs');
    const edited = await again.call('GET', apiPath('select', { p: 'doc', c: '1.1.1' }));
    assert.equal(edited.text, 'theirs');
    assert.equal(edited.headers.etag, '"4"');
  });
}

test('sq host: a write is in the change log when it is answered; the file catches up once the phext is idle', async (t) => {
  const host = await startHost(t);
  await host.call('POST', apiPath('update', { p: 'doc', c: C }), 'logged');
  assert.ok(host.files().includes('.doc.phext.log'), `files: ${host.files().join(', ')}`);
  // The idle checkpoint (about a second) folds it in: wait for the file itself, not for a time.
  const deadline = Date.now() + 20_000;
  while (readFileSyncOrEmpty(host.file('doc')) !== '\x17logged') {
    assert.ok(Date.now() < deadline, 'the checkpoint never came');
    await new Promise((r) => setTimeout(r, 50));
  }
});

function readFileSyncOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

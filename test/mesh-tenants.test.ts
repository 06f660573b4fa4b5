// Two multi-tenant mesh nodes (`sq host --config tenants.json --mesh-config mesh.json`) on
// 127.0.0.1: a peer syncs only the tenants configured for it, on both sides; a tenant listed
// for a peer but not in the tenants file is skipped with a log line until a reload brings it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freePorts } from '../src/testing/mesh-nodes.js';
import { api, call } from '../src/testing/sq-api.js';
import { killAll } from '../src/testing/sq-child.js';
import { startSq, type SqProcess } from '../src/testing/sq-process.js';
import { tempDir } from '../src/testing/temp-dir.js';
import { newToken, writeTenantsFile, type TestTenant } from '../src/testing/tenants-file.js';

after(killAll);

/** Generous: the nodes share a loaded machine with the other test files. */
const SYNC_MS = 60_000;
const C = '1.1.1/1.1.1/1.1.1';

/**
 * Every file under `dir`, recursively, with its text. The nodes are running: a temp file of an
 * atomic write may be gone by the time it is read, and is left out (its content is in the file it
 * replaced).
 */
function files(dir: string): Array<[path: string, text: string]> {
  return readdirSync(dir).flatMap((f): Array<[string, string]> => {
    const path = join(dir, f);
    try {
      return statSync(path).isDirectory() ? files(path) : [[path, readFileSync(path, 'utf8')]];
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  });
}

/** Who writes or reads: a tenant, or (no token) the one of a single-tenant node without a key. */
type Who = { readonly name: string; readonly token?: string };

async function write(port: number, t: Who, p: string, text: string): Promise<void> {
  const reply = await api(port, t.token, 'update', { p, c: C }, { body: text });
  assert.equal(reply.status, 200, reply.text);
}

const read = async (port: number, t: Who, p: string): Promise<string> => (await api(port, t.token, 'select', { p, c: C })).text;

async function eventually(port: number, t: Who, p: string, text: string): Promise<void> {
  const deadline = Date.now() + SYNC_MS;
  let last = '';
  while ((last = await read(port, t, p)) !== text) {
    if (Date.now() > deadline) throw new Error(`${t.name}/${p} on :${port}: ${JSON.stringify(last)}, not ${JSON.stringify(text)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a peer syncs only the tenants configured for it, both ways; a tenant absent from the file waits for a reload', async (t) => {
  const dir = tempDir(t, 'sq-mesh-tenants-');
  const [pa, pb] = await freePorts(2);
  const tenant = (node: string, name: string): TestTenant => ({ name, token: newToken(), data_dir: join(dir, node, name) });
  const a = { alice: tenant('a', 'alice'), bob: tenant('a', 'bob'), carol: tenant('a', 'carol') };
  const b = { alice: tenant('b', 'alice'), bob: tenant('b', 'bob'), carol: tenant('b', 'carol') };
  const mesh = (id: string, port: number, peer: string, peerPort: number, tenants: string[]) => ({
    version: '1.0',
    node: { id },
    inbound: { port, auth_key: `key-${id}`, data_dir: join(dir, id, 'unused') },
    outbound: { peers: [{ id: peer, host: '127.0.0.1', port: peerPort, auth_key: `key-${peer}`, tenants }] },
    mesh: { sync_interval_seconds: 300, health_check_interval_seconds: 1, retry_backoff_seconds: 0.2, max_retries: 3 },
  });
  // A shares alice (and carol, not yet its tenant) with B; B would share bob too, but A does not take it.
  writeFileSync(join(dir, 'a-mesh.json'), JSON.stringify(mesh('a', pa!, 'b', pb!, ['alice', 'carol'])));
  writeFileSync(join(dir, 'b-mesh.json'), JSON.stringify(mesh('b', pb!, 'a', pa!, ['alice', 'bob', 'carol'])));
  writeTenantsFile(join(dir, 'a-tenants.json'), [a.alice, a.bob]);
  writeTenantsFile(join(dir, 'b-tenants.json'), [b.alice, b.bob, b.carol]);
  const start = (id: string): Promise<SqProcess> =>
    startSq(['host', '--config', join(dir, `${id}-tenants.json`), '--mesh-config', join(dir, `${id}-mesh.json`), '--bind', '127.0.0.1'], {
      env: { SQ_KEY: '' },
      startTimeoutMs: 20_000,
    });
  const [nodeA, nodeB] = await Promise.all([start('a'), start('b')]);
  t.after(async () => {
    await nodeA.kill();
    await nodeB.kill();
  });
  await nodeA.waitForStderr(/^mesh: tenant carol \(listed for peer b\) is not in the tenants file: skipped until it is$/m, SYNC_MS);

  // alice syncs both ways.
  await write(pa!, a.alice, 'notes', 'alice on a');
  await eventually(pb!, b.alice, 'notes', 'alice on a');
  await write(pb!, b.alice, 'plans', 'alice on b');
  await eventually(pa!, a.alice, 'plans', 'alice on b');

  // bob's phexts stay where they were written, even though B's config asks for them.
  await write(pa!, a.bob, 'secret', 'bob-secret on a');
  await write(pb!, b.bob, 'diary', 'bob-diary of b');
  // A marker written after them, seen on both sides: had bob's travelled, they would be there by now.
  await write(pa!, a.alice, 'marker', 'marker of a');
  await write(pb!, b.alice, 'marker2', 'marker of b');
  await eventually(pb!, b.alice, 'marker', 'marker of a');
  await eventually(pa!, a.alice, 'marker2', 'marker of b');
  for (const [f, text] of files(join(dir, 'b'))) assert.ok(!text.includes('bob-secret'), `${f} holds bob's phext of A`);
  for (const [f, text] of files(join(dir, 'a'))) assert.ok(!text.includes('bob-diary of b'), `${f} holds bob's phext of B`);
  assert.equal(await read(pb!, b.bob, 'secret'), '');
  assert.equal(await read(pa!, a.bob, 'diary'), '');

  // B asking A for bob's phext directly, with the mesh keys: refused; alice's is served.
  const asB = (what: string, body: object) =>
    call(pa!, `/api/v2/mesh/${what}`, {
      token: 'key-a',
      headers: { 'x-sq-mesh-node': 'b', 'x-sq-mesh-key': 'key-b', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const refused = await asB('manifest', { tenant: 'bob', p: 'secret' });
  assert.equal(refused.status, 403, refused.text);
  assert.match(refused.text, /tenant bob is not shared with b/);
  assert.equal((await asB('scrolls', { tenant: 'bob', p: 'secret', coords: [C] })).status, 403);
  assert.equal((await asB('manifest', { tenant: 'alice', p: 'notes' })).status, 200);
  const changes = await asB('changes', { tenants: { alice: {}, bob: {} } });
  assert.equal(changes.status, 200, changes.text);
  const tenants = new Set((JSON.parse(changes.text) as { phexts: { tenant: string }[] }).phexts.map((p) => p.tenant));
  assert.deepEqual([...tenants], ['alice']);

  // carol, written on B while A has no such tenant, arrives once A's tenants file holds her.
  await write(pb!, b.carol, 'songs', 'carol on b');
  writeTenantsFile(join(dir, 'a-tenants.json'), [a.alice, a.bob, a.carol]);
  const reloaded = await call(pa!, '/api/v2/reload', { method: 'POST' });
  assert.equal(reloaded.status, 200, reloaded.text);
  await eventually(pa!, a.carol, 'songs', 'carol on b');
  await write(pa!, a.carol, 'songs', 'carol on a');
  await eventually(pb!, b.carol, 'songs', 'carol on a');
  // Cursors are kept per tenant, beside its phexts.
  assert.ok(statSync(join(a.carol.data_dir, '.mesh', 'b.json')).isFile());
  assert.ok(statSync(join(a.alice.data_dir, '.mesh', 'b.json')).isFile());
});

test("a single-tenant node syncs with a multi-tenant node's tenant `default`, and only that one", async (t) => {
  const dir = tempDir(t, 'sq-mesh-default-');
  const [pa, pb] = await freePorts(2);
  const tenant = (name: string): TestTenant => ({ name, token: newToken(), data_dir: join(dir, 'a', name) });
  const a = { default: tenant('default'), alice: tenant('alice') };
  const peer = (id: string, port: number, tenants?: string[]) => ({
    id,
    host: '127.0.0.1',
    port,
    auth_key: `key-${id}`,
    ...(tenants ? { tenants } : {}),
  });
  const mesh = (id: string, port: number, dataDir: string, peers: object[]) => ({
    version: '1.0',
    node: { id },
    inbound: { port, auth_key: `key-${id}`, data_dir: dataDir },
    outbound: { peers },
    mesh: { sync_interval_seconds: 300, health_check_interval_seconds: 1, retry_backoff_seconds: 0.2, max_retries: 3 },
  });
  writeFileSync(join(dir, 'a-mesh.json'), JSON.stringify(mesh('a', pa!, join(dir, 'unused'), [peer('b', pb!, ['default'])])));
  writeFileSync(join(dir, 'b-mesh.json'), JSON.stringify(mesh('b', pb!, join(dir, 'b'), [peer('a', pa!)])));
  writeTenantsFile(join(dir, 'a-tenants.json'), [a.default, a.alice]);
  const options = { env: { SQ_KEY: '' }, startTimeoutMs: 20_000 };
  const [nodeA, nodeB] = await Promise.all([
    startSq(['host', '--config', join(dir, 'a-tenants.json'), '--mesh-config', join(dir, 'a-mesh.json'), '--bind', '127.0.0.1'], options),
    startSq(['host', '--mesh-config', join(dir, 'b-mesh.json'), '--bind', '127.0.0.1'], options),
  ]);
  t.after(async () => {
    await nodeA.kill();
    await nodeB.kill();
  });
  const open: Who = { name: 'b' };
  await write(pa!, a.alice, 'private', 'alice-private');
  await write(pa!, a.default, 'notes', 'default on a');
  await eventually(pb!, open, 'notes', 'default on a');
  await write(pb!, open, 'plans', 'plans on b');
  await eventually(pa!, a.default, 'plans', 'plans on b');
  for (const [f, text] of files(join(dir, 'b'))) assert.ok(!text.includes('alice-private'), `${f} holds alice's phext`);
  assert.equal(await read(pb!, open, 'private'), '');
});

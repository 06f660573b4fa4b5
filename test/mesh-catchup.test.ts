// Catch-up by manifest: another program edits a node's .phext (the feed can only say "reset"),
// and the peers fetch just the scroll that changed, not the phext. A peer that stops answering
// is reported down with its last error, and caught up with once it is back.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { parse, serialize, Coordinate } from '../src/phext/index.js';
import { killAll } from '../src/testing/sq-child.js';
import { apiPath } from '../src/testing/sq-api.js';
import { replaceFile } from '../src/testing/replace-file.js';
import { startMesh, type MeshNode } from '../src/testing/mesh-nodes.js';

after(killAll);

const SCROLLS = 200;
const WAIT_MS = 60_000;

const coordOf = (i: number): string => `1.1.1/1.1.1/1.${Math.floor(i / 100) + 1}.${(i % 100) + 1}`;

async function until(what: string, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const text = async (node: MeshNode, c: string) => (await node.call('GET', apiPath('select', { p: 'doc', c }))).text;
const sums = (nodes: readonly MeshNode[]) =>
  Promise.all(nodes.map(async (n) => (await n.call('GET', apiPath('checksum', { p: 'doc' }))).text));

test("another program's edit reaches the peers as one fetched scroll; a dead peer is reported down", async (t) => {
  const nodes = await startMesh(t, ['a', 'b', 'c']);
  const [a, b, c] = nodes as [MeshNode, MeshNode, MeshNode];
  for (let i = 0; i < SCROLLS; i += 20)
    await Promise.all(
      Array.from({ length: 20 }, (_, j) => a.call('POST', apiPath('update', { p: 'doc', c: coordOf(i + j) }), `scroll ${i + j}`)),
    );
  await until(
    'the seed everywhere',
    async () => (await text(c, coordOf(SCROLLS - 1))) === `scroll ${SCROLLS - 1}` && (await text(b, coordOf(SCROLLS - 1))) !== '',
  );
  await until('equal checksums', async () => new Set(await sums(nodes)).size === 1);

  // An editor rewrites a's file, changing one scroll, once a's checkpoint has written the file.
  await until(
    'the checkpoint',
    async () => existsSync(`${a.dataDir}/doc.phext`) && readFileSync(`${a.dataDir}/doc.phext`, 'utf8').includes(`scroll ${SCROLLS - 1}`),
  );
  const bytes = (await a.call('GET', apiPath('get', { p: 'doc' }))).body;
  const phext = parse(bytes);
  phext.set(Coordinate.parse(coordOf(7)), 'edited by hand');
  replaceFile(`${a.dataDir}/doc.phext`, serialize(phext).toString('utf8'));
  await until(
    'the edit everywhere',
    async () => (await text(b, coordOf(7))) === 'edited by hand' && (await text(c, coordOf(7))) === 'edited by hand',
  );
  await until('equal checksums after the edit', async () => new Set(await sums(nodes)).size === 1);
  const fetched = async (node: MeshNode) => (await node.status()).peers.reduce((sum, p) => sum + p.fetched_scrolls, 0);
  // b and c caught up by comparing manifests: at most the edited scroll each (one may have had it from the other's feed).
  assert.ok((await fetched(b)) <= 1 && (await fetched(c)) <= 1, JSON.stringify([(await b.status()).peers, (await c.status()).peers]));
  assert.ok((await fetched(b)) + (await fetched(c)) >= 1);
  for (const node of nodes) assert.equal(await text(node, coordOf(8)), 'scroll 8');

  // c dies: a and b retry, then report it down with the error.
  await c.process.kill();
  await until('c down at a', async () => (await a.status()).peers.some((p) => p.id === 'c' && p.state === 'down' && p.last_error !== null));
  const metrics = await a.call('GET', '/metrics');
  assert.match(metrics.text, /^sq_mesh_peer_up\{peer="c"\} 0$/m);
  await b.call('POST', apiPath('update', { p: 'doc', c: coordOf(9) }), 'while c was away');
  await c.restart();
  await until('c back and caught up', async () => (await text(c, coordOf(9))) === 'while c was away');
  await until('c up at a', async () => (await a.status()).peers.some((p) => p.id === 'c' && p.state === 'up'));
});

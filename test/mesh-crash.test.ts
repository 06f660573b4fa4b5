// kill -9 of a mesh node while its peers stream writes to it: restarted, it resumes from its
// durable cursors (no full copy), and nothing it acknowledged is lost, here or on its peers.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { killAll } from '../src/testing/sq-child.js';
import { apiPath } from '../src/testing/sq-api.js';
import { startMesh, type MeshNode } from '../src/testing/mesh-nodes.js';

after(killAll);

const SEED = 300;
const CONVERGE_MS = 60_000;

const coordOf = (lane: number, i: number): string => `${lane}.1.1/1.1.1/1.${Math.floor(i / 999) + 1}.${(i % 999) + 1}`;

/** Writes scrolls of lane `lane` on `node` until `stop()` or a failed request; returns the acknowledged ones. */
async function writer(node: MeshNode, lane: number, from: number, stop: () => boolean): Promise<number[]> {
  const acked: number[] = [];
  for (let i = from; !stop(); i++) {
    let reply;
    try {
      reply = await node.call('POST', apiPath('update', { p: 'log', c: coordOf(lane, i) }), `lane ${lane} write ${i}`);
    } catch {
      return acked; // killed
    }
    if (reply.status !== 200) return acked;
    acked.push(i);
  }
  return acked;
}

async function text(node: MeshNode, c: string): Promise<string> {
  return (await node.call('GET', apiPath('select', { p: 'log', c }))).text;
}

async function tocSize(node: MeshNode): Promise<number> {
  const reply = await node.call('GET', apiPath('toc', { p: 'log' }));
  return reply.text.split('\n').filter((l) => l.trim() !== '').length;
}

/** Waits until every node holds the same bytes and at least `count` scrolls (at most `slack` more). */
async function allHave(nodes: readonly MeshNode[], count: number, slack = 0): Promise<void> {
  const deadline = Date.now() + CONVERGE_MS;
  for (;;) {
    const sizes = await Promise.all(nodes.map(tocSize));
    const sums = await Promise.all(nodes.map(async (n) => (await n.call('GET', apiPath('checksum', { p: 'log' }))).text));
    if (sizes.every((s) => s >= count && s <= count + slack && s === sizes[0]) && sums.every((s) => s === sums[0])) return;
    if (Date.now() > deadline) throw new Error(`not converged: ${sizes.join(' ')} ${sums.join(' ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a node killed mid-stream catches up from its cursors and loses nothing it acknowledged', async (t) => {
  const nodes = await startMesh(t, ['a', 'b', 'c']);
  const [a, b, c] = nodes as [MeshNode, MeshNode, MeshNode];
  // A baseline every node holds: a full copy of it would be SEED scrolls fetched.
  for (let i = 0; i < SEED; i += 20)
    await Promise.all(
      Array.from({ length: 20 }, (_, j) => a.call('POST', apiPath('update', { p: 'log', c: coordOf(1, i + j) }), `seed ${i + j}`)),
    );
  await allHave(nodes, SEED);

  // a and b stream writes; c writes too, until it is killed mid-stream.
  let stopping = false;
  const fromA = writer(a, 2, 0, () => stopping);
  const fromB = writer(b, 3, 0, () => stopping);
  const fromC = writer(c, 4, 0, () => false);
  // Killed once it has applied some of the stream and acknowledged writes of its own.
  const deadline = Date.now() + CONVERGE_MS;
  while ((await text(c, coordOf(2, 20))) === '' || (await text(c, coordOf(3, 20))) === '') {
    if (Date.now() > deadline) throw new Error('c never received the stream');
    await new Promise((r) => setTimeout(r, 20));
  }
  await c.process.kill();
  const ackedByC = await fromC;
  assert.ok(ackedByC.length > 0);
  // The others go on writing while c is down, then c comes back on the same directory.
  const aWhile = async (): Promise<void> => {
    const at = await tocSize(a);
    while ((await tocSize(a)) < at + 50) await new Promise((r) => setTimeout(r, 20));
  };
  await aWhile();
  await c.restart();
  await aWhile();
  stopping = true;
  const ackedByA = await fromA;
  const ackedByB = await fromB;
  // The write c was answering when it died may be saved too (durable, never acknowledged).
  await allHave(nodes, SEED + ackedByA.length + ackedByB.length + ackedByC.length, 1);

  // Every write c acknowledged before its death is on every node.
  for (const i of ackedByC) for (const node of nodes) assert.equal(await text(node, coordOf(4, i)), `lane 4 write ${i}`);
  // …and c has the last writes of the others, made while it was down or catching up.
  assert.equal(await text(c, coordOf(2, ackedByA.at(-1)!)), `lane 2 write ${ackedByA.at(-1)!}`);
  assert.equal(await text(c, coordOf(3, ackedByB.at(-1)!)), `lane 3 write ${ackedByB.at(-1)!}`);
  // c resumed from its cursors: it fetched no scroll whole (a full copy would be SEED or more).
  const status = await c.status();
  const fetched = status.peers.reduce((sum, p) => sum + p.fetched_scrolls, 0);
  assert.ok(fetched < SEED, `fetched ${fetched}: ${JSON.stringify(status.peers)}`);
  assert.equal(fetched, 0, JSON.stringify(status.peers));
  for (const peer of status.peers) assert.equal(peer.state, 'up');
});

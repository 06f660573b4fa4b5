// Three `sq host --mesh-config` nodes on 127.0.0.1: concurrent writes converge, a partition heals
// with its conflicts reported, nothing is applied twice or echoed back; config errors via the CLI.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { killAll } from '../src/testing/sq-child.js';
import { apiPath } from '../src/testing/sq-api.js';
import { meshKey, startMesh, type MeshNode } from '../src/testing/mesh-nodes.js';
import { runSq } from '../src/testing/run-sq.js';
import { tempDir } from '../src/testing/temp-dir.js';

after(killAll);

/** Generous: the nodes share a loaded machine with the other test files. */
const CONVERGE_MS = 60_000;

async function update(node: MeshNode, p: string, c: string, text: string): Promise<void> {
  const reply = await node.call('POST', apiPath('update', { p, c }), text);
  assert.equal(reply.status, 200, reply.text);
}

async function checksums(nodes: readonly MeshNode[], p: string): Promise<string[]> {
  return Promise.all(nodes.map(async (n) => (await n.call('GET', apiPath('checksum', { p }))).text));
}

async function scrollCount(node: MeshNode, p: string): Promise<number> {
  const reply = await node.call('GET', apiPath('toc', { p }));
  return reply.status === 200 ? reply.text.split('\n').filter((l) => l.trim() !== '').length : 0;
}

/** Waits until every node's phext `p` has the same checksum and, when given, `scrolls` scrolls. */
async function converged(nodes: readonly MeshNode[], p: string, scrolls?: number): Promise<string> {
  let last: string[] = [];
  const deadline = Date.now() + CONVERGE_MS;
  for (;;) {
    last = await checksums(nodes, p);
    const counts = scrolls === undefined ? [] : await Promise.all(nodes.map((n) => scrollCount(n, p)));
    if (last.every((c) => c === last[0]) && counts.every((n) => n === scrolls)) return last[0]!;
    if (Date.now() > deadline) throw new Error(`not converged: ${last.join(' ')} ${counts.join(' ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const applied = (s: Awaited<ReturnType<MeshNode['status']>>): number => s.peers.reduce((sum, p) => sum + p.applied, 0);

test('writes on three nodes at once converge, each remote change applied exactly once', async (t) => {
  const nodes = await startMesh(t, ['a', 'b', 'c']);
  const PER_NODE = 60;
  // Every node writes its own scrolls of one phext, all at once, in parallel streams.
  await Promise.all(
    nodes.map(async (node, i) => {
      for (let w = 0; w < PER_NODE; w += 6) {
        await Promise.all(
          Array.from({ length: 6 }, (_, j) => update(node, 'shared', `${i + 1}.1.1/1.1.1/1.1.${w + j + 1}`, `${node.id} ${w + j}`)),
        );
      }
    }),
  );
  const sum = await converged(nodes, 'shared', 3 * PER_NODE);
  assert.match(sum, /^[0-9a-f]{32}$/);
  // A marker written last, seen everywhere: every node has taken in all before it.
  await update(nodes[0]!, 'shared', '9.9.9/9.9.9/9.9.9', 'marker');
  await converged(nodes, 'shared', 3 * PER_NODE + 1);
  for (const node of nodes) {
    const status = await node.status();
    const expected = 2 * PER_NODE + (node.id === 'a' ? 0 : 1);
    // Each change of another node was applied once here, from whichever peer brought it first;
    // the same change from the other peer, or a node's own change coming back, applies nothing.
    assert.equal(applied(status), expected, `${node.id}: ${JSON.stringify(status.peers)}`);
    assert.deepEqual(status.conflicts, []);
    for (const peer of status.peers) assert.equal(peer.state, 'up', JSON.stringify(peer));
  }
  // The status CLI prints each peer.
  const printed = await runSq(['mesh', 'status', '--url', `http://127.0.0.1:${nodes[1]!.port}`]);
  assert.equal(printed.code, 0, printed.stderr);
  assert.match(printed.stdout, /^node b$/m);
  assert.match(printed.stdout, /^a\s+http:\/\/127\.0\.0\.1:\d+\s+up\s+0\s+0s\s+\d+/m);
  assert.match(printed.stdout, /^c\s+http:\/\/127\.0\.0\.1:\d+\s+up\s/m);
  // /health stays the original's OK, and says more to a client asking for JSON.
  assert.equal((await nodes[0]!.call('GET', '/health')).text, 'OK');
  const health = await (await fetch(`http://127.0.0.1:${nodes[0]!.port}/health`, { headers: { accept: 'application/json' } })).json();
  assert.deepEqual(health, {
    status: 'ok',
    node: 'a',
    peers: [
      { id: 'b', state: 'up', lag_versions: 0, lag_seconds: 0 },
      { id: 'c', state: 'up', lag_versions: 0, lag_seconds: 0 },
    ],
  });
  const metrics = await nodes[2]!.call('GET', '/metrics');
  assert.match(metrics.text, /^sq_mesh_peer_up\{peer="a"\} 1$/m);
  assert.match(metrics.text, /^sq_mesh_applied_changes_total\{peer="[ab]"\} \d+$/m);
  assert.match(metrics.text, /^sq_mesh_peer_lag_versions\{peer="b"\} 0$/m);
});

test('a partition heals: both sides converge to the same bytes, the conflicts reported', async (t) => {
  const nodes = await startMesh(t, ['a', 'b', 'c']);
  const [a, b, c] = nodes as [MeshNode, MeshNode, MeshNode];
  await update(a, 'doc', '1.1.1/1.1.1/1.1.1', 'before');
  await converged(nodes, 'doc', 1);
  // a is cut off: it follows nobody and nobody follows it.
  const paused = await runSq(['mesh', 'pause', '--url', `http://127.0.0.1:${a.port}`]);
  assert.equal(paused.code, 0, paused.stderr);
  for (const node of [b, c]) {
    const reply = await node.call('POST', '/api/v2/mesh/pause?peer=a');
    assert.equal(reply.status, 200, reply.text);
  }
  assert.equal(
    (await a.status()).peers.every((p) => p.state === 'paused'),
    true,
  );
  // Both sides write the same scrolls (a first, b later: b's values are newer) and their own.
  for (let i = 1; i <= 5; i++) await update(a, 'doc', `2.1.1/1.1.1/1.1.${i}`, `a's ${i}`);
  await update(a, 'doc', '3.1.1/1.1.1/1.1.1', 'only on a');
  for (let i = 1; i <= 5; i++) await update(b, 'doc', `2.1.1/1.1.1/1.1.${i}`, `b's ${i}`);
  await update(c, 'doc', '1.1.1/1.1.1/1.1.1', 'after, on c');
  // The side without a converges among itself meanwhile.
  await converged([b, c], 'doc', 1 + 5);
  for (const node of nodes) {
    const resumed = await runSq(['mesh', 'resume', '--url', `http://127.0.0.1:${node.port}`, ...(node === a ? [] : ['--peer', 'a'])]);
    assert.equal(resumed.code, 0, resumed.stderr);
  }
  await converged(nodes, 'doc', 1 + 5 + 1);
  // The stamps of every node, should an assertion fail.
  const stamps = () => nodes.map((n) => `${n.id}:\n${readFileSync(join(n.dataDir, '.doc.phext.mesh'), 'utf8')}`).join('');
  for (const node of nodes) {
    assert.equal((await node.call('GET', apiPath('select', { p: 'doc', c: '2.1.1/1.1.1/1.1.3' }))).text, "b's 3", stamps());
    assert.equal((await node.call('GET', apiPath('select', { p: 'doc', c: '1.1.1/1.1.1/1.1.1' }))).text, 'after, on c');
    assert.equal((await node.call('GET', apiPath('select', { p: 'doc', c: '3.1.1/1.1.1/1.1.1' }))).text, 'only on a');
  }
  // a lost its five values to b's: a reports each (which scroll, whose value stayed).
  const conflicts = (await a.status()).conflicts;
  assert.equal(conflicts.length, 5, JSON.stringify(conflicts));
  for (const conflict of conflicts) {
    assert.equal(conflict.p, 'doc');
    assert.equal(conflict.kept, 'b');
    assert.equal(conflict.dropped, 'a');
  }
  await a.process.waitForStderr(/mesh: conflict in doc at 2\.1\.1\/1\.1\.1\/1\.1\.5: kept b's value, dropped a's/);
  const listed = await runSq(['mesh', 'conflicts', '--url', `http://127.0.0.1:${a.port}`]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /doc\s+2\.1\.1\/1\.1\.1\/1\.1\.1\s+b\s+a/);
});

test('a peer reads only what is shared with it, with both keys', async (t) => {
  const nodes = await startMesh(t, ['a', 'b'], { share: (from) => (from === 'a' ? ['public'] : undefined) });
  const [a, b] = nodes as [MeshNode, MeshNode];
  await update(a, 'secret', '1.1.1/1.1.1/1.1.1', 'for a only');
  await update(a, 'public', '1.1.1/1.1.1/1.1.1', 'for everyone');
  await converged(nodes, 'public', 1);
  // secret was written first: had it been sent, it would be here by now.
  assert.equal((await b.call('GET', apiPath('select', { p: 'secret', c: '1.1.1/1.1.1/1.1.1' }))).text, '');
  assert.deepEqual(
    readdirSync(b.dataDir).filter((f) => f.includes('secret')),
    [],
  );
  const ask = (headers: Record<string, string>, what = 'changes', body = '{}') =>
    fetch(`http://127.0.0.1:${a.port}/api/v2/mesh/${what}`, { method: 'POST', headers, body });
  const good = { authorization: `Bearer ${meshKey('a')}`, 'x-sq-mesh-node': 'b', 'x-sq-mesh-key': meshKey('b') };
  assert.equal((await ask(good)).status, 200);
  assert.equal((await ask({ ...good, authorization: 'Bearer wrong' })).status, 401);
  assert.equal((await ask({ ...good, 'x-sq-mesh-key': meshKey('a') })).status, 401);
  assert.equal((await ask({ ...good, 'x-sq-mesh-node': 'c' })).status, 401);
  const refused = await ask(good, 'manifest', JSON.stringify({ p: 'secret' }));
  assert.equal(refused.status, 403);
  assert.match(await refused.text(), /^phext secret is not shared with b$/);
  const changes = (await (await ask(good)).json()) as { phexts: { p: string }[] };
  assert.deepEqual(
    changes.phexts.map((x) => x.p),
    ['public'],
  );
  // The status needs this machine or the node's key: from here (loopback) it answers.
  assert.equal((await b.call('GET', '/api/v2/mesh/status')).status, 200);
});

test('a bad mesh config is refused with one line and exit 2', async (t) => {
  const dir = tempDir(t);
  const cases: [unknown, RegExp][] = [
    [{ version: '2.0', node: { id: 'a' }, inbound: {}, outbound: {} }, /Unsupported mesh config version: 2\.0/],
    [
      { version: '1.0', node: { id: 'a' }, inbound: { enabled: true, auth_key: '' }, outbound: {} },
      /Inbound auth_key is required when inbound is enabled/,
    ],
    [
      { version: '1.0', node: { id: 'a' }, inbound: { auth_key: 'k' }, outbound: { peers: [{ id: 'b', host: 'h' }] } },
      /Peer b has no auth_key/,
    ],
    [
      { version: '1.0', node: { id: 'a' }, inbound: { auth_key: 'k' }, outbound: { peers: [{ id: 'b', auth_key: 'x' }] } },
      /Peer b has no host/,
    ],
    [{ version: '1.0', node: { id: 'a' }, inbound: { auth_key: 'k', port: 'x' }, outbound: {} }, /inbound\.port: Expected number/],
    [
      { version: '1.0', node: { id: 'a' }, inbound: { auth_key: 'k' }, outbound: {}, mesh: { retry_backoff_seconds: 0 } },
      /mesh\.retry_backoff_seconds/,
    ],
    ['{not json', /is not JSON/],
    [
      {
        version: '1.0',
        node: { id: 'a' },
        inbound: { auth_key: 'k' },
        outbound: { peers: [{ id: 'b', host: 'h', auth_key: 'x', tenants: ['alice'] }] },
      },
      /peer b lists tenants, which only a multi-tenant node \(--config\) has/,
    ],
  ];
  for (const [i, [config, message]] of cases.entries()) {
    const path = join(dir, `mesh-${i}.json`);
    writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config));
    const result = await runSq(['host', '--mesh-config', path, '--data-dir', dir], { timeoutMs: 20_000 });
    assert.equal(result.code, 2, result.stderr);
    const first = result.stderr.split('\n')[0]!;
    assert.match(first, /^sq host: --mesh-config: /);
    assert.match(first, message);
  }
  const good = join(dir, 'good.json');
  writeFileSync(good, JSON.stringify({ version: '1.0', node: { id: 'a' }, inbound: { auth_key: 'k' }, outbound: {} }));
  const multi = await runSq(['host', '--mesh-config', good, '--store', 'postgres:///x'], { timeoutMs: 20_000 });
  assert.equal(multi.code, 2);
  assert.match(multi.stderr.split('\n')[0]!, /--store cannot be combined with --mesh-config/);
});

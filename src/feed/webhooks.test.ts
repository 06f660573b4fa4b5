import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { Coordinate } from '../phext/coordinate.js';
import type { Commit } from '../store/document-store.js';
import { waitFor } from '../testing/wait.js';
import { Webhooks } from './webhooks.js';

function commit(tenant: string, name: string, version: number): Commit {
  const records = [
    {
      version,
      coordinate: Coordinate.parse('1.1.1/1.1.1/1.1.1'),
      kind: 'update' as const,
      text: 'x',
      bytes: 1,
      checksum: 'c',
      before: 'b',
    },
  ];
  return { document: { tenant, name }, bytesBefore: 0, bytesAfter: 0, bytesWritten: 0, version, records, batchSize: 1, durationMs: 0 };
}

/** A receiver that holds every answer until `release()`: the webhook's first POST stays in flight. */
async function heldReceiver(t: { after(fn: () => unknown): void }) {
  const versions: number[] = [];
  const held: ServerResponse[] = [];
  let holding = true;
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    versions.push((JSON.parse(Buffer.concat(chunks).toString()) as { version: number }).version);
    if (holding) held.push(res);
    else res.writeHead(200).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    versions,
    held,
    release() {
      holding = false;
      for (const res of held.splice(0)) res.writeHead(200).end();
    },
  };
}

test('a full queue drops its oldest changes with a line each, and sends the rest in order', async (t) => {
  const receiver = await heldReceiver(t);
  const lines: string[] = [];
  const results: boolean[] = [];
  const hooks = new Webhooks({ log: (l) => lines.push(l), queueSize: 2, onDelivery: (ok) => results.push(ok) });
  t.after(() => hooks.close());
  hooks.configure([{ name: 'alice', webhooks: [{ url: `${receiver.url}?key=secret` }] }]);
  hooks.publish(commit('alice', 'notes', 1));
  await waitFor(
    () => receiver.held.length === 1,
    10_000,
    () => 'the first POST',
  );
  for (let v = 2; v <= 6; v++) hooks.publish(commit('alice', 'notes', v));
  assert.equal(lines.length, 3);
  assert.ok(
    lines.every((l) => l.includes(receiver.url) && !l.includes('secret')),
    lines.join('\n'),
  );
  receiver.release();
  await waitFor(
    () => receiver.versions.length === 3,
    10_000,
    () => `versions ${receiver.versions}`,
  );
  assert.deepEqual(receiver.versions, [1, 5, 6]);
  await waitFor(
    () => results.length === 3,
    10_000,
    () => 'three deliveries',
  );
  assert.deepEqual(results, [true, true, true]);
});

test('a webhook removed by configure stops: what it held is not sent', async (t) => {
  const receiver = await heldReceiver(t);
  const hooks = new Webhooks({ log: () => {} });
  t.after(() => hooks.close());
  hooks.configure([{ name: 'alice', webhooks: [{ url: receiver.url, p: 'notes' }] }]);
  hooks.publish(commit('alice', 'other', 1)); // not its phext
  hooks.publish(commit('bob', 'notes', 1)); // not its tenant
  hooks.publish(commit('alice', 'notes', 2));
  hooks.publish(commit('alice', 'notes', 3));
  await waitFor(
    () => receiver.held.length === 1,
    10_000,
    () => 'the first POST',
  );
  hooks.configure([{ name: 'alice' }]);
  receiver.release();
  // A webhook added after gets only later changes, so once it has one the old one had its chance.
  hooks.configure([{ name: 'alice', webhooks: [{ url: `${receiver.url}again` }] }]);
  hooks.publish(commit('alice', 'notes', 4));
  await waitFor(
    () => receiver.versions.includes(4),
    10_000,
    () => `versions ${receiver.versions}`,
  );
  assert.deepEqual(receiver.versions, [2, 4]);
});

test('a signed webhook signs every attempt afresh, by the clock it is given', async (t) => {
  const attempts: Array<{ timestamp: string; signature: string; body: string }> = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    attempts.push({
      timestamp: String(req.headers['x-sq-timestamp']),
      signature: String(req.headers['x-sq-signature']),
      body: Buffer.concat(chunks).toString(),
    });
    res.writeHead(attempts.length === 1 ? 503 : 200).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  let now = 1_800_000_000_000;
  const secret = 'a-secret-of-24-characters';
  const hooks = new Webhooks({
    log: () => {},
    backoffMs: 1,
    now: () => {
      now += 7_000; // each attempt reads the clock once: seven seconds apart
      return now;
    },
  });
  t.after(() => hooks.close());
  hooks.configure([{ name: 'alice', webhooks: [{ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, secret }] }]);
  hooks.publish(commit('alice', 'notes', 1));
  await waitFor(
    () => attempts.length === 2,
    10_000,
    () => `${attempts.length} attempts`,
  );
  assert.deepEqual(
    attempts.map((a) => a.timestamp),
    ['1800000007', '1800000014'],
  );
  for (const a of attempts) {
    assert.equal(a.signature, `sha256=${createHmac('sha256', secret).update(`${a.timestamp}.${a.body}`).digest('hex')}`);
  }
  assert.equal(JSON.parse(attempts[0]!.body).version, 1);
});

test("another program's edit is POSTed as one reset (X-SQ-Event: reset) with the version and checksum; changes say change", async (t) => {
  const posts: Array<{ event: string; body: string }> = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    posts.push({ event: String(req.headers['x-sq-event']), body: Buffer.concat(chunks).toString() });
    res.writeHead(204).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const hooks = new Webhooks({ log: () => {} });
  t.after(() => hooks.close());
  hooks.configure([{ name: 'alice', webhooks: [{ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }] }]);
  hooks.publish(commit('alice', 'notes', 1));
  hooks.publish({ ...commit('alice', 'notes', 2), records: [], outside: { checksum: 'abc' } });
  await waitFor(
    () => posts.length === 2,
    10_000,
    () => `${posts.length} posts`,
  );
  assert.deepEqual(
    posts.map((p) => p.event),
    ['change', 'reset'],
  );
  assert.deepEqual(JSON.parse(posts[1]!.body), { p: 'notes', version: 2, checksum: 'abc' });
});

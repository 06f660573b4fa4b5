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

/** A receiver on 127.0.0.1 (stopped after the test): `answer` gets each POST's body and headers. */
async function receive(
  t: { after(fn: () => unknown): void },
  answer: (body: string, headers: IncomingMessage['headers'], res: ServerResponse) => void,
): Promise<string> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    answer(Buffer.concat(chunks).toString(), req.headers, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

/** A receiver that holds every answer until `release()`: the webhook's first POST stays in flight. */
async function heldReceiver(t: { after(fn: () => unknown): void }) {
  const versions: number[] = [];
  const held: ServerResponse[] = [];
  let holding = true;
  const url = await receive(t, (body, _headers, res) => {
    versions.push((JSON.parse(body) as { version: number }).version);
    if (holding) held.push(res);
    else res.writeHead(200).end();
  });
  return {
    url,
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

/** A receiver that records every POST (headers and body) and answers the n-th with `status(n)`. */
async function recorder(t: { after(fn: () => unknown): void }, status: (n: number) => number = () => 204) {
  const posts: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
  const url = await receive(t, (body, headers, res) => {
    posts.push({ headers, body });
    res.writeHead(status(posts.length)).end();
  });
  return {
    url,
    posts,
    until: (n: number) =>
      waitFor(
        () => posts.length >= n,
        10_000,
        () => `${posts.length} of ${n} posts`,
      ),
  };
}

test('a signed webhook signs every attempt afresh, by the clock it is given', async (t) => {
  const receiver = await recorder(t, (n) => (n === 1 ? 503 : 200));
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
  hooks.configure([{ name: 'alice', webhooks: [{ url: receiver.url, secret }] }]);
  hooks.publish(commit('alice', 'notes', 1));
  await receiver.until(2);
  assert.deepEqual(
    receiver.posts.map((a) => a.headers['x-sq-timestamp']),
    ['1800000007', '1800000014'],
  );
  for (const { headers, body } of receiver.posts) {
    const expected = createHmac('sha256', secret).update(`${headers['x-sq-timestamp']}.${body}`).digest('hex');
    assert.equal(headers['x-sq-signature'], `sha256=${expected}`);
  }
  assert.equal(JSON.parse(receiver.posts[0]!.body).version, 1);
});

test("another program's edit is POSTed as one reset (X-SQ-Event: reset) with the version and checksum; changes say change", async (t) => {
  const receiver = await recorder(t);
  const hooks = new Webhooks({ log: () => {} });
  t.after(() => hooks.close());
  hooks.configure([{ name: 'alice', webhooks: [{ url: receiver.url }] }]);
  hooks.publish(commit('alice', 'notes', 1));
  hooks.publish({ ...commit('alice', 'notes', 2), records: [], outside: { checksum: 'abc' } });
  await receiver.until(2);
  assert.deepEqual(
    receiver.posts.map((p) => p.headers['x-sq-event']),
    ['change', 'reset'],
  );
  assert.deepEqual(JSON.parse(receiver.posts[1]!.body), { p: 'notes', version: 2, checksum: 'abc' });
});

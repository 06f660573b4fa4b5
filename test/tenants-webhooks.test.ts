// Webhooks of the tenants file against a real `sq host --config`: receivers on 127.0.0.1 get each
// committed change of their tenant (of their phext, with `p`) in order, retried after failures.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runSq } from '../src/testing/run-sq.js';
import { api, call } from '../src/testing/sq-api.js';
import { startSq, type SqProcess } from '../src/testing/sq-process.js';
import { tempDir } from '../src/testing/temp-dir.js';
import { newToken, writeTenantsFile, type TestTenant } from '../src/testing/tenants-file.js';
import { waitFor } from '../src/testing/wait.js';
import type { ChangeData } from '../src/testing/sse-client.js';

const ADMIN = 'admin-key-webhooks-0123456789';
const C = '1.1.1/1.1.1/1.1.1';
/** A webhook secret: its POSTs are signed with it. */
const SECRET = 'whsec-0123456789abcdef';

interface Receiver {
  readonly url: string;
  readonly changes: ChangeData[];
  readonly attempts: number;
  readonly headers: IncomingHttpHeaders[];
  /** The raw bodies, as signed. */
  readonly bodies: string[];
  until(count: number, what: string): Promise<void>;
  close(): Promise<void>;
}

/** A webhook receiver on 127.0.0.1; `fail` answers the first that many POSTs with 500. */
async function receiver(path = '/hook', fail = 0): Promise<Receiver> {
  const changes: ChangeData[] = [];
  const headers: IncomingHttpHeaders[] = [];
  const bodies: string[] = [];
  let attempts = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      attempts++;
      if (attempts <= fail) {
        res.writeHead(500).end();
        return;
      }
      headers.push(req.headers);
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      changes.push(JSON.parse(bodies[bodies.length - 1]!) as ChangeData);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    changes,
    get attempts() {
      return attempts;
    },
    headers,
    bodies,
    until: (count, what) =>
      waitFor(
        () => changes.length >= count,
        30_000,
        () => `${what}: ${changes.length} of ${count} changes`,
      ),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('sq host --config: webhooks per tenant', () => {
  let sq: SqProcess;
  const receivers: Receiver[] = [];
  const dir = tempDir({ after });
  after(async () => {
    await sq?.stop();
    for (const r of receivers) await r.close();
  });
  const config = join(dir, 'tenants.json');
  const tenant = (name: string) => ({ name, token: newToken(), data_dir: join(dir, name) });
  const [alice, bob, carol] = [tenant('alice'), tenant('bob'), tenant('carol')];
  let all: Receiver;
  let notes: Receiver;
  let flaky: Receiver;
  let bobs: Receiver;
  let later: Receiver;
  const write = async (token: string, p: string, text: string, c = C): Promise<void> => {
    const reply = await api(sq.port, token, 'update', { p, c }, { body: text });
    assert.equal(reply.status, 200, reply.text);
  };
  const tenantsWith = (aliceHooks: object[]): TestTenant[] => [
    { ...alice, webhooks: aliceHooks },
    { ...bob, webhooks: [{ url: bobs.url }] },
    { ...carol, webhooks: [{ url: flaky.url }] },
  ];

  before(async () => {
    all = await receiver();
    notes = await receiver('/notes');
    flaky = await receiver('/flaky', 2);
    bobs = await receiver('/bob');
    later = await receiver('/later');
    receivers.push(all, notes, flaky, bobs, later);
    writeTenantsFile(config, tenantsWith([{ url: all.url }, { url: notes.url, p: 'notes', secret: SECRET }]), { admin_key: ADMIN });
    sq = await startSq(['host', '0', '--bind', '127.0.0.1', '--config', config, '--webhook-backoff-ms', '5']);
  });

  it("gets every change of its tenant in order, of its phext only with p, never another tenant's", async () => {
    const started = Math.floor(Date.now() / 1000);
    const expected: Array<{ p: string; coord: string }> = [];
    for (let i = 0; i < 20; i++) {
      const p = i % 2 === 0 ? 'notes' : 'other';
      const coord = `1.1.1/1.1.1/1.1.${1 + (i % 3)}`;
      await write(alice.token, p, `alice ${i}`, coord);
      await write(bob.token, 'bobs', `bob ${i}`);
      expected.push({ p, coord });
    }
    await all.until(20, 'every change of alice');
    await notes.until(10, 'the changes of notes');
    await bobs.until(20, 'every change of bob');
    assert.deepEqual(
      all.changes.map((c) => ({ p: c.p, coord: c.coord })),
      expected,
    );
    for (const p of ['notes', 'other']) {
      const versions = all.changes.filter((c) => c.p === p).map((c) => c.version);
      assert.deepEqual(
        versions,
        [...versions].sort((a, b) => a - b),
      );
    }
    const first = all.changes[0]!;
    assert.deepEqual(Object.keys(first).sort(), ['bytes', 'checksum', 'coord', 'kind', 'p', 'version']);
    assert.equal(first.bytes, Buffer.byteLength('alice 0'));
    assert.equal(all.headers[0]!['content-type'], 'application/json');
    assert.deepEqual(
      notes.changes,
      all.changes.filter((c) => c.p === 'notes'),
    );
    assert.ok(bobs.changes.every((c) => c.p === 'bobs'));
    assert.equal(all.changes.length, 20, 'nothing of bob reached alice');
    // A webhook with a secret signs each POST: HMAC-SHA256 over "<timestamp>.<body>"; one without does not.
    notes.bodies.forEach((body, i) => {
      const h = notes.headers[i]!;
      const timestamp = Number(h['x-sq-timestamp']);
      assert.ok(timestamp >= started && timestamp <= Math.ceil(Date.now() / 1000), `timestamp ${h['x-sq-timestamp']}`);
      const expected = createHmac('sha256', SECRET).update(`${h['x-sq-timestamp']}.${body}`).digest('hex');
      assert.equal(h['x-sq-signature'], `sha256=${expected}`);
    });
    assert.ok(all.headers.every((h) => h['x-sq-signature'] === undefined && h['x-sq-timestamp'] === undefined));
  });

  it('retries a receiver that fails until it takes the change', async () => {
    await write(carol.token, 'journal', 'carol 1');
    await flaky.until(1, "carol's change after two 500s");
    assert.equal(flaky.attempts, 3);
    assert.equal(flaky.changes[0]!.p, 'journal');
    assert.equal(flaky.changes[0]!.bytes, Buffer.byteLength('carol 1'));
  });

  it('follows a reload: a new webhook gets the changes after it', async () => {
    writeTenantsFile(config, tenantsWith([{ url: later.url, p: 'notes' }]), { admin_key: ADMIN });
    const reply = await call(sq.port, '/api/v2/reload', { method: 'POST', headers: { Authorization: `Bearer ${ADMIN}` } });
    assert.equal(reply.status, 200, reply.text);
    await write(alice.token, 'other', 'not for later');
    await write(alice.token, 'notes', 'for later');
    await later.until(1, 'the change after the reload');
    assert.deepEqual(
      later.changes.map((c) => c.p),
      ['notes'],
    );
  });

  it('never logs the userinfo or query of a webhook it gives up on', async () => {
    const dead = await receiver('/dead', Number.MAX_SAFE_INTEGER);
    receivers.push(dead);
    const secret = dead.url.replace('http://', 'http://user:hunter2@') + '?token=s3cret';
    writeTenantsFile(config, tenantsWith([{ url: secret }]), { admin_key: ADMIN });
    const reply = await call(sq.port, '/api/v2/reload', { method: 'POST', headers: { Authorization: `Bearer ${ADMIN}` } });
    assert.equal(reply.status, 200, reply.text);
    await write(alice.token, 'notes', 'never taken');
    const log = await sq.waitForStderr(/webhooks: gave up a change for \S+/, 30_000);
    assert.match(log, new RegExp(`gave up a change for ${dead.url.replace(/[.]/g, '\\.')} after 5 attempts \\(HTTP 500\\)`));
    assert.equal(dead.attempts, 5);
    assert.doesNotMatch(log, /hunter2|s3cret/);
  });
});

describe('sq host --config: webhooks refused at start', () => {
  const dir = tempDir({ after });
  for (const [what, hook, message] of [
    ['an ftp URL', { url: 'ftp://127.0.0.1/x' }, /webhooks\[0\]\.url: must be an http:\/\/ or https:\/\/ URL \(tenant "alice"\)/],
    ['no URL', { p: 'notes' }, /webhooks\[0\]\.url: must be an http:\/\/ or https:\/\/ URL/],
    ['an invalid p', { url: 'http://127.0.0.1/x', p: '../x' }, /webhooks\[0\]\.p: Forbidden phext name/],
    [
      'a short secret',
      { url: 'http://127.0.0.1/x', secret: 'too short' },
      /webhooks\[0\]\.secret: must be 16 to 256 printable ASCII characters, no spaces/,
    ],
  ] as const) {
    it(`refuses ${what} in one line`, async () => {
      const config = join(dir, 'tenants.json');
      writeTenantsFile(config, [{ name: 'alice', token: newToken(), data_dir: join(dir, 'alice'), webhooks: [hook] }]);
      const result = await runSq(['host', '0', '--bind', '127.0.0.1', '--config', config], { timeoutMs: 30_000 });
      assert.notEqual(result.code, 0);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, message);
    });
  }
});

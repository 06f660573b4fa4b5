// The change feed in multi-tenant mode against a real `sq host --config ... --admin-key K`: a
// tenant sees its own changes only, and a token rotated or removed closes its streams at once.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSse, type SseEvent, type SseStream } from '../src/testing/sse-client.js';
import { api, call } from '../src/testing/sq-api.js';
import { startSq, type SqProcess } from '../src/testing/sq-process.js';
import { tempDir } from '../src/testing/temp-dir.js';
import { newToken, writeTenantsFile, type TestTenant } from '../src/testing/tenants-file.js';

const ADMIN = 'admin-key-watch-0123456789';
const TENANTS = '/api/v2/admin/tenants';
const C = '1.1.1/1.1.1/1.1.1';

const texts = (events: readonly SseEvent[]): string[] =>
  events.filter((e) => e.event === 'change').map((e) => (JSON.parse(e.data) as { text: string }).text);

describe('sq host --config: /api/v2/watch per tenant', () => {
  let sq: SqProcess;
  const streams: SseStream[] = [];
  after(async () => {
    for (const s of streams) s.close();
    await sq?.stop();
  });
  const dir = tempDir({ after });
  const config = join(dir, 'tenants.json');
  const tenant = (name: string): TestTenant => ({ name, token: newToken(), data_dir: join(dir, name) });
  const [alice, bob, carol, dave] = [tenant('alice'), tenant('bob'), tenant('carol'), tenant('dave')];
  const asAdmin = { Authorization: `Bearer ${ADMIN}` };

  const watch = async (token: string, query: string): Promise<SseStream> => {
    const s = await openSse(sq.port, `/api/v2/watch${query}`, { Authorization: `Bearer ${token}` });
    streams.push(s);
    assert.equal(s.status, 200, s.body);
    return s;
  };
  const write = async (token: string, p: string, text: string): Promise<void> => {
    const reply = await api(sq.port, token, 'update', { p, c: C }, { body: text });
    assert.equal(reply.status, 200, reply.text);
  };

  before(async () => {
    writeTenantsFile(config, [alice, bob, carol, dave]);
    sq = await startSq(['host', '0', '--bind', '127.0.0.1', '--config', config, '--admin-key', ADMIN]);
  });

  it("a tenant never sees another's changes, of a phext of the same name or of any", async () => {
    const alices = await watch(alice.token, '?p=notes&text=1');
    const alicesAll = await watch(alice.token, '?text=1');
    const bobs = await watch(bob.token, '?p=notes&text=1');
    await write(bob.token, 'notes', 'bob 1');
    await write(bob.token, 'other', 'bob 2');
    // Each write is told to the streams before it is answered: once alice's own change reaches
    // her streams, bob's would have come before it.
    await write(alice.token, 'notes', 'alice 1');
    await alices.until((e) => e.length === 1, 'her change');
    await alicesAll.until((e) => e.length === 1, 'her change');
    await bobs.until((e) => e.length === 1, 'his change');
    assert.deepEqual(texts(alices.events), ['alice 1']);
    assert.deepEqual(texts(alicesAll.events), ['alice 1']);
    assert.deepEqual(texts(bobs.events), ['bob 1']);
    // Nor do a stranger and the admin key get a stream.
    for (const token of ['wrong', ADMIN]) {
      const s = await openSse(sq.port, '/api/v2/watch?p=notes', { Authorization: `Bearer ${token}` });
      await s.closed('refusal');
      assert.equal(s.status, 401);
    }
  });

  it('a token rotated or removed through the admin API closes its streams at once; others stay', async () => {
    const carols = [await watch(carol.token, '?p=notes'), await watch(carol.token, '')];
    const daves = await watch(dave.token, '?p=notes');
    const alices = await watch(alice.token, '?p=notes&text=1');
    const rotated = await call(sq.port, `${TENANTS}/carol/rotate`, { method: 'POST', headers: asAdmin });
    assert.equal(rotated.status, 200, rotated.text);
    for (const s of carols) await s.closed("carol's stream after the rotation");
    const deleted = await call(sq.port, `${TENANTS}/dave`, { method: 'DELETE', headers: asAdmin });
    assert.equal(deleted.status, 200, deleted.text);
    await daves.closed("dave's stream after the removal");
    // The new token works; the old one is refused.
    const token = (JSON.parse(rotated.text) as { token: string }).token;
    const again = await watch(token, '?p=notes');
    const old = await openSse(sq.port, '/api/v2/watch?p=notes', { Authorization: `Bearer ${carol.token}` });
    await old.closed('refusal');
    assert.equal(old.status, 401);
    again.close();
    // Alice's stream lived through both.
    await write(alice.token, 'notes', 'alice 2');
    await alices.until((e) => texts(e).includes('alice 2'), 'alice still hears');
    assert.equal(alices.ended, false);
  });

  it('a reload that changes a token closes its streams', async () => {
    const bobs = await watch(bob.token, '?p=notes');
    const alices = await watch(alice.token, '?p=notes&text=1');
    const bob2 = { ...bob, token: newToken() };
    writeTenantsFile(config, [alice, bob2]);
    const reload = await call(sq.port, '/api/v2/reload', { method: 'POST', headers: asAdmin });
    assert.equal(reload.status, 200, reload.text);
    await bobs.closed("bob's stream after the reload");
    await write(alice.token, 'notes', 'alice 3');
    await alices.until((e) => texts(e).includes('alice 3'), 'alice still hears');
    assert.equal(alices.ended, false);
  });
});

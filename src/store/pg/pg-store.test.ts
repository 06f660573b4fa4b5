/** What only the PostgreSQL store does: several servers on one database, and the rows it keeps. */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { serialize } from '../../phext/index.js';
import { StoreError, type DocumentKey } from '../document-store.js';
import { startPostgres } from '../../testing/postgres.js';
import { at } from '../../testing/store-support.js';
import { PgDocumentStore } from './pg-store.js';
import { coordText } from './rows.js';

const cluster = await startPostgres();
after(() => ('stop' in cluster ? cluster.stop() : undefined));
const skip = 'missing' in cluster ? `PostgreSQL not available: ${cluster.missing}` : false;
const connection = 'connection' in cluster ? cluster.connection : {};

const MiB = 1024 * 1024;

/** A server's store on the shared database, closed after the test. */
async function node(t: { after(fn: () => Promise<void>): void }): Promise<PgDocumentStore> {
  const store = await PgDocumentStore.open({ connection, cacheBytes: 64 * MiB, maxPhextBytes: 4 * MiB });
  t.after(() => store.close());
  return store;
}

const texts = (snapshot: { phext: Iterable<{ coordinate: { toString(): string }; text: string }> } | undefined) =>
  snapshot && [...snapshot.phext].map((s) => `${s.coordinate} ${s.text}`);

describe('two servers on one database', { skip }, () => {
  test('a write acknowledged on one is seen by a read started afterwards on the other', async (t) => {
    const a = await node(t);
    const b = await node(t);
    const key: DocumentKey = { tenant: 't', name: 'seen' };
    await a.mutate(key, (p) => {
      p.set(at('1.1.1'), 'one');
      p.set(at('1.1.2'), 'two');
    });
    assert.deepEqual(texts(await b.read(key)), ['1.1.1/1.1.1/1.1.1 one', '1.1.1/1.1.1/1.1.2 two']);
    // b now caches version 1: a's next change (a delete and an update) must reach it all the same.
    await a.mutate(key, (p) => {
      p.set(at('1.1.1'), '');
      p.set(at('1.1.2'), 'deux');
    });
    const seen = await b.read(key);
    assert.equal(seen?.version, 2);
    assert.deepEqual(texts(seen), ['1.1.1/1.1.1/1.1.2 deux']);
    assert.equal(seen.size, serialize(seen.phext).length);
    // And b's own write builds on a's, which a then reads.
    assert.equal((await b.mutate(key, (p) => p.set(at('1.1.3'), 'three'))).version, 3);
    assert.deepEqual(texts(await a.read(key)), ['1.1.1/1.1.1/1.1.2 deux', '1.1.1/1.1.1/1.1.3 three']);
  });

  test('writers on both servers at once: every write lands once, and each is seen by the other server at once', async (t) => {
    const a = await node(t);
    const b = await node(t);
    const key: DocumentKey = { tenant: 't', name: 'both' };
    const rounds = 40;
    const writer = async (mine: PgDocumentStore, theirs: PgDocumentStore, side: number) => {
      const versions: number[] = [];
      for (let i = 1; i <= rounds; i++) {
        const text = `side ${side} round ${i}`;
        const { version } = await mine.mutate(key, (p) => p.set(at(`${side}.1.1/1.1.1/1.1.${i}`), text));
        versions.push(version);
        // Read through the other server, started after the acknowledgement: never stale.
        const seen = await theirs.read(key);
        assert.ok(seen && seen.version >= version, `read version ${seen?.version} after write ${version}`);
        assert.equal(seen.phext.get(at(`${side}.1.1/1.1.1/1.1.${i}`)), text);
      }
      return versions;
    };
    const [fromA, fromB] = await Promise.all([writer(a, b, 1), writer(b, a, 2), writer(a, b, 3), writer(b, a, 4)]);
    const all = [...fromA!, ...fromB!].sort((x, y) => x - y);
    assert.equal(new Set(all).size, all.length, 'no version given twice');
    const [onA, onB] = [await a.read(key), await b.read(key)];
    assert.equal(onA?.version, 4 * rounds);
    assert.equal(onB?.version, 4 * rounds);
    assert.equal(onA.phext.size, 4 * rounds);
    assert.deepEqual(texts(onA), texts(onB));
    assert.deepEqual(await onA.bytes(), await onB.bytes());
  });

  test('an If-Match against the other server’s newer version is refused', async (t) => {
    const a = await node(t);
    const b = await node(t);
    const key: DocumentKey = { tenant: 't', name: 'if-match' };
    await a.mutate(key, (p) => p.set(at('1.1.1'), 'a'));
    await b.read(key);
    await a.mutate(key, (p) => p.set(at('1.1.1'), 'a again'));
    // b's cache says version 1; the row says 2: the lock finds out before the change is applied.
    await assert.rejects(
      b.mutate(key, (p) => p.set(at('1.1.1'), 'b'), { ifVersion: 1 }),
      { status: 412 },
    );
    assert.equal((await b.mutate(key, (p) => p.set(at('1.1.1'), 'b'), { ifVersion: 2 })).version, 3);
  });
});

test('an unchanged phext is served from the cache, which stays within its budget', { skip }, async (t) => {
  const budget = 64 * 1024;
  const store = await PgDocumentStore.open({ connection, cacheBytes: budget, maxPhextBytes: 4 * MiB });
  t.after(() => store.close());
  const keys = Array.from({ length: 20 }, (_, i): DocumentKey => ({ tenant: 'cache', name: `p${i}` }));
  for (const [i, key] of keys.entries()) await store.mutate(key, (p) => p.set(at('1.1.1'), `${i} `.repeat(5000)));
  assert.ok(store.stats().bytes <= budget, `${store.stats().bytes} bytes cached`);
  assert.ok(store.stats().documents < keys.length);
  const last = keys[keys.length - 1]!;
  const first = await store.read(last);
  assert.equal(await store.read(last), first, 'the same snapshot while the version stays');
  for (const [i, key] of keys.entries()) assert.equal((await store.read(key))?.phext.get(at('1.1.1')), `${i} `.repeat(5000));
  assert.ok(store.stats().bytes <= budget);
  await store.mutate(last, (p) => p.set(at('1.1.2'), 'more'));
  assert.notEqual(await store.read(last), first);
});

test('the rows hold exactly the scrolls, the version and the size', { skip }, async (t) => {
  const store = await node(t);
  const key: DocumentKey = { tenant: 't', name: 'rows' };
  await store.mutate(key, (p) => {
    p.set(at('2.1.1/1.1.1/1.1.1'), 'later');
    p.set(at('1.1.1/1.1.1/1.1.10'), 'ten');
    p.set(at('1.1.1/1.1.1/1.1.9'), 'nine, NUL \u0000 and ü');
    p.set(at('1.1.1/1.1.1/1.1.2'), 'gone soon');
  });
  await store.mutate(key, (p) => p.set(at('1.1.1/1.1.1/1.1.2'), ''));
  const snapshot = (await store.read(key))!;
  const pool = new pg.Pool(connection);
  t.after(() => pool.end());
  const scrolls = await pool.query<{ coord: string; text: Buffer }>(
    'SELECT coord, text FROM sq_scrolls WHERE tenant = $1 AND phext = $2 ORDER BY coord',
    [key.tenant, key.name],
  );
  assert.deepEqual(
    scrolls.rows.map((r) => [r.coord, r.text.toString('utf8')]),
    [...snapshot.phext].map((s) => [coordText(s.coordinate), s.text]),
  );
  assert.deepEqual(
    scrolls.rows.map((r) => r.coord),
    [
      '00001.00001.00001/00001.00001.00001/00001.00001.00009',
      '00001.00001.00001/00001.00001.00001/00001.00001.00010',
      '00002.00001.00001/00001.00001.00001/00001.00001.00001',
    ],
  );
  const phext = await pool.query<{ version: string; size: string }>(
    'SELECT version, size FROM sq_phexts WHERE tenant = $1 AND phext = $2',
    [key.tenant, key.name],
  );
  assert.deepEqual(phext.rows, [{ version: '2', size: String((await snapshot.bytes()).length) }]);
  const changes = await pool.query<{ coord: string; version: string; kind: string }>(
    'SELECT coord, version, kind FROM sq_changes WHERE tenant = $1 AND phext = $2 ORDER BY coord',
    [key.tenant, key.name],
  );
  assert.deepEqual(
    changes.rows.map((r) => `${r.coord.slice(-5)} ${r.version} ${r.kind}`),
    ['00002 2 delete', '00009 1 insert', '00010 1 insert', '00001 1 insert'],
  );
});

test('with the database gone, writes and reads are refused with 503 and nothing is claimed', { skip }, async (t) => {
  // A cluster of its own, to stop under the store.
  const own = await startPostgres();
  assert.ok('connection' in own);
  let stopped = false;
  t.after(() => (stopped ? undefined : own.stop()));
  const notices: string[] = [];
  const store = await PgDocumentStore.open({
    connection: own.connection,
    cacheBytes: 64 * MiB,
    maxPhextBytes: 4 * MiB,
    notice: (line) => notices.push(line),
  });
  t.after(() => store.close());
  const key: DocumentKey = { tenant: 't', name: 'gone' };
  await store.mutate(key, (p) => p.set(at('1.1.1'), 'kept'));
  await own.stop();
  stopped = true;
  const unavailable = (e: unknown) => e instanceof StoreError && e.status === 503 && e.code === 'io' && !e.message.includes('\n');
  await assert.rejects(
    store.mutate(key, (p) => p.set(at('1.1.1'), 'lost')),
    (e) => unavailable(e) && /the change was not saved/.test((e as Error).message),
  );
  await assert.rejects(store.read(key), unavailable);
  await assert.rejects(store.changesSince(key, 0), unavailable);
});

// Last in the file: it makes every commit of the cluster wait for a standby while it runs.
test('a connection lost during COMMIT is answered 503 "may or may not be saved", never as a success', { skip }, async (t) => {
  const store = await node(t);
  const admin = new pg.Pool(connection);
  t.after(() => admin.end());
  const key: DocumentKey = { tenant: 't', name: 'unknown' };
  await store.mutate(key, (p) => p.set(at('1.1.1'), 'before'));
  // Every COMMIT now waits for a synchronous standby that never comes, as when a replica is lost:
  // it has committed locally, and ending its connection then leaves the client not knowing.
  await admin.query("ALTER SYSTEM SET synchronous_standby_names = 'nobody'");
  await admin.query('SELECT pg_reload_conf()');
  let lost: Promise<unknown> | undefined;
  try {
    // The setting reaches the server's processes a moment after the reload: a commit that got
    // through before it is simply followed by another.
    for (let attempt = 1; !lost; attempt++) {
      let settled = false;
      const written = store.mutate(key, (p) => p.set(at('1.1.1'), `after ${attempt}`));
      written.then(
        () => (settled = true),
        () => (settled = true),
      );
      while (!settled && !lost) {
        const { rows } = await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE wait_event = 'SyncRep'");
        if (rows[0]) {
          await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
          lost = written;
        }
      }
      if (!lost) await written;
    }
    await assert.rejects(lost, (e) => e instanceof StoreError && e.status === 503 && /may or may not be saved/.test(e.message));
  } finally {
    await admin.query('ALTER SYSTEM RESET synchronous_standby_names');
    await admin.query('SELECT pg_reload_conf()');
  }
  // It had committed: the store asks the database again rather than trusting what it cached.
  const committed = await admin.query<{ version: string }>('SELECT version FROM sq_phexts WHERE tenant = $1 AND phext = $2', [
    key.tenant,
    key.name,
  ]);
  const version = Number(committed.rows[0]?.version);
  const snapshot = await store.read(key);
  assert.equal(snapshot?.version, version);
  assert.match(snapshot.phext.get(at('1.1.1')), /^after \d+$/);
  assert.equal((await store.mutate(key, (p) => p.set(at('1.1.2'), 'next'))).version, version + 1);
});

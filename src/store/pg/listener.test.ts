/** Other servers' commits reach a PostgreSQL store's observers: through LISTEN/NOTIFY, and after a lost LISTEN. */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import type { Commit, DocumentKey } from '../document-store.js';
import { startPostgres } from '../../testing/postgres.js';
import { at } from '../../testing/store-support.js';
import { waitFor } from '../../testing/wait.js';
import { PgDocumentStore } from './pg-store.js';

const cluster = await startPostgres();
after(() => ('stop' in cluster ? cluster.stop() : undefined));
const skip = 'missing' in cluster ? `PostgreSQL not available: ${cluster.missing}` : false;
const connection = 'connection' in cluster ? cluster.connection : {};

const MiB = 1024 * 1024;

/** A server's store on the shared database, with the commits its observers heard of; closed after the test. */
async function node(t: { after(fn: () => Promise<void>): void }): Promise<{ store: PgDocumentStore; heard: Commit[]; notices: string[] }> {
  const heard: Commit[] = [];
  const notices: string[] = [];
  const store = await PgDocumentStore.open({
    connection,
    cacheBytes: 64 * MiB,
    maxPhextBytes: 4 * MiB,
    observers: [(c) => heard.push(c)],
    notice: (line) => notices.push(line),
  });
  t.after(() => store.close());
  return { store, heard, notices };
}

/** The versions of the records `commits` of `key` carried, in the order told. */
const versions = (commits: readonly Commit[], key: DocumentKey) =>
  commits.filter((c) => c.document.name === key.name).flatMap((c) => c.records.map((r) => r.version));

/** The backends listening for commits now. */
async function listeners(db: pg.Pool): Promise<number[]> {
  const rows = await db.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE query = 'LISTEN sq_commits'");
  return rows.rows.map((r) => r.pid);
}

describe('commits of other servers on one database', { skip }, () => {
  test('each server’s observers hear every commit once, in version order; those of the other server as made elsewhere', async (t) => {
    const a = await node(t);
    const b = await node(t);
    const key: DocumentKey = { tenant: 't', name: 'heard' };
    const WRITES = 50;
    const writer = (store: PgDocumentStore, side: number) =>
      Promise.all(
        Array.from({ length: 2 }, async (_, w) => {
          for (let i = 1; i <= WRITES; i++)
            await store.mutate(key, (p) => p.set(at(`${side}.1.${w + 1}/1.1.1/1.1.${i}`), `${side} ${w} ${i}`));
        }),
      );
    await Promise.all([writer(a.store, 1), writer(b.store, 2)]);
    const total = 4 * WRITES;
    const all = Array.from({ length: total }, (_, i) => i + 1);
    for (const [name, { heard }] of [
      ['a', a],
      ['b', b],
    ] as const) {
      await waitFor(
        () => versions(heard, key).length >= total,
        20_000,
        () => `${name} heard of ${versions(heard, key).length} of ${total} changes`,
      );
      assert.deepEqual(versions(heard, key), all, `${name}: every change once, in version order`);
      const mine = heard.filter((c) => !c.elsewhere);
      // The commits made here are those its metrics and quotas count: exactly its own writes.
      assert.equal(
        mine.reduce((n, c) => n + c.batchSize, 0),
        2 * WRITES,
        `${name}'s own commits`,
      );
      for (const c of heard.filter((c) => c.elsewhere)) assert.equal(c.batchSize, 0);
    }
  });

  test('a lost LISTEN connection is made again: commits made meanwhile and after are heard', async (t) => {
    const db = new pg.Pool(connection);
    t.after(() => db.end());
    const b = await node(t);
    const before = await listeners(db);
    assert.equal(before.length, 1);
    const a = await node(t);
    const aListens = (await listeners(db)).filter((pid) => pid !== before[0]);
    assert.equal(aListens.length, 1);
    const key: DocumentKey = { tenant: 't', name: 'relisten' };
    const write = async (n: number) => (await a.store.mutate(key, (p) => p.set(at(`1.1.1/1.1.1/1.1.${n}`), `write ${n}`))).version;
    const heardUpTo = (version: number, what: string) =>
      waitFor(
        () => versions(b.heard, key).includes(version),
        20_000,
        () => `${what}: b heard of ${versions(b.heard, key).join(',')}`,
      );
    await heardUpTo(await write(1), 'before');

    await db.query('SELECT pg_terminate_backend($1)', [before[0]]);
    // Whether it comes before or after b listens again, b hears of it (catching up when it does).
    await heardUpTo(await write(2), 'while listening again');
    // b listens again on a new backend (b writes nothing: its LISTEN stays the backend's last statement).
    let relistened = false;
    await waitFor(
      () => {
        void listeners(db).then((pids) => {
          relistened = pids.some((pid) => pid !== before[0] && pid !== aListens[0]);
        });
        return relistened;
      },
      20_000,
      () => 'b listens again',
      50,
    );
    await heardUpTo(await write(3), 'after');
    assert.deepEqual(versions(b.heard, key), [1, 2, 3], 'each once, in order');
    assert.ok(b.heard.every((c) => c.elsewhere));
    assert.match(
      b.notices[0] ?? '',
      /^the connection listening for other servers' commits was lost \(terminating connection .*\); listening again in 1000 ms$/,
    );
  });

  test('a phext no stream follows here: other servers’ commits to it are not read; once followed, those after are heard once each', async (t) => {
    const a = await node(t);
    const b = await node(t);
    const quiet: DocumentKey = { tenant: 't', name: 'unfollowed' };
    const loud: DocumentKey = { tenant: 't', name: 'followed' };
    let following = false;
    b.store.follow((key) => key.name === loud.name || (following && key.name === quiet.name));
    const write = async (key: DocumentKey, n: number) =>
      (await a.store.mutate(key, (p) => p.set(at(`1.1.1/1.1.1/1.1.${n}`), `write ${n}`))).version;
    for (let n = 1; n <= 5; n++) await write(quiet, n);
    // Announcements come in commit order: once b heard of this one, it had those of quiet.
    const last = await write(loud, 1);
    await waitFor(
      () => versions(b.heard, loud).includes(last),
      20_000,
      () => `b heard of ${versions(b.heard, loud).join(',')}`,
    );
    assert.deepEqual(versions(b.heard, quiet), [], 'nothing of a phext nobody follows');

    following = true;
    const sixth = await write(quiet, 6);
    const seventh = await write(quiet, 7);
    await waitFor(
      () => versions(b.heard, quiet).includes(seventh),
      20_000,
      () => `b heard of ${versions(b.heard, quiet).join(',')}`,
    );
    assert.deepEqual(versions(b.heard, quiet), [sixth, seventh], 'the commits after it was followed, each once, none before');
    // b's own commits of it go on from the version it reads.
    const own = (await b.store.mutate(quiet, (p) => p.set(at('1.1.1/1.1.1/1.1.8'), 'b'))).version;
    assert.equal(own, 8);
  });
});

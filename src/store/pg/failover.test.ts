/**
 * Failover: kill -9 of the primary under writers in a child process, then its standby promoted.
 * A synchronous standby has every write the child saw acknowledged; the asynchronous control,
 * whose standby lags (it was down while the primary went on), must be found to have lost some:
 * the check can fail.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test, type TestContext } from 'node:test';
import { FAILOVER_PHEXT, PG_WRITER } from '../../testing/pg-writer.js';
import { startReplicatedPostgres, type PairServer, type ReplicatedPostgres } from '../../testing/postgres.js';
import { at } from '../../testing/store-support.js';
import { waitFor } from '../../testing/wait.js';
import { StoreError } from '../document-store.js';
import { PgDocumentStore } from './pg-store.js';

const WRITERS = 4;
const MiB = 1024 * 1024;

interface Ack {
  readonly coord: string;
  readonly marker: string;
}

/** The writer child on both hosts, the primary's first, and what it said so far. */
function startWriter(t: TestContext, pair: ReplicatedPostgres) {
  const child = spawn(process.execPath, [PG_WRITER, String(WRITERS)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, SQ_PG_HOSTS: JSON.stringify([pair.primary.connection, pair.standby.connection]) },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const said = { ready: false, exited: false, acks: [] as Ack[], refusals: [] as { status: number; message: string }[] };
  void exited.then(() => (said.exited = true));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const [kind, a, b] = line.split(' ');
    if (kind === 'ready') said.ready = true;
    else if (kind === 'ack') said.acks.push({ coord: a!, marker: b! });
    else if (kind === 'refused') said.refusals.push({ status: Number(a), message: line.split(' ').slice(2).join(' ') });
  });
  const end = async () => {
    child.stdin.end();
    await exited;
  };
  t.after(end);
  /** Waits for the child to say what makes `done` true (it must not exit meanwhile). */
  const until = (done: () => boolean, what: string) =>
    waitFor(
      () => done() || said.exited,
      50_000,
      () => `timed out waiting for ${what} (${said.acks.length} acknowledged, ${said.refusals.length} refused)`,
    ).then(() => assert.ok(!said.exited, `the writer exited while waiting for ${what}`));
  return { said, until, end };
}

/** The acknowledged markers that `server` does not hold. */
async function missing(server: PairServer, acks: readonly Ack[]): Promise<Ack[]> {
  const store = await PgDocumentStore.open({ connection: server.connection, cacheBytes: 64 * MiB, maxPhextBytes: 64 * MiB });
  try {
    const phext = (await store.read(FAILOVER_PHEXT))?.phext;
    return acks.filter((a) => phext?.get(at(a.coord)) !== a.marker);
  } finally {
    await store.close();
  }
}

test('kill -9 of the primary, its synchronous standby promoted: no acknowledged write is lost', async (t) => {
  const pair = await startReplicatedPostgres('synchronous');
  if ('missing' in pair) return t.skip(`PostgreSQL not available: ${pair.missing}`);
  t.after(() => pair.stop());
  const { said, until, end } = startWriter(t, pair);
  await until(() => said.acks.length >= 200, '200 acknowledged writes');
  assert.equal(said.refusals.length, 0, 'nothing refused while the primary is up');
  await pair.primary.kill();
  const atKill = said.acks.length;
  // Meanwhile writes are refused, not acknowledged: no host is a primary.
  await until(() => said.refusals.some((r) => /no primary database is reachable/.test(r.message)), 'a 503 saying no primary is reachable');
  const atPromotion = said.acks.length;
  await pair.standby.promote();
  await until(() => said.acks.length >= atPromotion + 200, '200 writes acknowledged by the promoted standby');
  await end();
  const lost = await missing(pair.standby, said.acks);
  const unknown = said.refusals.filter((r) => /may or may not be saved/.test(r.message)).length;
  t.diagnostic(
    `${said.acks.length} acknowledged (${atKill} before the kill, ${said.acks.length - atPromotion} after the promotion), ` +
      `${lost.length} lost; ${said.refusals.length} refused (${unknown} with an unknown outcome)`,
  );
  assert.deepEqual(lost, []);
  assert.ok(
    said.refusals.every((r) => r.status === 503),
    `refusals other than 503: ${said.refusals.filter((r) => r.status !== 503).map((r) => `${r.status} ${r.message}`)}`,
  );
});

test('the asynchronous control: a lagging standby promoted after kill -9 lacks acknowledged writes, and that is detected', async (t) => {
  const pair = await startReplicatedPostgres('asynchronous');
  if ('missing' in pair) return t.skip(`PostgreSQL not available: ${pair.missing}`);
  t.after(() => pair.stop());
  const { said, until, end } = startWriter(t, pair);
  await until(() => said.acks.length >= 100, '100 acknowledged writes');
  // The standby stops receiving; the primary, not waiting for it, goes on acknowledging.
  await pair.standby.shutdown();
  const atStop = said.acks.length;
  await until(() => said.acks.length >= atStop + 200, '200 writes acknowledged while the standby is down');
  await pair.primary.kill();
  const atKill = said.acks.length;
  await pair.standby.start();
  await pair.standby.promote();
  const atPromotion = said.acks.length;
  await until(() => said.acks.length >= atPromotion + 100, '100 writes acknowledged by the promoted standby');
  await end();
  const lost = await missing(pair.standby, said.acks);
  t.diagnostic(`${said.acks.length} acknowledged (${atStop} before the standby stopped, ${atKill} before the kill), ${lost.length} lost`);
  assert.ok(lost.length > 0, 'the check must find the writes the standby never received');
  // Only writes acknowledged by the old primary are lost: the promoted standby keeps what it acknowledged.
  const lostAt = new Set(lost.map((a) => said.acks.indexOf(a)));
  assert.ok([...lostAt].every((i) => i < atPromotion));
});

test('the store uses whichever host is the primary, and says so when none is', async (t) => {
  const pair = await startReplicatedPostgres('asynchronous');
  if ('missing' in pair) return t.skip(`PostgreSQL not available: ${pair.missing}`);
  t.after(() => pair.stop());
  // The standby named first: passed over for the primary.
  const store = await PgDocumentStore.open({
    connection: [pair.standby.connection, pair.primary.connection],
    cacheBytes: 64 * MiB,
    maxPhextBytes: 64 * MiB,
    // Its pooled connections to the killed primary fail while idle: expected here.
    notice: () => undefined,
  });
  t.after(() => store.close());
  const key = { tenant: 't', name: 'found' };
  assert.equal((await store.mutate(key, (p) => p.set(at('1.1.1'), 'on the primary'))).version, 1);
  // A primary that stops answering, its connections open: refused within the timeouts, no hang.
  const bounded = await PgDocumentStore.open({
    connection: [pair.primary.connection, pair.standby.connection].map((c) => ({
      ...c,
      connectionTimeoutMillis: 500,
      query_timeout: 1000,
    })),
    cacheBytes: MiB,
    maxPhextBytes: MiB,
    notice: () => undefined,
  });
  t.after(() => bounded.close());
  const thaw = pair.primary.freeze();
  try {
    // Without the timeouts this would wait as long as the host stays frozen (the test's own timeout).
    await assert.rejects(
      bounded.read(key),
      (e) =>
        e instanceof StoreError &&
        e.status === 503 &&
        /no primary database is reachable \(.*: Connection terminated due to connection timeout; .*: a standby\)/.test(e.message),
    );
  } finally {
    thaw();
  }
  await pair.primary.kill();
  // The dead host's reason: a refused connection, or (searched for while it dies) one of its
  // pooled connections failing or its dying backend answering.
  const noPrimary = (e: unknown) =>
    e instanceof StoreError &&
    e.status === 503 &&
    /no primary database is reachable \(.*: a standby; .*: (connect |write EPIPE|read ECONNRESET|Connection terminated|terminating connection)/.test(
      e.message,
    );
  await assert.rejects(
    store.mutate(key, (p) => p.set(at('1.1.1'), 'nowhere')),
    (e) => noPrimary(e) && /the change was not saved/.test((e as Error).message),
  );
  await assert.rejects(store.read(key), noPrimary);
  await assert.rejects(store.changesSince(key, 0), noPrimary);
  // A store cannot open without a primary.
  await assert.rejects(
    PgDocumentStore.open({ connection: [pair.standby.connection], cacheBytes: MiB, maxPhextBytes: MiB }),
    (e) => e instanceof StoreError && e.status === 503 && /^no primary database is reachable \(.*: a standby\)$/.test(e.message),
  );
  await pair.standby.promote();
  assert.equal((await store.read(key))?.phext.get(at('1.1.1')), 'on the primary');
  assert.equal((await store.mutate(key, (p) => p.set(at('1.1.1'), 'on the new primary'))).version, 2);
});

test('an old primary started again beside the promoted standby: neither is used, and the store says why', async (t) => {
  const pair = await startReplicatedPostgres('asynchronous');
  if ('missing' in pair) return t.skip(`PostgreSQL not available: ${pair.missing}`);
  t.after(() => pair.stop());
  await pair.primary.kill();
  await pair.standby.promote();
  await pair.primary.start();
  await assert.rejects(
    PgDocumentStore.open({ connection: [pair.primary.connection, pair.standby.connection], cacheBytes: MiB, maxPhextBytes: MiB }),
    (e) =>
      e instanceof StoreError &&
      e.status === 503 &&
      /^more than one primary database: \S+ and \S+ are both out of recovery \(an old primary started again\?\); nothing is read or written until only one is$/.test(
        e.message,
      ),
  );
});

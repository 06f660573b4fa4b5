/**
 * Whole-server tests over each store `sq host` can keep phexts in: `.phext` files in a data
 * directory, and a PostgreSQL database (`--store`), so that one test checks both. The database
 * runs in a throwaway cluster for the test file, started when a test first asks for it; each
 * server started gets a database of its own unless it is given one.
 */
import { after, type TestContext } from 'node:test';
import pg from 'pg';
import { PgDocumentStore } from '../store/pg/pg-store.js';
import { durableText } from './durable-phext.js';
import { startHost, type HostOptions, type HostProcess } from './host-process.js';
import { startPostgres, type ThrowawayPostgres } from './postgres.js';

/** The tenant `sq host` serves without `--config`. */
const SINGLE_TENANT = 'default';

export interface HostStore {
  readonly name: 'files' | 'postgres';
  /**
   * `sq host` over this store (startHost's options; a `store` given is kept, so that a second
   * server shares a database); undefined when the store cannot be had here: the test is skipped.
   */
  start(t: TestContext, options?: HostOptions): Promise<HostProcess | undefined>;
  /** What `host` has made durable of phext `p`: the bytes a restart would serve, as UTF-8. */
  durableText(host: HostProcess, p: string): Promise<string>;
}

const files: HostStore = {
  name: 'files',
  start: (t, options) => startHost(t, { ...options, store: undefined }),
  durableText: (host, p) => durableText(host.file(p)),
};

/** The throwaway cluster of this test file, once asked for. */
let cluster: Promise<ThrowawayPostgres | { readonly missing: string }> | undefined;
let databases = 0;

/** The cluster, or why PostgreSQL cannot be had here (the test is then skipped with that reason). */
export async function testPostgres(t: TestContext): Promise<ThrowawayPostgres | undefined> {
  cluster ??= startPostgres();
  const started = await cluster;
  if ('missing' in started) {
    t.skip(started.missing);
    return undefined;
  }
  return started;
}

/** A new empty database in `server`, as a `--store` URL. */
export async function freshDatabase(server: ThrowawayPostgres): Promise<string> {
  const name = `sq_host_${++databases}`;
  const client = new pg.Client(server.connection);
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return server.url(name);
}

const postgres: HostStore = {
  name: 'postgres',
  async start(t, options = {}) {
    const server = await testPostgres(t);
    if (!server) return undefined;
    return startHost(t, { ...options, store: options.store ?? (await freshDatabase(server)) });
  },
  async durableText(host, p) {
    // Read by another store on the same database: what is committed there, not what the server caches.
    const store = await PgDocumentStore.open({ connection: { connectionString: host.store }, cacheBytes: 1 << 20, maxPhextBytes: 1 << 30 });
    try {
      const snapshot = await store.read({ tenant: SINGLE_TENANT, name: p });
      return snapshot ? (await snapshot.bytes()).toString('utf8') : '';
    } finally {
      await store.close();
    }
  },
};

// The cluster ends with the test file that imports this module (its watchdog would stop it too).
after(async () => {
  const started = await cluster;
  if (started && !('missing' in started)) await started.stop();
});

/** Both stores, for a test to run over each. */
export const HOST_STORES: readonly HostStore[] = [files, postgres];

import pg from 'pg';
import { StoreError } from '../document-store.js';
import { unavailable, why } from './refusals.js';

/** How long connecting to a host may take before it counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5000;
/**
 * How long a statement may wait for its answer (a COMMIT included, which then has an unknown
 * outcome): a host that stopped answering without closing its connections must not hang writers.
 */
const QUERY_TIMEOUT_MS = 30_000;

/** A host as named in refusals: its socket directory or address and port, never a password. */
const hostName = (c: pg.PoolConfig) => `${c.host ?? 'localhost'}:${c.port ?? 5432}`;

/**
 * The primary among the database's hosts: each host has its pool, and the store uses the one
 * whose server is not in recovery (`pg_is_in_recovery()`), found when first needed and looked
 * for again among all the hosts once an operation on it found it gone or read-only (after a
 * failover). While no host, or more than one, is the primary, asking for it is refused at once
 * with a 503.
 */
export class Primary {
  private readonly pools: readonly pg.Pool[];
  private readonly hosts: readonly string[];
  /** The search in progress or its result; undefined: search on the next demand. */
  private finding: Promise<pg.Pool> | undefined;
  /** The pool the last successful search found, kept after it failed (what {@link switched} compares with). */
  private found: pg.Pool | undefined;

  /**
   * `switched` is told when the primary found is another host than the one before: what was
   * read from the old one may be ahead of the new one (commits not replicated in time).
   */
  constructor(
    connections: readonly pg.PoolConfig[],
    notice: (line: string) => void,
    private readonly switched: () => void,
  ) {
    this.pools = connections.map((c) => {
      const pool = new pg.Pool({ connectionTimeoutMillis: CONNECT_TIMEOUT_MS, query_timeout: QUERY_TIMEOUT_MS, ...c });
      // An idle connection the server dropped: the pool replaces it; unheard, it would end the process.
      pool.on('error', (e) => notice(`a pooled database connection to ${hostName(c)} failed while idle: ${why(e)}`));
      return pool;
    });
    this.hosts = connections.map(hostName);
  }

  /** The primary's pool; rejects with a 503 StoreError when no host is the primary. */
  pool(): Promise<pg.Pool> {
    if (!this.finding) {
      const finding = this.find();
      this.finding = finding;
      // A failed search is not kept: the next demand searches again.
      finding.catch(() => {
        if (this.finding === finding) this.finding = undefined;
      });
    }
    return this.finding;
  }

  /**
   * `cause` came from an operation on `pool`: a lost or read-only primary is looked for again
   * (true: it was the primary found, and the operation may be tried again on the next one).
   */
  failed(pool: pg.Pool, cause: unknown): boolean {
    if (pool !== this.found || !this.finding || !unavailable(cause)) return false;
    this.finding = undefined;
    return true;
  }

  /**
   * A connection of the primary's pool. Failing to connect does nothing in the database: when the
   * primary found has gone, the connection is asked of the primary looked for again.
   */
  async connect(): Promise<{ pool: pg.Pool; client: pg.PoolClient }> {
    const pool = await this.pool();
    try {
      return { pool, client: await pool.connect() };
    } catch (e) {
      if (!this.failed(pool, e)) throw e;
    }
    const next = await this.pool();
    try {
      return { pool: next, client: await next.connect() };
    } catch (e) {
      this.failed(next, e);
      throw e;
    }
  }

  end(): Promise<unknown> {
    return Promise.all(this.pools.map((p) => p.end()));
  }

  /** Asks every host at once: the one primary among them, refused when none or several are. */
  private async find(): Promise<pg.Pool> {
    const answers = await Promise.all(
      this.pools.map((pool) =>
        pool.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby').then(
          (r) => (r.rows[0]?.standby === false ? pool : 'a standby'),
          (e: unknown) => why(e),
        ),
      ),
    );
    const primaries = answers.filter((a): a is pg.Pool => typeof a !== 'string');
    if (primaries.length > 1) {
      // An old primary started again beside the promoted standby: writing to either could lose
      // the other's commits. Nothing is used until one of them is a standby again.
      const named = answers.flatMap((a, i) => (typeof a === 'string' ? [] : [this.hosts[i]])).join(' and ');
      throw new StoreError(
        `more than one primary database: ${named} are both out of recovery (an old primary started again?); nothing is read or written until only one is`,
        503,
        'io',
      );
    }
    const primary = primaries[0];
    if (!primary) {
      const said = answers.map((a, i) => `${this.hosts[i]}: ${a as string}`).join('; ');
      throw new StoreError(`no primary database is reachable (${said})`, 503, 'io');
    }
    const before = this.found;
    this.found = primary;
    if (before !== undefined && before !== primary) this.switched();
    return primary;
  }
}

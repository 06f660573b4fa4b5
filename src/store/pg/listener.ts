import type pg from 'pg';
import type { DocumentKey } from '../document-key.js';
import type { Primary } from './primary.js';
import { why } from './refusals.js';

/** The channel every commit is announced on (NOTIFY, in its transaction: sent only if it commits). */
export const CHANNEL = 'sq_commits';

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more. */
const MAX_PAYLOAD = 7999;

/** The longest a {@link Listener.sync} waits for its notification (ms): announcements are hints. */
const SYNC_MS = 1000;

/**
 * How long a lost LISTEN connection waits before it is made again, and again while that fails (ms):
 * not at once, as the host that just dropped it may still answer from dying backends.
 */
const RETRY_MS = 1000;

/** A commit another server announced: the phext, the version it started from and the one it made. */
export interface Announced {
  readonly document: DocumentKey;
  readonly from: number;
  readonly version: number;
}

/**
 * The payload announcing a commit of `document` from version `from` to `version` by the server
 * `server`: never a text. Empty when the names are too long for a payload: no one hears of that
 * commit then, and the watchers of the phext on other servers get it with the next one (or when
 * they reconnect), as announcements are only hints.
 */
export function payloadOf(server: string, document: DocumentKey, from: number, version: number): string {
  const payload = JSON.stringify([server, document.tenant, document.name, from, version]);
  return Buffer.byteLength(payload) > MAX_PAYLOAD ? '' : payload;
}

/**
 * One connection of the primary's pool kept for `LISTEN`: it hears the commits other servers
 * announce and tells `heard` of each. When it is lost (the server restarted, a failover, its backend
 * terminated), it is made again on the primary as found then, after RETRY_MS and every RETRY_MS
 * while that fails, and `relistened` is told, as commits may have gone unheard meanwhile.
 */
export class Listener {
  private client: pg.PoolClient | undefined;
  /** Waiters for our own notifications (see sync), by id. */
  private readonly syncing = new Map<string, () => void>();
  private syncs = 0;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  /** Bumped on every (re)connection: a lost connection's late events are not taken for the new one's. */
  private generation = 0;

  constructor(
    private readonly primary: Primary,
    private readonly server: string,
    private readonly heard: (announced: Announced) => void,
    private readonly relistened: () => void,
    private readonly notice: (line: string) => void,
  ) {}

  /** Listens from now on; resolves once the first LISTEN is in place or has failed (it is retried). */
  start(): Promise<void> {
    return this.connect(false);
  }

  /** Drops the connection and listens again (the primary moved to another host). */
  restart(): void {
    this.drop();
    void this.connect(true);
  }

  /**
   * Resolves once every announcement of a commit visible now has been told to `heard`: a
   * notification of our own is sent after them (the queue keeps the order in which transactions
   * committed) and waited for. At once when not listening; after SYNC_MS at the latest.
   */
  async sync(): Promise<void> {
    if (!this.client) return;
    const id = `${this.server} ${++this.syncs}`;
    const heard = new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.synced(id), SYNC_MS).unref();
      this.syncing.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    try {
      await (await this.primary.pool()).query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify([id])]);
    } catch {
      this.synced(id);
    }
    await heard;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    for (const id of [...this.syncing.keys()]) this.synced(id);
    this.drop();
  }

  private async connect(again: boolean): Promise<void> {
    if (this.closed) return;
    const generation = ++this.generation;
    let pool: pg.Pool | undefined;
    let client: pg.PoolClient | undefined;
    try {
      ({ pool, client } = await this.primary.connect());
      const mine = client;
      mine.on('error', (e) => this.lost(generation, pool!, e));
      mine.on('end', () => this.lost(generation, pool!, new Error('the connection ended')));
      mine.on('notification', (message) => {
        if (generation === this.generation && message.channel === CHANNEL) this.hear(message.payload);
      });
      await mine.query(`LISTEN ${CHANNEL}`);
      if (this.closed || generation !== this.generation) {
        mine.release(true);
        return;
      }
      this.client = mine;
    } catch (e) {
      client?.release(true);
      if (pool) this.primary.failed(pool, e);
      if (generation === this.generation) this.later(e);
      return;
    }
    if (again) this.relistened();
  }

  private hear(payload: string | undefined): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload ?? '');
    } catch {
      return; // an empty payload (names too long) or another program's
    }
    if (Array.isArray(parsed) && parsed.length === 1) return this.synced(String(parsed[0]));
    if (!Array.isArray(parsed) || parsed.length !== 5) return;
    const [server, tenant, name, from, version] = parsed as unknown[];
    if (server === this.server || typeof tenant !== 'string' || typeof name !== 'string') return;
    if (typeof from !== 'number' || typeof version !== 'number') return;
    this.heard({ document: { tenant, name }, from, version });
  }

  private synced(id: string): void {
    const done = this.syncing.get(id);
    this.syncing.delete(id);
    done?.();
  }

  private lost(generation: number, pool: pg.Pool, cause: unknown): void {
    if (generation !== this.generation || this.closed) return;
    this.drop();
    this.primary.failed(pool, cause);
    this.notice(`the connection listening for other servers' commits was lost (${why(cause)}); listening again in ${RETRY_MS} ms`);
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.connect(true), RETRY_MS).unref();
  }

  /** Tries again after RETRY_MS; the timer never keeps the process alive. */
  private later(cause: unknown): void {
    if (this.closed) return;
    this.notice(`cannot listen for other servers' commits (${why(cause)}); trying again in ${RETRY_MS} ms`);
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.connect(true), RETRY_MS).unref();
  }

  private drop(): void {
    this.generation++;
    const client = this.client;
    this.client = undefined;
    // Destroyed, never reused: a pooled connection must not keep listening.
    client?.release(true);
  }
}

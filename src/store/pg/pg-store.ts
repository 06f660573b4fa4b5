import { randomUUID } from 'node:crypto';
import { tellObservers } from '../commit-observers.js';
import type pg from 'pg';
import { Phext } from '../../phext/index.js';
import { applyBatch, type AppliedBatch, type BatchBase } from '../apply-batch.js';
import {
  GATHER_MAX_MS,
  type Changes,
  type Commit,
  type CommitObserver,
  type DocumentKey,
  type DocumentStore,
  type MutateOptions,
  type PhextListing,
  type Snapshot,
  type StoreClock,
  type StoreOptions,
  type StoreStats,
  type Written,
} from '../document-store.js';
import { Document, type PendingMutation } from '../document.js';
import { REAL_CLOCK } from '../file-store.js';
import { Lru } from '../lru.js';
import { refusals } from '../refusals.js';
import { CommittedSnapshot } from '../snapshot.js';
import { FreshReads } from './fresh-reads.js';
import { CHANNEL, Listener, payloadOf, type Announced } from './listener.js';
import { Primary } from './primary.js';
import { pgRefusals, rolledBack } from './refusals.js';
import { coordinateOf, recordColumns, recordOf, type ChangeRow } from './rows.js';
import { migrate } from './schema.js';
import { CHANGES_AFTER, CREATE, LIST, LOCK, NAMES, TENANT_LOCK, WHOLE, WRITE } from './statements.js';

/** Memory of a cached document beside its snapshot's: the Document, its state and cache entry. */
const DOCUMENT_MEMORY = 1536;

/** Settings of the PostgreSQL store. */
export interface PgStoreOptions
  extends Pick<StoreOptions, 'cacheBytes' | 'maxPhextBytes' | 'gatherMaxMs' | 'clock' | 'quota' | 'observers'> {
  /**
   * The database: one host, or a list of hosts (a primary and its standbys, in the order they are
   * tried) among which the store uses the primary, looking for it again when it is lost (a
   * failover), and refusing with 503 while none is reachable. The store opens a pool per host and
   * ends them on close; `connectionTimeoutMillis` defaults to 5 s and `query_timeout` to 30 s.
   */
  readonly connection: pg.PoolConfig | readonly pg.PoolConfig[];
  /** Where the store reports what an operator should know (a pooled connection lost while idle). */
  readonly notice?: (line: string) => void;
}

/** Anything that runs a statement: the pool (any connection) or the connection of a transaction. */
type Db = Pick<pg.PoolClient, 'query'>;

type Row = { version: string; size: string; coord: string | null; text: Buffer | null };
/** A row of CHANGES_AFTER: the phext's version, and one change record (NULLs when none). */
type ChangesRow = Omit<ChangeRow, 'version' | 'coord'> & { version: string; size: string; coord: string | null; changed: string };

/**
 * The document store over PostgreSQL: a phext is a row (its version and size) with a row per
 * scroll and the newest change record of each scroll. Several servers may share one database:
 * every read first asks the phext's version (one statement) and serves the cached snapshot only
 * when it is that version, else takes in just the records after it; every commit locks the
 * phext's row, so commits of one phext are serialized across servers, and catches up the same way
 * first if another server wrote meanwhile. Within a server, concurrent mutations of a phext share
 * one transaction (group commit), applied by the file store's {@link applyBatch}.
 */
export class PgDocumentStore implements DocumentStore {
  private readonly documents: Lru<string, Document>;
  private readonly observers: CommitObserver[];
  private readonly clock: StoreClock;
  private closing: Promise<void> | undefined;
  /** Each cached phext's reads, sharing their statements (see FreshReads). */
  private readonly reads = new WeakMap<Document, FreshReads<CommittedSnapshot | undefined>>();
  /** Reads and change queries in flight, which close waits for before ending the pool. */
  private readonly reading = new Set<Promise<unknown>>();
  /** Names this store in its commits' announcements, so that it does not take its own for another server's. */
  private readonly server = randomUUID();
  /**
   * Per followed phext (by {@link keyOf}), the version up to which its commits, ours and other
   * servers', were told to the observers. An entry goes when its phext is found unfollowed (at
   * its next commit or announcement): a follower starts from what it reads, not from here.
   */
  private readonly heard = new Map<string, number>();
  /** Which phexts' commits by other servers the observers are told of (see DocumentStore.follow). */
  private followed: (document: DocumentKey) => boolean = () => true;
  /** Per phext, the tail of its commits and catch-ups, which run one at a time (see serially). */
  private readonly tails = new Map<string, Promise<void>>();
  /** Phexts whose catch-up is queued and not started: another announcement needs no other one. */
  private readonly catchingUp = new Set<string>();
  private listener: Listener | undefined;

  private constructor(
    private readonly options: PgStoreOptions,
    private readonly primary: Primary,
  ) {
    this.documents = new Lru(options.cacheBytes);
    this.observers = [...(options.observers ?? [])];
    this.clock = options.clock ?? REAL_CLOCK;
  }

  /** Connects, brings the schema up to date, and returns the store. */
  static async open(options: PgStoreOptions): Promise<PgDocumentStore> {
    const notice = options.notice ?? ((line) => process.emitWarning(line));
    const hosts = Array.isArray(options.connection) ? options.connection : [options.connection as pg.PoolConfig];
    let store: PgDocumentStore | undefined;
    const primary = new Primary(hosts, notice, () => store?.moved());
    try {
      await migrate(await primary.pool());
    } catch (e) {
      await primary.end();
      throw e;
    }
    const opened = new PgDocumentStore(options, primary);
    store = opened;
    opened.listener = new Listener(
      primary,
      opened.server,
      (announced) => opened.hearOf(announced),
      () => opened.catchUpAll(),
      notice,
    );
    await opened.listener.start();
    return opened;
  }

  async read(document: DocumentKey): Promise<Snapshot | undefined> {
    const doc = this.documentFor(document);
    let reads = this.reads.get(doc);
    if (!reads) {
      const fresh = new FreshReads(() => this.onPrimary(doc.key, (pool) => this.refresh(pool, doc)));
      this.reads.set(doc, fresh);
      reads = fresh;
    }
    return this.track(reads.read());
  }

  // async: a document refused by documentFor is a rejection, like every other refusal.
  async mutate<T>(document: DocumentKey, change: (phext: Phext) => T, options: MutateOptions = {}): Promise<Written<T>> {
    const doc = this.documentFor(document);
    const written = doc.enqueue(change, options.ifVersion);
    void this.commitLoop(doc);
    return written;
  }

  async reload(document: DocumentKey): Promise<Snapshot | undefined> {
    const doc = this.documentFor(document);
    await doc.whenIdle();
    if (doc.idle) this.setState(doc, undefined);
    return this.read(document);
  }

  /** Every commit is already in the database: nothing to fold. */
  async flush(): Promise<void> {
    this.checkOpen();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.documents.values()].map((d) => d.whenIdle()));
      this.listener?.close();
      await Promise.allSettled([...this.reading, ...this.tails.values()]);
      await this.primary.end();
    })();
    return this.closing;
  }

  changesSince(document: DocumentKey, since: number): Promise<Changes | undefined> {
    try {
      this.checkOpen();
    } catch (e) {
      return Promise.reject(e);
    }
    return this.track(
      (async () => {
        const rows = await this.onPrimary(document, async (pool) => {
          try {
            return (await pool.query<ChangesRow>(CHANGES_AFTER, [document.tenant, document.name, since])).rows;
          } catch (e) {
            throw pgRefusals.readFailed(document, e);
          }
        });
        // Every scroll a commit made has its newest record: the changes since any version are all held.
        const version = rows[0] ? Number(rows[0].version) : 0;
        if (since > version) return undefined;
        const records = rows.filter((r) => r.coord !== null).map((r) => recordOf({ ...r, coord: r.coord!, version: r.changed }));
        return { version, records };
      })(),
    );
  }

  /**
   * The names of `tenant`'s phexts, in name order: every phext a commit ever made (one whose
   * scrolls were all deleted too, which reads as empty), for `sq export`, which needs no more
   * than the names ({@link list} counts each phext's scrolls).
   */
  async names(tenant: string): Promise<string[]> {
    this.checkOpen();
    const { rows } = await (await this.primary.pool()).query<{ phext: string }>(NAMES, [tenant]);
    return rows.map((r) => r.phext);
  }

  async list(tenant: string): Promise<PhextListing[]> {
    this.checkOpen();
    type Row = { phext: string; version: string; size: string; modified: Date | null; scrolls: number };
    const { rows } = await (await this.primary.pool()).query<Row>(LIST, [tenant]);
    return rows.map((r) => ({
      name: r.phext,
      bytes: Number(r.size),
      scrolls: r.scrolls,
      version: Number(r.version),
      modified: r.modified ? r.modified.toISOString() : null,
    }));
  }

  /** Nothing but SQ writes to the database: there is no other program's edit to look for. */
  async poll(_document: DocumentKey): Promise<void> {}

  follow(followed: (document: DocumentKey) => boolean): void {
    this.followed = followed;
  }

  onCommit(observer: CommitObserver): void {
    this.observers.push(observer);
  }

  stats(): StoreStats {
    return { documents: this.documents.weightedCount, bytes: this.documents.weight };
  }

  private checkOpen(): void {
    if (this.closing) throw refusals.closed();
  }

  /**
   * Reads `document` with `work` on the primary's pool. A failure that lost the primary has it
   * looked for again, and the read (which changes nothing) is tried once more on the one found.
   */
  private async onPrimary<T>(document: DocumentKey, work: (pool: pg.Pool) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let pool: pg.Pool;
      try {
        pool = await this.primary.pool();
      } catch (e) {
        throw pgRefusals.readFailed(document, e);
      }
      try {
        return await work(pool);
      } catch (e) {
        if (!this.primary.failed(pool, e) || attempt > 1) throw e;
      }
    }
  }

  /** The primary is another host now: nothing read from the old one is kept, and the new one is listened to. */
  private moved(): void {
    this.forgetAll();
    this.listener?.restart();
  }

  /**
   * Runs `work` after the commits and catch-ups of `key` queued before it: so observers hear of a
   * phext's commits in version order, each once, whichever server made them.
   */
  private serially<T>(key: string, work: () => Promise<T>): Promise<T> {
    const run = (this.tails.get(key) ?? Promise.resolve()).then(work);
    const tail = run.then(ignore, ignore);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }

  /** Another server announced a commit: its records go to the observers (once caught up, in order). */
  private hearOf(announced: Announced): void {
    const key = keyOf(announced.document);
    if (!this.followed(announced.document)) {
      this.heard.delete(key);
      return;
    }
    const heard = this.heard.get(key);
    if (heard === undefined) this.heard.set(key, announced.from);
    else if (announced.version <= heard) return;
    this.catchUp(announced.document, key);
  }

  /** The LISTEN connection was made again: commits may have gone unheard meanwhile. */
  private catchUpAll(): void {
    for (const key of this.heard.keys()) {
      const [tenant, name] = JSON.parse(key) as [string, string];
      if (this.followed({ tenant, name })) this.catchUp({ tenant, name }, key);
      else this.heard.delete(key);
    }
  }

  /**
   * Tells the observers of `document`'s commits after the version they heard of, as one Commit
   * `elsewhere` (the newest record of each scroll changed since, as changesSince gives them), and
   * brings the cached state up to date when it is at that version. A failure is let go: the next
   * announcement, or the next commit of ours, catches up.
   */
  private catchUp(document: DocumentKey, key: string): void {
    if (this.closing || this.catchingUp.has(key)) return;
    this.catchingUp.add(key);
    void this.serially(key, async () => {
      this.catchingUp.delete(key);
      if (!this.followed(document)) {
        this.heard.delete(key);
        return;
      }
      const after = this.heard.get(key);
      if (after === undefined || this.closing) return;
      let rows: ChangesRow[];
      try {
        rows = await this.onPrimary(
          document,
          async (pool) => (await pool.query<ChangesRow>(CHANGES_AFTER, [document.tenant, document.name, after])).rows,
        );
      } catch {
        return;
      }
      this.tellElsewhere(document, key, rows);
      const doc = this.documents.get(key);
      const cached = doc?.state?.snapshot;
      if (doc && cached && cached.version === after && doc.idle && rows[0]) this.advance(doc, cached, rows);
    }).catch(ignore);
  }

  /**
   * Tells the observers the records of `rows` (CHANGES_AFTER's, under the order of serially) they
   * have not heard of, as a Commit made elsewhere. A database behind what was heard (a failover to
   * a standby that lacked commits) is taken as it is: later commits are heard from its version.
   */
  private tellElsewhere(document: DocumentKey, key: string, rows: readonly ChangesRow[]): void {
    const heard = this.heard.get(key) ?? 0;
    const first = rows[0];
    if (!first) return;
    const version = Number(first.version);
    this.heard.set(key, version);
    if (version <= heard) return;
    const records = rows
      .filter((r) => r.coord !== null && Number(r.changed) > heard)
      .map((r) => recordOf({ ...r, coord: r.coord!, version: r.changed }));
    const size = Number(first.size);
    this.notifyCommit({
      document,
      bytesBefore: size,
      bytesAfter: size,
      bytesWritten: 0,
      batchSize: 0,
      durationMs: 0,
      version,
      records,
      elsewhere: true,
    });
  }

  /** Caches the state `rows` (CHANGES_AFTER's, after the version of `cached`) lead to. */
  private advance(doc: Document, cached: CommittedSnapshot, rows: readonly Row[]): CommittedSnapshot {
    const first = rows[0]!;
    const phext = cached.phext.clone();
    for (const row of rows) if (row.coord !== null) phext.set(coordinateOf(row.coord), row.text!.toString('utf8'));
    const snapshot = new CommittedSnapshot(phext, Number(first.version), Number(first.size));
    this.setState(doc, snapshot);
    return snapshot;
  }

  /**
   * Drops every cached state: the primary is another host now, which may lack commits the old one
   * had (an asynchronous standby's), so nothing read from the old one is taken for its content.
   */
  private forgetAll(): void {
    for (const doc of [...this.documents.values()]) this.setState(doc, undefined);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.reading.add(work);
    const done = () => this.reading.delete(work);
    work.then(done, done);
    return work;
  }

  private documentFor(document: DocumentKey): Document {
    this.checkOpen();
    const key = keyOf(document);
    let doc = this.documents.get(key);
    if (!doc) {
      // Its "path" only names the phext in refusals (412, 413), as the file store's do.
      doc = new Document(`${document.name}.phext`, document);
      this.documents.add(key, doc);
    }
    return doc;
  }

  /**
   * The phext as committed now: one statement gives its version and, when the cached snapshot is
   * older, the records after it (or all its scrolls when nothing is cached). Undefined when it
   * does not exist.
   */
  private async refresh(db: Db, doc: Document): Promise<CommittedSnapshot | undefined> {
    const cached = doc.state?.snapshot;
    const { tenant, name } = doc.key;
    let rows: Row[];
    try {
      rows = cached
        ? (await db.query<Row>({ name: 'sq_changes_after', text: CHANGES_AFTER, values: [tenant, name, cached.version] })).rows
        : (await db.query<Row>(WHOLE, [tenant, name])).rows;
    } catch (e) {
      throw pgRefusals.readFailed(doc.key, e);
    }
    const first = rows[0];
    if (!first) {
      // Unless a commit of ours made it meanwhile (its answer came after this statement ran).
      if (doc.state?.snapshot === cached) this.setState(doc, undefined);
      return undefined;
    }
    const version = Number(first.version);
    if (cached && version === cached.version) return cached;
    // Behind the cache: the phext was made again from scratch; read it whole.
    if (cached && version < cached.version) {
      this.setState(doc, undefined);
      return this.refresh(db, doc);
    }
    const phext = cached ? cached.phext.clone() : new Phext();
    for (const row of rows) if (row.coord !== null) phext.set(coordinateOf(row.coord), row.text!.toString('utf8'));
    const snapshot = new CommittedSnapshot(phext, version, Number(first.size));
    // A read that took longer than a commit of ours must not put an older state back.
    const now = doc.state?.snapshot;
    if (now && now.version >= version) return now;
    this.setState(doc, snapshot);
    return snapshot;
  }

  /**
   * Commits the queue of `doc` in batches until it is empty: what queues during a commit goes
   * into the next one. A batch smaller than the last waits a little for as many (see the file
   * store's commitLoop: without it, clients that wait for their answers fall into a convoy).
   */
  private async commitLoop(doc: Document): Promise<void> {
    if (doc.committing) return;
    doc.committing = true;
    try {
      while (doc.queue.length > 0) {
        await doc.gather(this.options.gatherMaxMs ?? GATHER_MAX_MS, this.clock.setTimer);
        const batch = doc.queue.splice(0);
        const started = this.clock.now();
        await this.serially(keyOf(doc.key), () => this.commitBatch(doc, batch));
        doc.lastBatch = batch.length;
        doc.lastCommitMs = this.clock.now() - started;
      }
    } finally {
      doc.committing = false;
      this.settle(doc);
    }
  }

  /**
   * One transaction: lock the phext's row (made at version 0 if missing), catch up with what
   * another server committed, apply the batch, write the scrolls it changed and their records
   * and the new version; a batch that changes nothing rolls back and writes nothing. Observers
   * hear of the commit, then the mutations are answered. A connection lost during COMMIT leaves
   * the outcome unknown: that is said (503), never taken for a success or a failure.
   */
  private async commitBatch(doc: Document, batch: PendingMutation[]): Promise<void> {
    const started = this.clock.now();
    let pool: pg.Pool | undefined;
    let client: pg.PoolClient | undefined;
    let base: CommittedSnapshot | undefined;
    let missed: ChangesRow[] | undefined;
    let applied: AppliedBatch | undefined;
    let committing = false;
    try {
      ({ pool, client } = await this.primary.connect());
      // A connection lost mid-transaction fails the statement in flight, which says what it means
      // here; unheard, the client's own error event would end the process.
      client.on('error', ignore);
      try {
        await client.query('BEGIN');
      } catch (e) {
        // Nothing was done: a pooled connection to a primary that has just gone is tried once
        // more on the primary looked for again. Destroyed, its listener staying (see below).
        client.release(true);
        client = undefined;
        if (!this.primary.failed(pool, e)) throw e;
        ({ pool, client } = await this.primary.connect());
        client.on('error', ignore);
        await client.query('BEGIN');
      }
      const quota = this.options.quota;
      const limited = quota?.limited?.(doc.key) === true;
      // The tenant before the phext, in every commit: no two commits wait for each other's lock.
      if (limited) await client.query(TENANT_LOCK, [doc.key.tenant]);
      ({ base, missed } = await this.lockedBase(client, doc));
      applied = applyBatch(doc, baseOf(base), batch, this.options.maxPhextBytes, quota);
      if (applied.records.length > 0) {
        const { tenant, name } = doc.key;
        const payload = payloadOf(this.server, doc.key, base?.version ?? 0, applied.version);
        const { rows } = await client.query<{ others: string | null }>(WRITE, [
          tenant,
          name,
          ...recordColumns(applied.records),
          applied.version,
          applied.size,
          CHANNEL,
          payload,
          limited,
        ]);
        const others = rows[0]?.others;
        if (limited && others != null && quota?.measured) {
          const before = base?.size ?? 0;
          try {
            quota.measured(doc.key, Number(others) + before, applied.size - before);
          } catch (e) {
            await this.refuseBatch(client, batch, applied, e);
            return;
          }
        }
        committing = true;
        await client.query('COMMIT');
      } else {
        await client.query('ROLLBACK');
      }
      client.off('error', ignore);
      client.release();
    } catch (e) {
      if (client) {
        if (!committing) await client.query('ROLLBACK').catch(() => undefined);
        // Its state is not known: the pool gets a new connection instead.
        // Destroyed, not reused: its listener stays for whatever the dying connection still says.
        client.release(true);
      }
      if (pool) this.primary.failed(pool, e);
      for (const hold of applied?.holds ?? []) hold.settle();
      let error;
      if (committing && !rolledBack(e)) {
        // Whatever the cache holds may now be behind or ahead: the next read asks the database.
        this.setState(doc, undefined);
        error = pgRefusals.outcomeUnknown(doc.key, e);
      } else {
        error = pgRefusals.notSaved(doc.key, e);
      }
      batch.forEach((m, i) => {
        // A change refused on its own (412, 413, 507, it threw) was not made, whatever the commit did.
        const outcome = applied?.outcomes[i];
        m.reject(outcome && !outcome.ok ? outcome.error : error);
      });
      return;
    }
    // Other servers' commits this one builds on are told first, if the observers have not heard of them yet.
    if (missed) this.tellElsewhere(doc.key, keyOf(doc.key), missed);
    if (applied.records.length > 0) {
      if (this.followed(doc.key)) this.heard.set(keyOf(doc.key), applied.version);
      else this.heard.delete(keyOf(doc.key));
      // A read may have cached a later commit (another server's, after ours) before this answer came.
      if (!doc.state || doc.state.version < applied.version) {
        this.setState(doc, new CommittedSnapshot(applied.phext, applied.version, applied.size));
      }
      this.notifyCommit({
        document: doc.key,
        bytesBefore: base?.size ?? 0,
        bytesAfter: applied.size,
        bytesWritten: applied.records.reduce((sum, r) => sum + r.bytes, 0),
        batchSize: applied.outcomes.filter((o) => o.ok).length,
        durationMs: this.clock.now() - started,
        version: applied.version,
        records: applied.records,
      });
    }
    // Written bytes were counted by the observers; refused ones are held no more.
    for (const hold of applied.holds) hold.settle();
    batch.forEach((m, i) => {
      const outcome = applied.outcomes[i]!; // one per mutation (applyBatch)
      if (outcome.ok) m.resolve({ value: outcome.value, version: outcome.version });
      else m.reject(outcome.error);
    });
  }

  /**
   * Rolls back a batch its tenant's quota refused once the database counted the other servers'
   * writes: every mutation of it fails with `refusal` (those refused on their own, with theirs).
   */
  private async refuseBatch(client: pg.PoolClient, batch: PendingMutation[], applied: AppliedBatch, refusal: unknown): Promise<void> {
    await client.query('ROLLBACK');
    client.off('error', ignore);
    client.release();
    for (const hold of applied.holds) hold.settle();
    batch.forEach((m, i) => {
      const outcome = applied.outcomes[i]!;
      m.reject(outcome.ok ? refusal : outcome.error);
    });
  }

  /**
   * Locks the phext's row for this transaction (making it at version 0 when missing) and returns
   * the committed state the batch applies to: the cached one when it is the row's version, else
   * brought up to date from the database under the lock. `missed`: the records of other servers'
   * commits after the version the observers heard of, when they have not heard of them all.
   */
  private async lockedBase(
    client: pg.PoolClient,
    doc: Document,
  ): Promise<{ base: CommittedSnapshot | undefined; missed: ChangesRow[] | undefined }> {
    const params = [doc.key.tenant, doc.key.name];
    let row = (await client.query<{ version: string }>(LOCK, params)).rows[0];
    if (!row) {
      await client.query(CREATE, params);
      row = (await client.query<{ version: string }>(LOCK, params)).rows[0]!;
    }
    const version = Number(row.version);
    const key = keyOf(doc.key);
    if (!this.followed(doc.key)) {
      // Nobody here hears of this phext's commits: the ones before are nobody's news.
      this.heard.delete(key);
      const cached = doc.state?.snapshot;
      if (cached && cached.version === version) return { base: cached, missed: undefined };
      return { base: version === 0 ? undefined : await this.refresh(client, doc), missed: undefined };
    }
    // First met now: announcements of commits it builds on may still be on their way. Once they
    // are in (Listener.sync), the first of them says which version the observers have heard of;
    // if there was none, the observers hear of the commits from this one on.
    if (!this.heard.has(key)) await this.listener?.sync();
    const heard = this.heard.get(key);
    let missed: ChangesRow[] | undefined;
    if (heard === undefined || heard > version) this.heard.set(key, version);
    else if (heard < version) missed = (await client.query<ChangesRow>(CHANGES_AFTER, [...params, heard])).rows;
    const cached = doc.state?.snapshot;
    if (cached && cached.version === version) return { base: cached, missed };
    if (version === 0) return { base: undefined, missed };
    // The records just read bring the cache up to date too.
    if (missed && cached && cached.version === heard) return { base: this.advance(doc, cached, missed), missed };
    return { base: await this.refresh(client, doc), missed };
  }

  private notifyCommit(commit: Commit): void {
    tellObservers(this.observers, commit);
  }

  /** Caches `snapshot` as the phext's committed state (the file store's DiskState, without file or log). */
  private setState(doc: Document, snapshot: CommittedSnapshot | undefined): void {
    doc.state = snapshot && { snapshot, stamp: undefined, version: snapshot.version, log: undefined };
    doc.generation++;
    const key = keyOf(doc.key);
    this.documents.weigh(key, doc, snapshot ? DOCUMENT_MEMORY + snapshot.memory : 0);
    // Serialized bytes are made on a reader's demand, after the state was weighed: weighed again then.
    snapshot?.whenBytesMade(() => {
      if (doc.state?.snapshot !== snapshot) return;
      this.documents.weigh(key, doc, DOCUMENT_MEMORY + snapshot.memory);
      this.settle(doc);
    });
    this.settle(doc);
  }

  /** After activity ends: wake waiters, keep the cache within its budget (idle documents only). */
  private settle(doc: Document): void {
    if (doc.idle) {
      // A phext that does not exist costs nothing to ask again: not kept.
      if (!doc.state) this.documents.delete(keyOf(doc.key), doc);
      doc.notifyIfIdle();
    }
    this.documents.trim((d) => d.idle);
  }
}

const ignore = () => undefined;

/** A phext's key in the store's maps. */
const keyOf = (document: DocumentKey) => JSON.stringify([document.tenant, document.name]);

/** What applyBatch starts from: the snapshot, or an empty phext at version 0. */
function baseOf(snapshot: CommittedSnapshot | undefined): BatchBase {
  return snapshot ? { phext: snapshot.phext, size: snapshot.size, version: snapshot.version } : { phext: undefined, size: 0, version: 0 };
}

import { dirname, resolve as resolvePath } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Phext } from '../phext/index.js';
import { applyBatch, type AppliedBatch } from './apply-batch.js';
import { FileChangedError, writeFileAtomic } from './atomic-write.js';
import {
  GATHER_MAX_MS,
  type Commit,
  type CommitObserver,
  type DocumentStore,
  type Snapshot,
  type StoreClock,
  type StoreOptions,
  type StoreStats,
} from './document-store.js';
import { Document, type PendingMutation } from './document.js';
import { sameStamp, stampOf, statIfExists, type FileStamp } from './file-stamp.js';
import { TurnStamps } from './turn-stamps.js';
import { loadFromDisk, type DiskState } from './load.js';
import { Lru } from './lru.js';
import { asStoreError, refusals } from './refusals.js';
import { RecentStates } from './recent-states.js';
import { CommittedSnapshot } from './snapshot.js';
import { removeStaleTempFiles } from './stale-temp.js';

/**
 * Estimated memory of a cached document: the serialized bytes are held once (Snapshot.bytes),
 * the scroll texts about once more (twice for non-Latin-1 text), plus a Map entry, Scroll and
 * Coordinate per scroll. 3× the file size plus 160 bytes per scroll covers that.
 */
export const MEMORY_PER_BYTE = 3;
const MEMORY_PER_SCROLL = 160;

/**
 * How a commit is made durable; tests swap it to inject write failures. `expected` is the
 * version of the file the bytes were made from (undefined: none); a writer that finds another
 * version on disk throws {@link FileChangedError} and writes nothing (see writeFileAtomic).
 */
export type DurableWriter = (path: string, bytes: Buffer, expected: FileStamp | undefined) => Promise<FileStamp>;

const defaultWriter: DurableWriter = (path, bytes, expected) => writeFileAtomic(path, bytes, { expect: expected });

/**
 * How many times a batch is applied again on top of a file another program changed under it
 * before the batch is refused (409): an editor saves once, not continuously.
 */
const CONFLICT_ATTEMPTS = 5;

const REAL_CLOCK: StoreClock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

const NO_BYTES = Buffer.alloc(0);

/**
 * The document store over `.phext` files: one parsed, shared, immutable snapshot per file, a
 * bounded LRU cache of them, external edits detected by stat before each read and each commit,
 * and group commit of mutations through atomic file replacement (see {@link writeFileAtomic}).
 */
export class FileDocumentStore implements DocumentStore {
  private readonly documents: Lru<string, Document>;
  private closing: Promise<void> | undefined;
  /** Directories already swept of temp files left by killed processes (once per directory). */
  private readonly swept = new Map<string, Promise<unknown>>();
  private readonly clock: StoreClock;
  /** States evicted or too large for the cache that streamed answers still hold. */
  private readonly recent = new RecentStates();
  private readonly observers: CommitObserver[];
  private readonly stamps = new TurnStamps();

  constructor(
    private readonly options: StoreOptions,
    private readonly write: DurableWriter = defaultWriter,
  ) {
    this.documents = new Lru(options.cacheBytes);
    this.clock = options.clock ?? REAL_CLOCK;
    this.observers = [...(options.observers ?? [])];
  }

  async read(path: string): Promise<Snapshot | undefined> {
    const doc = this.documentFor(path);
    if (!doc.refreshing && doc.state) {
      // While our own write is in flight the file is ours: serve the last committed state.
      if (doc.writing) return doc.state.snapshot;
      // The common case, a cached file nobody touched: one synchronous stat taken after this
      // read began, so an edit finished before it is always seen, shared with the other reads
      // of the file later in this event-loop turn (TurnStamps). A synchronous stat on a local
      // disk costs a few microseconds, less than the thread-pool round trip of an async one.
      const asked = this.stamps.of(doc.path);
      const stamp = asked instanceof Promise ? await asked : asked;
      const state = doc.state;
      if (stamp !== null && !doc.refreshing && state && (doc.writing || sameStamp(stamp, state.stamp))) return state.snapshot;
    }
    return (await this.refresh(doc)).snapshot;
  }

  mutate<T>(path: string, change: (phext: Phext) => T): Promise<T> {
    let doc: Document;
    try {
      doc = this.documentFor(path);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<T>((resolve, reject) => {
      doc.queue.push({ change, resolve: resolve as (value: unknown) => void, reject });
      doc.notifyQueued();
      void this.commitLoop(doc);
    });
  }

  async reload(path: string): Promise<Snapshot | undefined> {
    this.checkOpen();
    const doc = this.documents.peek(resolvePath(path));
    if (doc) {
      await doc.whenIdle();
      if (doc.idle) this.setState(doc, undefined);
    }
    this.recent.forget(resolvePath(path));
    return this.read(path);
  }

  close(): Promise<void> {
    this.closing ??= Promise.all([...this.documents.values()].map((d) => d.whenIdle())).then(() => undefined);
    return this.closing;
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

  private documentFor(path: string): Document {
    this.checkOpen();
    // Keys are resolved paths, so a hit on the path as given is the document; callers pass
    // resolved paths already, which saves resolving once per request.
    let doc = this.documents.get(path);
    if (doc) return doc;
    const key = resolvePath(path);
    doc = this.documents.get(key);
    if (!doc) {
      doc = new Document(key);
      this.documents.add(key, doc);
    }
    return doc;
  }

  /**
   * Brings `doc` up to date with the disk: stat, and load again only when the file is not the
   * one we loaded or wrote. Concurrent callers share one refresh (no thundering herd). A failed
   * load forgets the old state, so a broken file is never served stale nor overwritten.
   */
  private refresh(doc: Document): Promise<DiskState> {
    if (doc.refreshing) return doc.refreshing;
    const max = this.options.maxPhextBytes;
    const version = doc.version;
    const work = (async (): Promise<DiskState> => {
      const st = await statIfExists(doc.path);
      const stamp = st && stampOf(st);
      const current = doc.state;
      if (current && sameStamp(stamp, current.stamp)) return current;
      return this.recent.find(doc.path, stamp) ?? loadFromDisk(doc.path, max);
    })();
    doc.refreshing = work
      .then(
        (state) => {
          // A commit that landed meanwhile is newer than whatever this refresh saw.
          if (doc.version !== version && doc.state) return doc.state;
          this.setState(doc, state);
          return state;
        },
        (e: unknown) => {
          if (doc.version !== version && doc.state) return doc.state;
          this.setState(doc, undefined);
          throw asStoreError(doc.path, e);
        },
      )
      .finally(() => {
        doc.refreshing = undefined;
        this.settle(doc);
      });
    return doc.refreshing;
  }

  /**
   * Commits the queue of `doc` in batches until it is empty: everything that queued while the
   * previous batch was being written goes into the next batch, sharing one write and one fsync pair.
   *
   * Before a batch that is smaller than the last one, it waits a little (a quarter of the last
   * commit's time, at most `gatherMaxMs`) for as many mutations. Without that, N clients
   * that each wait for their answer fall into a convoy over the network: the batch of N is
   * answered, the first client's next request starts a batch of 1 while the others are still on
   * their way, and every second commit carries one mutation — half the throughput. A lone client
   * (last batch of 1) never waits.
   */
  private async commitLoop(doc: Document): Promise<void> {
    if (doc.committing) return;
    doc.committing = true;
    try {
      const dir = dirname(doc.path);
      if (!this.swept.has(dir)) this.swept.set(dir, removeStaleTempFiles(dir));
      await this.swept.get(dir);
      while (doc.queue.length > 0) {
        const gatherMs = Math.min(this.options.gatherMaxMs ?? GATHER_MAX_MS, doc.lastCommitMs / 4);
        await doc.waitForQueue(doc.lastBatch, gatherMs, this.clock.setTimer);
        let base: DiskState;
        try {
          base = await this.refresh(doc);
        } catch (e) {
          for (const m of doc.queue.splice(0)) m.reject(e);
          break;
        }
        const batch = doc.queue.splice(0);
        const started = this.clock.now();
        await this.commitBatch(doc, base, batch);
        doc.lastBatch = batch.length;
        doc.lastCommitMs = this.clock.now() - started;
      }
    } finally {
      doc.committing = false;
      this.settle(doc);
    }
  }

  /**
   * Applies `batch` to a copy of `base` and writes the result, unless it changes nothing. When
   * another program changed the file after `base` was read (found just before the rename), the
   * batch is applied again on top of the new file, up to {@link CONFLICT_ATTEMPTS} times, so
   * neither that edit nor the batch is lost.
   */
  private async commitBatch(doc: Document, base: DiskState, batch: PendingMutation[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let applied: AppliedBatch;
      try {
        applied = applyBatch(doc.path, base.snapshot, batch, this.options.maxPhextBytes, this.options.quota);
      } catch (e) {
        for (const m of batch) m.reject(asStoreError(doc.path, e));
        return;
      }
      let failure: unknown;
      // A batch that changes no byte writes nothing (and creates no file).
      if (applied.accepted > 0 && !applied.bytes.equals(base.snapshot?.bytes ?? NO_BYTES)) {
        try {
          await this.writeBatch(doc, base, applied);
        } catch (e) {
          failure = e;
        }
      }
      // Written bytes were counted by the observers; lost or re-applied ones are held no more.
      for (const hold of applied.holds) hold.settle();
      if (failure instanceof FileChangedError) {
        if (attempt < CONFLICT_ATTEMPTS) {
          try {
            base = await this.refresh(doc);
            continue;
          } catch (e) {
            failure = e;
          }
        } else {
          failure = refusals.conflict(doc.path, attempt);
        }
      }
      if (failure !== undefined) {
        // Memory keeps the old committed state; every change of the batch is reported lost.
        const error = refusals.writeFailed(doc.path, failure);
        batch.forEach((m, i) => {
          const outcome = applied.outcomes[i]!; // one per mutation (applyBatch)
          m.reject(outcome.ok ? error : outcome.error);
        });
        return;
      }
      batch.forEach((m, i) => {
        const outcome = applied.outcomes[i]!; // one per mutation (applyBatch)
        if (outcome.ok) m.resolve(outcome.value);
        else m.reject(outcome.error);
      });
      return;
    }
  }

  private async writeBatch(doc: Document, base: DiskState, applied: AppliedBatch): Promise<void> {
    const before = base.snapshot?.bytes.length ?? 0;
    const started = this.clock.now();
    doc.writing = true;
    let stamp: FileStamp;
    try {
      stamp = await this.write(doc.path, applied.bytes, base.stamp);
    } finally {
      doc.writing = false;
    }
    this.setState(doc, { snapshot: new CommittedSnapshot(applied.phext, applied.bytes), stamp });
    this.notifyCommit({
      path: doc.path,
      bytesBefore: before,
      bytesAfter: applied.bytes.length,
      batchSize: applied.accepted,
      durationMs: this.clock.now() - started,
    });
  }

  private notifyCommit(commit: Commit): void {
    for (const observer of this.observers) {
      try {
        observer(commit);
      } catch (e) {
        process.emitWarning(`commit observer failed: ${String(e)}`);
      }
    }
  }

  private setState(doc: Document, state: DiskState | undefined): void {
    doc.state = state;
    doc.version++;
    if (state) this.recent.remember(doc.path, state);
    const snapshot = state?.snapshot;
    const weight = snapshot ? MEMORY_PER_BYTE * snapshot.bytes.length + MEMORY_PER_SCROLL * snapshot.phext.size + 1 : 0;
    this.documents.weigh(doc.path, doc, weight);
  }

  /** After activity ends: forget documents that hold nothing, wake waiters, keep the budget. */
  private settle(doc: Document): void {
    if (doc.idle) {
      if (!doc.state?.snapshot) this.documents.delete(doc.path, doc);
      doc.notifyIfIdle();
    }
    this.documents.trim((d) => d.idle);
  }
}

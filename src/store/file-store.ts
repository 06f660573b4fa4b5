import { statSync, type BigIntStats } from 'node:fs';
import { tellObservers } from './commit-observers.js';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Phext, checksum, serializeInTurns } from '../phext/index.js';
import { applyBatch } from './apply-batch.js';
import { FileChangedError } from './atomic-write.js';
import {
  CHECKPOINT_IDLE_MS,
  CHECKPOINT_MIN_BYTES,
  CHECKPOINT_RATIO,
  GATHER_MAX_MS,
  type Commit,
  type Changes,
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
} from './document-store.js';
import { Document, type PendingMutation } from './document.js';
import { DocumentFiles, type DataDirectories } from './document-files.js';
import { sameStamp, stampOf } from './file-stamp.js';
import { FILE_IO, type StoreIo } from './store-io.js';
import { TurnStamps } from './turn-stamps.js';
import { loadFile, withLog, type DiskState } from './load.js';
import type { ChangeRecord } from './change-record.js';
import { OpenLog } from './open-log.js';
import { Lru } from './lru.js';
import { LoadLimit } from './load-limit.js';
import { asStoreError, refusals } from './refusals.js';
import { RecentStates } from './recent-states.js';
import { checkWritable } from './writable.js';
import { CommittedSnapshot } from './snapshot.js';
import { removeStaleTempFiles } from './stale-temp.js';
import { listPhextFiles } from './list-files.js';

/**
 * Estimated memory of a cached document beside what its phext, snapshot and log count (see
 * {@link weightOf}): the Document, its state, snapshot, phext and empty tree, and its entries in
 * the cache and RecentStates (~1,700 bytes measured for a one-scroll phext, its scroll included).
 */
const DOCUMENT_MEMORY = 1536;
/** Files read and parsed at once (see LoadLimit): a few keep the disk and both cores busy. */
const LOADS_AT_ONCE = 4;
const EMPTY = new Phext().freeze();

export const REAL_CLOCK: StoreClock = {
  now: () => performance.now(),
  setTimer: (fn, ms, background) => {
    const timer = setTimeout(fn, ms);
    if (background) timer.unref();
    return () => clearTimeout(timer);
  },
};

/** Settings of the file store. */
export interface FileStoreOptions extends StoreOptions {
  /** Where each tenant's `.phext` files are (see {@link DocumentFiles}). */
  directories: DataDirectories;
}

/**
 * The document store over `.phext` files: one parsed, shared, immutable snapshot per file, a
 * bounded LRU cache of them, external edits detected by stat before each read and each commit,
 * and group commit of mutations appended to the phext's change log (one fsync per batch), folded
 * into the `.phext` by checkpoints that replace it atomically (see {@link writeFileAtomic}).
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
  /** Idle checkpoints waiting for their time, by path (their documents may have been evicted). */
  private readonly idleCheckpoints = new Map<string, { readonly key: DocumentKey; readonly cancel: () => void }>();
  private readonly notice: (line: string) => void;
  private readonly files: DocumentFiles;
  private readonly loads = new LoadLimit(LOADS_AT_ONCE);

  constructor(
    private readonly options: FileStoreOptions,
    private readonly io: StoreIo = FILE_IO,
  ) {
    this.documents = new Lru(options.cacheBytes);
    this.clock = options.clock ?? REAL_CLOCK;
    this.observers = [...(options.observers ?? [])];
    this.notice = options.notice ?? ((line) => process.emitWarning(line));
    this.files = new DocumentFiles(options.directories);
  }

  async read(document: DocumentKey): Promise<Snapshot | undefined> {
    const doc = this.documentFor(document);
    for (;;) {
      if (!doc.refreshing && doc.state) {
        // The common case, a cached file nobody touched: one synchronous stat taken after this
        // read began, so an edit finished before it is always seen, shared with the other reads
        // of the file later in this event-loop turn (TurnStamps). A synchronous stat on a local
        // disk costs a few microseconds, less than the thread-pool round trip of an async one.
        const asked = this.stamps.of(doc.path);
        const stamp = asked instanceof Promise ? await asked : asked;
        const state = doc.state;
        if (stamp !== null && !doc.refreshing && state) {
          if (sameStamp(stamp, state.stamp) || (doc.writing && sameStamp(stamp, doc.installing))) return state.snapshot;
          // Another program saved the file while our write is in flight: that write ends first
          // (a checkpoint refuses to replace the edit and takes it in), then the edit is read.
          if (doc.writing) {
            await doc.whenWritten();
            continue;
          }
        }
      }
      return (await this.refresh(doc)).snapshot;
    }
  }

  // async: a document refused by documentFor is a rejection, like every other refusal.
  async mutate<T>(document: DocumentKey, change: (phext: Phext) => T, options: MutateOptions = {}): Promise<Written<T>> {
    const doc = this.documentFor(document);
    const written = doc.enqueue(change, options.ifVersion);
    void this.commitLoop(doc);
    return written;
  }

  async reload(document: DocumentKey): Promise<Snapshot | undefined> {
    this.checkOpen();
    const path = this.files.fileOf(document);
    const doc = this.documents.peek(path);
    if (doc) {
      await doc.whenIdle();
      if (doc.idle) this.setState(doc, undefined);
    }
    this.recent.forget(path);
    return this.read(document);
  }

  async flush(): Promise<void> {
    this.checkOpen();
    await this.checkpointAll();
  }

  /**
   * Refuses new work, waits for pending commits, then folds every change log into its `.phext`,
   * so a clean shutdown leaves plain files.
   */
  close(): Promise<void> {
    this.closing ??= this.checkpointAll();
    return this.closing;
  }

  private async checkpointAll(): Promise<void> {
    await Promise.all([...this.documents.values()].map((d) => d.whenIdle()));
    const due = new Map<string, DocumentKey>();
    for (const [path, { key, cancel }] of this.idleCheckpoints) {
      cancel();
      due.set(path, key);
    }
    this.idleCheckpoints.clear();
    for (const d of this.documents.values()) if (hasUnfolded(d.state)) due.set(d.path, d.key);
    await Promise.all([...due].map(([path, key]) => this.checkpointNow(path, key)));
    // A log whose checkpoint failed keeps its changes, but not an open file.
    if (this.closing) await Promise.all([...this.documents.values()].map((d) => d.state?.log?.release()));
  }

  async changesSince(document: DocumentKey, since: number): Promise<Changes | undefined> {
    await this.read(document);
    // Read in the same turn as the observers hear of a commit: nothing committed is in neither.
    const state = this.documents.peek(this.files.fileOf(document))?.state;
    const version = state?.version ?? 0;
    const log = state?.log;
    if (since > version || since < (log?.retainedAfter ?? version)) return undefined;
    const records: ChangeRecord[] = [];
    if (log) {
      for (const r of log.folded.values()) if (r.version > since && !log.unfolded.has(r.coordinate.key)) records.push(r);
      for (const r of log.unfolded.values()) if (r.version > since) records.push(r);
    }
    return { version, records: records.sort((a, b) => a.version - b.version) };
  }

  /** Other programs' edits are looked for by poll, which the server calls for followed phexts only. */
  follow(_followed: (document: DocumentKey) => boolean): void {}

  async poll(document: DocumentKey): Promise<void> {
    const doc = this.documents.peek(this.files.fileOf(document));
    if (doc?.state && !doc.refreshing && !doc.writing) await this.read(document).catch(() => undefined);
  }

  async list(tenant: string): Promise<PhextListing[]> {
    this.checkOpen();
    const dir = this.options.directories(tenant);
    if (dir === undefined) throw refusals.noDataDirectory(tenant);
    return listPhextFiles(dir, (name) => this.read({ tenant, name }));
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

  private documentFor(document: DocumentKey): Document {
    this.checkOpen();
    // Cached by file, the identity on disk: a tenant whose directory changed gets a new document.
    const path = this.files.fileOf(document);
    let doc = this.documents.get(path);
    if (!doc) {
      doc = new Document(path, document);
      this.documents.add(path, doc);
    }
    return doc;
  }

  /**
   * Brings `doc` up to date with the disk: stat, and load again only when the `.phext` is not the
   * one the state was made from. Concurrent callers share one refresh (no thundering herd). A
   * failed load forgets the old state, so a broken file is never served stale nor overwritten.
   * The change log is ours alone: read from disk once, then known (see withLog for another
   * program's edit).
   */
  private refresh(doc: Document, stat?: BigIntStats): Promise<DiskState> {
    if (doc.refreshing) return doc.refreshing;
    const max = this.options.maxPhextBytes;
    const generation = doc.generation;
    let outside: Commit | undefined;
    const work = (async (): Promise<DiskState> => {
      const st = stat ?? statNow(doc.path);
      const stamp = st && stampOf(st);
      const known = doc.state ?? this.recent.find(doc.path);
      if (known && sameStamp(stamp, known.stamp)) return known;
      const file = await this.loads.run(() => loadFile(doc.path, max));
      const log = known ? known.log : await OpenLog.read(doc.path);
      const state = await withLog(this.io, doc.path, file, log, this.notice);
      // A state known before, from another file: another program changed it (our own writes
      // keep the stamp we know). Its readers are told, with what to check their copy against.
      if (known) outside = await outsideChange(doc.key, known, state);
      return state;
    })();
    doc.refreshing = work
      .then(
        (state) => {
          // A commit that landed meanwhile is newer than whatever this refresh saw.
          if (doc.generation !== generation && doc.state) return doc.state;
          this.setState(doc, state);
          if (outside) this.notifyCommit(outside);
          return state;
        },
        (e: unknown) => {
          if (doc.generation !== generation && doc.state) return doc.state;
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
   * previous batch was being written goes into the next batch, sharing one log append and one
   * fsync; then runs a checkpoint if one is due.
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
      while (doc.queue.length > 0 || doc.staged || (doc.checkpointDue && !doc.staging)) {
        // A staged checkpoint goes in first: under steady writes the queue is never empty.
        if (doc.staged) {
          await this.installCheckpoint(doc);
          continue;
        }
        if (doc.queue.length === 0) {
          doc.checkpointDue = false;
          // A phext evicted since its last write is loaded again (file and log) to be folded.
          if (!doc.state) await this.refresh(doc).catch(() => undefined);
          this.stageCheckpoint(doc);
          continue;
        }
        await doc.gather(this.options.gatherMaxMs ?? GATHER_MAX_MS, this.clock.setTimer);
        let base: DiskState;
        let st: BigIntStats | undefined;
        try {
          // One stat per batch: whether the file is still the one we know, and whether we may replace it.
          st = statNow(doc.path);
          // Under steady writes the file is the one we know: the state is taken as it is, without
          // the promises and the setState of a refresh that would find nothing to do.
          const known = doc.refreshing ? undefined : doc.state;
          base = known && sameStamp(st && stampOf(st), known.stamp) ? known : await this.refresh(doc, st);
        } catch (e) {
          for (const m of doc.queue.splice(0)) m.reject(asStoreError(doc.path, e));
          break;
        }
        const batch = doc.queue.splice(0);
        const started = this.clock.now();
        await this.commitBatch(doc, base, batch, st);
        doc.lastBatch = batch.length;
        doc.lastCommitMs = this.clock.now() - started;
        // Writers that never pause keep the queue full: a due checkpoint starts now, beside them.
        if (doc.checkpointDue && !doc.staging && !doc.staged) {
          doc.checkpointDue = false;
          this.stageCheckpoint(doc);
        }
      }
    } finally {
      doc.committing = false;
      this.settle(doc);
    }
  }

  /**
   * Applies `batch` to a copy of the committed phext and appends the scrolls it changed to the
   * change log as one synced frame; a batch that changes no scroll writes nothing (and creates no
   * file). The `.phext` itself is left for a checkpoint.
   */
  private async commitBatch(doc: Document, base: DiskState, batch: PendingMutation[], st: BigIntStats | undefined): Promise<void> {
    let applied: ReturnType<typeof applyBatch>;
    try {
      const before = base.snapshot;
      applied = applyBatch(
        doc,
        { phext: before?.phext, size: before?.size ?? 0, version: base.version },
        batch,
        this.options.maxPhextBytes,
        this.options.quota,
      );
    } catch (e) {
      for (const m of batch) m.reject(asStoreError(doc.path, e));
      return;
    }
    let failure: unknown;
    if (applied.records.length > 0) {
      const started = this.clock.now();
      doc.beginWrite();
      try {
        // The checkpoint will replace the file: refuse now what it could not do then.
        if (st && !st.isFile()) throw refusals.notAFile(doc.path, st);
        if (st) checkWritable(doc.path, st);
        let log = base.log;
        let written: number;
        if (log) {
          written = await log.append(this.io, applied.records);
        } else {
          log = await OpenLog.create(this.io, doc.path, base.stamp, base.version, applied.records);
          written = log.bytes;
        }
        const snapshot = new CommittedSnapshot(applied.phext, applied.version, applied.size);
        this.setState(doc, { snapshot, stamp: base.stamp, version: applied.version, log });
        this.notifyCommit({
          document: doc.key,
          bytesBefore: base.snapshot?.size ?? 0,
          bytesAfter: applied.size,
          bytesWritten: written,
          batchSize: applied.outcomes.filter((o) => o.ok).length,
          durationMs: this.clock.now() - started,
          version: applied.version,
          records: applied.records,
        });
        this.planCheckpoint(doc);
      } catch (e) {
        failure = e;
      } finally {
        doc.endWrite();
      }
    }
    // Written bytes were counted by the observers; lost ones are held no more.
    for (const hold of applied.holds) hold.settle();
    const error = failure === undefined ? undefined : refusals.writeFailed(doc.path, failure);
    batch.forEach((m, i) => {
      const outcome = applied.outcomes[i]!; // one per mutation (applyBatch)
      if (!outcome.ok) m.reject(outcome.error);
      else if (error) m.reject(error);
      else m.resolve({ value: outcome.value, version: outcome.version });
    });
  }

  /** After a commit: a checkpoint now if the log has grown past its share of the file, else once the phext is idle. */
  private planCheckpoint(doc: Document): void {
    const state = doc.state;
    if (!hasUnfolded(state)) return;
    if (state.log.pendingBytes >= this.checkpointBytes(state)) {
      doc.checkpointDue = true;
      return;
    }
    this.checkpointWhenIdle(doc);
  }

  /** The log size that calls a checkpoint of a phext in `state`: its share of the file, at least the minimum. */
  private checkpointBytes(state: DiskState): number {
    const ratio = this.options.checkpointRatio ?? CHECKPOINT_RATIO;
    const least = this.options.checkpointMinBytes ?? CHECKPOINT_MIN_BYTES;
    return Math.max(least, ratio * (state.snapshot?.size ?? 0));
  }

  /** (Re)arms the idle checkpoint of `doc`: after the last write, or to retry one that failed. */
  private checkpointWhenIdle(doc: Document): void {
    this.idleCheckpoints.get(doc.path)?.cancel();
    const armed = {
      key: doc.key,
      cancel: this.clock.setTimer(
        () => {
          if (this.idleCheckpoints.get(doc.path) !== armed) return;
          this.idleCheckpoints.delete(doc.path);
          if (!this.closing) void this.checkpointNow(doc.path, doc.key);
        },
        this.options.checkpointIdleMs ?? CHECKPOINT_IDLE_MS,
        true,
      ),
    };
    this.idleCheckpoints.set(doc.path, armed);
  }

  /**
   * Runs a checkpoint of the document in `path` in its commit loop (after any queued mutation);
   * one evicted meanwhile is loaded again.
   */
  private async checkpointNow(path: string, key: DocumentKey): Promise<void> {
    let doc = this.documents.get(path);
    if (!doc) {
      doc = new Document(path, key);
      this.documents.add(path, doc);
    }
    doc.checkpointDue = true;
    await this.commitLoop(doc);
    await doc.whenIdle();
  }

  /**
   * Starts a checkpoint: the phext as committed now (version V) is written beside the `.phext`
   * and synced, a megabyte per event-loop turn, while commits go on appending to the log. The
   * commit loop then installs it (installCheckpoint).
   */
  private stageCheckpoint(doc: Document): void {
    const state = doc.state;
    if (!hasUnfolded(state) || doc.staging) return;
    this.idleCheckpoints.get(doc.path)?.cancel();
    this.idleCheckpoints.delete(doc.path);
    const snapshot = state.snapshot;
    doc.staging = (async () => {
      // Straight from the scrolls: no whole copy of a large phext in memory.
      const file = await this.io.stage(doc.path, serializeInTurns(snapshot?.phext ?? EMPTY));
      doc.staged = { file, version: state.version, from: state.stamp };
    })()
      .catch((e: unknown) => this.checkpointFailed(doc, e))
      .finally(() => {
        doc.staging = undefined;
        void this.commitLoop(doc);
      });
  }

  /**
   * Puts a staged checkpoint in place, between two commits: renamed over the `.phext` unless
   * another program changed that since (then its edit is taken in, our scrolls on top, and the
   * checkpoint tried again later), then a new log based on the new file replaces the old one,
   * holding the records committed while the file was written. A crash between the two leaves a
   * log based on the old file; loading applies its records again on top of the new one, which
   * already holds those up to V (replay is idempotent).
   */
  private async installCheckpoint(doc: Document): Promise<void> {
    const staged = doc.staged!;
    doc.staged = undefined;
    const state = doc.state;
    if (!state?.log) return void (await staged.file.discard());
    const started = this.clock.now();
    doc.beginWrite(staged.file.stamp);
    try {
      const stamp = await staged.file.install(staged.from);
      const unfolded = [...state.log.unfolded.values()];
      const later = unfolded.filter((r) => r.version > staged.version);
      // Kept a while longer, for an editor whose copy predates this checkpoint (see withLog).
      const { records: folded, cut } = recentlyFolded(state.log, unfolded, staged.version, this.checkpointBytes(state));
      const log = await OpenLog.create(this.io, doc.path, stamp, staged.version, later, folded).catch(
        // Keeping them is worth no failure: on a nearly full disk the log goes without them.
        () => OpenLog.create(this.io, doc.path, stamp, staged.version, later),
      );
      // What the new log holds for a change feed: what the old one held, less what was cut (a
      // log that went without its folded records knows only its base).
      if (log.folded.size === folded.length) log.retainedAfter = Math.max(state.log.retainedAfter, cut);
      await state.log.release();
      this.setState(doc, { snapshot: state.snapshot, stamp, version: state.version, log });
      const size = Number(staged.file.stamp.size);
      this.notifyCommit({
        document: doc.key,
        bytesBefore: size,
        bytesAfter: size,
        bytesWritten: size,
        batchSize: 0,
        durationMs: this.clock.now() - started,
        version: staged.version,
        records: [],
      });
      if (later.length > 0) this.planCheckpoint(doc);
    } catch (e) {
      doc.endWrite();
      if (e instanceof FileChangedError) {
        // Another program saved the file meanwhile: take its edit in now (our scrolls on top).
        await this.refresh(doc).catch(() => undefined);
        if (!this.closing) this.checkpointWhenIdle(doc);
      } else {
        this.checkpointFailed(doc, e);
      }
    } finally {
      doc.endWrite();
    }
  }

  /** The log keeps every change; the checkpoint is tried again when the phext is next idle, never at once (a full disk must not spin). */
  private checkpointFailed(doc: Document, e: unknown): void {
    this.notice(`checkpoint of ${doc.path} failed (${asStoreError(doc.path, e).message}); its change log keeps every change`);
    if (!this.closing) this.checkpointWhenIdle(doc);
  }

  private notifyCommit(commit: Commit): void {
    tellObservers(this.observers, commit);
  }

  private setState(doc: Document, state: DiskState | undefined): void {
    const before = doc.state?.log;
    doc.state = state;
    // A log no state holds any more (a reload, a failed refresh) keeps no open file; it opens
    // again on its next append if it is taken up again.
    if (before && before !== state?.log) void before.release();
    doc.generation++;
    if (state) this.recent.remember(doc.path, state);
    this.documents.weigh(doc.path, doc, weightOf(state));
    // Serialized bytes are made on a reader's demand, after the state was weighed: weighed again then.
    state?.snapshot?.whenBytesMade(() => {
      if (doc.state !== state) return;
      this.documents.weigh(doc.path, doc, weightOf(state));
      this.settle(doc);
    });
  }

  /** After activity ends: forget documents that hold nothing, wake waiters, keep the budget. */
  private settle(doc: Document): void {
    if (doc.idle) {
      if (!doc.state?.snapshot) this.documents.delete(doc.path, doc);
      doc.notifyIfIdle();
    }
    // A phext whose log is open for appending stays until its checkpoint (which closes the log);
    // over budget, that checkpoint is asked for now rather than after the idle second.
    this.documents.trim((d) => d.idle && !d.state?.log?.holdsHandle);
    if (this.documents.weight > this.options.cacheBytes && !this.closing) {
      for (const d of this.documents.values()) {
        if (d.idle && hasUnfolded(d.state) && !d.checkpointDue) void this.checkpointNow(d.path, d.key);
      }
    }
  }
}

/**
 * The file's stats now, undefined when it does not exist. Synchronous, like the read path's stat:
 * it costs microseconds, a thread-pool round trip more.
 */
function statNow(path: string): BigIntStats | undefined {
  return statSync(path, { bigint: true, throwIfNoEntry: false });
}

/**
 * What a cached state costs, estimated from counts kept change by change (never a scan of the
 * scrolls): its snapshot (the file's bytes once, a slot per scroll, changed texts, serialized
 * bytes once made) and its log's records. 0 (not loaded) when there is no snapshot.
 */
function weightOf(state: DiskState | undefined): number {
  const snapshot = state?.snapshot;
  return snapshot ? DOCUMENT_MEMORY + snapshot.memory + (state.log?.memory ?? 0) : 0;
}

/** A state whose change log holds changes not yet in its `.phext`. */
function hasUnfolded(state: DiskState | undefined): state is DiskState & { log: OpenLog } {
  return state?.log !== undefined && state.log.unfolded.size > 0;
}

/**
 * What a checkpoint at `version` leaves in the new log as folded: the records it folds, and those
 * earlier checkpoints folded, newest kept, up to `bytes` of text — so an editor's copy read a few
 * checkpoints ago still gets our writes back (see withLog), while the log stays bounded.
 */
function recentlyFolded(
  log: OpenLog,
  unfolded: readonly ChangeRecord[],
  version: number,
  bytes: number,
): { records: ChangeRecord[]; cut: number } {
  const newest = new Map<string, ChangeRecord>();
  for (const r of log.folded.values()) newest.set(r.coordinate.key, r);
  for (const r of unfolded) {
    if (r.version > version) continue;
    newest.delete(r.coordinate.key);
    newest.set(r.coordinate.key, r);
  }
  const kept = [...newest.values()].sort((a, b) => b.version - a.version);
  let total = 0;
  let n = 0;
  while (n < kept.length && total + kept[n]!.bytes <= bytes) total += kept[n++]!.bytes;
  // `cut`: the newest version left out (others of that version may be kept), -1 when none was.
  return { records: kept.slice(0, n).reverse(), cut: n < kept.length ? kept[n]!.version : -1 };
}

/** The Commit that tells observers another program changed a document from `before` to `after`. */
async function outsideChange(document: DocumentKey, before: DiskState, after: DiskState): Promise<Commit> {
  return {
    document,
    bytesBefore: before.snapshot?.size ?? 0,
    bytesAfter: after.snapshot?.size ?? 0,
    bytesWritten: 0,
    batchSize: 0,
    durationMs: 0,
    version: after.version,
    records: [],
    outside: { checksum: after.snapshot ? await after.snapshot.checksum() : checksum('') },
  };
}

import type { Phext } from '../phext/index.js';
import type { StagedFile } from './atomic-write.js';
import type { FileStamp } from './file-stamp.js';
import type { DocumentKey, Written } from './document-store.js';
import type { DiskState } from './load.js';

/** A mutation waiting for its group commit. */
export interface PendingMutation {
  readonly change: (phext: Phext) => unknown;
  /** Apply only to this version of the phext (If-Match); else fail with a 412 StoreError. */
  readonly ifVersion: number | undefined;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Everything the store knows about one document, kept in the file `path`. */
export class Document {
  /** The last committed state (loaded or written by us); undefined until loaded, or after a failed load. */
  state: DiskState | undefined;
  /** The stat-and-maybe-load in flight, shared by every reader and by the committer. */
  refreshing: Promise<DiskState> | undefined;
  /** Mutations that arrived since the current batch was taken. */
  queue: PendingMutation[] = [];
  /** True while the commit loop owns the document (from its first stat to the last fsync). */
  committing = false;
  /**
   * True while a batch or a checkpoint is being written. Readers get the committed state as long
   * as the file on disk is the one it was made from, or the checkpoint's own (`installing`);
   * anything else is another program's edit, taken in once the write ends (whenWritten).
   */
  writing = false;
  /** The stamp the `.phext` takes when the checkpoint being installed is renamed in. */
  installing: FileStamp | undefined;
  /** Bumped on every change of `state`, so a refresh that raced with a commit cannot undo it. */
  generation = 0;
  /** A checkpoint is due: the commit loop starts it once the queue is empty. */
  checkpointDue = false;
  /** A checkpoint writing its file beside the phext, while commits go on. */
  staging: Promise<void> | undefined;
  /** A checkpoint's file, written and synced, waiting for the commit loop to put it in place. */
  staged: { readonly file: StagedFile; readonly version: number; readonly from: FileStamp | undefined } | undefined;
  /** Mutations in the last batch and the milliseconds its commit took: the next batch waits a little for as many. */
  lastBatch = 0;
  lastCommitMs = 0;
  private idleWaiters: Array<() => void> = [];
  private writeWaiters: Array<() => void> = [];
  private queueWaiter: { readonly target: number; readonly wake: () => void } | undefined;

  constructor(
    readonly path: string,
    readonly key: DocumentKey,
  ) {}

  beginWrite(installing?: FileStamp): void {
    this.writing = true;
    this.installing = installing;
  }

  endWrite(): void {
    this.writing = false;
    this.installing = undefined;
    const waiters = this.writeWaiters;
    this.writeWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves once no batch or checkpoint is being written. */
  whenWritten(): Promise<void> {
    if (!this.writing) return Promise.resolve();
    return new Promise((resolve) => this.writeWaiters.push(resolve));
  }

  /** Nothing in flight or queued: safe to evict, drop or reload. */
  get idle(): boolean {
    return !this.refreshing && !this.committing && this.queue.length === 0 && !this.staging && !this.staged;
  }

  /** Resolves once the document is idle. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Queues a mutation for the next batch; the store's commit loop settles the promise. */
  enqueue<T>(change: (phext: Phext) => T, ifVersion: number | undefined): Promise<Written<T>> {
    return new Promise<Written<T>>((resolve, reject) => {
      this.queue.push({ change, ifVersion, resolve: resolve as (value: unknown) => void, reject });
      this.notifyQueued();
    });
  }

  /**
   * Before a batch: resolves once as many mutations are queued as the last batch had, or after a
   * quarter of the last commit's time (at most `maxMs`, timed by `setTimer`). Without that wait,
   * clients that each wait for their answer fall into a convoy (see FileDocumentStore.commitLoop).
   */
  gather(maxMs: number, setTimer: (fn: () => void, ms: number) => () => void): Promise<void> {
    const target = this.lastBatch;
    const ms = Math.min(maxMs, this.lastCommitMs / 4);
    if (this.queue.length >= target || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      let cancel: () => void = () => undefined;
      const wake = () => {
        cancel();
        this.queueWaiter = undefined;
        resolve();
      };
      cancel = setTimer(wake, ms);
      this.queueWaiter = { target, wake };
    });
  }

  /** Call after queueing a mutation: wakes {@link gather} when its target is reached. */
  notifyQueued(): void {
    if (this.queueWaiter && this.queue.length >= this.queueWaiter.target) this.queueWaiter.wake();
  }

  /** Wakes whoever waits for idleness; call after every state change that may end activity. */
  notifyIfIdle(): void {
    if (!this.idle || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

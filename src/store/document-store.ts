/**
 * Contract of the document store.
 * A document is one tenant's phext, addressed by name ({@link DocumentKey}); where and how it is
 * kept (a `.phext` file, rows of a database) is the store's business.
 */
import type { Phext } from '../phext/index.js';
import type { ChangeRecord } from './change-record.js';
import type { DocumentKey } from './document-key.js';
import type { QuotaLedger } from './quota-ledger.js';

export type { DocumentKey };

/** A committed state of one document, shared by all readers. Never mutate it. */
export interface Snapshot {
  readonly phext: Phext;
  /** The phext's version: one more for every change that altered a scroll; kept across restarts. */
  readonly version: number;
  /** Size of the serialized phext in bytes, known without serializing it. */
  readonly size: number;
  /**
   * The serialized bytes: the file's own when nothing changed since it was read, else made a
   * megabyte per event-loop turn on first use (never a stall), and kept.
   */
  bytes(): Promise<Buffer>;
  /** XXH3-128 of the bytes, computed once per snapshot. */
  checksum(): Promise<string>;
}

/** What a change returned, and the version it left the phext at. */
export interface Written<T> {
  readonly value: T;
  readonly version: number;
}

/** How a mutation is made. */
export interface MutateOptions {
  /** Apply only if the phext is still at this version (optimistic concurrency, If-Match); else 412. */
  readonly ifVersion?: number | undefined;
}

/** Why a document cannot be served. `status` is the HTTP status the server answers with. */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code:
      | 'invalid-utf8'
      | 'too-large'
      | 'unholdable'
      | 'not-a-file'
      | 'read-only'
      | 'forbidden'
      | 'no-space'
      | 'conflict'
      | 'io'
      | 'closed'
      | 'locked'
      | 'version-moved'
      | 'log',
  ) {
    super(message);
  }
}

/** The default of {@link StoreOptions.gatherMaxMs}. */
export const GATHER_MAX_MS = 2;

/** Time as the store sees it; tests inject one to drive group commit's gathering wait. */
export interface StoreClock {
  /** Milliseconds from an arbitrary origin (default performance.now()). */
  now(): number;
  /**
   * Calls `fn` after `ms` milliseconds unless the returned cancel is called first. A `background`
   * timer (an idle checkpoint) never keeps the process alive: the change log already holds its work.
   */
  setTimer(fn: () => void, ms: number, background?: boolean): () => void;
}

/** Settings of a store; all sizes in bytes. */
export interface StoreOptions {
  /** Memory budget for cached documents (clean ones are evicted least-recently used). */
  cacheBytes: number;
  /** Files larger than this are refused with a StoreError (status 413), never truncated. */
  maxPhextBytes: number;
  /**
   * Longest wait, in milliseconds, before a commit for more mutations to share it, when fewer
   * are queued than in the last commit (default {@link GATHER_MAX_MS}); 0 turns it off.
   */
  gatherMaxMs?: number;
  /** Default: the real clock. */
  clock?: StoreClock;
  /** Asked to admit every change before it commits (quotas); none: every change is admitted. */
  quota?: QuotaLedger;
  /** Told of every durable commit (metrics, usage); more may join with {@link DocumentStore.onCommit}. */
  observers?: readonly CommitObserver[];
  /**
   * A checkpoint folds the change log into the `.phext` once the log exceeds this fraction of the
   * file's size (default {@link CHECKPOINT_RATIO}), and at least {@link CHECKPOINT_MIN_BYTES}.
   */
  checkpointRatio?: number;
  /** The least a log grows before its size alone calls a checkpoint (default {@link CHECKPOINT_MIN_BYTES}). */
  checkpointMinBytes?: number;
  /** …or once no change came for this many milliseconds (default {@link CHECKPOINT_IDLE_MS}). */
  checkpointIdleMs?: number;
  /** Where the store reports what an operator should know (another program's edit re-based). */
  notice?: (line: string) => void;
}

export const CHECKPOINT_RATIO = 0.1;
export const CHECKPOINT_MIN_BYTES = 1024 * 1024;
export const CHECKPOINT_IDLE_MS = 1_000;

/** Called after each durable commit, in order of registration; a throwing observer is warned about, not fatal. */
export type CommitObserver = (commit: Commit) => void;

/** What one group commit did. */
export interface Commit {
  /** The document it changed. */
  document: DocumentKey;
  /** The phext's size before and after, in bytes. */
  bytesBefore: number;
  bytesAfter: number;
  /** Bytes written durably: the change log's frame, or the whole file for a checkpoint. */
  bytesWritten: number;
  /** The version it left the phext at. */
  version: number;
  /** Its change records (none for a checkpoint, which changes no scroll). */
  records: readonly ChangeRecord[];
  /** Number of mutations that shared this commit's fsync. */
  batchSize: number;
  /** Time from starting the write to the directory fsync, in milliseconds. */
  durationMs: number;
  /**
   * Set when another program changed the document (an editor saved the file): which scrolls
   * changed is not known, so there are no records — readers should read it again. `checksum` is
   * of its new bytes.
   */
  outside?: { readonly checksum: string };
  /**
   * Set when another server sharing the store's database made the commit (the PostgreSQL store
   * hears of it): its `records` are for this server's change feed, but nothing was written or
   * admitted here, so metrics, quotas and webhooks (the other server's own) leave it out. Its sizes
   * are the phext's after it, `bytesWritten`, `batchSize` and `durationMs` are 0.
   */
  elsewhere?: true;
}

export interface DocumentStore {
  /** The committed snapshot, or undefined when the file does not exist. Never creates files. */
  read(document: DocumentKey): Promise<Snapshot | undefined>;
  /**
   * Applies `change` to a private copy of the document (created empty if missing) and resolves
   * once the result is durably on disk (group commit: concurrent mutations share one fsync), with
   * what `change` returned and the version it made.
   * `change` runs serialized with other mutations of the same document and may throw to abort
   * (nothing of it is applied). It runs once; it must only change the phext it is given (the
   * scrolls it changed, not the change, are what is logged and re-applied). A change that
   * changes nothing writes nothing.
   */
  mutate<T>(document: DocumentKey, change: (phext: Phext) => T, options?: MutateOptions): Promise<Written<T>>;
  /** Drops any cached copy and reads the file again. */
  reload(document: DocumentKey): Promise<Snapshot | undefined>;
  /** Folds every change not yet in its phext's file into it now (a checkpoint of each). */
  flush(): Promise<void>;
  /** Refuses new work, waits for pending commits, then flushes. */
  close(): Promise<void>;
  /** What the cache holds right now, for metrics. */
  stats(): StoreStats;
  /** Adds an observer of every commit from now on. */
  onCommit(observer: CommitObserver): void;
  /**
   * What changed in `document` after version `since`, as far as the store still holds it: the
   * newest record of each scroll changed since (an older change of a scroll that changed again is
   * compacted away, as in CouchDB's `_changes`), in version order, and the version they lead to.
   * Undefined when changes after `since` are no longer all held, or `since` is ahead of the
   * document: the caller must start over from the whole document. Reading it and the observers
   * hearing of a commit never interleave, so an observer registered first misses nothing between.
   */
  changesSince(document: DocumentKey, since: number): Promise<Changes | undefined>;
  /**
   * Looks whether another program changed `document` since the store last read it, when the
   * store holds it in memory (else nothing: it is read afresh when next asked for). Observers hear
   * of such a change as a Commit with `outside`. A store nothing else writes to does nothing.
   */
  poll(document: DocumentKey): Promise<void>;
  /**
   * Names the phexts whose commits by other writers the observers must hear of: those the change
   * feed has streams for. A store shared by several servers reads the records of another server's
   * commit only for these (the others' news would be read and thrown away); one that nothing else
   * writes to ignores it. Until it is called, every phext is followed.
   */
  follow(followed: (document: DocumentKey) => boolean): void;
  /** The tenant's phexts in name order, each as it reads now (`GET /api/v2/list`). */
  list(tenant: string): Promise<PhextListing[]>;
}

/** One phext of a tenant in {@link DocumentStore.list}. */
export interface PhextListing {
  readonly name: string;
  /** Its size serialized, in bytes. */
  readonly bytes: number;
  readonly scrolls: number;
  readonly version: number;
  /** When it last changed (ISO 8601), as far as the store knows; null when it does not. */
  readonly modified: string | null;
}

/** See {@link DocumentStore.changesSince}. */
export interface Changes {
  readonly version: number;
  readonly records: readonly ChangeRecord[];
}

/** Size of the document cache. */
export interface StoreStats {
  /** Documents held in memory. */
  documents: number;
  /** Their estimated memory in bytes (what each snapshot and log holds, see FileDocumentStore's weightOf). */
  bytes: number;
}

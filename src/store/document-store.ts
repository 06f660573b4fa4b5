/**
 * Contract of the document store.
 * A document is one `.phext` file, addressed by its absolute path.
 */
import type { Phext } from '../phext/index.js';
import type { QuotaLedger } from './quota-ledger.js';

/** A committed state of one document, shared by all readers. Never mutate it. */
export interface Snapshot {
  readonly phext: Phext;
  /** The serialized bytes, exactly as on disk. */
  readonly bytes: Buffer;
  /** XXH3-128 of `bytes`, computed lazily once per snapshot. */
  checksum(): string;
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
      | 'locked',
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
  /** Calls `fn` after `ms` milliseconds unless the returned cancel is called first. */
  setTimer(fn: () => void, ms: number): () => void;
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
}

/** Called after each durable commit, in order of registration; a throwing observer is warned about, not fatal. */
export type CommitObserver = (commit: Commit) => void;

/** What one group commit did. */
export interface Commit {
  /** The file, as the store addresses it (absolute). */
  path: string;
  /** Its size before and after, in bytes. */
  bytesBefore: number;
  bytesAfter: number;
  /** Number of mutations that shared this commit's fsync. */
  batchSize: number;
  /** Time from starting the write to the directory fsync, in milliseconds. */
  durationMs: number;
}

export interface DocumentStore {
  /** The committed snapshot, or undefined when the file does not exist. Never creates files. */
  read(path: string): Promise<Snapshot | undefined>;
  /**
   * Applies `change` to a private copy of the document (created empty if missing) and resolves
   * once the result is durably on disk (group commit: concurrent mutations share one fsync).
   * `change` runs serialized with other mutations of the same path and may throw to abort
   * (nothing of it is applied). It may run more than once (again on top of a file another
   * program changed meanwhile), so it must only change the phext it is given. A change that
   * changes nothing writes nothing.
   */
  mutate<T>(path: string, change: (phext: Phext) => T): Promise<T>;
  /** Drops any cached copy and reads the file again. */
  reload(path: string): Promise<Snapshot | undefined>;
  /** Waits for pending commits, then refuses new work. */
  close(): Promise<void>;
  /** What the cache holds right now, for metrics. */
  stats(): StoreStats;
  /** Adds an observer of every commit from now on. */
  onCommit(observer: CommitObserver): void;
}

/** Size of the document cache. */
export interface StoreStats {
  /** Documents held in memory. */
  documents: number;
  /** Their estimated memory in bytes (a multiple of the file size, see FileDocumentStore). */
  bytes: number;
}

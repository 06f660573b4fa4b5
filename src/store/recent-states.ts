import { sameStamp, type FileStamp } from './file-stamp.js';
import type { DiskState } from './load.js';

/**
 * The last state of each path, held weakly. A phext too large for the cache is evicted as soon
 * as it is loaded, yet answers may still be streaming from its snapshot: while any of them holds
 * it, a reader of the same file version shares it instead of loading and parsing a copy of its own.
 * The stamp check is the one the cache makes, so an edited file is never served from here.
 */
export class RecentStates {
  private readonly refs = new Map<string, WeakRef<DiskState>>();
  private readonly cleanup = new FinalizationRegistry<string>((path) => {
    if (this.refs.get(path)?.deref() === undefined) this.refs.delete(path);
  });

  remember(path: string, state: DiskState): void {
    if (!state.snapshot) return;
    this.refs.set(path, new WeakRef(state));
    this.cleanup.register(state, path);
  }

  /** The state of `path` still in memory if it is the version with `stamp`. */
  find(path: string, stamp: FileStamp | undefined): DiskState | undefined {
    const state = this.refs.get(path)?.deref();
    return state && stamp && sameStamp(stamp, state.stamp) ? state : undefined;
  }

  forget(path: string): void {
    this.refs.delete(path);
  }
}

import { sameStamp, type FileStamp } from './file-stamp.js';
import type { DiskState } from './load.js';
import type { CommittedSnapshot } from './snapshot.js';

/**
 * The last snapshot of each path with its stamp, the snapshot held weakly. A phext too large for
 * the cache is evicted as soon as it is loaded, yet answers may still be streaming from its
 * snapshot: while any of them holds it, a reader of the same file version shares it instead of
 * loading and parsing a copy of its own. The stamp check is the one the cache makes, so an edited
 * file is never served from here.
 */
export class RecentStates {
  private readonly entries = new Map<string, { readonly snapshot: WeakRef<CommittedSnapshot>; readonly stamp: FileStamp | undefined }>();
  private readonly cleanup = new FinalizationRegistry<string>((path) => {
    if (this.entries.get(path)?.snapshot.deref() === undefined) this.entries.delete(path);
  });

  remember(path: string, state: DiskState): void {
    if (!state.snapshot) return;
    this.entries.set(path, { snapshot: new WeakRef(state.snapshot), stamp: state.stamp });
    this.cleanup.register(state.snapshot, path);
  }

  /** The state of `path` still in memory if it is the version with `stamp`. */
  find(path: string, stamp: FileStamp | undefined): DiskState | undefined {
    const entry = this.entries.get(path);
    const snapshot = entry?.snapshot.deref();
    return snapshot && stamp && sameStamp(stamp, entry!.stamp) ? { snapshot, stamp } : undefined;
  }

  forget(path: string): void {
    this.entries.delete(path);
  }
}

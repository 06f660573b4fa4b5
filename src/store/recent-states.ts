import type { DiskState } from './load.js';
import type { CommittedSnapshot } from './snapshot.js';

/**
 * The last state of each path, its snapshot held weakly. A phext too large for the cache is
 * evicted as soon as it is loaded, yet answers may still be streaming from its snapshot: while any
 * of them holds it, a reader of the same version shares it instead of loading and parsing a copy
 * of its own. The caller still compares the stamp with the file, so an edited file is never served
 * from here.
 */
export class RecentStates {
  private readonly entries = new Map<
    string,
    { readonly snapshot: WeakRef<CommittedSnapshot>; readonly state: Omit<DiskState, 'snapshot'> }
  >();
  private readonly cleanup = new FinalizationRegistry<string>((path) => {
    if (this.entries.get(path)?.snapshot.deref() === undefined) this.entries.delete(path);
  });

  remember(path: string, state: DiskState): void {
    if (!state.snapshot) {
      this.entries.delete(path);
      return;
    }
    const { snapshot, ...rest } = state;
    const entry = this.entries.get(path);
    // The same snapshot again (a checkpoint's new log, a refresh that found the file unchanged):
    // one registration each is enough, a new one per call would pile up until the snapshot dies.
    if (entry?.snapshot.deref() === snapshot) {
      this.entries.set(path, { snapshot: entry.snapshot, state: rest });
      return;
    }
    this.entries.set(path, { snapshot: new WeakRef(snapshot), state: rest });
    this.cleanup.register(snapshot, path);
  }

  /** The last state of `path`, while something still holds its snapshot. */
  find(path: string): DiskState | undefined {
    const entry = this.entries.get(path);
    const snapshot = entry?.snapshot.deref();
    return snapshot && entry ? { ...entry.state, snapshot } : undefined;
  }

  forget(path: string): void {
    this.entries.delete(path);
  }
}

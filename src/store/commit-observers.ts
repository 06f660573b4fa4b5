import type { Commit, CommitObserver } from './document-store.js';

/** Tells each observer of `commit`, in order; one that throws is warned about, never fatal to the commit. */
export function tellObservers(observers: readonly CommitObserver[], commit: Commit): void {
  for (const observer of observers) {
    try {
      observer(commit);
    } catch (e) {
      process.emitWarning(`commit observer failed: ${String(e)}`);
    }
  }
}

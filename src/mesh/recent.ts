import type { Changes, Commit } from '../store/document-store.js';
import type { ChangeRecord } from '../store/change-record.js';

/** Records kept per phext; past it the older half is dropped (a peer that far behind asks the store). */
const MAX_RECORDS = 100_000;

interface Recent {
  /** The ring holds every change after this version... */
  from: number;
  /** ...up to this one, the phext's version. */
  version: number;
  readonly records: ChangeRecord[];
}

/**
 * The changes of this run's commits, per phext, in version order: what peers ask for most (the
 * last few), answered in proportion to what they lack rather than to the size of the store's log.
 * Older positions, and phexts not written since the start, are asked of the store's
 * `changesSince`; a phext answered there as unchanged is remembered until its next commit.
 */
export class RecentChanges {
  private readonly docs = new Map<string, Recent>();
  private readonly quiet = new Map<string, number>();

  constructor(private readonly tenant: string) {}

  observe(commit: Commit): void {
    if (commit.document.tenant !== this.tenant) return;
    const name = commit.document.name;
    this.quiet.delete(name);
    if (commit.outside || commit.elsewhere) {
      // Which scrolls changed is unknown: the store answers (with a reset).
      this.docs.delete(name);
      return;
    }
    if (commit.records.length === 0) return; // a checkpoint
    let recent = this.docs.get(name);
    if (!recent) {
      const first = Math.min(...commit.records.map((r) => r.version));
      this.docs.set(name, (recent = { from: first - 1, version: commit.version, records: [] }));
    }
    recent.records.push(...[...commit.records].sort((a, b) => a.version - b.version));
    recent.version = commit.version;
    if (recent.records.length > MAX_RECORDS) {
      const cut = recent.records.length >> 1;
      recent.from = recent.records[cut - 1]!.version;
      recent.records.splice(0, cut);
    }
  }

  /** The newest record of each scroll changed after `since`, in version order; undefined: ask the store. */
  changes(name: string, since: number): Changes | undefined {
    if (this.quiet.get(name) === since) return { version: since, records: [] };
    const recent = this.docs.get(name);
    if (!recent || since < recent.from || since > recent.version) return undefined;
    const { records } = recent;
    let lo = 0;
    let hi = records.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (records[mid]!.version <= since) lo = mid + 1;
      else hi = mid;
    }
    const newest = new Map<string, ChangeRecord>();
    for (let i = lo; i < records.length; i++) {
      const r = records[i]!;
      const key = r.coordinate.key;
      newest.delete(key); // re-inserted: the map stays in version order
      newest.set(key, r);
    }
    return { version: recent.version, records: [...newest.values()] };
  }

  /** The store found phext `name` unchanged at `version`: no need to ask it again before a commit. */
  unchanged(name: string, version: number): void {
    if (!this.docs.has(name)) this.quiet.set(name, version);
  }
}

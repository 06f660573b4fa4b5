import { checksum } from '../phext/checksum.js';
import { Coordinate, Phext } from '../phext/index.js';
import type { ChangeRecord } from './change-record.js';
import type { DocumentKey } from './document-store.js';
import type { PendingMutation } from './document.js';
import { Journal } from './journal.js';
import type { QuotaHold, QuotaLedger } from './quota-ledger.js';
import { refusals } from './refusals.js';

type Outcome = { readonly ok: true; readonly value: unknown; readonly version: number } | { readonly ok: false; readonly error: unknown };

/** The in-memory result of one group commit, before anything is written. */
export interface AppliedBatch {
  /** The new document: a copy of the committed one (sharing its unchanged scrolls) with every accepted change applied. */
  readonly phext: Phext;
  /** Its serialized size in bytes, measured change by change (nothing is serialized). */
  readonly size: number;
  /** The version after the batch: one more per mutation that changed a scroll. */
  readonly version: number;
  /** The net change of every scroll the batch changed, in coordinate order of first change. */
  readonly records: ChangeRecord[];
  /** One per mutation, in arrival order. */
  readonly outcomes: Outcome[];
  /** What the quota ledger holds for the kept changes; settled once the batch is written or lost. */
  readonly holds: QuotaHold[];
}

/** The committed state a batch starts from. */
export interface BatchBase {
  readonly phext: Phext | undefined;
  readonly size: number;
  readonly version: number;
}

/**
 * Applies `batch` in arrival order to one copy of the base (the committed phext is never touched;
 * the copy shares its structure, so this costs what the batch changes, whatever the document's
 * size). A change that throws, that would push the file past `maxBytes`, that the quota ledger
 * refuses, or whose `ifVersion` is not the version it would apply to, is rolled back through the
 * journal and fails alone; the others are kept. Every change is measured exactly (delimiter runs
 * included), so the size is known without serializing.
 */
export function applyBatch(
  { path, key }: { readonly path: string; readonly key: DocumentKey },
  base: BatchBase,
  batch: readonly PendingMutation[],
  maxBytes: number,
  ledger?: QuotaLedger,
): AppliedBatch {
  const phext = base.phext ? base.phext.clone() : new Phext();
  const journal = new Journal(phext);
  const outcomes: Outcome[] = [];
  const holds: QuotaHold[] = [];
  /** The scroll before the batch, its text after, and the version of the last mutation that changed it. */
  const touched = new Map<string, { before: string; text: string; version: number }>();
  let size = base.size;
  let version = base.version;
  try {
    for (const mutation of batch) {
      if (mutation.ifVersion !== undefined && mutation.ifVersion !== version) {
        outcomes.push({ ok: false, error: refusals.versionMoved(path, mutation.ifVersion, version) });
        continue;
      }
      const mark = journal.mark;
      try {
        const value = mutation.change(phext);
        const { growth, changed } = journal.changesSince(mark);
        const hold = ledger?.admit(key, () => growth);
        if (size + growth > maxBytes) {
          journal.rollback(mark);
          hold?.settle();
          outcomes.push({ ok: false, error: refusals.tooLargeChange(path, size + growth, maxBytes) });
          continue;
        }
        if (hold) holds.push(hold);
        if (changed.length > 0) {
          version++;
          for (const { key, before, text } of changed) {
            const seen = touched.get(key);
            touched.set(key, { before: seen ? seen.before : before, text, version });
          }
        }
        size += growth;
        outcomes.push({ ok: true, value, version });
      } catch (error) {
        journal.rollback(mark);
        outcomes.push({ ok: false, error });
      }
    }
    const records: ChangeRecord[] = [];
    // A scroll's text after its last kept change is its text after the batch: a later mutation
    // that changed it again is in `touched` too, and one that failed was undone.
    for (const [key, { before, text, version: at }] of touched) {
      if (text === before) continue; // changed and changed back within the batch
      const coordinate = Coordinate.fromKey(key);
      const bytes = Buffer.byteLength(text, 'utf8');
      const kind = before === '' ? 'insert' : text === '' ? 'delete' : 'update';
      records.push({ version: at, coordinate, kind, text, bytes, checksum: checksum(text), before: checksum(before) });
    }
    return { phext, size, version, records, outcomes, holds };
  } catch (e) {
    for (const hold of holds) hold.settle();
    throw e;
  } finally {
    journal.detach();
  }
}

import { Phext, serialize, serializeToString } from '../phext/index.js';
import type { PendingMutation } from './document.js';
import { Journal } from './journal.js';
import type { QuotaHold, QuotaLedger } from './quota-ledger.js';
import { refusals } from './refusals.js';

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** The in-memory result of one group commit, before anything is written. */
export interface AppliedBatch {
  /** The new document: a private copy of the committed one with every accepted change applied. */
  readonly phext: Phext;
  readonly bytes: Buffer;
  /** One per mutation, in arrival order. */
  readonly outcomes: Outcome[];
  /** Number of mutations whose change was kept. */
  readonly accepted: number;
  /** What the quota ledger holds for the kept changes; settled once the batch is written or lost. */
  readonly holds: QuotaHold[];
}

/**
 * Applies `batch` in arrival order to one private copy of `base` (the committed phext is never
 * touched). A change that throws, or that would push the file past `maxBytes`, is rolled back
 * through the journal and fails alone; the others are kept. The same goes for a change the quota
 * ledger refuses, which it judges by the change's exact growth. The size check serializes only
 * when the growth (exact if the ledger asked for it, else the journal's cheap upper bound) says
 * the limit might be crossed.
 */
export function applyBatch(
  path: string,
  base: { phext: Phext; bytes: Buffer } | undefined,
  batch: readonly PendingMutation[],
  maxBytes: number,
  ledger?: QuotaLedger,
): AppliedBatch {
  const phext = base ? base.phext.clone() : new Phext();
  const journal = new Journal(phext);
  const outcomes: Outcome[] = [];
  const holds: QuotaHold[] = [];
  let accepted = 0;
  let bound = base ? base.bytes.length : 0; // never below the current serialized size
  try {
    for (const mutation of batch) {
      const mark = journal.mark;
      try {
        const value = mutation.change(phext);
        // Measured once: exactly when the ledger asks (a quota), else as the journal's cheap bound.
        let exact: number | undefined;
        const hold = ledger?.admit(path, () => (exact ??= journal.exactGrowth(mark)));
        if (hold) holds.push(hold);
        const grown = bound + (exact ?? journal.growthBound(mark));
        if (grown > maxBytes) {
          const size = Buffer.byteLength(serializeToString(phext));
          if (size > maxBytes) {
            journal.rollback(mark);
            if (hold) holds.pop()!.settle();
            outcomes.push({ ok: false, error: refusals.tooLargeChange(path, size, maxBytes) });
            continue;
          }
          bound = size;
        } else {
          bound = grown;
        }
        outcomes.push({ ok: true, value });
        accepted++;
      } catch (error) {
        journal.rollback(mark);
        outcomes.push({ ok: false, error });
      }
    }
    return { phext, bytes: serialize(phext), outcomes, accepted, holds };
  } catch (e) {
    for (const hold of holds) hold.settle();
    throw e;
  } finally {
    journal.detach();
  }
}

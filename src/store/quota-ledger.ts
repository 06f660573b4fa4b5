import type { DocumentKey } from './document-key.js';

/**
 * Who may grow which document: the store's admission hook. For every change of a batch, the store
 * measures exactly how many bytes the phext grows by (delimiter runs included) and asks the
 * ledger; a change it refuses is rolled back and fails alone, the others commit. A hold lasts
 * until the batch is written (its bytes are then counted by a commit observer) or has failed.
 */
export interface QuotaLedger {
  /**
   * Admits a change of `document` that grows it by `growth()` bytes (negative: shrinks), or throws a
   * {@link QuotaError}. `growth` costs a look at the neighbours of new scrolls: a ledger asks it
   * only for documents under a quota. The returned hold, if any, is settled exactly once.
   */
  admit(document: DocumentKey, growth: () => number): QuotaHold | undefined;
  /**
   * Whether `document`'s owner has a quota. A store shared by several servers then checks each
   * commit again, in its transaction, against the owner's bytes as the database counts them:
   * this ledger does not see the other servers' writes.
   */
  limited?(document: DocumentKey): boolean;
  /**
   * The owner's bytes before a commit of `document`, as the database counted them, and what the
   * commit grows them by: throws a {@link QuotaError} when that is past the quota (the store
   * then rolls the commit back), else counts from those bytes on.
   */
  measured?(document: DocumentKey, bytesBefore: number, growth: number): void;
}

/** Bytes held for a change until its batch is on disk or has failed. */
export interface QuotaHold {
  settle(): void;
}

/** A write would take its owner past a quota; HTTP answers 507 Insufficient Storage. */
export class QuotaError extends Error {
  override readonly name = 'QuotaError';
  readonly status = 507;
}

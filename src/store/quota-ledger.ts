/**
 * Who may grow which file: the store's admission hook. For every change of a batch, the store
 * measures exactly how many bytes the file grows by (delimiter runs included) and asks the
 * ledger; a change it refuses is rolled back and fails alone, the others commit. A hold lasts
 * until the batch is written (its bytes are then counted by a commit observer) or has failed.
 */
export interface QuotaLedger {
  /**
   * Admits a change of `path` that grows it by `growth()` bytes (negative: shrinks), or throws a
   * {@link QuotaError}. `growth` costs a look at the neighbours of new scrolls: a ledger asks it
   * only for files under a quota. The returned hold, if any, is settled exactly once.
   */
  admit(path: string, growth: () => number): QuotaHold | undefined;
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

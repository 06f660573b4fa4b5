import { serializedGrowth, type Phext } from '../phext/index.js';
import type { ChangeRecord } from './change-record.js';

/** Records applied per event-loop turn: about a millisecond of work, so a long log stalls no one. */
const RECORDS_PER_TURN = 512;

/**
 * Applies change records, oldest first, to a copy of `base`: each sets its scroll to the text it
 * recorded (a delete to none). Records are whole scroll states, so applying one twice, or on top
 * of a file that already holds it, changes nothing: replay is idempotent, and on a file another
 * program edited it makes our scrolls win over theirs scroll by scroll (last writer wins).
 * Returns the new phext and how many bytes its serialization grew by.
 */
export async function replay(base: Phext, records: Iterable<ChangeRecord>): Promise<{ phext: Phext; growth: number }> {
  const phext = base.clone();
  let growth = 0;
  let n = 0;
  for (const r of records) {
    if (++n % RECORDS_PER_TURN === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    growth += serializedGrowth(phext, r.coordinate, r.text);
    phext.set(r.coordinate, r.text);
  }
  return { phext, growth };
}

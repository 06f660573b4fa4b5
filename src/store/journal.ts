import { Coordinate, serializedGrowth, type Phext, type Scroll } from '../phext/index.js';

interface Change {
  readonly key: string;
  /** The scroll before the change; undefined when there was none. */
  readonly before: Scroll | undefined;
}

/**
 * Records every scroll change made to one phext (set, append, delete: the phext reports each one
 * itself, so no mutating method can bypass it), so that the changes of a failed mutation can be
 * undone without cloning the whole phext per mutation, and so that the growth of the file can be
 * bounded without serializing it.
 */
export class Journal {
  private changes: Change[] = [];
  private undoing = false;
  private readonly stop: () => void;

  constructor(private readonly phext: Phext) {
    this.stop = phext.record((key, before) => {
      if (!this.undoing) this.changes.push({ key, before });
    });
  }

  /** A position to roll back to or measure from. */
  get mark(): number {
    return this.changes.length;
  }

  /** Undoes every change made after `mark`, newest first. */
  rollback(mark: number): void {
    this.undoing = true;
    try {
      for (let i = this.changes.length - 1; i >= mark; i--) {
        const { key, before } = this.changes[i]!;
        if (before) this.phext.set(before.coordinate, before.text);
        else this.phext.delete(Coordinate.fromKey(key));
      }
    } finally {
      this.undoing = false;
    }
    this.changes.length = mark;
  }

  /**
   * What changed since `mark`, in one look at each scroll: the scrolls whose text differs from
   * what it was at `mark`, each with that earlier text ('' for none) and its text now (a change
   * that set a scroll to the text it had changes nothing and records nothing), and exactly how many
   * bytes the serialized phext grew by, delimiter runs included. A new or removed scroll changes
   * the runs around it, which depend on its neighbours at the time; so then the changes are undone
   * and made again one scroll at a time, each measured against the phext as it then is. Texts that
   * only change cost no look at the neighbours.
   */
  changesSince(mark: number): { growth: number; changed: Array<{ key: string; before: string; text: string }> } {
    const targets = new Map<string, { coordinate: Coordinate; was: string }>();
    for (let i = mark; i < this.changes.length; i++) {
      const { key, before } = this.changes[i]!;
      if (!targets.has(key)) targets.set(key, { coordinate: before?.coordinate ?? Coordinate.fromKey(key), was: before?.text ?? '' });
    }
    const finals = [...targets].map(([key, { coordinate, was }]) => ({ key, coordinate, was, text: this.phext.get(coordinate) }));
    const changed: Array<{ key: string; before: string; text: string }> = [];
    for (const { key, was, text } of finals) if (text !== was) changed.push({ key, before: was, text });
    // The common write replaces the text of scrolls that stay: only the texts' bytes change.
    if (finals.every(({ was, text }) => (was === '') === (text === ''))) {
      let growth = 0;
      for (const { before, text } of changed) growth += Buffer.byteLength(text, 'utf8') - Buffer.byteLength(before, 'utf8');
      return { growth, changed };
    }
    this.rollback(mark);
    let growth = 0;
    for (const { coordinate, text } of finals) {
      growth += serializedGrowth(this.phext, coordinate, text);
      this.phext.set(coordinate, text);
    }
    return { growth, changed };
  }

  /** Stops recording. */
  detach(): void {
    this.stop();
    this.changes = [];
  }
}

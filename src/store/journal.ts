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
   * An upper bound of how many bytes the serialized phext grew by since `mark`. Replacing a
   * scroll's text changes only the text bytes. A new scroll also needs a delimiter run, and the
   * runs around it are never longer than the run from the origin, Σ(part − 1); removing a scroll
   * never lengthens the runs (the minimal run from a to b is at most the run a→c plus c→b).
   * Each change is measured against the scroll as it is now, once per key.
   */
  growthBound(mark: number): number {
    let growth = 0;
    const seen = new Set<string>();
    // The oldest record of a key after `mark` holds its state at `mark`.
    for (let i = mark; i < this.changes.length; i++) {
      const { key, before } = this.changes[i]!;
      if (seen.has(key)) continue;
      seen.add(key);
      const coordinate = before?.coordinate ?? Coordinate.fromKey(key);
      const after = this.phext.get(coordinate);
      growth += Buffer.byteLength(after) - Buffer.byteLength(before?.text ?? '');
      if (!before && after !== '') growth += runFromOrigin(coordinate);
    }
    return growth;
  }

  /**
   * Exactly how many bytes the serialized phext grew by since `mark`, delimiter runs included.
   * A new or removed scroll changes the runs around it, which depend on its neighbours at the
   * time; so the changes are undone and made again one scroll at a time, each measured against
   * the phext as it then is. Texts that only change cost no look at the neighbours.
   */
  exactGrowth(mark: number): number {
    const targets = new Map<string, Coordinate>();
    for (let i = mark; i < this.changes.length; i++) {
      const { key, before } = this.changes[i]!;
      if (!targets.has(key)) targets.set(key, before?.coordinate ?? Coordinate.fromKey(key));
    }
    const finals = [...targets.values()].map((coordinate) => ({ coordinate, text: this.phext.get(coordinate) }));
    this.rollback(mark);
    let growth = 0;
    for (const { coordinate, text } of finals) {
      growth += serializedGrowth(this.phext, coordinate, text);
      this.phext.set(coordinate, text);
    }
    return growth;
  }

  /** Stops recording. */
  detach(): void {
    this.stop();
    this.changes = [];
  }
}

function runFromOrigin(coordinate: Coordinate): number {
  let n = 0;
  for (const part of coordinate.parts) n += Math.max(part - 1, 0);
  return n;
}

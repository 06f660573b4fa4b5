import { Phext, type Coordinate } from '../phext/index.js';

interface Change {
  readonly coordinate: Coordinate;
  readonly before: string;
  readonly after: string;
}

/**
 * Records every scroll change made through one phext's `set`/`delete`, so that the changes of a
 * failed mutation can be undone without cloning the whole phext per mutation, and so that the
 * growth of the file can be bounded without serializing it.
 */
export class Journal {
  private changes: Change[] = [];

  constructor(private readonly phext: Phext) {
    // Instance properties shadow the prototype methods only while the journal is attached.
    phext.set = (coordinate, text) => {
      this.changes.push({ coordinate, before: phext.get(coordinate), after: text });
      Phext.prototype.set.call(phext, coordinate, text);
    };
    phext.delete = (coordinate) => {
      const before = phext.get(coordinate);
      this.changes.push({ coordinate, before, after: '' });
      return Phext.prototype.delete.call(phext, coordinate);
    };
  }

  /** A position to roll back to or measure from. */
  get mark(): number {
    return this.changes.length;
  }

  /** Undoes every change made after `mark`, newest first. */
  rollback(mark: number): void {
    for (let i = this.changes.length - 1; i >= mark; i--) {
      const c = this.changes[i];
      Phext.prototype.set.call(this.phext, c.coordinate, c.before);
    }
    this.changes.length = mark;
  }

  /**
   * An upper bound of how many bytes the serialized phext grew by since `mark`. Replacing a
   * scroll's text changes only the text bytes. A new scroll also needs a delimiter run, and the
   * runs around it are never longer than the run from the origin, Σ(part − 1); removing a scroll
   * never lengthens the runs (the minimal run from a to b is at most the run a→c plus c→b).
   */
  growthBound(mark: number): number {
    let growth = 0;
    for (let i = mark; i < this.changes.length; i++) {
      const { coordinate, before, after } = this.changes[i];
      growth += Buffer.byteLength(after) - Buffer.byteLength(before);
      if (before === '' && after !== '') growth += runFromOrigin(coordinate);
    }
    return growth;
  }

  /** Stops recording and gives the phext its ordinary methods back. */
  detach(): void {
    delete (this.phext as Partial<Pick<Phext, 'set' | 'delete'>>).set;
    delete (this.phext as Partial<Pick<Phext, 'set' | 'delete'>>).delete;
    this.changes = [];
  }
}

function runFromOrigin(coordinate: Coordinate): number {
  let n = 0;
  for (const part of coordinate.parts) n += Math.max(part - 1, 0);
  return n;
}

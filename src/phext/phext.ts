import { Coordinate } from './coordinate.js';

/** The text at one coordinate. */
export interface Scroll {
  readonly coordinate: Coordinate;
  readonly text: string;
}

/**
 * Sees every change of a phext's scrolls before it is made: the scroll under `key` before the
 * change (undefined when there was none). Used to undo changes (store/journal.ts).
 */
export type ChangeRecorder = (key: string, before: Scroll | undefined) => void;

/**
 * A parsed phext: its non-empty scrolls by coordinate. Reading an absent coordinate gives `''`,
 * and storing `''` removes the scroll, so an empty scroll and a missing one are the same thing,
 * as they are in the file format.
 */
export class Phext {
  // Keyed by Coordinate.key, whose string order is coordinate order; Map keeps insertion order,
  // so the map is already sorted while scrolls arrive in order (as they do from the parser).
  private byKey = new Map<string, Scroll>();
  private lastKey = '';
  private sorted = true;
  // Every write of byKey goes through set/append/delete, which report to the recorder first and
  // refuse once frozen; so no change can slip past a journal or into a shared snapshot.
  private recorder: ChangeRecorder | undefined;
  private frozen = false;

  /** Builds a phext from scrolls in any order; empty texts are skipped, later ones win. */
  static from(scrolls: Iterable<Scroll>): Phext {
    const phext = new Phext();
    for (const s of scrolls) phext.set(s.coordinate, s.text);
    return phext;
  }

  /** Number of non-empty scrolls. */
  get size(): number {
    return this.byKey.size;
  }

  /** The scroll text at `coordinate`, `''` when there is none. */
  get(coordinate: Coordinate): string {
    return this.byKey.get(coordinate.key)?.text ?? '';
  }

  has(coordinate: Coordinate): boolean {
    return this.byKey.has(coordinate.key);
  }

  /** Stores `text` at `coordinate` (replacing what was there); `''` removes the scroll. */
  set(coordinate: Coordinate, text: string): void {
    const key = coordinate.key;
    this.beforeChange(key);
    if (text === '') {
      this.byKey.delete(key);
      return;
    }
    const size = this.byKey.size;
    this.byKey.set(key, { coordinate, text });
    // The map grew: a new key, appended at the end of the iteration order (one lookup, not two).
    if (this.byKey.size > size) {
      if (key < this.lastKey) this.sorted = false;
      else this.lastKey = key;
    }
  }

  /**
   * Appends `text` to the scroll at `coordinate` (creating it when absent) with one map lookup;
   * returns the scroll's new text.
   */
  append(coordinate: Coordinate, text: string): string {
    const key = coordinate.key;
    if (text === '') return this.byKey.get(key)?.text ?? '';
    this.beforeChange(key);
    // Fast path for the parser: a key after the last one cannot exist yet.
    if (key > this.lastKey) {
      this.lastKey = key;
      this.byKey.set(key, { coordinate, text });
      return text;
    }
    const old = this.byKey.get(key);
    const next = old ? old.text + text : text;
    if (!old && key < this.lastKey) this.sorted = false;
    this.byKey.set(key, { coordinate: old ? old.coordinate : coordinate, text: next });
    return next;
  }

  /** Removes the scroll at `coordinate`; returns the text that was there (`''` if none). */
  delete(coordinate: Coordinate): string {
    const key = coordinate.key;
    const old = this.byKey.get(key);
    if (!old) return '';
    this.beforeChange(key);
    this.byKey.delete(key);
    return old.text;
  }

  /**
   * Reports every later change to `recorder` (before it is made) until the returned function is
   * called. One recorder at a time.
   */
  record(recorder: ChangeRecorder): () => void {
    if (this.recorder) throw new Error('this phext already has a change recorder');
    this.recorder = recorder;
    return () => {
      if (this.recorder === recorder) this.recorder = undefined;
    };
  }

  /** Makes this phext read-only for good (a committed snapshot); changes then throw. Returns it. */
  freeze(): this {
    this.frozen = true;
    return this;
  }

  get isFrozen(): boolean {
    return this.frozen;
  }

  private beforeChange(key: string): void {
    if (this.frozen) throw new TypeError('a committed phext is read-only: change a copy (clone())');
    this.recorder?.(key, this.byKey.get(key));
  }

  /**
   * The coordinates of the nearest scrolls before and after `coordinate` (itself excluded), found
   * by one scan without sorting, so that a write can measure its effect on the file cheaply.
   */
  neighbors(coordinate: Coordinate): { before: Coordinate | undefined; after: Coordinate | undefined } {
    const key = coordinate.key;
    let before: Scroll | undefined;
    let after: Scroll | undefined;
    for (const [k, scroll] of this.byKey) {
      if (k < key) {
        if (!before || k > before.coordinate.key) before = scroll;
      } else if (k > key) {
        if (!after || k < after.coordinate.key) after = scroll;
        else if (this.sorted) break; // keys only grow from here
      }
    }
    return { before: before?.coordinate, after: after?.coordinate };
  }

  /** The scrolls in coordinate order. */
  scrolls(): IterableIterator<Scroll> {
    if (!this.sorted) this.sort();
    return this.byKey.values();
  }

  [Symbol.iterator](): IterableIterator<Scroll> {
    return this.scrolls();
  }

  /** A copy that shares no mutable state with this phext (scrolls themselves are immutable); never frozen. */
  clone(): Phext {
    const copy = new Phext();
    copy.byKey = new Map(this.byKey);
    copy.lastKey = this.lastKey;
    copy.sorted = this.sorted;
    return copy;
  }

  private sort(): void {
    const keys = [...this.byKey.keys()].sort();
    const next = new Map<string, Scroll>();
    for (const k of keys) next.set(k, this.byKey.get(k)!);
    this.byKey = next;
    this.lastKey = keys.length ? keys[keys.length - 1] : '';
    this.sorted = true;
  }
}

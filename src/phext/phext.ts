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
 * A scroll kept as its key and text only, the Coordinate built on each use: a Coordinate with its
 * parts array costs about 160 bytes and three objects, which for half a million small scrolls is
 * some 80 MB; the scrolls that are looked at pay for a short-lived Coordinate instead.
 */
class KeyedScroll implements Scroll {
  constructor(
    readonly key: string,
    readonly text: string,
  ) {}

  get coordinate(): Coordinate {
    return Coordinate.fromKey(this.key);
  }
}

/**
 * A scroll as the parser stores it: its key and where its text is in the parsed bytes (valid
 * UTF-8, never modified), decoded on each use. A parsed file then costs its bytes, which a
 * snapshot holds anyway, and about 130 bytes per scroll, instead of a second, decoded copy of
 * the text (twice the bytes for non-Latin-1 text) and one string per scroll.
 */
class ByteScroll implements Scroll {
  constructor(
    readonly key: string,
    readonly bytes: Buffer,
    readonly start: number,
    readonly end: number,
  ) {}

  get coordinate(): Coordinate {
    return Coordinate.fromKey(this.key);
  }

  get text(): string {
    return this.bytes.toString('utf8', this.start, this.end);
  }
}

/** Where a scroll's text lies in the buffer it was parsed from; undefined for other scrolls. */
export function parsedBytes(scroll: Scroll): { readonly bytes: Buffer; readonly start: number; readonly end: number } | undefined {
  return scroll instanceof ByteScroll ? scroll : undefined;
}

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
    // Fast path for scrolls that arrive in order: a key after the last one cannot exist yet.
    if (key > this.lastKey) {
      this.lastKey = key;
      this.byKey.set(key, { coordinate, text });
      return text;
    }
    return this.appendAt(key, text);
  }

  /**
   * {@link append} for the parser: the text is `bytes[start, end)` (valid UTF-8 that must never
   * change), `key` a valid {@link Coordinate.key}; see {@link ByteScroll}.
   */
  appendBytes(key: string, bytes: Buffer, start: number, end: number): void {
    if (end <= start) return;
    this.beforeChange(key);
    if (key > this.lastKey) {
      this.lastKey = key;
      this.byKey.set(key, new ByteScroll(key, bytes, start, end));
      return;
    }
    this.appendAt(key, bytes.toString('utf8', start, end));
  }

  private appendAt(key: string, text: string): string {
    const old = this.byKey.get(key);
    const next = old ? old.text + text : text;
    if (!old && key < this.lastKey) this.sorted = false;
    this.byKey.set(key, new KeyedScroll(key, next));
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
    let before: string | undefined;
    let after: string | undefined;
    for (const k of this.byKey.keys()) {
      if (k < key) {
        if (before === undefined || k > before) before = k;
      } else if (k > key) {
        if (after === undefined || k < after) after = k;
        else if (this.sorted) break; // keys only grow from here
      }
    }
    const at = (k: string | undefined) => (k === undefined ? undefined : this.byKey.get(k)!.coordinate);
    return { before: at(before), after: at(after) };
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
    this.lastKey = keys.at(-1) ?? '';
    this.sorted = true;
  }
}

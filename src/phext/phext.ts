import sortedBTree from 'sorted-btree';
import { bulkLoad } from 'sorted-btree/extended/bulkLoad.js';
import sortedBTreeUnion from 'sorted-btree/extended/union.js';
import { Coordinate } from './coordinate.js';

// sorted-btree is CommonJS and sets `exports.default`: imported from an ES module, its default is
// the whole `module.exports`, so the class (and the union function) are that object's `default`.
const BTree = sortedBTree.default;
type BTree<K, V> = sortedBTree.default<K, V>;
const union = sortedBTreeUnion.default;

/**
 * Orders Coordinate.keys by UTF-16 code unit, which is coordinate order. The library's default
 * comparator also orders numbers, dates and arrays, and is slower; set operations (union) also
 * need both trees to share the very same comparator function.
 */
const compareKeys = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Keys per tree node: the library's default. A write to a clone copies one node per level. */
const NODE_SIZE = 32;

/**
 * Scrolls appended in key order to a new phext (the parser's order) join its tree this many at a
 * time, bulk-loaded (see Phext.loading); each step stays short (~0.1 ms).
 */
const LOAD_CHUNK = 1024;

/**
 * Estimated memory of one scroll beyond its text, whatever it holds: its key string, its tree
 * slot, and a parsed scroll's two offsets (measured with `process.memoryUsage()` on phexts of
 * 1,000 to 100,000 parsed scrolls: 78-84 bytes each on Node 20, x64, keys of parts up to 999).
 */
const SCROLL_MEMORY = 88;
/**
 * What a scroll stored as a string holds beyond {@link SCROLL_MEMORY}: its object, the string's
 * header, and for a scroll set with its Coordinate, that Coordinate and its parts (~230 bytes).
 */
const STRING_SCROLL_MEMORY = 248;

/**
 * Estimated memory of a string: one byte per character for ASCII, two otherwise (a string with a
 * character past U+00FF takes two; Latin-1 takes one, counted as two to stay cheap and safe).
 */
export function textMemory(text: string): number {
  return Buffer.byteLength(text, 'utf8') === text.length ? text.length : 2 * text.length;
}

/** What a scroll holds beside its slot: nothing for parsed bytes (the buffer is counted once), else its text. */
function heldBy(slot: Slot | undefined): number {
  return slot === undefined || typeof slot === 'number' || slot instanceof ByteScroll ? 0 : STRING_SCROLL_MEMORY + textMemory(slot.text);
}

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
 * A parsed scroll as it is handed out: its key and where its text is in the parsed bytes (valid
 * UTF-8, never modified), decoded on each use. The tree itself holds most parsed scrolls as a
 * number (see {@link Slot}), made into one of these only when looked at.
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

/**
 * A scroll as the tree holds it: a Scroll, or the index of a parsed scroll in the phext's
 * {@link Parsed} offsets. A parsed file then costs its bytes, which a snapshot holds anyway, its
 * keys and two numbers a scroll — no object per scroll (an object and its fields were half of it)
 * nor a second, decoded copy of the text (twice the bytes for non-Latin-1 text).
 */
type Slot = Scroll | number;

/**
 * Where parsed scrolls' texts are: slot `i` is `bytes[starts[i], ends[i])`. Only ever appended to
 * (the indices in use never change), so clones share it.
 */
interface Parsed {
  readonly bytes: Buffer;
  readonly starts: number[];
  readonly ends: number[];
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
  // Keyed by Coordinate.key, whose string order is coordinate order, so the scrolls are always in
  // coordinate order. A B+ tree rather than a Map: clone() is O(1), the copy sharing the nodes
  // until either side changes one (copy on write), and neighbors() is a lookup, not a scan.
  private tree: BTree<string, Slot> = new BTree<string, Slot>(undefined, compareKeys, NODE_SIZE);
  // While a new phext only receives scrolls past its last key (as from the parser), they wait
  // here and join the tree in bulk, LOAD_CHUNK at a time: one tree.set() each, a search from the
  // root comparing strings, costs far more (parsing 100k small scrolls took 80 ms instead of 31).
  // Any other use of the scrolls (through byKey) loads what is left and ends the loading for good.
  private loading: { keys: string[]; slots: Slot[] } | undefined = { keys: [], slots: [] };
  // Every change of the scrolls goes through set/append/appendBytes/delete, which report to the
  // recorder first and refuse once frozen; so no change can slip past a journal or into a shared
  // snapshot.
  private recorder: ChangeRecorder | undefined;
  private frozen = false;
  // What the scrolls hold, kept up to date change by change so that weighing a cached phext never
  // scans it: the buffers parsed scrolls point into (each counted once, even when few of its
  // scrolls are left) and the texts stored as strings.
  private source: Buffer | undefined;
  private sourceBytes = 0;
  /** The buffer of the numbered slots, the first one parsed; scrolls of another are objects. */
  private parsed: Parsed | undefined;
  private heldBytes = 0;

  /** Builds a phext from scrolls in any order; empty texts are skipped, later ones win. */
  static from(scrolls: Iterable<Scroll>): Phext {
    const phext = new Phext();
    for (const s of scrolls) phext.set(s.coordinate, s.text);
    return phext;
  }

  /** The scrolls' tree, complete: the scrolls still loading are put in it first. */
  private get byKey(): BTree<string, Slot> {
    if (this.loading) {
      this.load();
      this.loading = undefined;
    }
    return this.tree;
  }

  /** Number of non-empty scrolls. */
  get size(): number {
    return this.byKey.size;
  }

  /**
   * Estimated bytes this phext keeps in memory: the buffers it was parsed from, a slot per scroll,
   * and the texts of the scrolls changed since. O(1). A clone shares all of it until it changes.
   */
  get memory(): number {
    return this.sourceBytes + SCROLL_MEMORY * this.size + this.heldBytes;
  }

  /** The scroll text at `coordinate`, `''` when there is none. */
  get(coordinate: Coordinate): string {
    const slot = this.byKey.get(coordinate.key);
    return slot === undefined ? '' : this.textOf(slot);
  }

  has(coordinate: Coordinate): boolean {
    return this.byKey.has(coordinate.key);
  }

  /** Stores `text` at `coordinate` (replacing what was there); `''` removes the scroll. */
  set(coordinate: Coordinate, text: string): void {
    const key = coordinate.key;
    if (text === '') {
      this.remove(key);
      return;
    }
    const scroll = { coordinate, text };
    if (this.appendLast(key, scroll)) return;
    this.replace(key, this.byKey.get(key), scroll);
  }

  /** Appends `text` to the scroll at `coordinate` (creating it when absent); returns the scroll's new text. */
  append(coordinate: Coordinate, text: string): string {
    const key = coordinate.key;
    if (text === '') return this.get(coordinate);
    if (this.appendLast(key, { coordinate, text })) return text;
    return this.appendAt(key, text);
  }

  /**
   * {@link append} for the parser: the text is `bytes[start, end)` (valid UTF-8 that must never
   * change), `key` a valid {@link Coordinate.key}; see {@link ByteScroll}.
   */
  appendBytes(key: string, bytes: Buffer, start: number, end: number): void {
    if (end <= start) return;
    if (bytes !== this.source) {
      this.source = bytes;
      this.sourceBytes += bytes.length;
    }
    if (!this.isAfterLast(key)) {
      this.appendAt(key, bytes.toString('utf8', start, end));
      return;
    }
    this.parsed ??= { bytes, starts: [], ends: [] };
    const parsed = this.parsed;
    if (parsed.bytes === bytes) {
      parsed.starts.push(start);
      this.putLast(key, parsed.ends.push(end) - 1);
    } else {
      this.putLast(key, new ByteScroll(key, bytes, start, end));
    }
  }

  private appendAt(key: string, text: string): string {
    const old = this.byKey.get(key);
    const next = old === undefined ? text : this.textOf(old) + text;
    this.replace(key, old, new KeyedScroll(key, next));
    return next;
  }

  /** The text of a slot of this phext's tree. */
  private textOf(slot: Slot): string {
    if (typeof slot !== 'number') return slot.text;
    const { bytes, starts, ends } = this.parsed!;
    return bytes.toString('utf8', starts[slot], ends[slot]);
  }

  /** The scroll of a slot of this phext's tree. */
  private scrollOf(key: string, slot: Slot): Scroll {
    if (typeof slot !== 'number') return slot;
    const { bytes, starts, ends } = this.parsed!;
    return new ByteScroll(key, bytes, starts[slot]!, ends[slot]!);
  }

  /** Puts `scroll` under `key` in place of `old` (what the tree holds there now). */
  private replace(key: string, old: Slot | undefined, scroll: Scroll): void {
    this.beforeChange(key, old);
    this.byKey.set(key, scroll);
    this.heldBytes += heldBy(scroll) - heldBy(old);
  }

  /** Removes the scroll under `key`, if any (refused once frozen and recorded either way, like any change). */
  private remove(key: string): void {
    const old = this.byKey.get(key);
    this.beforeChange(key, old);
    if (old === undefined) return;
    this.byKey.delete(key);
    this.heldBytes -= heldBy(old);
  }

  /**
   * Stores `scroll` when `key` comes after every key (as the parser's do), where no scroll can be
   * yet: no lookup for the old one, and while this phext is loading, among the scrolls loading.
   * False otherwise, and nothing is done.
   */
  private appendLast(key: string, scroll: Scroll): boolean {
    if (!this.isAfterLast(key)) return false;
    this.putLast(key, scroll);
    return true;
  }

  /** True when `key` comes after every key of this phext (loading ones included). */
  private isAfterLast(key: string): boolean {
    const loading = this.loading;
    const last = loading && loading.keys.length > 0 ? loading.keys.at(-1) : this.tree.maxKey();
    return last === undefined || key > last;
  }

  /** Stores `slot` under `key`, which {@link isAfterLast} said comes after every key. */
  private putLast(key: string, slot: Slot): void {
    this.beforeChange(key, undefined);
    this.heldBytes += heldBy(slot);
    const loading = this.loading;
    if (!loading) {
      this.tree.set(key, slot);
      return;
    }
    loading.keys.push(key);
    loading.slots.push(slot);
    if (loading.keys.length >= LOAD_CHUNK) this.load();
  }

  /** Puts the scrolls loading in the tree: they all come after its last key. */
  private load(): void {
    const { keys, slots } = this.loading!;
    if (keys.length === 0) return;
    const loaded = bulkLoad(keys, slots, NODE_SIZE, compareKeys);
    // Disjoint key ranges: union reuses the subtrees of both whole, so this costs O(log n), not O(n).
    this.tree = this.tree.size === 0 ? loaded : union(this.tree, loaded, overlapping);
    this.loading = { keys: [], slots: [] };
  }

  /** Removes the scroll at `coordinate`; returns the text that was there (`''` if none). */
  delete(coordinate: Coordinate): string {
    const old = this.byKey.get(coordinate.key);
    if (old === undefined) return '';
    const text = this.textOf(old);
    this.remove(coordinate.key);
    return text;
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
    // The tree too: a write that bypassed our check would throw rather than change a snapshot.
    this.byKey.freeze();
    this.frozen = true;
    return this;
  }

  get isFrozen(): boolean {
    return this.frozen;
  }

  /** Refuses a change once frozen, else reports it to the recorder with the scroll it replaces. */
  private beforeChange(key: string, before: Slot | undefined): void {
    if (this.frozen) throw new TypeError('a committed phext is read-only: change a copy (clone())');
    this.recorder?.(key, before === undefined ? undefined : this.scrollOf(key, before));
  }

  /**
   * The coordinates of the nearest scrolls before and after `coordinate` (itself excluded), two
   * tree lookups, so that a write can measure its effect on the file cheaply.
   */
  neighbors(coordinate: Coordinate): { before: Coordinate | undefined; after: Coordinate | undefined } {
    const key = coordinate.key;
    const tree = this.byKey;
    const coordinateOf = (pair: [string, Slot] | undefined) =>
      pair && (typeof pair[1] === 'number' ? Coordinate.fromKey(pair[0]) : pair[1].coordinate);
    return { before: coordinateOf(tree.nextLowerPair(key)), after: coordinateOf(tree.nextHigherPair(key)) };
  }

  /** The scrolls in coordinate order, as they are when called: changes made meanwhile do not show. */
  scrolls(): IterableIterator<Scroll> {
    // A tree's iterator breaks if the tree changes under it; an O(1) copy cannot (copy on write).
    return this.scrollsOf(this.byKey.clone());
  }

  private *scrollsOf(tree: BTree<string, Slot>): IterableIterator<Scroll> {
    const pair: Array<string | Slot> = [];
    for (const [key, slot] of tree.entries(undefined, pair)) yield this.scrollOf(key, slot);
  }

  [Symbol.iterator](): IterableIterator<Scroll> {
    return this.scrolls();
  }

  /**
   * A copy that shares no mutable state with this phext (scrolls themselves are immutable); never
   * frozen. O(1): the two share the tree's nodes, and a change copies the nodes it touches.
   */
  clone(): Phext {
    const copy = new Phext();
    copy.tree = this.byKey.clone();
    copy.loading = undefined;
    copy.source = this.source;
    copy.sourceBytes = this.sourceBytes;
    copy.parsed = this.parsed;
    copy.heldBytes = this.heldBytes;
    return copy;
  }
}

/** The union in Phext.load never meets a key twice: the scrolls loading all come after the tree's. */
function overlapping(key: string): Slot {
  throw new Error(`phext loading: key ${JSON.stringify(key)} is already in the tree`);
}

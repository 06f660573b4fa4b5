import { textMemory } from '../phext/index.js';
import type { ChangeRecord } from './change-record.js';
import { baseFrame, batchFrame, logPathOf, readLog } from './change-log.js';
import type { FileHandle } from 'node:fs/promises';
import type { FileStamp } from './file-stamp.js';
import type { StoreIo } from './store-io.js';

/**
 * Estimated memory of a record beside its text: the object, its Coordinate, two checksum strings
 * and its map entry (~370 bytes measured on Node 20, x64).
 */
const RECORD_MEMORY = 384;
/** A log beside its records: the object, its maps, its path, an open file handle (~2 KB measured). */
const LOG_MEMORY = 2048;
/** A string's header. */
const STRING_MEMORY = 16;

/**
 * The change log of one phext as its owner holds it: the `.phext` version its records apply on,
 * the newest unfolded record of each scroll (what a checkpoint folds in, and what is re-applied
 * if another program replaces the file), and where its whole frames end. Only the document's
 * commit loop changes it, one operation at a time.
 */
export class OpenLog {
  private constructor(
    readonly path: string,
    /** The `.phext` the records apply on (undefined: there was no file). */
    readonly base: FileStamp | undefined,
    /** The phext's version after the last record (or the base's version). */
    public version: number,
    /** Where whole frames end; a torn or failed append after it is cut off by the next one. */
    private validBytes: number,
    /** Bytes of the base frame and the folded records: the file holds them already. */
    private readonly carriedBytes: number,
    readonly unfolded: Map<string, ChangeRecord>,
    /**
     * What the last checkpoint folded into the file, kept until the next one: an editor that read
     * the file just before that checkpoint and saves just after would otherwise drop these
     * acknowledged writes without a trace (see withLog).
     */
    readonly folded: ReadonlyMap<string, ChangeRecord>,
    baseVersion: number,
  ) {
    let memory = 0;
    // A folded text may be no scroll's any more (changed again since): counted, as it may be held alone.
    for (const r of folded.values()) memory += RECORD_MEMORY + STRING_MEMORY + textMemory(r.text);
    this.foldedMemory = memory;
    this.retainedAfter = retainedAfter(baseVersion, folded);
  }

  private readonly foldedMemory: number;

  /**
   * Estimated bytes the records keep in memory. An unfolded record's text is its scroll's text in
   * the phext, the same string, which the phext counts; so only the record itself is counted.
   */
  get memory(): number {
    return LOG_MEMORY + this.foldedMemory + RECORD_MEMORY * this.unfolded.size;
  }

  /**
   * Every change after this version is held here, as the newest record of its scroll (folded or
   * unfolded): what a change feed can replay. A checkpoint knows what it cut from the folded
   * records (see installCheckpoint); a log read from disk does not, so only its oldest folded
   * version is sure, else its base (an outside edit may have moved the version without a record).
   */
  retainedAfter: number;

  /** Kept open from the first append until the log is replaced or released: an append is then one write and one sync. */
  private handle: Promise<FileHandle> | undefined;

  /** The log of `phextPath`, or undefined when it has none. */
  static async read(phextPath: string): Promise<OpenLog | undefined> {
    const path = logPathOf(phextPath);
    const contents = await readLog(path);
    if (!contents) return undefined;
    const unfolded = newestByScroll(contents.records);
    const folded = newestByScroll(contents.folded);
    return new OpenLog(
      path,
      contents.base,
      highest(contents.baseVersion, contents.records),
      contents.validBytes,
      contents.carriedBytes,
      unfolded,
      folded,
      contents.baseVersion,
    );
  }

  /**
   * Writes a new log for `base` at `version` holding `records` not yet in the file (and, after a
   * checkpoint, the records it `folded`), replacing any old one atomically: a crash leaves the old
   * log or the new one.
   */
  static async create(
    io: StoreIo,
    phextPath: string,
    base: FileStamp | undefined,
    version: number,
    records: readonly ChangeRecord[],
    folded: readonly ChangeRecord[] = [],
  ): Promise<OpenLog> {
    const path = logPathOf(phextPath);
    const frames = [baseFrame(version, base)];
    if (folded.length > 0) frames.push(batchFrame(folded, true));
    const carried = frames.reduce((sum, f) => sum + f.length, 0);
    if (records.length > 0) frames.push(batchFrame(records));
    const bytes = frames.length === 1 ? frames[0]! : Buffer.concat(frames);
    await io.replace(path, bytes, { mode: 0o600 });
    return new OpenLog(
      path,
      base,
      highest(version, records),
      bytes.length,
      carried,
      newestByScroll(records),
      newestByScroll(folded),
      version,
    );
  }

  /** Closes the append handle, if open (the log was replaced, or its document leaves the cache). */
  async release(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await (await handle?.catch(() => undefined))?.close();
  }

  /** True while a handle is open. */
  get holdsHandle(): boolean {
    return this.handle !== undefined;
  }

  /** Bytes of whole frames in the log. */
  get bytes(): number {
    return this.validBytes;
  }

  /**
   * Bytes of the records the file does not hold yet: what a checkpoint would fold. The folded
   * records a new log carries (up to a checkpoint's worth) must not count, or every checkpoint
   * would leave a log already due for the next one.
   */
  get pendingBytes(): number {
    return this.validBytes - this.carriedBytes;
  }

  /** Appends one commit's records and syncs them; returns the bytes written. */
  async append(io: StoreIo, records: readonly ChangeRecord[]): Promise<number> {
    const frame = batchFrame(records);
    this.handle ??= io.openLog(this.path, this.validBytes);
    let file: FileHandle;
    try {
      file = await this.handle;
    } catch (e) {
      this.handle = undefined;
      throw e;
    }
    await io.append(file, this.validBytes, frame);
    this.validBytes += frame.length;
    for (const r of records) {
      this.unfolded.delete(r.coordinate.key);
      this.unfolded.set(r.coordinate.key, r);
      this.version = Math.max(this.version, r.version);
    }
    return frame.length;
  }
}

/** The newest record of each scroll, in order of each scroll's last change. */
function newestByScroll(records: readonly ChangeRecord[]): Map<string, ChangeRecord> {
  const newest = new Map<string, ChangeRecord>();
  for (const r of records) {
    newest.delete(r.coordinate.key);
    newest.set(r.coordinate.key, r);
  }
  return newest;
}

/** See {@link OpenLog.retainedAfter}: the oldest folded version (ties may have been cut with it), else the base. */
function retainedAfter(baseVersion: number, folded: ReadonlyMap<string, ChangeRecord>): number {
  let oldest = baseVersion;
  for (const r of folded.values()) if (r.version < oldest) oldest = r.version;
  return oldest;
}

/** The highest version of `records`, at least `version` (a loop: a log may hold 100,000 records). */
function highest(version: number, records: Iterable<ChangeRecord>): number {
  let v = version;
  for (const r of records) if (r.version > v) v = r.version;
  return v;
}

import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { Phext, PhextFormatError, checksum, parseAsync } from '../phext/index.js';
import type { ChangeRecord } from './change-record.js';
import { isMissing, sameStamp, stampOf, statIfExists, type FileStamp } from './file-stamp.js';
import { OpenLog } from './open-log.js';
import { refusals } from './refusals.js';
import { replay } from './replay.js';
import { CommittedSnapshot } from './snapshot.js';
import type { StoreIo } from './store-io.js';

/** The `.phext` file alone: its parsed scrolls and bytes (undefined when it does not exist) and stamp. */
export interface FileState {
  readonly file: { readonly phext: Phext; readonly bytes: Buffer } | undefined;
  readonly stamp: FileStamp | undefined;
}

/**
 * A document as its owner knows it: the `.phext` (by stamp) with the change log's unfolded records
 * applied on top. `snapshot` is undefined when there is neither a file nor a record.
 */
export interface DiskState {
  readonly snapshot: CommittedSnapshot | undefined;
  /** The `.phext` this state was made from; another stamp on disk means another program changed it. */
  readonly stamp: FileStamp | undefined;
  /** The phext's version: grows with every change, survives restarts (kept in the log). */
  readonly version: number;
  /** The change log; undefined until the first change of a file that had none. */
  readonly log: OpenLog | undefined;
}

const MISSING: FileState = Object.freeze({ file: undefined, stamp: undefined });

/**
 * The document from its file and its log. When the log was written on top of another version of
 * the file — another program edited or replaced it, or a crash cut a checkpoint short after its
 * rename — its records are applied on top of the file as it is now (our scrolls win, scroll by
 * scroll), the version moves on, and a new log based on this file is written before anything is
 * served, so that version is never given to two different contents. `notice` hears about it.
 *
 * The records the last checkpoint folded in are looked at too: where the file now holds the text
 * a scroll had before such a record, the editor saved a copy read before that checkpoint, and the
 * record is applied again; where it holds anything else, the editor changed that scroll itself
 * and its text stays (last writer wins).
 */
export async function withLog(
  io: StoreIo,
  path: string,
  found: FileState,
  log: OpenLog | undefined,
  notice: (line: string) => void,
): Promise<DiskState> {
  const { file, stamp } = found;
  if (!log) {
    return { snapshot: file && new CommittedSnapshot(file.phext, 0, file.bytes.length, file.bytes), stamp, version: 0, log };
  }
  let version = log.version;
  if (!sameStamp(log.base, stamp)) {
    version++;
    const unfolded = [...log.unfolded.values()];
    // A deleted file is not an older copy: what was folded into it goes with it.
    const { carried, theirs } = file ? foldedToCarry(log, file.phext) : { carried: [], theirs: 0 };
    const old = log;
    log = await OpenLog.create(io, path, stamp, version, [...carried, ...unfolded]);
    await old.release();
    const n = unfolded.length + carried.length;
    notice(
      `${basename(path)} changed on disk outside SQ (or a checkpoint was cut short): ` +
        `${n} scroll change${n === 1 ? '' : 's'} not in it applied on top` +
        (carried.length > 0 ? ` (${carried.length} it had dropped with an older copy)` : '') +
        (theirs > 0 ? `, ${theirs} scroll${theirs === 1 ? '' : 's'} it changed itself kept as it saved them` : '') +
        `; now version ${version}`,
    );
  }
  if (log.unfolded.size === 0) {
    return { snapshot: file && new CommittedSnapshot(file.phext, version, file.bytes.length, file.bytes), stamp, version, log };
  }
  const base = file?.phext;
  const { phext, growth } = await replay(base ?? new Phext(), log.unfolded.values());
  return { snapshot: new CommittedSnapshot(phext, version, (file?.bytes.length ?? 0) + growth), stamp, version, log };
}

/**
 * Of the records the last checkpoint folded in, those the file has lost: its scroll holds again
 * the text from before the record (an editor's older copy). `theirs` counts the scrolls the file
 * holds some third text for: the editor's own change, which stays.
 */
function foldedToCarry(log: OpenLog, file: Phext): { carried: ChangeRecord[]; theirs: number } {
  const carried: ChangeRecord[] = [];
  let theirs = 0;
  for (const r of log.folded.values()) {
    if (log.unfolded.has(r.coordinate.key)) continue; // a newer change of ours goes on top anyway
    const now = checksum(file.get(r.coordinate));
    if (now === r.checksum) continue;
    if (now === r.before) carried.push(r);
    else theirs++;
  }
  return { carried, theirs };
}

/**
 * Reads and parses a phext file. The size is checked with stat before a single byte is read, and
 * invalid UTF-8 is refused rather than repaired; in both cases the file is left alone (StoreError).
 */
export async function loadFile(path: string, maxBytes: number): Promise<FileState> {
  const st = await statIfExists(path);
  if (!st) return MISSING;
  if (!st.isFile()) throw refusals.notAFile(path, st);
  if (st.size > BigInt(maxBytes)) throw refusals.tooLargeFile(path, st.size, maxBytes);
  let file;
  try {
    // Non-blocking, so a FIFO swapped in after the stat cannot hang the open (checked below).
    file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    if (isMissing(e)) return MISSING; // deleted between stat and open
    throw e;
  }
  let bytes: Buffer | undefined;
  let stamp: FileStamp;
  try {
    // The stamp comes from the open file, taken before reading: any later edit changes it.
    const fst = await file.stat({ bigint: true });
    if (!fst.isFile()) throw refusals.notAFile(path, fst);
    if (fst.size > BigInt(maxBytes)) throw refusals.tooLargeFile(path, fst.size, maxBytes);
    stamp = stampOf(fst);
    bytes = await readAtMost(file, Number(fst.size), maxBytes);
    if (bytes === undefined) throw refusals.tooLargeFile(path, `more than ${maxBytes}`, maxBytes);
  } finally {
    await file.close();
  }
  return { file: { phext: await parseFile(path, bytes), bytes }, stamp };
}

/**
 * Parses in segments with turns of the event loop between them: a large file must not stall other
 * requests. Invalid UTF-8 is refused (422), as is a layout the codec cannot hold without merging scrolls is refused (422).
 */
async function parseFile(path: string, bytes: Buffer): Promise<Phext> {
  try {
    return await parseAsync(bytes);
  } catch (e) {
    if (!(e instanceof PhextFormatError)) throw e;
    throw e.reason === 'utf8' ? refusals.invalidUtf8(path) : refusals.unholdable(path, e.message);
  }
}

type Handle = Awaited<ReturnType<typeof open>>;

/** Reads the whole file, or undefined if it has grown past `maxBytes` while we read it. */
async function readAtMost(file: Handle, expected: number, maxBytes: number): Promise<Buffer | undefined> {
  let buf = Buffer.allocUnsafe(Math.min(expected, maxBytes) + 1);
  let length = 0;
  for (;;) {
    if (length === buf.length) {
      if (buf.length > maxBytes) return undefined;
      const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, maxBytes + 1));
      buf.copy(bigger, 0, 0, length);
      buf = bigger;
    }
    const { bytesRead } = await file.read(buf, length, buf.length - length, length);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  return length > maxBytes ? undefined : buf.subarray(0, length);
}

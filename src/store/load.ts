import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { PhextFormatError, parseAsync, type Phext } from '../phext/index.js';
import { isMissing, stampOf, statIfExists, type FileStamp } from './file-stamp.js';
import { refusals } from './refusals.js';
import { CommittedSnapshot } from './snapshot.js';

/** A document as found on disk: its snapshot (undefined when the file does not exist) and stamp. */
export interface DiskState {
  readonly snapshot: CommittedSnapshot | undefined;
  readonly stamp: FileStamp | undefined;
}

const MISSING: DiskState = Object.freeze({ snapshot: undefined, stamp: undefined });

/**
 * Reads and parses a phext file. The size is checked with stat before a single byte is read, and
 * invalid UTF-8 is refused rather than repaired; in both cases the file is left alone (StoreError).
 */
export async function loadFromDisk(path: string, maxBytes: number): Promise<DiskState> {
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
  return { snapshot: new CommittedSnapshot(await parseFile(path, bytes), bytes), stamp };
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

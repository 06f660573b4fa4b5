import { open, readFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { xxh32 } from '@node-rs/xxhash';
import { Coordinate } from '../phext/index.js';
import type { ChangeRecord } from './change-record.js';
import type { FileStamp } from './file-stamp.js';

/**
 * What the log says: the `.phext` version its records apply on (`base`, undefined for a file that
 * did not exist), the version the phext had then, and the records since, in commit order.
 */
export interface LogContents {
  readonly baseVersion: number;
  readonly base: FileStamp | undefined;
  readonly records: ChangeRecord[];
  /** Records the last checkpoint folded into the file, kept one checkpoint longer (see OpenLog). */
  readonly folded: ChangeRecord[];
  /** Bytes of whole frames; anything after them is a torn append, never acknowledged. */
  readonly validBytes: number;
  /** Of those, the base frame's and the folded frames': what the file already holds. */
  readonly carriedBytes: number;
  readonly fileBytes: number;
}

/** `.<name>.phext.log` beside the phext: hidden, like our temp files. */
export function logPathOf(phextPath: string): string {
  return join(dirname(phextPath), `.${basename(phextPath)}.log`);
}

// A frame: u32 payload length, u32 xxh32 of the payload, the payload. The payload is a u32 length
// of a JSON header, the header, then the texts of its records back to back. A checksum per frame
// finds a torn last append (the only kind a crash leaves: frames are appended, never rewritten).
const FRAME_HEAD = 8;
const SEED = 0x5351; // "SQ"

interface BaseHeader {
  readonly t: 'base';
  readonly v: number;
  /** The stamp as decimal strings (JSON has no bigint), or null: no file. */
  readonly s: readonly [string, string, string] | null;
}
interface BatchHeader {
  readonly t: 'batch';
  /** version, coordinate, kind initial, byte length, checksum, checksum before — per record. */
  readonly r: ReadonlyArray<readonly [number, string, 'i' | 'u' | 'd', number, string, string]>;
  /** Already folded into the file by the checkpoint that wrote this log. */
  readonly f?: true;
}

const KIND_CODE = { insert: 'i', update: 'u', delete: 'd' } as const;
const CODE_KIND = { i: 'insert', u: 'update', d: 'delete' } as const;

function frame(header: BaseHeader | BatchHeader, texts: readonly string[] = []): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const textBytes = texts.reduce((n, t) => n + Buffer.byteLength(t, 'utf8'), 0);
  const payloadLength = 4 + json.length + textBytes;
  const out = Buffer.allocUnsafe(FRAME_HEAD + payloadLength);
  out.writeUInt32LE(payloadLength, 0);
  out.writeUInt32LE(json.length, FRAME_HEAD);
  json.copy(out, FRAME_HEAD + 4);
  let at = FRAME_HEAD + 4 + json.length;
  for (const t of texts) at += out.write(t, at, 'utf8');
  out.writeUInt32LE(xxh32(out.subarray(FRAME_HEAD), SEED), 4);
  return out;
}

/** The first frame of every log: which file, at which version, the records apply on. */
export function baseFrame(version: number, base: FileStamp | undefined): Buffer {
  return frame({ t: 'base', v: version, s: base ? [String(base.ino), String(base.size), String(base.mtimeNs)] : null });
}

/**
 * One commit's records as one frame: appended and synced at once, so a commit is whole or absent.
 * `folded`: records a checkpoint has just put in the file, kept for a racing editor (see OpenLog).
 */
export function batchFrame(records: readonly ChangeRecord[], folded = false): Buffer {
  const r = records.map((x) => [x.version, x.coordinate.toString(), KIND_CODE[x.kind], x.bytes, x.checksum, x.before] as const);
  return frame(
    folded ? { t: 'batch', r, f: true } : { t: 'batch', r },
    records.map((x) => x.text),
  );
}

/** Thrown for a log that is not ours or is damaged before its end: replaying part of it would lose writes. */
class LogFormatError extends Error {
  override readonly name = 'LogFormatError';
}

/** Reads a log; undefined when there is none. A torn last frame is reported in `validBytes`, not thrown. */
export async function readLog(path: string): Promise<LogContents | undefined> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let at = 0;
  let base: BaseHeader | undefined;
  const records: ChangeRecord[] = [];
  const folded: ChangeRecord[] = [];
  let turn = 0;
  let carried = 0;
  while (at + FRAME_HEAD <= data.length) {
    // A turn of the event loop per megabyte read: a long log must not stall other requests.
    if (at - turn >= 1 << 20) {
      turn = at;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const length = data.readUInt32LE(at);
    const end = at + FRAME_HEAD + length;
    if (end > data.length || length < 4) break;
    const payload = data.subarray(at + FRAME_HEAD, end);
    if (xxh32(payload, SEED) !== data.readUInt32LE(at + 4)) break;
    const jsonLength = payload.readUInt32LE(0);
    const header = JSON.parse(payload.toString('utf8', 4, 4 + jsonLength)) as BaseHeader | BatchHeader;
    if (!base) {
      if (header.t !== 'base') throw new LogFormatError(`${basename(path)} does not start with a base frame`);
      base = header;
      carried += end - at;
    } else if (header.t === 'batch') {
      if (header.f) carried += end - at;
      let textAt = 4 + jsonLength;
      const into = header.f ? folded : records;
      for (const [version, c, k, bytes, checksum, before] of header.r) {
        const text = payload.toString('utf8', textAt, textAt + bytes);
        textAt += bytes;
        into.push({ version, coordinate: Coordinate.parse(c), kind: CODE_KIND[k], text, bytes, checksum, before });
      }
    } else {
      throw new LogFormatError(`${basename(path)} has a second base frame`);
    }
    at = end;
  }
  if (!base) {
    // Nothing whole: a log whose creation was cut short (it is created whole by rename, so only
    // a foreign or damaged file gets here).
    throw new LogFormatError(`${basename(path)} has no readable base frame`);
  }
  const [ino, size, mtimeNs] = base.s ?? [];
  return {
    baseVersion: base.v,
    base: base.s ? { ino: BigInt(ino!), size: BigInt(size!), mtimeNs: BigInt(mtimeNs!) } : undefined,
    records,
    folded,
    validBytes: at,
    carriedBytes: carried,
    fileBytes: data.length,
  };
}

/**
 * Opens a log for appending at `validBytes`, where its whole frames end: anything after (a torn
 * append from a crash, or a failed one) is cut off first, so new frames follow whole frames.
 */
export async function openForAppend(path: string, validBytes: number): Promise<FileHandle> {
  const file = await open(path, 'r+');
  try {
    const { size } = await file.stat();
    if (size !== validBytes) await file.truncate(validBytes);
    return file;
  } catch (e) {
    await file.close();
    throw e;
  }
}

/** Writes one frame at `at` and makes it durable before resolving. */
export async function appendFrame(file: FileHandle, at: number, bytes: Buffer): Promise<void> {
  // A full disk may take part of a write without an error: the rest is tried again, and a
  // write that takes nothing is the full disk's error, so a frame is never acknowledged torn.
  for (let done = 0; done < bytes.length; ) {
    const { bytesWritten } = await file.write(bytes, done, bytes.length - done, at + done);
    if (bytesWritten === 0) throw Object.assign(new Error('no space left on device (short write)'), { code: 'ENOSPC' });
    done += bytesWritten;
  }
  await file.datasync();
}

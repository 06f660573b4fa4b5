import { statSync, type BigIntStats } from 'node:fs';
import { stat } from 'node:fs/promises';

/**
 * What identifies one version of a file on disk. An external edit or replacement changes at least
 * one of these (nanosecond mtime, size, inode); our own atomic replace gives a new inode too.
 */
export interface FileStamp {
  readonly ino: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
}

export function stampOf(st: BigIntStats): FileStamp {
  return { ino: st.ino, size: st.size, mtimeNs: st.mtimeNs };
}

export function sameStamp(a: FileStamp | undefined, b: FileStamp | undefined): boolean {
  if (!a || !b) return a === b;
  return a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs;
}

/** The file's stats, or undefined when it does not exist. */
export async function statIfExists(path: string): Promise<BigIntStats | undefined> {
  try {
    return await stat(path, { bigint: true });
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}

/**
 * The file's stamp right now, synchronously: undefined when it does not exist, null when it
 * cannot be stat'ed (the caller takes the slow path, which reports the error).
 */
export function stampNow(path: string): FileStamp | undefined | null {
  try {
    const st = statSync(path, { bigint: true, throwIfNoEntry: false });
    return st && stampOf(st);
  } catch (e) {
    return isMissing(e) ? undefined : null;
  }
}

/** True for the errors that mean "no such file" (including a missing parent directory). */
export function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

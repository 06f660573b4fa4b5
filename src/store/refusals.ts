import type { BigIntStats, Stats } from 'node:fs';
import { basename } from 'node:path';
import { StoreError } from './document-store.js';

type Errno = NodeJS.ErrnoException | undefined;
const codeOf = (cause: unknown): string => (cause as Errno)?.code ?? String(cause);

/**
 * What an operating system error means for the client: a full disk is 507 (Insufficient
 * Storage), a permission refusal 403, a path that is not a regular file 409; anything else 500.
 */
function kindOf(cause: unknown): { status: number; code: StoreError['code']; why?: string } {
  switch ((cause as Errno)?.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return { status: 507, code: 'no-space', why: 'no space left on the device' };
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return { status: 403, code: 'forbidden', why: 'permission denied' };
    case 'EISDIR':
      return { status: 409, code: 'not-a-file', why: 'it is a directory' };
    default:
      return { status: 500, code: 'io' };
  }
}

function kindOfEntry(st: Stats | BigIntStats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** The StoreErrors of this store, with messages that name the file but never its full path. */
export const refusals = {
  invalidUtf8: (path: string) =>
    new StoreError(`${basename(path)} is not valid UTF-8; refusing to load it (file left untouched)`, 422, 'invalid-utf8'),
  unholdable: (path: string, why: string) =>
    new StoreError(`${basename(path)} cannot be held losslessly (${why}); refusing to load it (file left untouched)`, 422, 'unholdable'),
  tooLargeFile: (path: string, size: bigint | number | string, limit: number) =>
    new StoreError(
      `${basename(path)} is ${size} bytes, over the limit of ${limit} bytes; refusing to load it (file left untouched)`,
      413,
      'too-large',
    ),
  tooLargeChange: (path: string, size: number, limit: number) =>
    new StoreError(
      `${basename(path)} would grow to ${size} bytes, over the limit of ${limit} bytes; change refused (file left untouched)`,
      413,
      'too-large',
    ),
  notAFile: (path: string, st: Stats | BigIntStats) =>
    new StoreError(`${basename(path)} is ${kindOfEntry(st)}, not a regular file; refusing to use it (left untouched)`, 409, 'not-a-file'),
  readOnly: (path: string, mode: number) =>
    new StoreError(
      `${basename(path)} is read-only (mode ${(mode & 0o7777).toString(8).padStart(4, '0')}); change refused (file left untouched)`,
      403,
      'read-only',
    ),
  conflict: (path: string, attempts: number) =>
    new StoreError(
      `${basename(path)} was changed on disk by another program during each of ${attempts} attempts to save; the change was not saved`,
      409,
      'conflict',
    ),
  io: (path: string, cause: unknown) => {
    const kind = kindOf(cause);
    return new StoreError(
      `cannot access ${basename(path)}: ${kind.why ? `${kind.why} (${codeOf(cause)})` : codeOf(cause)}`,
      kind.status,
      kind.code,
    );
  },
  writeFailed: (path: string, cause: unknown) => {
    if (cause instanceof StoreError) return cause;
    const kind = kindOf(cause);
    return new StoreError(
      `writing ${basename(path)} failed: ${kind.why ? `${kind.why} (${codeOf(cause)})` : codeOf(cause)}; the change was not saved`,
      kind.status,
      kind.code,
    );
  },
  versionMoved: (path: string, expected: number, current: number) =>
    new StoreError(`${basename(path)} is at version ${current}, not ${expected}; the change was not made`, 412, 'version-moved'),
  closed: () => new StoreError('the document store is closed', 503, 'closed'),
  noDataDirectory: (tenant: string) => new StoreError(`tenant ${JSON.stringify(tenant)} has no data directory here`, 403, 'forbidden'),
  badName: (name: string) =>
    new StoreError(`phext name ${JSON.stringify(name.slice(0, 64))} may not contain '/', '\\' or NUL`, 403, 'forbidden'),
};

/** `e` as a StoreError: refusals pass through, an OS error gets the status of its kind (see kindOf). */
export function asStoreError(path: string, e: unknown): StoreError {
  return e instanceof StoreError ? e : refusals.io(path, e);
}

import { basename } from 'node:path';
import { StoreError } from './document-store.js';

/** The StoreErrors of this store, with messages that name the file but never its full path. */
export const refusals = {
  invalidUtf8: (path: string) =>
    new StoreError(`${basename(path)} is not valid UTF-8; refusing to load it (file left untouched)`, 422, 'invalid-utf8'),
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
  notAFile: (path: string) => new StoreError(`${basename(path)} is not a regular file`, 500, 'io'),
  io: (path: string, cause: unknown) =>
    new StoreError(`cannot access ${basename(path)}: ${(cause as NodeJS.ErrnoException)?.code ?? String(cause)}`, 500, 'io'),
  writeFailed: (path: string, cause: unknown) =>
    new StoreError(
      `writing ${basename(path)} failed (${(cause as NodeJS.ErrnoException)?.code ?? String(cause)}); the change was not saved`,
      500,
      'io',
    ),
  closed: () => new StoreError('the document store is closed', 503, 'closed'),
};

/** `e` as a StoreError: refusals pass through, anything else (EIO, EACCES, ENOSPC...) is an 'io' error. */
export function asStoreError(path: string, e: unknown): StoreError {
  return e instanceof StoreError ? e : refusals.io(path, e);
}

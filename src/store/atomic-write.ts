import { renameSync, statSync } from 'node:fs';
import { open, realpath, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { sameStamp, stampOf, statIfExists, type FileStamp } from './file-stamp.js';
import { refusals } from './refusals.js';
import { checkWritable } from './writable.js';

/**
 * The target is no longer the version a write was based on: another program replaced, edited or
 * removed it between our read and our rename. Nothing was written.
 */
export class FileChangedError extends Error {
  override readonly name = 'FileChangedError';
}

export interface AtomicWriteOptions {
  /**
   * When present, the version of the target the new bytes were made from (undefined: the target
   * must not exist). It is compared with the file just before the rename; on a mismatch the
   * write is abandoned with {@link FileChangedError}, so another program's edit is never
   * silently overwritten (only the moment between that stat and the rename stays open).
   */
  readonly expect?: FileStamp | undefined;
  /**
   * Exact permission bits for the new file, whatever the umask and whatever the replaced file
   * had (the tenants file is always 0600: it names tokens). Without it the new file keeps the
   * bits of the one it replaces, and a new file gets the process's default.
   */
  readonly mode?: number;
}

let counter = 0;

/** The temp file name used while replacing `target`; hidden, unique per process and call. */
function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${++counter}`);
}

/**
 * Replaces `path` with `data` so that a crash at any moment leaves either the old file or the
 * new one, never a torn mix: write a temp file in the same directory, fsync it, rename it over
 * the target, fsync the directory (making the rename itself durable). The file is never written
 * in place. On failure the temp file is removed and the error rethrown; if only the final
 * directory fsync fails the new content is in place but not known to be durable.
 * A symlinked path keeps its link: the file it points to is replaced (the temp file is made
 * beside that file, so the rename stays within one directory).
 * The new file keeps the permission bits of the one it replaces (a phext an operator made 0600
 * stays 0600) unless `options.mode` says otherwise; a new file gets the process's default. A
 * target that is not a regular file, or whose mode does not let us write it, is refused before
 * anything is written (StoreError).
 * `data` may come in chunks (a large phext serialized a piece per event-loop turn).
 * Returns the stamp of the new file (rename keeps inode, size and mtime).
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string | AsyncIterable<Uint8Array>,
  options: AtomicWriteOptions = {},
): Promise<FileStamp> {
  const staged = await stageFile(path, data, options);
  return 'expect' in options ? staged.install(options.expect) : staged.install();
}

/** A new version of a file, written and synced beside it, not yet in its place. */
export interface StagedFile {
  /** What the file will be once installed (rename keeps inode, size and mtime). */
  readonly stamp: FileStamp;
  /**
   * Renames it over the target and syncs the directory. With `expected` (undefined: the target
   * must not exist), only over that version of the target, else {@link FileChangedError} and the
   * staged file is removed.
   */
  install(...expected: [] | [FileStamp | undefined]): Promise<FileStamp>;
  /** Removes the staged file. */
  discard(): Promise<void>;
}

/**
 * The first half of {@link writeFileAtomic}: the temp file written and synced, its mode set, the
 * target's kind and permissions checked. A checkpoint stages a large file while writes go on, and
 * installs it in a moment of its own.
 */
export async function stageFile(
  path: string,
  data: Uint8Array | string | AsyncIterable<Uint8Array>,
  options: Pick<AtomicWriteOptions, 'mode'> = {},
): Promise<StagedFile> {
  const target = await realpath(path).catch(() => path); // missing (a new file) or a dangling link's own name
  const current = await statIfExists(target).catch(() => undefined); // unreadable: open/rename report it
  if (current && !current.isFile()) throw refusals.notAFile(path, current);
  if (current) checkWritable(path, current);
  const mode = options.mode ?? (current ? Number(current.mode) & 0o7777 : undefined);
  const temp = tempPathFor(target);
  let stamp: FileStamp;
  try {
    const file = await open(temp, 'wx', mode ?? 0o666);
    try {
      if (mode !== undefined) await file.chmod(mode); // exact bits, whatever the umask
      if (typeof data === 'string' || data instanceof Uint8Array) await file.writeFile(data);
      else for await (const chunk of data) await file.write(chunk);
      await file.sync();
      stamp = stampOf(await file.stat({ bigint: true }));
    } finally {
      await file.close();
    }
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
  const discard = () => unlink(temp).catch(() => undefined);
  return {
    stamp,
    discard,
    async install(...expected) {
      // The replaced file's blocks are freed when its last name and its last open handle are
      // gone. A synchronous rename that drops the last name frees them on this thread (~20 ms for
      // 100 MB on ext4, every other request waiting); held open, they are freed by the close,
      // in the thread pool.
      const replaced = expected.length > 0 ? await open(target, 'r').catch(() => undefined) : undefined;
      try {
        if (expected.length > 0) {
          // Compare and rename back to back, without yielding to the event loop (or a busy thread
          // pool) in between: that keeps the window an edit could slip through to two system calls.
          const now = statSync(target, { bigint: true, throwIfNoEntry: false });
          if (!sameStamp(now && stampOf(now), expected[0])) throw new FileChangedError(`${basename(path)} changed on disk`);
          renameSync(temp, target);
        } else {
          await rename(temp, target);
        }
      } catch (e) {
        await discard();
        throw e;
      } finally {
        void replaced?.close().catch(() => undefined);
      }
      await syncDirectory(dirname(target));
      return stamp;
    },
  };
}

/** fsync of a directory: makes entries created or renamed in it survive a power loss. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

import { open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { stampOf, type FileStamp } from './file-stamp.js';

let counter = 0;

/** The temp file name used while replacing `target`; hidden, unique per process and call. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${++counter}`);
}

/**
 * Replaces `target` with `bytes` so that a crash at any moment leaves either the old file or the
 * new one, never a torn mix: write a temp file in the same directory, fsync it, rename it over
 * the target, fsync the directory (making the rename itself durable). The file is never written
 * in place. On failure the temp file is removed and the error rethrown; if only the final
 * directory fsync fails the new content is in place but not known to be durable.
 * The new file keeps the permission bits of the one it replaces (a phext an operator made 0600
 * stays 0600); a new file gets the process's default. Returns the stamp of the new file
 * (rename keeps inode, size and mtime).
 */
export async function writeFileAtomic(target: string, bytes: Uint8Array): Promise<FileStamp> {
  const temp = tempPathFor(target);
  const mode = await stat(target).then((st) => st.mode & 0o7777, () => undefined);
  let stamp: FileStamp;
  try {
    const file = await open(temp, 'wx', mode ?? 0o666);
    try {
      if (mode !== undefined) await file.chmod(mode); // exact bits, whatever the umask
      await file.writeFile(bytes);
      await file.sync();
      stamp = stampOf(await file.stat({ bigint: true }));
    } finally {
      await file.close();
    }
    await rename(temp, target);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
  await syncDirectory(dirname(target));
  return stamp;
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

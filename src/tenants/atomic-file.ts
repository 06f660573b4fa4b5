import { randomBytes } from 'node:crypto';
import { chmod, open, realpath, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `path` with `data` so that readers (and a crash) see either the old or the new file,
 * never a torn one: temp file in the same directory, fsync, rename, fsync the directory.
 * A symlinked path keeps its link; the file it points to is replaced.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600): Promise<void> {
  const target = await realpath(path).catch(() => path);
  const dir = dirname(target);
  // A dot name, so watchers filtering on the real file name ignore the temp file.
  const temp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const file = await open(temp, 'wx', mode);
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await chmod(temp, mode); // the open mode is filtered by the umask
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

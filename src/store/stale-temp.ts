import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Matches the temp names of {@link tempPathFor}: `.<name>.tmp-<pid>-<counter>`. */
const TEMP_NAME = /^\..+\.tmp-(\d+)-\d+$/;

/**
 * Removes temp files that a killed writer left in `dir`. Only files of processes that no longer
 * exist are touched (a live pid, even if reused by an unrelated process, keeps its files), so a
 * concurrent writer never loses its temp file. Best effort: errors are ignored.
 */
export async function removeStaleTempFiles(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const pid = Number(TEMP_NAME.exec(name)?.[1]);
    if (!pid || pid === process.pid || isAlive(pid)) continue;
    await unlink(join(dir, name)).then(
      () => removed++,
      () => undefined,
    );
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

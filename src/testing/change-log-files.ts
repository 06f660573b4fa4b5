/** What a phext's change log holds, for tests that check what was (or was not) written. */
import { existsSync } from 'node:fs';
import { logPathOf } from '../store/change-log.js';
import { OpenLog } from '../store/open-log.js';

/**
 * Neither `path` nor its change log `.<name>.phext.log` exists: no write reached the phext. A write
 * is acknowledged once it is in the log, before the `.phext` itself is written.
 */
export function neverWritten(path: string): boolean {
  return !existsSync(path) && !existsSync(logPathOf(path));
}

/** The writes in `path`'s change log not yet folded into the `.phext` (0 when it has no log). */
export async function unfoldedRecords(path: string): Promise<number> {
  return (await OpenLog.read(path))?.unfolded.size ?? 0;
}

/**
 * Waits until a checkpoint has folded every logged write of `path` into the `.phext` itself (after
 * about a second without writes), so that the bare file holds them: for tests where another
 * program reads, edits or moves the file after SQ wrote it.
 */
export async function waitForCheckpoint(path: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await unfoldedRecords(path)) > 0) {
    if (Date.now() > deadline) throw new Error(`no checkpoint folded the change log of ${path} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The entries of a data directory (sorted as `readdirSync().sort()` sorts them) once each phext of
 * `written` has been written: its change log `.<name>.phext.log`, always, and `<name>.phext` when
 * `files` holds it (a checkpoint may not have written it yet); plus the phexts in `untouched`,
 * which must be there already. Compare `files` with it to allow nothing else, e.g. no temp file.
 */
export function expectedFiles(files: readonly string[], written: readonly string[], untouched: readonly string[] = []): string[] {
  const expected = untouched.map((name) => `${name}.phext`);
  for (const name of written) {
    expected.push(`.${name}.phext.log`);
    if (files.includes(`${name}.phext`)) expected.push(`${name}.phext`);
  }
  return [...new Set(expected)].sort();
}

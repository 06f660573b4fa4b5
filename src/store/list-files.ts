import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PhextListing, Snapshot } from './document-store.js';
import { phextNamesIn } from './phext-names.js';

const SUFFIX = '.phext';

/**
 * The phexts of a data directory, in name order: its `<name>.phext` files, each read through
 * the store (`read`), so that what the change log holds beyond the file counts, and those that
 * only have a change log `.<name>.phext.log` yet (a new phext's file is made by its first
 * checkpoint). The original's `.phext` is not a phext a client names. `modified`
 * is the later of the file's and its change log's mtimes: a write lands in the log first.
 * A file gone since the directory was read is left out.
 */
export async function listPhextFiles(dir: string, read: (name: string) => Promise<Snapshot | undefined>): Promise<PhextListing[]> {
  const names = await phextNamesIn(dir);
  const listed: PhextListing[] = [];
  for (const name of names) {
    const snapshot = await read(name);
    if (!snapshot) continue;
    const times = await Promise.all([mtimeOf(join(dir, `${name}${SUFFIX}`)), mtimeOf(join(dir, `.${name}${SUFFIX}.log`))]);
    const newest = Math.max(...times.filter((t): t is number => t !== undefined));
    listed.push({
      name,
      bytes: snapshot.size,
      scrolls: snapshot.phext.size,
      version: snapshot.version,
      modified: Number.isFinite(newest) ? new Date(newest).toISOString() : null,
    });
  }
  return listed;
}

async function mtimeOf(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return undefined;
  }
}

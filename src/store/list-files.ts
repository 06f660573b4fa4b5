import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PhextListing, Snapshot } from './document-store.js';

const SUFFIX = '.phext';
const LOG = '.phext.log';
/** The names clients may send as `p` (server/phext-name.ts): another file is not listed, as none could read it. */
const ADDRESSABLE = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/**
 * The phexts of a data directory, in name order: its `<name>.phext` files, each read through
 * the store (`read`), so that what the change log holds beyond the file counts, and those that
 * only have a change log `.<name>.phext.log` yet (a new phext's file is made by its first
 * checkpoint). The original's `.phext` is not a phext a client names. `modified`
 * is the later of the file's and its change log's mtimes: a write lands in the log first.
 * A file gone since the directory was read is left out.
 */
export async function listPhextFiles(dir: string, read: (name: string) => Promise<Snapshot | undefined>): Promise<PhextListing[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    // A tenant's directory is made by its first write: none yet is no phext yet.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const names = [...new Set(entries.filter((e) => e.isFile()).map((e) => phextOf(e.name)))]
    .filter((name): name is string => name !== undefined)
    .sort();
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

/** The phext a directory entry belongs to: `<name>.phext` or its log `.<name>.phext.log`. */
function phextOf(entry: string): string | undefined {
  const file = entry.startsWith('.') && entry.endsWith(LOG) ? entry.slice(1, -LOG.length + SUFFIX.length) : entry;
  if (!file.endsWith(SUFFIX)) return undefined;
  const name = file.slice(0, -SUFFIX.length);
  return ADDRESSABLE.test(name) ? name : undefined;
}

async function mtimeOf(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return undefined;
  }
}

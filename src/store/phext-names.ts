import { readdir } from 'node:fs/promises';

/**
 * A phext name a client may send as `p`: the store keeps phext `<name>` in `<data_dir>/<name>.phext`
 * (the one rule the server, the data directory listings and the mesh share).
 */
export const PHEXT_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

export const isPhextName = (name: unknown): name is string => typeof name === 'string' && PHEXT_NAME.test(name);

const FILE = /^(.*)\.phext$/;
const LOG = /^\.(.*)\.phext\.log$/;

/**
 * The phexts of a data directory, in name order: its `<name>.phext` files, and those so new that
 * only their change log exists yet (`.<name>.phext.log`, until the first checkpoint writes the
 * file). Names a client could not send are left out; the original's default `.phext` (the name
 * `''`) only with `withDefault`. A directory not made yet holds none.
 */
export async function phextNamesIn(dir: string, withDefault = false): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const names = new Set<string>();
  for (const entry of entries) {
    if (!entry.isFile() && !entry.isSymbolicLink()) continue;
    const name = LOG.exec(entry.name)?.[1] ?? FILE.exec(entry.name)?.[1];
    if (name === undefined) continue;
    if (isPhextName(name) || (withDefault && name === '')) names.add(name);
  }
  return [...names].sort();
}

import { readdir } from 'node:fs/promises';

const NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
const FILE = /^(.+)\.phext$/;
const LOG = /^\.(.+)\.phext\.log$/;

/**
 * The phexts of a data directory: `<name>.phext` files, and those so new that only their change
 * log exists yet (`.<name>.phext.log`, until the first checkpoint writes the file).
 */
export async function phextNames(dir: string): Promise<string[]> {
  const names = new Set<string>();
  for (const file of await readdir(dir)) {
    const name = FILE.exec(file)?.[1] ?? LOG.exec(file)?.[1];
    if (name !== undefined && NAME.test(name)) names.add(name);
  }
  return [...names].sort();
}

/** Whether `name` is a phext name a peer may ask for. */
export const isPhextName = (name: unknown): name is string => typeof name === 'string' && NAME.test(name);
